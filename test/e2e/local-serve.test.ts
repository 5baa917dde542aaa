import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BatchClient, DescribeJobQueuesCommand } from '@aws-sdk/client-batch';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { LocalEndpoints } from '../../local/cloud';
import { repoRoot, tempDir } from './helpers';

const credentials = { accessKeyId: 'any', secretAccessKey: 'any' };

describe('fanout local serve --json', () => {
  it('prints its endpoints first, serves the AWS APIs on them, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'fanout.mjs'), 'local', 'serve', '--json', '--dir', tempDir()],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const { region, endpoints } = JSON.parse(first) as { region: string; endpoints: LocalEndpoints };
    expect(region).toBe('us-east-1');
    expect(Object.keys(endpoints).sort()).toEqual(['batch', 'dynamodb', 's3', 'sns', 'stepfunctions']);

    const sfn = new SFNClient({ region, credentials, endpoint: endpoints.stepfunctions });
    const machines = await sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => m.name)).toContain('fanout-map');

    const batch = new BatchClient({ region, credentials, endpoint: endpoints.batch });
    const queues = await batch.send(new DescribeJobQueuesCommand({}));
    expect(queues.jobQueues?.map((q) => [q.jobQueueName, q.priority])).toEqual(
      expect.arrayContaining([
        ['fanout-high', 100],
        ['fanout-low', 10],
      ]),
    );

    const dynamodb = new DynamoDBClient({ region, credentials, endpoint: endpoints.dynamodb });
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toContain('fanout-ledger');

    const s3 = new S3Client({ region, credentials, endpoint: endpoints.s3, forcePathStyle: true });
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain('fanout-data');

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
