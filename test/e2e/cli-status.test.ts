import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunListing } from '../../cli/commands/list';
import type { RunSummary } from '../../run';
import { countProcesses, runFanout, startFanout, tempDir, waitUntil } from './helpers';

/** The status the run's HTML report shows in its header. */
function reportStatus(dir: string, runId: string): string | undefined {
  const html = readFileSync(join(dir, 'reports', `${runId}.html`), 'utf8');
  return /data-testid="run-status">([A-Z_]+)</.exec(html)?.[1];
}

async function listed(dir: string, runId: string): Promise<RunListing[]> {
  const list = await runFanout(['list', '--dir', dir, '--json']);
  return list.json<{ runs: RunListing[] }>().runs.filter((run) => run.runId === runId);
}

// One status model across `run`, `status`, `list`, the report and their --json (docs/run-status.md).
describe('fanout status', () => {
  it('shows a run within its tolerated failures as COMPLETED_WITH_FAILURES everywhere, never a bare SUCCEEDED (docs: step-functions/latest/dg/maprun-fail-threshold.html)', async () => {
    const work = tempDir('fanout-status-tolerated-');
    const dir = join(work, 'state');
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'tolerated',
        items: Array.from({ length: 6 }, (_, n) => ({ n })),
        command: ['sh', '-c', 'test {n} -ne 2'],
        toleratedFailureCount: 1,
        retry: { rounds: 0 },
      }),
    );

    const run = await runFanout(['run', input, '--dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^status +COMPLETED_WITH_FAILURES$/m);
    expect(run.stdout).not.toMatch(/^status +SUCCEEDED$/m);
    expect(run.stdout).toMatch(/^execution +\S+ \(SUCCEEDED\)$/m);

    const status = await runFanout(['status', 'tolerated', '--dir', dir, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json<RunSummary>()).toMatchObject({
      status: 'COMPLETED_WITH_FAILURES',
      executionStatus: 'SUCCEEDED',
      items: { total: 6, succeeded: 5, failed: 1, neverStarted: 0, queued: 0, running: 0 },
    });
    expect((await listed(dir, 'tolerated')).map((line) => line.status)).toEqual(['COMPLETED_WITH_FAILURES']);
    expect(reportStatus(dir, 'tolerated')).toBe('COMPLETED_WITH_FAILURES');

    const failures = await runFanout(['status', 'tolerated', '--dir', dir, '--failures', '--json']);
    expect(failures.json()).toMatchObject({
      runId: 'tolerated',
      failures: [{ itemId: '2', kwargs: { n: 2 }, failureClass: 'APP_ERROR', exitCode: 1 }],
    });
  });

  it('counts a stopped run apart (ran and failed, never started), then shows its current state from the ledger after a retry that ran them all', async () => {
    const work = tempDir('fanout-status-stopped-');
    const dir = join(work, 'state');
    const flag = join(work, 'finish-now');
    // A unique duration: the `sleep` a job's shell starts carries it, so the test sees the jobs run.
    const marker = `sleep 30.${String(process.pid).padStart(7, '0')}${(Date.now() + 3) % 1000}`;
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'stopped',
        items: Array.from({ length: 4 }, (_, n) => ({ n, flag })),
        // The first attempts wait until stopped; once the flag exists, an attempt succeeds at once.
        command: ['sh', '-c', `test -e {flag} || ${marker}`],
        maxConcurrency: 2,
        retry: { rounds: 0 },
      }),
    );
    const running = startFanout(['run', input, '--dir', dir]);
    await waitUntil(
      // The job's `sh -c` carries the marker too: only the `sleep` processes count (one per job).
      () => countProcesses(`^${marker}`) === 2,
      'two jobs running',
      () => `; stdout so far: ${running.stdout()}`,
    );
    // While `fanout run` holds the folder, status and list read the run through its endpoints:
    // two jobs RUNNING in Batch, two waiting for a slot (docs: batch/latest/userguide/job_states.html).
    const runningItems = { total: 4, succeeded: 0, failed: 0, neverStarted: 0, queued: 2, running: 2 };
    const whileRunning = await runFanout(['status', 'stopped', '--dir', dir, '--json']);
    expect(whileRunning.code, whileRunning.stderr).toBe(1);
    expect(whileRunning.json<RunSummary>()).toMatchObject({
      status: 'RUNNING',
      executionStatus: 'RUNNING',
      items: runningItems,
    });
    expect(await listed(dir, 'stopped')).toEqual([
      expect.objectContaining({ id: 'stopped', status: 'RUNNING', items: runningItems }),
    ]);
    // Ctrl+C: the run is stopped as StopExecution stops it (docs: step-functions/latest/apireference/API_StopExecution.html).
    running.child.kill('SIGINT');
    const code = await running.exited;
    expect(code).toBe(1);
    expect(running.stdout()).toMatch(/^status +ABORTED$/m);

    const stoppedStatus = await runFanout(['status', 'stopped', '--dir', dir, '--json']);
    expect(stoppedStatus.json<RunSummary>()).toMatchObject({
      status: 'ABORTED',
      executionStatus: 'ABORTED',
      // Two jobs ran and were terminated; with at most 2 at a time, the other two never started.
      items: { total: 4, succeeded: 0, failed: 2, neverStarted: 2, queued: 0, running: 0 },
    });

    writeFileSync(flag, '');
    const retry = await runFanout(['retry', 'stopped', '--dir', dir, '--json']);
    expect(retry.code, retry.stderr).toBe(0);

    // The run's own record still says its first execution was ABORTED; the run is what the ledger says now.
    const status = await runFanout(['status', 'stopped', '--dir', dir, '--json']);
    const summary = status.json<RunSummary>();
    // The retry ran the two terminated items again and the two that never started.
    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      executionStatus: 'ABORTED',
      items: { total: 4, succeeded: 4, failed: 0, neverStarted: 0 },
    });
    expect(summary.retries).toHaveLength(1);
    expect(retry.json<RunSummary>()).toMatchObject({ status: summary.status, items: summary.items });
    expect((await listed(dir, 'stopped')).map((line) => [line.id, line.status, line.executionStatus])).toEqual([
      ['stopped-retry-1', 'SUCCEEDED', 'SUCCEEDED'],
      ['stopped', 'SUCCEEDED', 'ABORTED'],
    ]);
    expect(reportStatus(dir, 'stopped')).toBe('SUCCEEDED');
  });
});
