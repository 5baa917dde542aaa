import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { generateLocalCredentials, sha256Hex, verifySignature } from '../../../local/private/sigv4.mjs';
import { signedHeaders } from '../signed-request';

/** The parts of an IncomingMessage the verifier reads, as node:http would present them. */
function incoming(method: string, url: string, headers: Record<string, string | string[]>): IncomingMessage {
  const lower: Record<string, string> = {};
  const distinct: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    lower[name.toLowerCase()] = values.join(', ');
    distinct[name.toLowerCase()] = values;
  }
  return { method, url, headers: lower, headersDistinct: distinct } as unknown as IncomingMessage;
}

const key = { accessKeyId: 'LOCALTESTKEY00000000', secretAccessKey: 'c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ' };
const host = '127.0.0.1:4566';

/** Signs with the AWS SDK's signer, then checks with ours. */
async function roundTrip(options: {
  service: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signWith?: typeof key;
  now?: number;
}) {
  const url = `http://${host}${options.path}`;
  const signed = await signedHeaders(url, {
    service: options.service,
    credentials: options.signWith ?? key,
    method: options.method ?? 'POST',
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  return verifySignature(incoming(options.method ?? 'POST', options.path, signed), {
    credentials: key,
    service: options.service,
    payloadHash: options.service === 's3' ? undefined : sha256Hex(options.body ?? ''),
    now: options.now ?? Date.now(),
  });
}

describe('verifySignature', () => {
  // The worked example of the SigV4 documentation ("Examples of how to derive a signing key" and
  // the GET ListUsers request of https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
  it('accepts the documentation example request with its published signature', () => {
    const request = incoming('GET', '/?Action=ListUsers&Version=2010-05-08', {
      host: 'iam.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    });
    const refusal = verifySignature(request, {
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      service: 'iam',
      payloadHash: sha256Hex(''),
      now: Date.UTC(2015, 7, 30, 12, 36),
    });
    expect(refusal).toBeUndefined();
  });

  it('accepts what the SDK signs for a JSON service, a REST path with escapes and an S3 key', async () => {
    expect(await roundTrip({ service: 'dynamodb', path: '/', body: '{"TableName":"t"}' })).toBeUndefined();
    // Non-S3 services sign the path encoded once more; S3 signs it as sent.
    expect(await roundTrip({ service: 'batch', path: '/v1/a%20b/c%2Fd', body: '{}' })).toBeUndefined();
    expect(
      await roundTrip({
        service: 's3',
        method: 'GET',
        path: '/bucket/dir/a%20b%2Bc%C3%A9?list-type=2&prefix=a%20b&delimiter=%2F',
      }),
    ).toBeUndefined();
  });

  it('refuses a body other than the one signed', async () => {
    const url = `http://${host}/`;
    const signed = await signedHeaders(url, { service: 'sns', credentials: key, method: 'POST', body: 'Action=A' });
    const refusal = verifySignature(incoming('POST', '/', signed), {
      credentials: key,
      service: 'sns',
      payloadHash: sha256Hex('Action=B'),
      now: Date.now(),
    });
    expect(refusal?.kind).toBe('mismatch');
  });

  it('names an unknown access key apart from a wrong secret', async () => {
    const otherKey = { ...key, accessKeyId: 'AKIAOTHERKEY00000000' };
    const otherSecret = { ...key, secretAccessKey: 'not-the-secret' };
    expect((await roundTrip({ service: 'states', path: '/', body: '{}', signWith: otherKey }))?.kind).toBe(
      'unknown-key',
    );
    expect((await roundTrip({ service: 'states', path: '/', body: '{}', signWith: otherSecret }))?.kind).toBe(
      'mismatch',
    );
  });

  it('refuses a request without a signature, and one scoped to another service', async () => {
    const unsigned = verifySignature(incoming('POST', '/', { host }), {
      credentials: key,
      service: 'dynamodb',
      payloadHash: sha256Hex(''),
      now: Date.now(),
    });
    expect(unsigned?.kind).toBe('missing');
    const url = `http://${host}/`;
    const signed = await signedHeaders(url, { service: 'states', credentials: key, method: 'POST', body: '{}' });
    const refusal = verifySignature(incoming('POST', '/', signed), {
      credentials: key,
      service: 'dynamodb',
      payloadHash: sha256Hex('{}'),
      now: Date.now(),
    });
    expect(refusal).toMatchObject({
      kind: 'malformed',
      detail: "Credential should be scoped to correct service: 'dynamodb'.",
    });
  });

  // "RequestExpired: ... more than 15 minutes after the date stamp on the request", AWS common errors,
  // e.g. https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html
  it('accepts a signature up to 15 minutes old and refuses an older one', async () => {
    const fourteen = Date.now() + 14 * 60 * 1000;
    const sixteen = Date.now() + 16 * 60 * 1000;
    expect(await roundTrip({ service: 'dynamodb', path: '/', body: '{}', now: fourteen })).toBeUndefined();
    expect((await roundTrip({ service: 'dynamodb', path: '/', body: '{}', now: sixteen }))?.kind).toBe('expired');
  });

  it('checks a Version 2 presigned S3 URL by its HMAC-SHA1 and its expiry', () => {
    const expires = Math.floor(Date.now() / 1000) + 60;
    const stringToSign = `GET\n\n\n${expires}\n/bucket/a%20b`;
    const signature = createHmac('sha1', key.secretAccessKey).update(stringToSign).digest('base64');
    const url = `/bucket/a%20b?AWSAccessKeyId=${key.accessKeyId}&Signature=${encodeURIComponent(signature)}&Expires=${expires}`;
    const check = { credentials: key, service: 's3', payloadHash: undefined };
    expect(verifySignature(incoming('GET', url, { host }), { ...check, now: Date.now() })).toBeUndefined();
    expect(verifySignature(incoming('GET', url, { host }), { ...check, now: (expires + 1) * 1000 })?.kind).toBe(
      'link-expired',
    );
    expect(verifySignature(incoming('PUT', url, { host }), { ...check, now: Date.now() })?.kind).toBe('mismatch');
  });
});

describe('generateLocalCredentials', () => {
  it('makes a different LOCAL key pair each time', () => {
    const first = generateLocalCredentials();
    const second = generateLocalCredentials();
    expect(first.accessKeyId).toMatch(/^LOCAL[A-Z2-7]{15}$/);
    expect(first.secretAccessKey).toHaveLength(40);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(second.secretAccessKey).not.toBe(first.secretAccessKey);
  });
});
