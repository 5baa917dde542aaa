import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s3ObjectStore } from '../../../local/engine';
import { type S3Server, startS3Server } from '../../../local/s3';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** `count` chunks of `size` bytes, each filled with its own letter. */
function* chunks(count: number, size: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, 97 + (i % 26));
}

describe('s3ObjectStore.putObjectStream against the local S3 endpoint', () => {
  let dir: string;
  let s3: S3Server;
  let client: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-object-store-'));
    s3 = await startS3Server({ dir });
    client = new S3Client({ endpoint: s3.url, region: 'us-east-1', credentials: s3.credentials, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: 'results' }));
  });

  afterAll(async () => {
    client.destroy();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  const read = async (key: string): Promise<Buffer> => {
    const object = await client.send(new GetObjectCommand({ Bucket: 'results', Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  };

  it('uploads an object larger than one part as a multipart upload, byte for byte', async () => {
    // 20 chunks of 1 MiB: three parts of 8, 8 and 4 MiB (S3's minimum part size is 5 MiB, the last part excepted).
    await s3ObjectStore(client).putObjectStream!('results', 'big.json', chunks(20, 1024 * 1024));
    const body = await read('big.json');
    expect(body.length).toBe(20 * 1024 * 1024);
    expect(body.equals(Buffer.concat([...chunks(20, 1024 * 1024)]))).toBe(true);
  });

  it('writes a small object with a single PutObject', async () => {
    await s3ObjectStore(client).putObjectStream!('results', 'small.json', chunks(3, 10));
    expect((await read('small.json')).toString()).toBe('aaaaaaaaaabbbbbbbbbbcccccccccc');
  });
});

describe('s3ObjectStore.putObjectStream failures', () => {
  // Created here, not at module load: a mock replaces send() on every S3Client, the ones above included.
  let s3: AwsClientStub<S3Client>;
  beforeAll(() => {
    s3 = mockClient(S3Client);
  });
  afterEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('aborts the multipart upload and reports the S3 error when a part fails', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3.on(UploadPartCommand).rejects(
      Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }),
    );
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = s3ObjectStore(new S3Client({ region: 'us-east-1', credentials }));
    await expect(store.putObjectStream!('results', 'big.json', chunks(9, 1024 * 1024))).rejects.toMatchObject({
      error: 'S3.SlowDown',
    });
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'results',
      Key: 'big.json',
      UploadId: 'upload-1',
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
