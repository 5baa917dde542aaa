import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFileFor } from '../../local/batch';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import type { ItemRow } from '../../run';
import { itemRowsOf, runExecution, tempDir } from './helpers';

// The Map path on the real local cloud: Step Functions engine, Batch executor spawning
// processes, dynalite ledger, local S3, all driven through the AWS SDK.
let cloud: LocalCloud;
let ledger: DynamoDBDocumentClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ dir: tempDir(), vcpus: 2 });
  ledger = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
});

afterAll(async () => {
  await cloud?.stop();
});

const runToEnd = (name: string, input: unknown) => runExecution(cloud, name, input);

const itemRows = (runId: string) => itemRowsOf(cloud, runId);

/** Items whose job exits with `code`, echoing a marker first so the log can be checked. */
const exitItems = (codes: number[]) => codes.map((code, n) => ({ n, code }));
const exitCommand = ['sh', '-c', 'echo "item {n} says hello"; exit {code}'];

describe('a run within its tolerated failures', () => {
  const runId = 'within-tolerance';
  const codes = Array.from({ length: 20 }, (_, n) => (n === 3 || n === 11 ? 3 : 0));
  let execution: DescribeExecutionCommandOutput;
  let rows: ItemRow[];

  beforeAll(async () => {
    // 2 failures of 20 = 10%: AT the threshold, which is not exceeding it
    // (docs: step-functions/latest/dg/maprun-fail-threshold.html).
    execution = await runToEnd(runId, {
      runId,
      items: exitItems(codes),
      command: exitCommand,
      toleratedFailurePercentage: 10,
    });
    rows = await itemRows(runId);
  });

  it('succeeds', () => {
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const summary = JSON.parse(execution.output ?? '{}');
    expect(summary).toMatchObject({ runId, counts: { total: 20, succeeded: 18, failed: 2, pending: 0 } });
  });

  it("logs the run's steps as JSON lines in the state folder, each with the run id and the execution", () => {
    const lines = (name: string) =>
      readFileSync(join(cloud.dir, 'lambdas', `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.runId === runId);
    const execution = { runId, execution: expect.stringContaining(`:${runId}`) };
    expect(lines('fanout-prepare')).toEqual([
      expect.objectContaining({ message: 'input accepted', itemCount: 20, ...execution }),
    ]);
    expect(lines('fanout-summarize')).toEqual([
      expect.objectContaining({ message: 'summary written', status: 'COMPLETED_WITH_FAILURES', ...execution }),
    ]);
    expect(lines('fanout-notify')).toEqual([expect.objectContaining({ message: 'notice published', ...execution })]);
  });

  it('has exactly one ledger row per item, with the outcome of its job', async () => {
    expect(rows.map((row) => row.itemId)).toEqual(codes.map((_, n) => String(n).padStart(2, '0')));
    const { jobs } = await cloud.clients.batch.send(
      new DescribeJobsCommand({ jobs: rows.map((row) => row.jobId as string) }),
    );
    const jobsById = new Map(jobs?.map((job) => [job.jobId, job]));
    for (const [n, row] of rows.entries()) {
      const job = jobsById.get(row.jobId);
      expect(job, `item ${n} has the id of a real Batch job`).toBeDefined();
      expect(row.exitCode).toBe(codes[n]);
      expect(job?.container?.exitCode).toBe(codes[n]);
      expect(row.status).toBe(codes[n] === 0 ? 'SUCCEEDED' : 'FAILED');
      expect(job?.status).toBe(row.status);
      expect(row.logStream).toBe(job?.container?.logStreamName);
    }
  });

  it('records why a failed item failed and where its log is', () => {
    const failed = rows.filter((row) => row.status === 'FAILED');
    expect(failed.map((row) => row.itemId)).toEqual(['03', '11']);
    for (const row of failed) {
      expect(row.error).toBe('States.TaskFailed');
      expect(row.failureClass).toBe('APP_ERROR');
      expect(row.statusReason).toMatch(/Essential container in task exited/);
      const log = logFileFor(cloud.dir, row.logStream as string);
      expect(existsSync(log)).toBe(true);
      expect(readFileSync(log, 'utf8')).toContain(`item ${Number(row.itemId)} says hello`);
    }
  });

  it('passes each item its own kwargs', () => {
    const row = rows.find((candidate) => candidate.itemId === '07');
    expect(JSON.parse(row?.kwargs ?? '{}')).toEqual({ n: 7, code: 0 });
    expect(readFileSync(logFileFor(cloud.dir, row?.logStream as string), 'utf8')).toContain('item 7 says hello');
  });
});

describe('a run over its tolerated failures', () => {
  const runId = 'over-tolerance';
  // Six failing items first, two at a time: the third failure exceeds 10% of 20.
  const codes = Array.from({ length: 20 }, (_, n) => (n < 6 ? 1 : 0));
  let execution: DescribeExecutionCommandOutput;
  let rows: ItemRow[];

  beforeAll(async () => {
    execution = await runToEnd(runId, {
      runId,
      items: exitItems(codes),
      command: exitCommand,
      toleratedFailurePercentage: 10,
      maxConcurrency: 2,
    });
    rows = await itemRows(runId);
  });

  it('fails with States.ExceedToleratedFailureThreshold', () => {
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  // The Map Run's PENDING result files name the items it never started (docs:
  // input-output-resultwriter.html); Summarize gives each a final row a retry runs.
  it('accounts for every item, marking those the Map never started FAILED with class NOT_STARTED', () => {
    expect(rows).toHaveLength(20);
    const count = (status: string) => rows.filter((row) => row.status === status).length;
    expect(count('SUCCEEDED') + count('FAILED')).toBe(20);
    const notStarted = rows.filter((row) => row.failureClass === 'NOT_STARTED');
    expect(notStarted.length).toBeGreaterThan(0);
    for (const row of notStarted) expect(row).toMatchObject({ status: 'FAILED', error: 'Fanout.NotStarted' });
    expect(notStarted.every((row) => row.jobId === undefined)).toBe(true);
    expect(count('FAILED') - notStarted.length).toBeGreaterThanOrEqual(3);
  });

  it('leaves no job of the run running after it stops', async () => {
    for (const status of ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING'] as const) {
      const listed = await cloud.clients.batch.send(
        new ListJobsCommand({ jobQueue: 'fanout-high', jobStatus: status }),
      );
      expect(listed.jobSummaryList?.filter((job) => job.jobName?.startsWith(runId)) ?? []).toEqual([]);
    }
  });
});

describe('invalid input', () => {
  // Each row: the input, and the field the error must name. Submitted as a console user
  // would (StartExecution), so it is Prepare in the state machine that refuses it.
  const table: Array<[string, Record<string, unknown>, string]> = [
    ['a string instead of a list', { items: 'abc' }, 'items'],
    ['an unknown key', { items: [{}], colour: 'red' }, 'colour'],
    ['an empty item list', { items: [] }, 'items'],
    ['an empty grid', { grid: {} }, 'grid'],
    ['an empty grid value list', { grid: { lr: [] } }, 'grid.lr'],
    ['zero replicas', { replicas: { count: 0 } }, 'replicas.count'],
    ['two item sources', { items: [{}], replicas: { count: 2 } }, 'replicas'],
    ['duplicate item ids', { items: [{ id: 'a' }, { id: 'b' }, { id: 'a' }] }, 'items.2.id'],
    ['an item id with a slash', { items: [{ id: 'a/b' }] }, 'items.0.id'],
    ['an oversized item', { items: [{ blob: 'x'.repeat(40_000) }] }, 'items.0'],
    ['a tolerated percentage over 100', { items: [{}], toleratedFailurePercentage: 150 }, 'toleratedFailurePercentage'],
    ['a negative tolerated count', { items: [{}], toleratedFailureCount: -1 }, 'toleratedFailureCount'],
    ['a non-boolean idempotent flag', { items: [{}], idempotent: 'yes' }, 'idempotent'],
    ['a command that is a string', { items: [{}], command: 'echo hi' }, 'command'],
    ['a command with a non-string argument', { items: [{}], command: ['echo', 3] }, 'command.1'],
    ['a kwarg named like a Batch variable', { items: [{ AWS_BATCH_JOB_ID: 'x' }] }, 'items.0.AWS_BATCH_JOB_ID'],
    ['an unknown job queue', { items: [{}], jobQueue: 'no-such-queue' }, 'jobQueue'],
    ['maxConcurrency above 10,000', { items: [{}], maxConcurrency: 20_000 }, 'maxConcurrency'],
    [
      'a command placeholder an item has no kwarg for',
      { items: [{ x: 1 }, { y: 2 }], command: ['echo', '{y}'] },
      'items.0',
    ],
  ];

  it.each(table)('refuses %s, naming the field, before anything is written', async (_label, input, field) => {
    const runId = `invalid-${table.findIndex(([label]) => label === _label)}`;
    const spawnedBefore = (await cloud.batch.stats()).processesSpawned;
    const execution = await runToEnd(runId, { ...input, runId });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('FanoutInputError');
    expect(execution.cause).toContain(field);
    expect(await itemRows(runId)).toEqual([]);
    const header = await ledger.send(
      new QueryCommand({
        TableName: cloud.config.ledgerTable,
        KeyConditionExpression: 'runId = :r',
        ExpressionAttributeValues: { ':r': runId },
      }),
    );
    expect(header.Items).toEqual([]);
    const objects = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: cloud.config.bucket, Prefix: `runs/${runId}/` }),
    );
    expect(objects.KeyCount ?? 0).toBe(0);
    expect((await cloud.batch.stats()).processesSpawned).toBe(spawnedBefore);
  });
});
