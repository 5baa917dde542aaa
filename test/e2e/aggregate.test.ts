import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { runFanout, tempDir } from './helpers';

/** Writes an input whose items and aggregation job are shell scripts, and returns its path. */
function inputFile(work: string, input: Record<string, unknown>): string {
  const file = join(work, 'input.json');
  writeFileSync(file, JSON.stringify(input));
  return file;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

// The aggregation step: one job after every item has finished (the map path's Aggregate state).
describe('a run with an aggregation job', () => {
  it('runs the aggregation job once, after every item finished, with its own kwargs', async () => {
    const work = tempDir('fanout-aggregate-');
    const items = join(work, 'items.log');
    const aggregate = join(work, 'aggregate.log');
    const input = inputFile(work, {
      runId: 'reduce',
      replicas: { count: 6, indexKey: 'n' },
      // Each item sleeps a little, so an aggregation started early would see fewer lines.
      command: ['sh', '-c', `sleep 0.{n}; echo "item {n}" >> "${items}"`],
      maxConcurrency: 3,
      aggregate: {
        command: ['sh', '-c', `echo "$(wc -l < "${items}") {label} $FANOUT_RUN_ID" >> "${aggregate}"`],
        kwargs: { label: 'items-seen' },
      },
    });

    const run = await runFanout(['run', input, '--dir', join(work, 'state'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = run.json<RunSummary>();
    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      counts: { total: 6, succeeded: 6 },
      aggregate: { status: 'SUCCEEDED', jobName: 'reduce-aggregate', exitCode: 0 },
    });
    expect(lines(items)).toHaveLength(6);
    expect(lines(aggregate)).toEqual(['6 items-seen reduce']);

    const status = await runFanout(['status', 'reduce', '--dir', join(work, 'state')]);
    expect(status.stdout).toMatch(/^aggregate\s+reduce-aggregate SUCCEEDED \(exit 0\)$/m);
  });

  it('fails the run with Fanout.AggregateFailed when the aggregation job fails, keeping the items SUCCEEDED', async () => {
    const work = tempDir('fanout-aggregate-');
    const input = inputFile(work, {
      runId: 'reduce-fails',
      replicas: { count: 3 },
      command: ['true'],
      aggregate: { command: ['sh', '-c', 'echo cannot reduce >&2; exit 4'] },
    });

    const run = await runFanout(['run', input, '--dir', join(work, 'state'), '--json']);
    expect(run.code, run.stderr).toBe(1);
    const summary = run.json<RunSummary>();
    expect(summary).toMatchObject({
      status: 'FAILED',
      error: 'Fanout.AggregateFailed',
      counts: { total: 3, succeeded: 3, failed: 0 },
      aggregate: { status: 'FAILED', jobName: 'reduce-fails-aggregate', exitCode: 4, error: 'States.TaskFailed' },
    });
    expect(summary.cause).toContain('aggregation job reduce-fails-aggregate failed (States.TaskFailed)');
  });

  it('does not run when the fan-out exceeded its failure threshold', async () => {
    const work = tempDir('fanout-aggregate-');
    const aggregate = join(work, 'aggregate.log');
    const input = inputFile(work, {
      runId: 'reduce-skipped',
      items: [{ code: 0 }, { code: 0 }, { code: 3 }],
      command: ['sh', '-c', 'exit {code}'],
      retry: { rounds: 0 },
      aggregate: { command: ['sh', '-c', `echo ran >> "${aggregate}"`] },
    });

    const run = await runFanout(['run', input, '--dir', join(work, 'state'), '--json']);
    expect(run.code, run.stderr).toBe(1);
    const summary = run.json<RunSummary>();
    expect(summary).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(summary.aggregate).toBeUndefined();
    expect(existsSync(aggregate)).toBe(false);
  });

  it('runs after a retry that completed the run, once the retried items finished', async () => {
    const work = tempDir('fanout-aggregate-');
    const aggregate = join(work, 'aggregate.log');
    const flaky = join(work, 'flaky-ran');
    const input = inputFile(work, {
      runId: 'reduce-retried',
      // The flaky item fails the first time only: the first execution fails, the retry completes the run.
      items: [{ script: 'true' }, { script: `[ -e "${flaky}" ] || { touch "${flaky}"; exit 3; }` }],
      command: ['sh', '-c', '{script}'],
      retry: { rounds: 0 },
      aggregate: { command: ['sh', '-c', `echo "ran for $FANOUT_RUN_ID" >> "${aggregate}"`] },
    });
    const state = join(work, 'state');

    const first = await runFanout(['run', input, '--dir', state, '--json']);
    expect(first.code, first.stderr).toBe(1);
    expect(existsSync(aggregate)).toBe(false);

    const retry = await runFanout(['retry', 'reduce-retried', '--dir', state, '--json']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.json<RunSummary>()).toMatchObject({
      status: 'SUCCEEDED',
      counts: { succeeded: 2, failed: 0 },
      aggregate: { status: 'SUCCEEDED', jobName: 'reduce-retried-aggregate' },
    });
    expect(lines(aggregate)).toEqual(['ran for reduce-retried']);
  });

  it('is refused before anything runs when a placeholder of its command has no kwarg', async () => {
    const work = tempDir('fanout-aggregate-');
    const input = inputFile(work, {
      replicas: { count: 2 },
      command: ['true'],
      aggregate: { command: ['reduce', '--in', '{dir}'] },
    });
    const run = await runFanout(['run', input, '--dir', join(work, 'state')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'aggregate.command.2: aggregate.command placeholder {dir} has no value in aggregate.kwargs',
    );
    expect(existsSync(join(work, 'state', 'runs'))).toBe(false);
  });
});
