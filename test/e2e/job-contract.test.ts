import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { repoRoot, runFanout, tempDir } from './helpers';

/**
 * The job contract (docs/job-contract.md) as a user meets it through `fanout run`: the Python
 * example from its own folder, declared variables, the host's environment kept out, a job
 * timeout, and a command that does not exist.
 */

const example = join(repoRoot, 'examples', 'python-sweep');

interface FailuresListing {
  runId: string;
  failures: Array<{
    itemId: string;
    kwargs: Record<string, unknown>;
    failureClass: string;
    reason: string;
    exitCode: number | null;
    containerReason: string | null;
    log: string | null;
  }>;
}

describe('the job contract, through fanout run', () => {
  let work: string;
  const inputFile = (name: string, input: unknown) => {
    const path = join(work, name);
    writeFileSync(path, JSON.stringify(input));
    return path;
  };

  beforeAll(() => {
    work = tempDir('fanout-contract-');
  });

  it('runs the Python example from its folder within its tolerated failures, with the aggregation step', async () => {
    const results = join(work, 'results');
    const input = JSON.parse(readFileSync(join(example, 'input.json'), 'utf8')) as {
      environment: Record<string, string>;
    };
    // The example's own input, with its results written outside the repository.
    const file = inputFile('sweep.json', {
      ...input,
      runId: 'sweep',
      environment: { ...input.environment, RESULTS: results },
    });
    const run = await runFanout(['run', file, '--dir', join(work, 'state-sweep'), '--json'], undefined, {
      cwd: example,
    });
    expect(run.code, run.stderr).toBe(0);
    // lr 3.0 diverges at depth 2 and 4: 2 of 12 items, within the input's 25 %.
    expect(run.json<RunSummary>()).toMatchObject({
      status: 'COMPLETED_WITH_FAILURES',
      executionStatus: 'SUCCEEDED',
      counts: { total: 12, succeeded: 10, failed: 2 },
      aggregate: { status: 'SUCCEEDED', exitCode: 0 },
    });
    const best = JSON.parse(readFileSync(join(results, 'sweep', 'best.json'), 'utf8'));
    expect(best).toMatchObject({ runId: 'sweep', items: 10, best: { lr: 0.1, depth: 1 } });
  });

  it("gives a job the variables the input declares, and none of the host's own", async () => {
    const file = inputFile('environment.json', {
      runId: 'environment',
      items: [{ n: 1 }],
      command: ['sh', '-c', 'test "$DECLARED" = yes && test -z "$HOST_ONLY" && test -n "$PATH"'],
      environment: { DECLARED: 'yes' },
    });
    const run = await runFanout(['run', file, '--dir', join(work, 'state-env'), '--json'], undefined, {
      env: { ...process.env, HOST_ONLY: 'leaked', DECLARED: 'from-host' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<RunSummary>()).toMatchObject({ status: 'SUCCEEDED', counts: { succeeded: 1 } });
  });

  it('ends a job over its timeout FAILED with class TIMEOUT', async () => {
    const dir = join(work, 'state-timeout');
    const file = inputFile('timeout.json', {
      runId: 'timeout',
      items: [{ n: 1 }],
      command: ['sleep', '30'],
      timeout: 1,
    });
    const run = await runFanout(['run', file, '--dir', dir, '--json']);
    expect(run.code).toBe(1);
    const listing = await runFanout(['status', 'timeout', '--dir', dir, '--failures', '--json']);
    expect(listing.code, listing.stderr).toBe(0);
    expect(listing.json<FailuresListing>().failures).toEqual([
      expect.objectContaining({
        itemId: '0',
        failureClass: 'TIMEOUT',
        reason: 'Job attempt duration exceeded timeout',
      }),
    ]);
  });

  it('ends a job whose command does not exist as START_ERROR, with the real reason in status and the report', async () => {
    const dir = join(work, 'state-missing');
    const file = inputFile('missing.json', {
      runId: 'missing',
      items: [{ n: 1 }, { n: 2 }],
      command: ['fanout-no-such-program', '{n}'],
    });
    const run = await runFanout(['run', file, '--dir', dir, '--json']);
    expect(run.code).toBe(1);
    const listing = await runFanout(['status', 'missing', '--dir', dir, '--failures', '--json']);
    const reason = 'CannotStartContainerError: exec: "fanout-no-such-program": executable file not found in $PATH';
    const failures = listing.json<FailuresListing>().failures;
    expect(failures.map((failure) => [failure.itemId, failure.kwargs, failure.failureClass, failure.reason])).toEqual([
      ['0', { n: 1 }, 'START_ERROR', reason],
      ['1', { n: 2 }, 'START_ERROR', reason],
    ]);
    // Never offered for retry: it would fail the same way again.
    const retry = await runFanout(['retry', 'missing', '--dir', dir, '--json']);
    expect(retry.json<RunSummary>()).toMatchObject({ retriedItemCount: 0 });
    const report = readFileSync(join(dir, 'reports', 'missing.html'), 'utf8');
    expect(report).toContain('START_ERROR');
    expect(report).toContain('exec: &quot;fanout-no-such-program&quot;: executable file not found in $PATH');
  });
});
