import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countProcesses, runFanout, startFanout, tempDir, waitUntil } from './helpers';

// `fanout cancel` from another process: the `fanout run` process keeps the run's local cloud,
// its lock file says where, and the cancel stops the execution there.
describe('fanout cancel', () => {
  it('stops a run another fanout run process is running: jobs terminated, run ABORTED, lock removed', async () => {
    const work = tempDir('fanout-cancel-');
    const dir = join(work, 'state');
    // A unique duration: the `sleep` a job's shell starts carries it, so a leftover is found.
    const marker = `sleep 30.${String(process.pid).padStart(7, '0')}${(Date.now() + 7) % 1000}`;
    const input = join(work, 'slow.json');
    writeFileSync(
      input,
      JSON.stringify({ runId: 'cancelled', replicas: { count: 3 }, command: ['sh', '-c', `${marker}; echo done`] }),
    );
    const run = startFanout(['run', input, '--dir', dir]);
    const running = () => countProcesses(marker);
    await waitUntil(
      () => running() > 0,
      'a job start',
      () => `; stdout so far: ${run.stdout()}`,
    );
    expect(existsSync(join(dir, 'runs', 'cancelled.lock'))).toBe(true);

    const cancel = await runFanout(['cancel', 'cancelled', '--dir', dir]);
    expect(cancel.code, cancel.stderr).toBe(0);
    const code = await run.exited;
    expect(code).toBe(1);
    expect(run.stdout()).toMatch(/status\s+ABORTED/);
    expect(running()).toBe(0);
    expect(existsSync(join(dir, 'runs', 'cancelled.lock'))).toBe(false);

    const status = await runFanout(['status', 'cancelled', '--dir', dir, '--json']);
    const summary = status.json<{ status: string; counts: { total: number; failed: number; pending: number } }>();
    expect(summary).toMatchObject({ status: 'ABORTED', error: 'Fanout.Cancelled', counts: { total: 3 } });
    // Rows whose job was submitted and then terminated are settled FAILED with class ABORTED;
    // only rows whose job never existed may stay PENDING.
    expect(summary.counts.failed).toBeGreaterThanOrEqual(1);
    expect(summary.counts.failed + summary.counts.pending).toBe(3);
    const human = await runFanout(['status', 'cancelled', '--dir', dir]);
    expect(human.stdout).toMatch(/\(ABORTED/);

    const again = await runFanout(['cancel', 'cancelled', '--dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`run cancelled is not running in ${dir}`);
  });

  it('refuses, with exit code 2, a run without a lock and a run whose process is gone (removing its stale lock)', async () => {
    const dir = tempDir('fanout-cancel-');
    const none = await runFanout(['cancel', 'never-started', '--dir', dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`run never-started is not running in ${dir}`);

    const gone = spawn('true');
    await once(gone, 'exit');
    mkdirSync(join(dir, 'runs'), { recursive: true });
    const lock = join(dir, 'runs', 'killed.lock');
    writeFileSync(
      lock,
      JSON.stringify({
        pid: gone.pid,
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:killed',
      }),
    );
    const stale = await runFanout(['cancel', 'killed', '--dir', dir]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain(`run killed is not running in ${dir}`);
    expect(existsSync(lock)).toBe(false);
  });
});
