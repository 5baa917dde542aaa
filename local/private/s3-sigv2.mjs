/**
 * S3's older query-string authentication (Signature Version 2), which the AWS CLI v1 still uses
 * for `aws s3 presign`. Only presigned URLs are accepted this way; a request signed with
 * Version 2 in its Authorization header is refused as malformed, as S3 refuses it in regions
 * that launched after 2014. Source: "Authenticating Requests (AWS Signature Version 2)",
 * https://docs.aws.amazon.com/AmazonS3/latest/API/auth-request-sig-v2.html
 *
 * Plain JavaScript, beside sigv4.mjs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Query parameters that are part of the signed resource. */
const SUBRESOURCES = new Set([
  'acl',
  'cors',
  'delete',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'partNumber',
  'policy',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

/** True when the query carries a Version 2 presigned signature. */
export function isPresignedV2(pairs) {
  const names = new Set(pairs.map(([name]) => name));
  return names.has('AWSAccessKeyId') && names.has('Signature') && names.has('Expires');
}

/**
 * Verifies a Version 2 presigned URL.
 * @param {import('node:http').IncomingMessage} request
 * @param {{ rawPath: string, pairs: Array<[string, string]>, secretFor: (accessKeyId: string) => string | undefined, now: number }} check
 * @returns {import('./sigv4.mjs').SignatureRefusal | undefined}
 */
export function verifyPresignedV2(request, { rawPath, pairs, secretFor, now }) {
  const query = new Map(pairs);
  const secretAccessKey = secretFor(query.get('AWSAccessKeyId') ?? '');
  if (secretAccessKey === undefined) {
    return { kind: 'unknown-key', detail: `access key id "${query.get('AWSAccessKeyId')}" is not this local cloud's` };
  }
  const expires = Number(query.get('Expires'));
  if (!Number.isInteger(expires)) return { kind: 'malformed', detail: 'Expires must be a whole number of seconds' };
  if (now > expires * 1000) return { kind: 'link-expired', detail: 'Request has expired' };

  // A virtual-hosted request (`<bucket>.localhost`) names its bucket in the Host header.
  const host = (request.headers.host ?? '').replace(/:\d+$/, '');
  const bucket = host.endsWith('.localhost') ? host.slice(0, -'.localhost'.length) : '';
  const subresources = pairs
    .filter(([name]) => SUBRESOURCES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  const resource = `${bucket ? `/${bucket}` : ''}${rawPath || '/'}${subresources.length ? `?${subresources.join('&')}` : ''}`;
  const amzHeaders = Object.keys(request.headers)
    .filter((name) => name.startsWith('x-amz-'))
    .sort()
    .map((name) => `${name}:${(request.headersDistinct?.[name] ?? []).map((v) => v.trim()).join(',')}\n`)
    .join('');
  const header = (name) => String(request.headers[name] ?? '');
  const stringToSign = [request.method ?? 'GET', header('content-md5'), header('content-type'), String(expires)]
    .join('\n')
    .concat('\n', amzHeaders, resource);
  const expected = createHmac('sha1', secretAccessKey).update(stringToSign).digest();
  const received = Buffer.from(query.get('Signature') ?? '', 'base64');
  if (received.length === expected.length && timingSafeEqual(received, expected)) return undefined;
  return {
    kind: 'mismatch',
    detail: 'the signature does not match the request signed with this local cloud’s secret key',
    stringToSign,
  };
}
