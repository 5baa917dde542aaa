import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsCommand,
  NoSuchUpload,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type S3Server, startS3Server } from '../../../local/s3';
import { signedFetch, signedHeaders } from '../signed-request';

let dir: string;
let server: S3Server;
let s3: S3Client;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-s3-wire-'));
  server = await startS3Server({ dir });
  s3 = new S3Client({
    endpoint: server.url,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: server.credentials,
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'wire' }));
});

function signing() {
  return { service: 's3', credentials: server.credentials };
}

afterEach(async () => {
  s3.destroy();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('multipart uploads', () => {
  const MiB = 1024 * 1024;

  it('assembles parts in order with the multipart ETag (MD5 of part MD5s, dash, count)', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'wire', Key: 'big.bin', ContentType: 'application/x-test' }),
    );
    const part1 = Buffer.alloc(5 * MiB, 'a');
    const part2 = Buffer.from('tail');
    const up1 = await s3.send(
      new UploadPartCommand({ Bucket: 'wire', Key: 'big.bin', UploadId, PartNumber: 1, Body: part1 }),
    );
    const up2 = await s3.send(
      new UploadPartCommand({ Bucket: 'wire', Key: 'big.bin', UploadId, PartNumber: 2, Body: part2 }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'wire',
        Key: 'big.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: up1.ETag },
            { PartNumber: 2, ETag: up2.ETag },
          ],
        },
      }),
    );
    const md5s = Buffer.concat([part1, part2].map((p) => createHash('md5').update(p).digest()));
    expect(done.ETag).toBe(`"${createHash('md5').update(md5s).digest('hex')}-2"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'wire', Key: 'big.bin', Range: 'bytes=5242878-' }));
    expect(await got.Body!.transformToString()).toBe('aatail');
    expect(got.ContentType).toBe('application/x-test');
  });

  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html (5 MiB minimum part size, last part excepted)
  it('rejects completing with a non-final part under 5 MiB with EntityTooSmall', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'wire', Key: 'k' }));
    const parts = [];
    for (const PartNumber of [1, 2]) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: 'wire', Key: 'k', UploadId, PartNumber, Body: 'small' }),
      );
      parts.push({ PartNumber, ETag });
    }
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({ Bucket: 'wire', Key: 'k', UploadId, MultipartUpload: { Parts: parts } }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
  });

  it('forgets an aborted upload', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'wire', Key: 'k' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'wire', Key: 'k', UploadId }));
    await expect(
      s3.send(new UploadPartCommand({ Bucket: 'wire', Key: 'k', UploadId, PartNumber: 1, Body: 'x' })),
    ).rejects.toBeInstanceOf(NoSuchUpload);
  });
});

describe('ListObjects (version 1)', () => {
  it('pages with Marker and returns NextMarker when a delimiter is given', async () => {
    for (const k of ['a/1', 'b', 'c/1', 'd'])
      await s3.send(new PutObjectCommand({ Bucket: 'wire', Key: k, Body: 'x' }));
    const first = await s3.send(new ListObjectsCommand({ Bucket: 'wire', Delimiter: '/', MaxKeys: 2 }));
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
    expect(first.Contents?.map((c) => c.Key)).toEqual(['b']);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBe('b');
    const rest = await s3.send(new ListObjectsCommand({ Bucket: 'wire', Delimiter: '/', Marker: first.NextMarker }));
    expect(rest.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['c/']);
    expect(rest.Contents?.map((c) => c.Key)).toEqual(['d']);
    expect(rest.IsTruncated).toBe(false);
  });
});

describe('raw wire format', () => {
  it('lists keys percent-encoded with encoding-type=url, as the AWS CLI asks', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'wire', Key: 'dir/a b\n+é', Body: 'x' }));
    const res = await signedFetch(`${server.url}/wire?list-type=2&encoding-type=url&prefix=dir%2F`, signing());
    const xml = await res.text();
    expect(xml).toContain('<Key>dir/a%20b%0A%2B%C3%A9</Key>');
    expect(xml).toContain('<EncodingType>url</EncodingType>');
    expect(xml).toContain('<Prefix>dir/</Prefix>');
  });

  it('answers errors as S3 XML with code, message and resource details', async () => {
    const res = await signedFetch(`${server.url}/wire/missing%20key`, signing());
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/xml');
    const xml = await res.text();
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>missing key<\/Key><RequestId>/,
    );
  });

  it('stores the decoded body of a SigV4 streaming upload and drops aws-chunked from its encoding', async () => {
    const sig = `chunk-signature=${'0'.repeat(64)}`;
    const body = `6;${sig}\r\nhello \r\n5;${sig}\r\nworld\r\n0;${sig}\r\n\r\n`;
    const res = await signedFetch(`${server.url}/wire/signed`, {
      ...signing(),
      method: 'PUT',
      headers: {
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked,x-test',
        'x-amz-decoded-content-length': '11',
        'content-type': 'text/plain',
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(res.headers.get('etag')).toBe(`"${createHash('md5').update('hello world').digest('hex')}"`);
    const got = await signedFetch(`${server.url}/wire/signed`, signing());
    expect(got.headers.get('content-encoding')).toBe('x-test');
    expect(Buffer.from(await got.arrayBuffer()).toString()).toBe('hello world');
  });

  // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (XAmzContentSHA256Mismatch)
  it('rejects a payload whose SHA-256 differs from x-amz-content-sha256', async () => {
    const res = await signedFetch(`${server.url}/wire/k`, {
      ...signing(),
      method: 'PUT',
      headers: { 'x-amz-content-sha256': 'a'.repeat(64) },
      body: 'data',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });

  it('accepts a bucket addressed as a <bucket>.localhost virtual host', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'wire', Key: 'vh/key', Body: 'virtual' }));
    const { request } = await import('node:http');
    const host = `wire.localhost:${server.port}`;
    const headers = await signedHeaders(`${server.url}/vh/key`, { ...signing(), host });
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${server.url}/vh/key`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on('error', reject);
      req.end();
    });
    expect(text).toBe('virtual');
  });
});
