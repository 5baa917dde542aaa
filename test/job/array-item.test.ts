import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveArrayItem, resolveJobInvocation } from '../../job/array-item';
import { InvocationError } from '../../job/invocation';
import { ManifestReader, type ObjectLocation } from '../../job/manifest-index';
import { indexedManifest, manifestLine } from '../../lambdas/shared/manifest';
import { startS3Server } from '../../local/s3';

const items = [
  { itemId: 'a', kwargs: { seed: 1, name: 'ada' } },
  { itemId: 'b', kwargs: { seed: 2, name: 'bob' } },
  { itemId: 'c', kwargs: { seed: 3, name: 'cy' } },
];
const { body, index } = indexedManifest(
  items.map((item) =>
    manifestLine({
      itemId: item.itemId,
      jobName: `r-${item.itemId}`,
      kwargsJson: JSON.stringify(item.kwargs),
      idempotent: true,
    }),
  ),
);
const objects: Record<string, Uint8Array> = { 'm.jsonl': Buffer.from(body), 'm.idx': index };
const reader = new ManifestReader(async (location: ObjectLocation, start: number, end: number) =>
  (objects[location.key] as Uint8Array).subarray(start, end + 1),
);
const located = { FANOUT_MANIFEST: 's3://fanout-data/m.jsonl', FANOUT_MANIFEST_INDEX: 's3://fanout-data/m.idx' };

describe('resolveArrayItem', () => {
  it('reads item FANOUT_ARRAY_OFFSET + AWS_BATCH_JOB_ARRAY_INDEX into FANOUT_KWARGS and FANOUT_ITEM_ID', async () => {
    const environment = await resolveArrayItem(
      { ...located, FANOUT_ARRAY_OFFSET: '1', AWS_BATCH_JOB_ARRAY_INDEX: '1', PATH: '/bin' },
      reader,
    );
    expect(environment).toMatchObject({ FANOUT_KWARGS: '{"seed":3,"name":"cy"}', FANOUT_ITEM_ID: 'c', PATH: '/bin' });
  });

  it('reads item FANOUT_ARRAY_OFFSET in a plain job, which has no array index', async () => {
    await expect(resolveArrayItem({ ...located, FANOUT_ARRAY_OFFSET: '1' }, reader)).resolves.toMatchObject({
      FANOUT_ITEM_ID: 'b',
    });
    await expect(resolveArrayItem(located, reader)).resolves.toMatchObject({ FANOUT_ITEM_ID: 'a' });
  });

  it('leaves an environment without a manifest as it is, so FANOUT_KWARGS jobs work unchanged', async () => {
    const environment = { FANOUT_KWARGS: '{"seed":9}' };
    await expect(resolveArrayItem(environment, reader)).resolves.toBe(environment);
  });

  it('names the variable that is wrong', async () => {
    await expect(resolveArrayItem({ ...located, FANOUT_KWARGS: '{}' }, reader)).rejects.toThrow(
      'FANOUT_KWARGS and FANOUT_MANIFEST are both set',
    );
    await expect(resolveArrayItem({ FANOUT_MANIFEST: located.FANOUT_MANIFEST }, reader)).rejects.toThrow(
      'FANOUT_MANIFEST is set but FANOUT_MANIFEST_INDEX is not',
    );
    await expect(resolveArrayItem({ ...located, AWS_BATCH_JOB_ARRAY_INDEX: '-1' }, reader)).rejects.toThrow(
      'AWS_BATCH_JOB_ARRAY_INDEX must be a non-negative integer; received -1',
    );
    await expect(resolveArrayItem({ ...located, FANOUT_ARRAY_OFFSET: '3' }, reader)).rejects.toThrow(InvocationError);
  });
});

describe('resolveJobInvocation', () => {
  it('substitutes the item read from the manifest into the command and the environment', async () => {
    const resolved = await resolveJobInvocation(
      { command: ['echo', '{name}-{seed}'], environment: { ...located, AWS_BATCH_JOB_ARRAY_INDEX: '0' } },
      reader,
    );
    expect(resolved.command).toEqual(['echo', 'ada-1']);
    expect(resolved.environment).toMatchObject({ name: 'ada', seed: '1', FANOUT_ITEM_ID: 'a' });
  });
});

describe('the entrypoint of an array child', () => {
  const root = resolve(import.meta.dirname, '..', '..');
  let s3: Awaited<ReturnType<typeof startS3Server>>;

  beforeAll(async () => {
    s3 = await startS3Server({ dir: mkdtempSync(join(tmpdir(), 'fanout-job-s3-')) });
    const client = new S3Client({
      endpoint: s3.url,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: s3.credentials,
    });
    await client.send(new CreateBucketCommand({ Bucket: 'fanout-data' }));
    await client.send(new PutObjectCommand({ Bucket: 'fanout-data', Key: 'm.jsonl', Body: body }));
    await client.send(new PutObjectCommand({ Bucket: 'fanout-data', Key: 'm.idx', Body: index }));
    client.destroy();
  });

  afterAll(async () => {
    await s3?.close();
  });

  it('reads its item from S3 at AWS_ENDPOINT_URL_S3 and runs the command with it', async () => {
    // Not spawnSync: the S3 endpoint answers on this process's event loop.
    const child = spawn(
      process.execPath,
      [
        join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(root, 'job', 'entrypoint.ts'),
        'sh',
        '-c',
        'echo "{name} $seed $FANOUT_ITEM_ID"',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...located,
          FANOUT_ARRAY_OFFSET: '0',
          AWS_BATCH_JOB_ARRAY_INDEX: '1',
          AWS_ENDPOINT_URL_S3: s3.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const status = await new Promise((done) => child.on('close', done));
    const result = { stdout, stderr, status };
    expect(result.stderr).not.toContain('fanout launcher');
    expect(result.stdout).toBe('bob 2 b\n');
    expect(result.status).toBe(0);
  });
});
