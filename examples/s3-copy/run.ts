/**
 * The S3 folder copy from the AWS Batch array-job walk-through, as a fanout run on
 * the local cloud: seed objects under `source/<prefix>/`, run one job per prefix
 * that copies them to `backup/<prefix>/`, then check every copy.
 *
 *   npx tsx examples/s3-copy/run.ts [--dir DIR] [--prefixes N] [--objects M]
 */
import { parseArgs } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalCloud } from '../../local/cloud';

export interface S3CopyResult {
  runId: string;
  status: string;
  prefixes: number;
  objectsSeeded: number;
  /** Backup objects whose bytes equal their source. */
  objectsVerified: number;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Runs the example end to end in `dir` and returns what it verified. */
export async function runS3CopyExample(options: {
  dir: string;
  prefixes?: number;
  objects?: number;
}): Promise<S3CopyResult> {
  const prefixCount = options.prefixes ?? 5;
  const objectCount = options.objects ?? 4;
  const cloud = await startLocalCloud({ dir: options.dir });
  try {
    const { s3, sfn } = cloud.clients;
    const bucket = cloud.config.bucket;
    const runId = `s3-copy-${Date.now()}`;
    const prefixes = Array.from({ length: prefixCount }, (_, i) => `${runId}/day-${String(i + 1).padStart(2, '0')}/`);
    for (const prefix of prefixes) {
      for (let j = 0; j < objectCount; j++) {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `source/${prefix}part-${j}.csv`,
            Body: `${prefix},${j}\n`.repeat(j + 1),
          }),
        );
      }
    }
    const input = {
      runId,
      items: prefixes.map((prefix) => ({ prefix })),
      command: [
        'node',
        'examples/s3-copy/copy-prefix.mjs',
        '--bucket',
        bucket,
        '--from',
        'source/{prefix}',
        '--to',
        'backup/{prefix}',
      ],
    };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: cloud.mapStateMachineArn,
        name: runId,
        input: JSON.stringify(input),
      }),
    );
    let status = 'RUNNING';
    while (status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
    }
    let verified = 0;
    for (const key of await listKeys(s3, bucket, `backup/${runId}/`)) {
      const read = async (k: string) =>
        (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: k }))).Body?.transformToString();
      if ((await read(key)) === (await read(`source/${key.slice('backup/'.length)}`))) verified++;
    }
    return {
      runId,
      status,
      prefixes: prefixCount,
      objectsSeeded: prefixCount * objectCount,
      objectsVerified: verified,
    };
  } finally {
    await cloud.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { dir: { type: 'string', default: '.fanout' }, prefixes: { type: 'string' }, objects: { type: 'string' } },
  });
  const result = await runS3CopyExample({
    dir: values.dir,
    ...(values.prefixes ? { prefixes: Number(values.prefixes) } : {}),
    ...(values.objects ? { objects: Number(values.objects) } : {}),
  });
  console.log(JSON.stringify(result));
  process.exitCode = result.status === 'SUCCEEDED' && result.objectsVerified === result.objectsSeeded ? 0 : 1;
}
