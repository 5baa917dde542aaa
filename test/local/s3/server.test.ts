import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortInUseError, type S3Server, startS3Server } from '../../../local/s3';

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

const FIXED_NOW = new Date('2026-03-04T05:06:07.890Z');

function clientFor(server: S3Server): S3Client {
  return new S3Client({
    endpoint: server.url,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: server.credentials,
  });
}

async function errorOf(p: Promise<unknown>): Promise<S3ServiceException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3ServiceException);
  return err as S3ServiceException;
}

let dir: string;
let server: S3Server;
let s3: S3Client;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-s3-'));
  server = await startS3Server({ dir, now: () => FIXED_NOW });
  s3 = clientFor(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
});

afterEach(async () => {
  s3.destroy();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function put(key: string, body: string | Uint8Array = key, extra: Partial<PutObjectCommand['input']> = {}) {
  return s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: body, ...extra }));
}

/**
 * Writes a bucket in the on-disk layout the server documents (docs/local-services.md),
 * then restarts the server on it: thousands of keys without thousands of requests.
 */
async function seedKeys(keys: string[]): Promise<void> {
  s3.destroy();
  await server.close();
  await mkdir(join(dir, 'bkt', 'objects', '00'), { recursive: true });
  await writeFile(join(dir, 'bkt', 'objects', '00', 'shared'), 'x');
  const lines = keys.map((key) =>
    JSON.stringify({
      put: {
        key,
        size: 1,
        etag: `"${md5('x')}"`,
        lastModified: FIXED_NOW.getTime(),
        contentType: 'text/plain',
        file: 'objects/00/shared',
      },
    }),
  );
  await writeFile(join(dir, 'bkt', 'index.jsonl'), `${lines.join('\n')}\n`);
  server = await startS3Server({ dir, now: () => FIXED_NOW });
  s3 = clientFor(server);
}

async function getText(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: key }));
  return out.Body!.transformToString();
}

describe('buckets', () => {
  it('lists created buckets with their creation date', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'another-bucket' }));
    const out = await s3.send(new ListBucketsCommand({}));
    expect(out.Buckets?.map((b) => [b.Name, b.CreationDate?.toISOString()])).toEqual([
      ['another-bucket', '2026-03-04T05:06:07.000Z'],
      ['bkt', '2026-03-04T05:06:07.000Z'],
    ]);
    expect(out.Owner?.DisplayName).toBe('local');
  });

  it('answers HeadBucket for an existing bucket and NotFound for a missing one', async () => {
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'bkt' }));
    expect(head.BucketRegion).toBe('us-east-1');
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'missing' }))).rejects.toBeInstanceOf(NotFound);
  });

  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html (BucketAlreadyOwnedByYou, 409)
  it('rejects creating a bucket that already exists with BucketAlreadyOwnedByYou', async () => {
    const err = await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'bkt' })));
    expect(err.name).toBe('BucketAlreadyOwnedByYou');
    expect(err.$metadata.httpStatusCode).toBe(409);
  });

  it('rejects an invalid bucket name with InvalidBucketName', async () => {
    const err = await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'Upper_Case' })));
    expect(err.name).toBe('InvalidBucketName');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses to delete a bucket that holds objects, then deletes it once empty', async () => {
    await put('k');
    const err = await errorOf(s3.send(new DeleteBucketCommand({ Bucket: 'bkt' })));
    expect(err.name).toBe('BucketNotEmpty');
    expect(err.$metadata.httpStatusCode).toBe(409);
    await s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'bkt' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('raises NoSuchBucket for object operations on a missing bucket', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: 'nope', Key: 'k' }))).rejects.toBeInstanceOf(NoSuchBucket);
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'nope' }))).rejects.toBeInstanceOf(NoSuchBucket);
  });
});

describe('objects', () => {
  it('stores an object and returns body, type, etag, size, metadata and last-modified', async () => {
    const written = await put('dir/file.json', '{"a":1}', {
      ContentType: 'application/json',
      Metadata: { owner: 'me' },
      CacheControl: 'no-cache',
    });
    // A single PUT's ETag is the quoted MD5 hex of the body.
    expect(written.ETag).toBe(`"${md5('{"a":1}')}"`);
    const out = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/file.json' }));
    expect(await out.Body!.transformToString()).toBe('{"a":1}');
    expect(out.ContentType).toBe('application/json');
    expect(out.ContentLength).toBe(7);
    expect(out.ETag).toBe(written.ETag);
    expect(out.Metadata).toEqual({ owner: 'me' });
    expect(out.CacheControl).toBe('no-cache');
    expect(out.LastModified?.toISOString()).toBe('2026-03-04T05:06:07.000Z');
  });

  it('answers HeadObject with size and etag, and NotFound for a missing key', async () => {
    await put('k', 'hello');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    expect(head.ContentLength).toBe(5);
    expect(head.ETag).toBe(`"${md5('hello')}"`);
    // The SDK itself sends application/octet-stream when no type is given.
    expect(head.ContentType).toBe('application/octet-stream');
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'missing' }))).rejects.toBeInstanceOf(NotFound);
  });

  // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (NoSuchKey, 404)
  it('raises NoSuchKey with the key for a missing object', async () => {
    const err = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'no/such key' })));
    expect(err).toBeInstanceOf(NoSuchKey);
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.message).toBe('The specified key does not exist.');
    expect((err as NoSuchKey & { Key?: string }).Key).toBe('no/such key');
  });

  it('overwrites an object and removes the replaced body file', async () => {
    await put('k', 'one');
    await put('k', 'two');
    expect(await getText('k')).toBe('two');
    const files = (await readdir(join(dir, 'bkt', 'objects'), { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    );
    expect(files).toHaveLength(1);
  });

  it('accepts a streamed body sent aws-chunked with a CRC32 trailer', async () => {
    const body = Readable.from([Buffer.from('hello '), Buffer.from('streamed '), Buffer.from('world')]);
    const out = await put('streamed', body as unknown as Uint8Array, { ContentLength: 20 });
    expect(out.ETag).toBe(`"${md5('hello streamed world')}"`);
    expect(out.ChecksumCRC32).toBeDefined();
    expect(await getText('streamed')).toBe('hello streamed world');
  });

  it('returns the stored CRC32 checksum on a full read with checksum mode enabled', async () => {
    const written = await put('k', 'checked');
    const out = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k', ChecksumMode: 'ENABLED' }));
    expect(out.ChecksumCRC32).toBe(written.ChecksumCRC32);
    expect(await out.Body!.transformToString()).toBe('checked');
  });

  it('rejects a body whose CRC32 does not match x-amz-checksum-crc32 with BadDigest', async () => {
    const err = await errorOf(put('k', 'data', { ChecksumCRC32: 'AAAAAA==' }));
    expect(err.name).toBe('BadDigest');
    expect(err.message).toBe('The CRC32 you specified did not match the calculated checksum.');
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'k' }))).rejects.toBeInstanceOf(NotFound);
  });

  it('verifies SHA256, CRC32C and CRC64NVME checksums chosen by the client', async () => {
    for (const algorithm of ['SHA256', 'CRC32C', 'CRC64NVME'] as const) {
      const out = await put(`k-${algorithm}`, 'abc', { ChecksumAlgorithm: algorithm });
      expect(out[`Checksum${algorithm}`]).toBeDefined();
    }
    // Known values of "abc" for each algorithm.
    const head = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k-CRC32C', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumCRC32C).toBe(Buffer.from('364b3fb7', 'hex').toString('base64'));
  });

  describe('range reads', () => {
    beforeEach(async () => {
      await put('digits', '0123456789');
    });

    it.each([
      ['bytes=2-5', '2345', 'bytes 2-5/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=8-100', '89', 'bytes 8-9/10'],
    ])('reads %s as a 206 partial body', async (range, body, contentRange) => {
      const out = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'digits', Range: range }));
      expect(out.$metadata.httpStatusCode).toBe(206);
      expect(out.ContentRange).toBe(contentRange);
      expect(out.ContentLength).toBe(body.length);
      expect(await out.Body!.transformToString()).toBe(body);
    });

    // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (InvalidRange, 416)
    it('rejects a range starting past the end with InvalidRange', async () => {
      const err = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'digits', Range: 'bytes=10-12' })));
      expect(err.name).toBe('InvalidRange');
      expect(err.$metadata.httpStatusCode).toBe(416);
    });

    it('ignores a range it cannot parse and returns the whole object', async () => {
      const out = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'digits', Range: 'bytes=5-2' }));
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(await out.Body!.transformToString()).toBe('0123456789');
    });
  });

  it('answers 304 when If-None-Match names the current etag, 200 otherwise', async () => {
    const { ETag } = await put('k', 'v');
    const err = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k', IfNoneMatch: ETag })));
    expect(err.$metadata.httpStatusCode).toBe(304);
    const out = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k', IfNoneMatch: '"other"' }));
    expect(await out.Body!.transformToString()).toBe('v');
  });

  it('answers PreconditionFailed when If-Match does not name the current etag', async () => {
    await put('k', 'v');
    const err = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k', IfMatch: '"other"' })));
    expect(err.name).toBe('PreconditionFailed');
    expect(err.$metadata.httpStatusCode).toBe(412);
  });

  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
  it('creates only when absent with If-None-Match: *', async () => {
    await put('once', 'first', { IfNoneMatch: '*' });
    const err = await errorOf(put('once', 'second', { IfNoneMatch: '*' }));
    expect(err.name).toBe('PreconditionFailed');
    expect(await getText('once')).toBe('first');
  });

  it('deletes an object, and deleting a missing key succeeds', async () => {
    await put('k');
    await s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    await expect(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }))).rejects.toBeInstanceOf(NoSuchKey);
    const again = await s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    expect(again.$metadata.httpStatusCode).toBe(204);
  });

  it('deletes several objects with DeleteObjects and reports each', async () => {
    await Promise.all(['a', 'b', 'c'].map((k) => put(k)));
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'bkt',
        Delete: { Objects: [{ Key: 'a' }, { Key: 'c' }, { Key: 'missing' }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key)).toEqual(['a', 'c', 'missing']);
    expect(out.Errors).toBeUndefined();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['b']);
  });

  it('reports nothing for successful deletes in quiet mode', async () => {
    await put('a');
    const out = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: 'a' }], Quiet: true } }),
    );
    expect(out.Deleted).toBeUndefined();
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'a' }))).rejects.toBeInstanceOf(NotFound);
  });

  it('copies an object with its metadata, across buckets too', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'other' }));
    const src = await put('src/a b+c', 'payload', { ContentType: 'text/plain', Metadata: { m: '1' } });
    const out = await s3.send(
      new CopyObjectCommand({ Bucket: 'other', Key: 'dst', CopySource: `bkt/${encodeURIComponent('src/a b+c')}` }),
    );
    expect(out.CopyObjectResult?.ETag).toBe(src.ETag);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'other', Key: 'dst' }));
    expect(await got.Body!.transformToString()).toBe('payload');
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ m: '1' });
  });

  it('replaces metadata on copy with the REPLACE directive', async () => {
    await put('k', 'x', { ContentType: 'text/plain', Metadata: { m: '1' } });
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'bkt',
        Key: 'k',
        CopySource: 'bkt/k',
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        Metadata: { n: '2' },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata).toEqual({ n: '2' });
  });

  it('rejects copying an object onto itself without REPLACE', async () => {
    await put('k');
    const err = await errorOf(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'k', CopySource: 'bkt/k' })));
    expect(err.name).toBe('InvalidRequest');
  });

  it('raises NoSuchKey when the copy source is missing', async () => {
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'k', CopySource: 'bkt/missing' })),
    ).rejects.toBeInstanceOf(NoSuchKey);
  });

  it('round-trips keys with special characters and keeps them apart', async () => {
    const keys = [
      '../escape',
      'a/../b',
      './dot',
      'trailing/',
      '/leading',
      'double//slash',
      'ünïcødé/日本語/😀',
      'sp ace+plus?q=1&r#frag%25',
      'new\nline\ttab',
      'quote"\'<xml>&amp;',
      '~!*()',
    ];
    for (const key of keys) await put(key, `body of ${key}`);
    for (const key of keys) expect(await getText(key)).toBe(`body of ${key}`);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(listed.Contents?.map((c) => c.Key).sort()).toEqual([...keys].sort());
    // Nothing was written outside the bucket directory.
    expect((await readdir(dir)).sort()).toEqual(['bkt']);
    expect((await readdir(join(dir, 'bkt'))).sort()).toEqual(['bucket.json', 'index.jsonl', 'objects']);
  });

  it('rejects a key longer than 1024 bytes with KeyTooLongError', async () => {
    const err = await errorOf(put('é'.repeat(513), 'x'));
    expect(err.name).toBe('KeyTooLongError');
  });
});

describe('ListObjectsV2', () => {
  it('pages through 2,500 keys with continuation tokens, 1,000 at a time by default', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `item/${String(i).padStart(5, '0')}`);
    await seedKeys(keys);
    const pages: ListObjectsV2CommandOutput[] = [];
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'bkt', Prefix: 'item/' }))
      pages.push(page);
    expect(pages.map((p) => p.KeyCount)).toEqual([1000, 1000, 500]);
    expect(pages.map((p) => p.IsTruncated)).toEqual([true, true, false]);
    expect(pages.map((p) => p.MaxKeys)).toEqual([1000, 1000, 1000]);
    expect(pages[2]!.NextContinuationToken).toBeUndefined();
    expect(pages.flatMap((p) => p.Contents!.map((c) => c.Key))).toEqual(keys);
  });

  it('honours max-keys, start-after and prefix', async () => {
    for (const k of ['a/1', 'a/2', 'a/3', 'a/4', 'b/1']) await put(k);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'a/', StartAfter: 'a/1', MaxKeys: 2 }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['a/2', 'a/3']);
    expect(out.IsTruncated).toBe(true);
    expect(out.StartAfter).toBe('a/1');
    const next = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'bkt',
        Prefix: 'a/',
        MaxKeys: 2,
        ContinuationToken: out.NextContinuationToken,
      }),
    );
    expect(next.Contents?.map((c) => c.Key)).toEqual(['a/4']);
    expect(next.IsTruncated).toBe(false);
  });

  it('groups keys under CommonPrefixes with a delimiter, paging over prefixes too', async () => {
    for (const k of ['root.txt', 'x/1', 'x/2', 'x/sub/3', 'y/1', 'z']) await put(k);
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Delimiter: '/' }));
    expect(all.Contents?.map((c) => c.Key)).toEqual(['root.txt', 'z']);
    expect(all.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['x/', 'y/']);
    expect(all.KeyCount).toBe(4);

    const inner = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Delimiter: '/', Prefix: 'x/' }));
    expect(inner.Contents?.map((c) => c.Key)).toEqual(['x/1', 'x/2']);
    expect(inner.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['x/sub/']);

    const seen: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1 }, { Bucket: 'bkt', Delimiter: '/' })) {
      expect(page.KeyCount).toBe(1);
      seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
    }
    expect(seen).toEqual(['root.txt', 'x/', 'y/', 'z']);
  });

  it('lists keys in UTF-8 byte order', async () => {
    // U+FF5E sorts before U+1F600 in UTF-8 although its UTF-16 code unit is larger.
    const keys = ['\u{1F600}', '\uFF5E', 'Z', 'a', '\u00E9'];
    for (const k of keys) await put(k);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['Z', 'a', '\u00E9', '\uFF5E', '\u{1F600}']);
  });

  it('rejects a continuation token it did not issue', async () => {
    const err = await errorOf(s3.send(new ListObjectsV2Command({ Bucket: 'bkt', ContinuationToken: 'bogus!' })));
    expect(err.name).toBe('InvalidArgument');
  });
});

describe('persistence', () => {
  it('keeps buckets, objects and deletions across a restart on the same directory', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'second' }));
    await put('keep/1', 'one', { ContentType: 'text/plain' });
    await put('keep/2', 'two');
    await put('gone', 'x');
    await s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'gone' }));
    s3.destroy();
    await server.close();

    server = await startS3Server({ dir });
    s3 = clientFor(server);
    const buckets = await s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual(['bkt', 'second']);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([
      ['keep/1', 3],
      ['keep/2', 3],
    ]);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'keep/1' }));
    expect(got.ContentType).toBe('text/plain');
    expect(await got.Body!.transformToString()).toBe('one');
  });
});

describe('startS3Server', () => {
  it('rejects a port already in use with PortInUseError naming the port', async () => {
    const second = startS3Server({ dir, port: server.port });
    await expect(second).rejects.toThrow(PortInUseError);
    await expect(second).rejects.toThrow(`startS3Server: port ${server.port} on 127.0.0.1 is already in use`);
  });
});
