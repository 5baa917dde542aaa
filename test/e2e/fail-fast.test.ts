import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { countProcesses, runFanout, tempDir } from './helpers';

// The "fail fast" policy (DESIGN §1): the first failure fails the run and the jobs still
// running are terminated through the .sync integration, not left to finish.
describe('a failFast run', () => {
  it('fails at the first failure with States.ExceedToleratedFailureThreshold and leaves no job running', async () => {
    const work = tempDir('fanout-fail-fast-');
    const started = tempDir('fanout-fail-fast-started-');
    // A unique duration: the `sleep` a job's shell starts carries it, so a leftover is found.
    const marker = `sleep 30.${String(process.pid).padStart(7, '0')}${Date.now() % 1000}`;
    const slow = `touch "${started}/$FANOUT_ITEM_ID"; ${marker}; echo done`;
    // The failing job waits (at most 20 s) until a slow job runs, so one is running when the run
    // fails (how many run at once depends on the machine's vCPUs).
    const failing = `for i in $(seq 200); do [ "$(ls "${started}" | wc -l)" -ge 1 ] && break; sleep 0.1; done; exit 3`;
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'fail-fast',
        items: [{ id: 'fails', script: failing }, ...[1, 2, 3].map((n) => ({ id: `slow-${n}`, script: slow }))],
        command: ['sh', '-c', '{script}'],
        maxConcurrency: 4,
        failFast: true,
      }),
    );
    const running = () => countProcesses(marker);

    const run = await runFanout(['run', input, '--dir', join(work, 'state'), '--json']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.json<RunSummary>()).toMatchObject({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
      counts: { total: 4, succeeded: 0 },
    });
    expect(readdirSync(started).length).toBeGreaterThanOrEqual(1);
    expect(running()).toBe(0);
    // All four children started (maxConcurrency 4): the failed one recorded its failure, the
    // aborted ones' rows were reconciled by Summarize from the Map Run's result files.
    expect(run.json<RunSummary>().counts).toMatchObject({ failed: 4, pending: 0 });
    const human = await runFanout(['status', 'fail-fast', '--dir', join(work, 'state')]);
    expect(human.stdout).toMatch(/slow-1: States.ExceedToleratedFailureThreshold/);
  });

  it('is refused together with a tolerated threshold, naming both fields, before anything runs', async () => {
    const work = tempDir('fanout-fail-fast-');
    const input = join(work, 'input.json');
    writeFileSync(input, JSON.stringify({ replicas: { count: 2 }, failFast: true, toleratedFailureCount: 1 }));
    const run = await runFanout(['run', input, '--dir', join(work, 'state')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('toleratedFailureCount: failFast and toleratedFailureCount cannot be combined');
  });
});
