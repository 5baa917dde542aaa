import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../lambdas/summarize';
import type { ItemRow } from '../../lambdas/shared/ledger';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
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

  it('ends FAILED with the failed array job as its error', () => {
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    expect(execution.cause).toContain('failed: Array Child Job failed; 3 item(s) of this execution FAILED (item-1, item-4, item-6)');
  });

  it('records exactly the failing children FAILED, with their exit code and class, and the others SUCCEEDED', () => {
    expect(rows.size).toBe(8);
    for (const [itemId, row] of rows) {
      const n = Number(itemId.slice('item-'.length));
      if (failing.has(n)) {
        expect(row, itemId).toMatchObject({ status: 'FAILED', exitCode: 3, failureClass: 'APP_ERROR', error: 'States.TaskFailed', failedRunId: runId, queue: 'fanout-high' });
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
    const jobIds = [...rows.values()].sort((a, b) => a.itemId.localeCompare(b.itemId)).map((row) => row.jobId as string);
    const parent = (jobIds[0] as string).split(':')[0] as string;
    expect(jobIds).toEqual(items.map((_, n) => `${parent}:${n}`));
    const { jobs } = await cloud.clients.batch.send(new DescribeJobsCommand({ jobs: [parent] }));
    expect(jobs?.[0]).toMatchObject({ status: 'FAILED', jobName: `${runId}-array-r1-0`, arrayProperties: { size: 8 } });
  });

  it("lists the failed children through their parent, as Batch's ListJobs by arrayJobId does", async () => {
    const children = await cloud.clients.batch.send(new ListJobsCommand({ arrayJobId: (rows.get('item-0')?.jobId as string).split(':')[0], jobStatus: 'FAILED' }));
    expect(children.jobSummaryList?.map((job) => job.arrayProperties?.index).sort()).toEqual([1, 4, 6]);
  });
});

describe('an array run of one item', () => {
  const runId = 'array-single';
  let execution: DescribeExecutionCommandOutput;

  beforeAll(async () => {
    execution = await runArray(runId, { runId, items: [{ word: 'hello' }], command: ['sh', '-c', 'test "{word}" = hello'] });
  });

  it('runs the item as a plain job and ends SUCCEEDED', async () => {
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const summary = JSON.parse(execution.output ?? '{}') as RunSummary;
    expect(summary).toMatchObject({ runId, path: 'array', status: 'SUCCEEDED', counts: { total: 1, succeeded: 1 } });
    expect(summary.arrayJobs).toEqual([{ jobName: `${runId}-array-r1-0`, jobId: expect.any(String), size: 1, status: 'SUCCEEDED' }]);
    const [row] = await itemRowsOf(cloud, runId);
    expect(row).toMatchObject({ itemId: '0', status: 'SUCCEEDED', jobId: summary.arrayJobs?.[0]?.jobId });
    const { jobs } = await cloud.clients.batch.send(new DescribeJobsCommand({ jobs: [row?.jobId as string] }));
    expect(jobs?.[0]?.arrayProperties).toBeUndefined();
  });

  it('bills the transitions the cost formula states', () => {
    expect(cloud.engine.describeExecution(execution.executionArn as string).stateTransitions).toBe(arrayPathUsage(1).stateTransitions);
  });
});
