import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { countProcesses, repoRoot, runFanout, tempDir, waitUntil } from './helpers';

// The user's view: `fanout run` and `fanout status` as processes, their exit codes and
// their `--json` contract (README, "The run summary").
describe('fanout run and status', () => {
  let work: string;
  const inputFile = (name: string, input: unknown) => {
    const path = join(work, name);
    writeFileSync(path, JSON.stringify(input));
    return path;
  };
  const exitCommand = ['sh', '-c', 'exit {code}'];

  beforeAll(() => {
    work = tempDir('fanout-cli-');
  });

  it('runs the Map path, prints the summary contract, and status repeats it from the ledger', async () => {
    const dir = join(work, 'state-ok');
    const input = inputFile('ok.json', {
      runId: 'cli-ok',
      items: [0, 0, 4, 0].map((code) => ({ code })),
      command: exitCommand,
      toleratedFailureCount: 1,
    });
    const run = await runFanout(['run', input, '--dir', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = run.json<RunSummary>();
    // Within its tolerated failures: the execution succeeded, the run completed with a failure (docs/run-status.md).
    expect(summary).toMatchObject({
      runId: 'cli-ok',
      path: 'map',
      status: 'COMPLETED_WITH_FAILURES',
      executionStatus: 'SUCCEEDED',
      items: { total: 4, succeeded: 3, failed: 1, neverStarted: 0, queued: 0, running: 0 },
      counts: { total: 4, succeeded: 3, failed: 1, pending: 0, running: 0, retrying: 0, abandoned: 0 },
      error: null,
    });
    // Billed transitions: the run's Prepare, ChooseFanOut, FanOut, RetryRoundLeft, Retry,
    // RetryClaimedItems, ChooseFanOut, FanOut (the default one retry round), RetryRoundLeft,
    // Summarize, Notify, RunOutcome, RunSucceeded; per succeeded item the child's start, SubmitJob,
    // RecordOutcome; the failed (idempotent) item runs twice: the child's start, SubmitJob and the
    // failure path ClassifyFailure, CheckJobDetail, ParseFailedJob, MergeJobDefaults,
    // MergeContainerDefaults, HasExitCode, WithExitCode, ClassifyJobFailure, AppError,
    // RecordJobFailure, ItemFailed.
    expect(summary.stateTransitions).toBe(13 + 3 * 3 + 2 * (2 + 11));
    expect(summary.executionArn).toMatch(/:execution:fanout-map:cli-ok$/);
    expect(Date.parse(summary.stoppedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(summary.startedAt));

    const status = await runFanout(['status', 'cli-ok', '--dir', dir, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json()).toEqual(summary);

    const human = await runFanout(['status', 'cli-ok', '--dir', dir]);
    expect(human.stdout).toMatch(/failed items:\n {2}2 exit 4: Essential container in task exited/);
    const logLine = human.stdout.match(/log: (.+)/);
    expect(logLine?.[1] && existsSync(logLine[1])).toBe(true);

    const notices = readFileSync(join(dir, 'sns', 'fanout-notices.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(notices.map((line) => JSON.parse(line).Subject)).toContainEqual(expect.stringContaining('cli-ok'));
  });

  it('exits 1 when the run fails over its threshold, and status agrees', async () => {
    const dir = join(work, 'state-fail');
    const input = inputFile('fail.json', {
      runId: 'cli-fail',
      items: [1, 1, 0].map((code) => ({ code })),
      command: exitCommand,
    });
    const run = await runFanout(['run', input, '--dir', dir, '--json']);
    expect(run.code).toBe(1);
    const summary = run.json<RunSummary>();
    expect(summary).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(summary.counts.total).toBe(3);
    expect(summary.counts.failed).toBeGreaterThanOrEqual(1);
    const status = await runFanout(['status', 'cli-fail', '--dir', dir]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/status\s+FAILED/);
  });

  it('exits 2 on invalid input, naming the field, without creating any state', async () => {
    const dir = join(work, 'state-invalid');
    const input = inputFile('invalid.json', { items: [{ seed: 1 }], toleratedFailurePercentage: 140 });
    const run = await runFanout(['run', input, '--dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('toleratedFailurePercentage');
    expect(existsSync(dir)).toBe(false);
  });

  it('exits 2 when the run id already ran in that directory', async () => {
    const dir = join(work, 'state-ok');
    const input = inputFile('again.json', { runId: 'cli-ok', items: [{ code: 0 }], command: exitCommand });
    const run = await runFanout(['run', input, '--dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('runId "cli-ok" already ran');
  });

  it('exits 2 for status of a run that does not exist', async () => {
    const run = await runFanout(['status', 'no-such-run', '--dir', join(work, 'state-ok')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no run "no-such-run"');
  });

  it('runs the Monte Carlo example with its deterministic failures', async () => {
    const example = JSON.parse(readFileSync(join(repoRoot, 'examples', 'monte-carlo', 'input.json'), 'utf8'));
    example.replicas.count = 40;
    example.replicas.kwargs.samples = 1000;
    example.runId = 'monte-carlo-small';
    const results = join(work, 'mc-results');
    example.replicas.kwargs.outDir = results;
    example.aggregate.kwargs.outDir = results;
    const run = await runFanout(['run', inputFile('mc.json', example), '--dir', join(work, 'state-mc'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    // Seeds 27 and 28 are the ones below 40 that estimate-pi fails at a 5% fail rate.
    expect(run.json<RunSummary>().counts).toMatchObject({ total: 40, succeeded: 38, failed: 2 });
    // The aggregation job combined the 38 replicas that succeeded.
    expect(run.json<RunSummary>().aggregate).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    const combined = JSON.parse(readFileSync(join(results, 'monte-carlo-small', 'combined.json'), 'utf8'));
    expect(combined).toMatchObject({ runId: 'monte-carlo-small', replicas: 38, samples: 38_000 });
    expect(combined.estimate).toBeGreaterThan(3);
    expect(combined.estimate).toBeLessThan(3.3);
  });
});

describe('fanout run interrupted with Ctrl+C', () => {
  it('stops the execution, terminates running jobs and reports the run ABORTED', async () => {
    const work = tempDir('fanout-interrupt-');
    // A unique duration: the `sleep` a job's shell starts carries it, so a leftover is found.
    const marker = `sleep 30.${String(process.pid).padStart(7, '0')}${Date.now() % 1000}`;
    const input = join(work, 'slow.json');
    // The job is a shell that starts `sleep`: the whole job, not only its first process, must stop.
    writeFileSync(
      input,
      JSON.stringify({ runId: 'interrupted', replicas: { count: 3 }, command: ['sh', '-c', `${marker}; echo done`] }),
    );
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'fanout.mjs'), 'run', input, '--dir', join(work, 'state')],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const running = () => countProcesses(marker);
    await waitUntil(
      () => running() > 0,
      'a job start',
      () => `; stdout so far: ${stdout}`,
    );
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stdout).toMatch(/status\s+ABORTED/);
    expect(running()).toBe(0);
    const status = await runFanout(['status', 'interrupted', '--dir', join(work, 'state'), '--json']);
    expect(status.json()).toMatchObject({ status: 'ABORTED', error: 'Fanout.Interrupted', counts: { total: 3 } });
  });
});
