import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { runFanout, tempDir } from './helpers';

// `fanout retry` as a user runs it: a new execution re-runs a finished run's safe failures
// and updates that run's own ledger rows; `fanout status` shows who retried the run.
describe('fanout retry', () => {
  let work: string;
  let dir: string;
  let counts: string;
  const runsOf = (itemId: string) => readFileSync(join(counts, itemId), 'utf8').trim().split('\n').length;

  beforeAll(async () => {
    work = tempDir('fanout-cli-retry-');
    dir = join(work, 'state');
    counts = tempDir('fanout-cli-retry-attempts-');
    // Items fail on their first attempt only; item-1 may not run twice. No automatic round.
    const items = Array.from({ length: 4 }, (_, n) => ({
      id: `item-${n}`,
      dir: counts,
      ...(n === 1 ? { idempotent: false } : {}),
    }));
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'flaky',
        items,
        command: [
          'sh',
          '-c',
          'echo attempt >> "{dir}/$FANOUT_ITEM_ID"; test "$(wc -l < "{dir}/$FANOUT_ITEM_ID")" -gt 1',
        ],
        toleratedFailurePercentage: 100,
        retry: { rounds: 0 },
      }),
    );
    const run = await runFanout(['run', input, '--dir', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<RunSummary>().counts).toMatchObject({ total: 4, failed: 4 });
  });

  it("re-runs the idempotent failures in a new execution that updates the run's rows, then finds nothing left", async () => {
    const retry = await runFanout(['retry', 'flaky', '--dir', dir, '--json']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.json<RunSummary>()).toMatchObject({
      runId: 'flaky',
      retryOf: 'flaky',
      retriedItemCount: 3,
      // item-1 may not run twice and stays failed: the run completed within its tolerance, with a failure.
      status: 'COMPLETED_WITH_FAILURES',
      executionStatus: 'SUCCEEDED',
      items: { total: 4, succeeded: 3, failed: 1, neverStarted: 0 },
      counts: { total: 4, succeeded: 3, failed: 1, pending: 0, retrying: 0 },
    });
    expect(retry.json<RunSummary>().executionArn).toMatch(/:execution:fanout-map:flaky-retry-1$/);
    expect(['item-0', 'item-1', 'item-2', 'item-3'].map(runsOf)).toEqual([2, 1, 2, 2]);

    const again = await runFanout(['retry', 'flaky', '--dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/retried items\s+0 \(nothing left to retry\)/);
    expect(again.stdout).toMatch(/fanout-map:flaky-retry-2/);
    expect(runsOf('item-1')).toBe(1);

    const status = await runFanout(['status', 'flaky', '--dir', dir, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const summary = status.json<RunSummary>();
    // Every key of the documented summary stays; `retries` is added.
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining([
        'runId',
        'path',
        'status',
        'executionStatus',
        'items',
        'counts',
        'error',
        'cause',
        'stateTransitions',
        'executionArn',
        'startedAt',
        'stoppedAt',
        'durationSeconds',
      ]),
    );
    expect(summary.counts).toMatchObject({ succeeded: 3, failed: 1 });
    expect(summary.retries?.map((retry) => retry.executionArn.split(':').at(-1))).toEqual([
      'flaky-retry-1',
      'flaky-retry-2',
    ]);

    const human = await runFanout(['status', 'flaky', '--dir', dir]);
    expect(human.stdout).toMatch(/retried by\s+arn:aws:states:[^ ]+:execution:fanout-map:flaky-retry-1 \(started /);

    const ofRetry = await runFanout(['status', 'flaky-retry-1', '--dir', dir, '--json']);
    expect(ofRetry.json<RunSummary>()).toMatchObject({ runId: 'flaky', retryOf: 'flaky', retriedItemCount: 3 });
  });

  it('refuses a run that did not run in the directory, with exit code 2', async () => {
    const retry = await runFanout(['retry', 'never-ran', '--dir', dir]);
    expect(retry.code).toBe(2);
    expect(retry.stderr).toContain('no run "never-ran" in');
  });
});
