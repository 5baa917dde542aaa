import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunOutput } from '../../lambdas/shared/run-output';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { type ItemRow, RUN_HEADER_ITEM_ID, type RunHeaderRow } from '../../run';
import { arrayPathUsage } from '../../statemachine';
import { itemRowsOf, tempDir } from './helpers';

// The array path on the real local cloud, driven through the Step Functions API: one Batch array
// job per 10,000 items, children reading their item from the manifest through its offset index.
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ dir: tempDir(), vcpus: 2 });
});

afterAll(async () => {
  await cloud?.stop();
});

/** Starts an execution of `fanout-array` and waits until it ends. */
async function runArray(name: string, input: unknown): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await cloud.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: cloud.arrayStateMachineArn, name, input: JSON.stringify(input) }),
  );
  for (;;) {
    const execution = await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const byId = (rows: ItemRow[]) => new Map(rows.map((row) => [row.itemId, row]));

async function ledgerHeader(runId: string): Promise<RunHeaderRow | undefined> {
  const response = await DynamoDBDocumentClient.from(cloud.clients.dynamodb).send(
    new GetCommand({ TableName: cloud.config.ledgerTable, Key: { runId, itemId: RUN_HEADER_ITEM_ID } }),
  );
  return response.Item as RunHeaderRow | undefined;
}

describe('an array run in which chosen children fail', () => {
  const runId = 'array-some-fail';
  const out = tempDir('fanout-array-out-');
  const failing = new Set([1, 4, 6]);
  const items = Array.from({ length: 8 }, (_, n) => ({ id: `item-${n}`, n, code: failing.has(n) ? 3 : 0, out }));
  // Each child writes the kwargs it received to a file named after its item, then exits with its code.
  const command = ['sh', '-c', 'printf "%s" "$FANOUT_KWARGS" > "{out}/$FANOUT_ITEM_ID"; exit {code}'];
  let execution: DescribeExecutionCommandOutput;
  let rows: Map<string, ItemRow>;

  beforeAll(async () => {
    execution = await runArray(runId, { runId, items, command });
    rows = byId(await itemRowsOf(cloud, runId));
  });

  it('bills the happy path, SubmissionFailed, and one transition per retry of Collect while children still ran', async () => {
    const history = await cloud.clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }),
    );
    const collectRetries = (history.events ?? []).filter(
      (event) => event.type === 'TaskFailed' && event.taskFailedEventDetails?.error === 'ChildrenStillRunningError',
    ).length;
    expect(cloud.engine.describeExecution(execution.executionArn as string).stateTransitions).toBe(
      arrayPathUsage(8).stateTransitions + 1 + collectRetries,
    );
  });

  it('ends FAILED with the failed array job as its error', () => {
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    expect(execution.cause).toContain(
      'failed: Array Child Job failed; 3 item(s) of this execution FAILED (item-1, item-4, item-6)',
    );
  });

  it('records exactly the failing children FAILED, with their exit code and class, and the others SUCCEEDED', () => {
    expect(rows.size).toBe(8);
    for (const [itemId, row] of rows) {
      const n = Number(itemId.slice('item-'.length));
      if (failing.has(n)) {
        expect(row, itemId).toMatchObject({
          status: 'FAILED',
          exitCode: 3,
          failureClass: 'APP_ERROR',
          error: 'States.TaskFailed',
          failedRunId: runId,
          queue: 'fanout-high',
        });
        expect(row.cause).toMatch(/^Batch job [0-9a-f-]+:\d+ failed: Essential container in task exited$/);
      } else {
        expect(row, itemId).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, queue: 'fanout-high' });
        expect(row.failureClass).toBeUndefined();
        expect(row.startedAt).toEqual(expect.any(Number));
      }
    }
  });

  it('runs child i of the array on item i: every item ran once, with its own kwargs, as child <parent>:<i>', async () => {
    expect(readdirSync(out).sort()).toEqual(items.map((item) => item.id).sort());
    for (const item of items) {
      const { id, ...kwargs } = item;
      expect(JSON.parse(readFileSync(join(out, id), 'utf8'))).toEqual(kwargs);
    }
    const jobIds = [...rows.values()]
      .sort((a, b) => a.itemId.localeCompare(b.itemId))
      .map((row) => row.jobId as string);
    const parent = (jobIds[0] as string).split(':')[0] as string;
    expect(jobIds).toEqual(items.map((_, n) => `${parent}:${n}`));
    const { jobs } = await cloud.clients.batch.send(new DescribeJobsCommand({ jobs: [parent] }));
    expect(jobs?.[0]).toMatchObject({ status: 'FAILED', jobName: `${runId}-array-r1-0`, arrayProperties: { size: 8 } });
  });

  it("lists the failed children through their parent, as Batch's ListJobs by arrayJobId does", async () => {
    const children = await cloud.clients.batch.send(
      new ListJobsCommand({ arrayJobId: String(rows.get('item-0')?.jobId).split(':')[0], jobStatus: 'FAILED' }),
    );
    expect(children.jobSummaryList?.map((job) => job.arrayProperties?.index).sort()).toEqual([1, 4, 6]);
  });
});

describe('an array run of one item', () => {
  const runId = 'array-single';
  let execution: DescribeExecutionCommandOutput;

  beforeAll(async () => {
    execution = await runArray(runId, {
      runId,
      items: [{ word: 'hello' }],
      command: ['sh', '-c', 'test "{word}" = hello'],
    });
  });

  it('runs the item as a plain job and ends SUCCEEDED', async () => {
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const summary = JSON.parse(execution.output ?? '{}') as RunOutput;
    expect(summary).toMatchObject({ runId, path: 'array', status: 'SUCCEEDED', counts: { total: 1, succeeded: 1 } });
    expect(summary.arrayJobs).toEqual([
      { jobName: `${runId}-array-r1-0`, jobId: expect.any(String), size: 1, status: 'SUCCEEDED' },
    ]);
    const [row] = await itemRowsOf(cloud, runId);
    expect(row).toMatchObject({ itemId: '0', status: 'SUCCEEDED', jobId: summary.arrayJobs?.[0]?.jobId });
    const { jobs } = await cloud.clients.batch.send(new DescribeJobsCommand({ jobs: [row?.jobId as string] }));
    expect(jobs?.[0]?.arrayProperties).toBeUndefined();
  });

  it('bills the transitions the cost formula states', () => {
    expect(cloud.engine.describeExecution(execution.executionArn as string).stateTransitions).toBe(
      arrayPathUsage(1).stateTransitions,
    );
  });
});

describe('retrying an array run', () => {
  const runId = 'array-retry';
  const log = tempDir('fanout-array-attempts-');
  // item-1 fails its first attempt, item-2 its first two, item-4 (not idempotent) always.
  const failures: Record<number, number> = { 1: 1, 2: 2, 4: 99 };
  const items = Array.from({ length: 6 }, (_, n) => ({
    id: `item-${n}`,
    n,
    fails: failures[n] ?? 0,
    log,
    ...(n === 4 ? { idempotent: false } : {}),
  }));
  // Appends the kwargs it got to its item's file, then fails while it has run no more than {fails} times.
  const command = [
    'sh',
    '-c',
    'printf "%s\\n" "$FANOUT_KWARGS" >> "{log}/$FANOUT_ITEM_ID"; test "$(wc -l < "{log}/$FANOUT_ITEM_ID")" -gt {fails}',
  ];
  const runsOf = (itemId: string) => readFileSync(join(log, itemId), 'utf8').trim().split('\n');
  let first: DescribeExecutionCommandOutput;
  let retry1: DescribeExecutionCommandOutput;
  let retry2: DescribeExecutionCommandOutput;
  let afterRetry1: Map<string, ItemRow>;
  let rows: Map<string, ItemRow>;

  beforeAll(async () => {
    first = await runArray(runId, { runId, items, command });
    retry1 = await runArray(`${runId}-retry-1`, { retryOf: runId });
    afterRetry1 = byId(await itemRowsOf(cloud, runId));
    retry2 = await runArray(`${runId}-retry-2`, { retryOf: runId });
    rows = byId(await itemRowsOf(cloud, runId));
  });

  it('fails the first run with exactly the three failing items FAILED', () => {
    expect(first.status).toBe('FAILED');
    expect(JSON.parse(readFileSync(join(log, 'item-0'), 'utf8'))).toEqual({ n: 0, fails: 0, log });
  });

  it('re-runs only the failed idempotent items, as a smaller array whose index i runs the i-th of them, with their own kwargs', () => {
    // item-2 fails again, so the smaller array fails too.
    expect(retry1.status).toBe('FAILED');
    expect(retry1.error).toBe('States.TaskFailed');
    expect(afterRetry1.get('item-1')).toMatchObject({ status: 'SUCCEEDED', attempt: 2, round: 2 });
    expect(afterRetry1.get('item-2')).toMatchObject({
      status: 'FAILED',
      attempt: 2,
      round: 2,
      failureClass: 'APP_ERROR',
      exitCode: 1,
    });
    const [parent] = String(afterRetry1.get('item-1')?.jobId).split(':');
    expect(afterRetry1.get('item-1')?.jobId).toBe(`${parent}:0`);
    expect(afterRetry1.get('item-2')?.jobId).toBe(`${parent}:1`);
    for (const n of [1, 2]) {
      for (const line of runsOf(`item-${n}`)) expect(JSON.parse(line)).toEqual({ n, fails: failures[n], log });
    }
  });

  it('runs a retry of a single item as a plain job', () => {
    expect(rows.get('item-2')).toMatchObject({ status: 'SUCCEEDED', attempt: 3, round: 3 });
    expect(rows.get('item-2')?.jobId).not.toContain(':');
    expect(rows.get('item-2')?.attempts?.map((attempt) => attempt.attempt)).toEqual([1, 2]);
  });

  it('never runs a succeeded or non-idempotent item again', () => {
    expect(runsOf('item-0')).toHaveLength(1);
    expect(runsOf('item-1')).toHaveLength(2);
    expect(runsOf('item-2')).toHaveLength(3);
    expect(runsOf('item-4')).toHaveLength(1);
    expect(rows.get('item-4')).toMatchObject({ status: 'FAILED', attempt: 1, round: 1, failureClass: 'APP_ERROR' });
  });

  it('keeps the run FAILED while an item cannot be retried, and lists the retries in the header row', async () => {
    expect(retry2.status).toBe('FAILED');
    expect(retry2.error).toBe('Fanout.ItemsNotSucceeded');
    expect(retry2.cause).toBe("1 failed of the run's 6 items did not succeed");
    const header = await ledgerHeader(runId);
    expect(header).toMatchObject({
      path: 'array',
      status: 'FAILED',
      round: 3,
      counts: { total: 6, succeeded: 5, failed: 1 },
    });
    expect(header?.retries?.map((retry) => retry.executionArn.split(':').at(-1))).toEqual([
      `${runId}-retry-1`,
      `${runId}-retry-2`,
    ]);
  });
});

describe('an array run of 10,001 items', () => {
  const runId = 'array-10001';
  const itemCount = 10_001;
  let execution: DescribeExecutionCommandOutput;

  beforeAll(async () => {
    execution = await runArray(runId, { runId, replicas: { count: itemCount }, command: ['true'] });
  }, 600_000);

  it('runs as an array of 10,000 and a plain job of 1, side by side, and records every item SUCCEEDED', async () => {
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const summary = JSON.parse(execution.output ?? '{}') as RunOutput;
    expect(summary.counts).toMatchObject({ total: itemCount, succeeded: itemCount });
    expect(summary.arrayJobs?.map(({ jobName, size, status }) => ({ jobName, size, status }))).toEqual([
      { jobName: `${runId}-array-r1-0`, size: 10_000, status: 'SUCCEEDED' },
      { jobName: `${runId}-array-r1-1`, size: 1, status: 'SUCCEEDED' },
    ]);
    const rows = await itemRowsOf(cloud, runId);
    expect(rows).toHaveLength(itemCount);
    expect(rows.filter((row) => row.status === 'SUCCEEDED')).toHaveLength(itemCount);
    const [big, single] = summary.arrayJobs ?? [];
    // The last item is the plain job itself; item 9999 is the big array's last child.
    expect(rows.at(-1)?.jobId).toBe(single?.jobId);
    expect(rows.at(-2)?.jobId).toBe(`${big?.jobId}:9999`);
  });

  it('bills the transitions the cost formula states', () => {
    expect(cloud.engine.describeExecution(execution.executionArn as string).stateTransitions).toBe(
      arrayPathUsage(itemCount).stateTransitions,
    );
  });
});

// Batch fails an array at its first failed child while the others run on; Collect must still
// record every child, so it waits (ChildrenStillRunningError, retried) until they have all ended.
describe('an array run whose first failure comes while slower children still run', () => {
  it('records the slow children that succeeded after the array had FAILED', async () => {
    const runId = 'array-slow-siblings';
    // Item 0 fails at once; items 1 and 2 take a few seconds more.
    const items = [
      { id: 'fast-fail', script: 'exit 5' },
      { id: 'slow-1', script: 'sleep 3' },
      { id: 'slow-2', script: 'sleep 3' },
    ];
    const execution = await runArray(runId, { runId, items, command: ['sh', '-c', '{script}'] });

    expect(execution.status).toBe('FAILED');
    const rows = byId(await itemRowsOf(cloud, runId));
    expect(rows.get('fast-fail')).toMatchObject({ status: 'FAILED', exitCode: 5 });
    expect(rows.get('slow-1')).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    expect(rows.get('slow-2')).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    // Collect was retried while the slow children ran; each retry is one billed transition.
    const history = await cloud.clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }),
    );
    const collectRetries = (history.events ?? []).filter(
      (event) => event.type === 'TaskFailed' && event.taskFailedEventDetails?.error === 'ChildrenStillRunningError',
    ).length;
    expect(collectRetries).toBeGreaterThanOrEqual(1);
    expect(cloud.engine.describeExecution(execution.executionArn as string).stateTransitions).toBe(
      arrayPathUsage(3).stateTransitions + 1 + collectRetries,
    );
  });
});

// The aggregation job on the array path: one job with a native dependsOn on the array jobs.
describe('an array run with an aggregation job', () => {
  it('runs the aggregation job once, after every child has ended, and records it', async () => {
    const runId = 'array-aggregate';
    const out = tempDir('fanout-array-aggregate-');
    const items = Array.from({ length: 5 }, (_, n) => ({ n, out }));
    const execution = await runArray(runId, {
      runId,
      items,
      command: ['sh', '-c', 'sleep 0.{n}; touch "{out}/item-{n}"'],
      aggregate: { command: ['sh', '-c', 'ls "{out}" | grep -c "^item-" > "{out}/aggregate.txt"'], kwargs: { out } },
    });

    expect(execution.status).toBe('SUCCEEDED');
    expect(readFileSync(join(out, 'aggregate.txt'), 'utf8').trim()).toBe('5');
    const summary = JSON.parse(execution.output as string) as RunOutput;
    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      counts: { total: 5, succeeded: 5 },
      aggregate: { status: 'SUCCEEDED', jobName: 'array-aggregate-aggregate', exitCode: 0 },
    });
    // The aggregation job named the array job as a dependency, as Batch shows it.
    const aggregateJob = (
      await cloud.clients.batch.send(new DescribeJobsCommand({ jobs: [summary.aggregate?.jobId as string] }))
    ).jobs?.[0];
    expect(aggregateJob?.dependsOn).toEqual([{ jobId: summary.arrayJobs?.[0]?.jobId }]);
    expect((await ledgerHeader(runId))?.aggregateOutcome).toMatchObject({ status: 'SUCCEEDED' });
    // The formula counts this run's billed transitions exactly.
    expect(cloud.engine.describeExecution(execution.executionArn as string).stateTransitions).toBe(
      arrayPathUsage(5, true).stateTransitions,
    );
  });

  it('does not run the aggregation job when a child fails: Batch fails it for its dependency', async () => {
    const runId = 'array-aggregate-dependency-failed';
    const out = tempDir('fanout-array-aggregate-');
    const execution = await runArray(runId, {
      runId,
      items: [{ code: 0 }, { code: 7 }, { code: 0 }],
      command: ['sh', '-c', 'exit {code}'],
      aggregate: { command: ['sh', '-c', 'touch "{out}/aggregate-ran"'], kwargs: { out } },
    });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    expect(readdirSync(out)).toEqual([]);
    const header = await ledgerHeader(runId);
    expect(header?.aggregateOutcome).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(header?.aggregateOutcome?.cause).toContain('Dependent Job failed');
    expect(header?.counts).toMatchObject({ succeeded: 2, failed: 1 });
  });
});
