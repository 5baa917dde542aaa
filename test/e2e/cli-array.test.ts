import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { arrayPathUsage } from '../../statemachine';
import { countProcesses, repoRoot, runFanout, startFanout, tempDir, waitUntil } from './helpers';

// `fanout run --path array` as a user runs it: the same input and output contracts as the Map path.
describe('fanout run --path array', () => {
  let work: string;
  let dir: string;
  let counts: string;
  let input: string;
  const runsOf = (itemId: string) => readFileSync(join(counts, itemId), 'utf8').trim().split('\n').length;

  beforeAll(() => {
    work = tempDir('fanout-cli-array-');
    dir = join(work, 'state');
    counts = tempDir('fanout-cli-array-attempts-');
    // Items fail on their first attempt only; item-1 may not run twice.
    const items = Array.from({ length: 4 }, (_, n) => ({
      id: `item-${n}`,
      dir: counts,
      ...(n === 1 ? { idempotent: false } : {}),
    }));
    input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'flaky-array',
        items,
        command: [
          'sh',
          '-c',
          'echo attempt >> "{dir}/$FANOUT_ITEM_ID"; test "$(wc -l < "{dir}/$FANOUT_ITEM_ID")" -gt 1',
        ],
      }),
    );
  });

  it('runs the array path, ends FAILED with exit code 1 when a child fails, and prints the run summary', async () => {
    const run = await runFanout(['run', input, '--path', 'array', '--dir', dir, '--json']);
    expect(run.code, run.stderr).toBe(1);
    const summary = run.json<RunSummary>();
    expect(summary).toMatchObject({
      runId: 'flaky-array',
      path: 'array',
      status: 'FAILED',
      error: 'States.TaskFailed',
      counts: { total: 4, failed: 4 },
    });
    expect(summary.executionArn).toMatch(/:execution:fanout-array:flaky-array$/);
    // The happy path's (arrayPathUsage) plus SubmissionFailed, entered when the array job fails,
    // plus one per retry of Collect if it started while children still ran (timing; counted
    // exactly from the history in test/e2e/array-path.test.ts).
    expect(summary.stateTransitions).toBeGreaterThanOrEqual(arrayPathUsage(4).stateTransitions + 1);

    const status = await runFanout(['status', 'flaky-array', '--dir', dir, '--json']);
    expect(status.code, status.stderr).toBe(1);
    expect(status.json<RunSummary>()).toMatchObject({ path: 'array', status: 'FAILED', counts: { failed: 4 } });
  });

  it('retries the idempotent failures as a smaller array, and status shows the lineage', async () => {
    const retry = await runFanout(['retry', 'flaky-array', '--dir', dir, '--json']);
    // item-1 is not idempotent: it stays FAILED, so the run does too.
    expect(retry.code, retry.stderr).toBe(1);
    expect(retry.json<RunSummary>()).toMatchObject({
      runId: 'flaky-array',
      path: 'array',
      retryOf: 'flaky-array',
      error: 'Fanout.ItemsNotSucceeded',
      counts: { succeeded: 3, failed: 1 },
    });
    expect(retry.json<RunSummary>().executionArn).toMatch(/:execution:fanout-array:flaky-array-retry-1$/);
    expect(['item-0', 'item-1', 'item-2', 'item-3'].map(runsOf)).toEqual([2, 1, 2, 2]);

    const human = await runFanout(['status', 'flaky-array', '--dir', dir]);
    expect(human.stdout).toMatch(
      /retried by\s+arn:aws:states:[^ ]+:execution:fanout-array:flaky-array-retry-1 \(started /,
    );
  });

  it('refuses an option the array path cannot honour before anything runs, with exit code 2', async () => {
    const refused = join(work, 'refused.json');
    writeFileSync(
      refused,
      JSON.stringify({ runId: 'tolerant', replicas: { count: 2 }, command: ['true'], toleratedFailurePercentage: 10 }),
    );
    const run = await runFanout(['run', refused, '--path', 'array', '--dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('toleratedFailurePercentage: the array path has no failure threshold');
    expect(existsSync(join(dir, 'runs', 'tolerant.json'))).toBe(false);

    const unknown = await runFanout(['run', refused, '--path', 'grid', '--dir', dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("argument 'grid' is invalid. Allowed choices are map, array.");
  });
});

// Step Functions terminates a .sync job when its execution stops, but not the array jobs an
// aggregation run submitted without waiting: `fanout run` terminates them itself.
describe('fanout cancel of an array run with an aggregation job', () => {
  it('leaves no job running once the run is ABORTED', async () => {
    const work = tempDir('fanout-cli-array-cancel-');
    const dir = join(work, 'state');
    // A unique duration: the `sleep` a job's shell starts carries it, so a leftover is found.
    const marker = `sleep 30.${String(process.pid).padStart(7, '0')}${(Date.now() + 3) % 1000}`;
    const input = join(work, 'slow.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'array-cancelled',
        replicas: { count: 2 },
        command: ['sh', '-c', `${marker}; echo done`],
        aggregate: { command: ['true'] },
      }),
    );
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'fanout.mjs'), 'run', input, '--path', 'array', '--dir', dir],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = once(child, 'exit');
    const running = () => countProcesses(marker);
    await waitUntil(
      () => running() > 0,
      'a job start',
      () => `; stdout so far: ${stdout}`,
    );

    const cancel = await runFanout(['cancel', 'array-cancelled', '--dir', dir]);
    expect(cancel.code, cancel.stderr).toBe(0);
    const [code] = (await exited) as [number];
    expect(code).toBe(1);
    expect(stdout).toMatch(/status\s+ABORTED/);
    await waitUntil(
      () => running() === 0,
      'every array child to be terminated',
      () => `; ${running()} still running`,
      10_000,
    );
  });
});

// A stopped array run never reaches Collect: `fanout run` settles its rows from the array's
// children, so the items whose job never started are not lost and `fanout retry` runs them.
describe('a stopped array run', () => {
  it('records its never-started items NOT_STARTED, and retry runs exactly those on a non-idempotent run', async () => {
    const work = tempDir('fanout-cli-array-stopped-');
    const dir = join(work, 'state');
    const attempts = tempDir('fanout-cli-array-stopped-attempts-');
    const release = join(work, 'release');
    // A unique duration: the `sleep` a job's shell starts carries it, so a running job is found.
    const marker = `sleep 30.${String(process.pid).padStart(7, '0')}${(Date.now() + 5) % 1000}`;
    const input = join(work, 'stopped.json');
    // Six children on a machine that runs two at a time: some are queued when the run is cancelled.
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'array-stopped',
        items: Array.from({ length: 6 }, (_, n) => ({ id: `item-${n}`, dir: attempts })),
        idempotent: false,
        command: ['sh', '-c', `echo ran >> "{dir}/$FANOUT_ITEM_ID"; test -f ${release} || ${marker}`],
      }),
    );
    const run = startFanout(['run', input, '--path', 'array', '--dir', dir]);
    await waitUntil(
      () => countProcesses(marker) > 0,
      'a job start',
      () => `; stdout so far: ${run.stdout()}`,
    );
    const cancel = await runFanout(['cancel', 'array-stopped', '--dir', dir]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(await run.exited).toBe(1);

    const ran = () =>
      readdirSync(attempts).filter((itemId) => readFileSync(join(attempts, itemId), 'utf8').trim() !== '');
    const startedBeforeCancel = ran();
    expect(startedBeforeCancel.length).toBeGreaterThan(0);
    expect(startedBeforeCancel.length).toBeLessThan(6);
    const status = await runFanout(['status', 'array-stopped', '--dir', dir, '--json']);
    const summary = status.json<RunSummary>();
    // Nothing is left without an outcome: the started jobs were aborted, the others never started.
    expect(summary.counts).toMatchObject({ total: 6, pending: 0, failed: 6 });
    expect(summary.items).toMatchObject({ neverStarted: 6 - startedBeforeCancel.length });

    writeFileSync(release, '');
    const retry = await runFanout(['retry', 'array-stopped', '--dir', dir, '--json']);
    // The aborted items may have had effects and the run is not idempotent: they stay FAILED.
    expect(retry.json<RunSummary>().counts).toMatchObject({
      succeeded: 6 - startedBeforeCancel.length,
      failed: startedBeforeCancel.length,
    });
    const runsOf = (itemId: string) => readFileSync(join(attempts, itemId), 'utf8').trim().split('\n').length;
    for (const itemId of ran()) expect(runsOf(itemId), itemId).toBe(1);
    expect(ran()).toHaveLength(6);
  });
});
