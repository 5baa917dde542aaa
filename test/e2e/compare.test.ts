import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Comparison, PathMeasurement } from '../../cli/compare';
import { runFanout, tempDir } from './helpers';

type ComparisonWithMeasurements = Comparison & {
  measured: PathMeasurement[];
  arrayPathIgnores: Array<{ field: string; why: string }>;
};

/** Runs `fanout compare --run --json` on `input` and returns the estimates and measurements per path. */
async function compareRun(input: unknown): Promise<ComparisonWithMeasurements> {
  const dir = tempDir('fanout-compare-');
  const file = join(dir, 'input.json');
  writeFileSync(file, JSON.stringify(input));
  const result = await runFanout(['compare', file, '--run', '--json', '--dir', join(dir, 'clouds')]);
  expect(result.code, result.stderr).toBe(0);
  return result.json<ComparisonWithMeasurements>();
}

function expectEstimatesMeasured(comparison: ComparisonWithMeasurements): void {
  expect(comparison.measured.map((m) => m.path)).toEqual(['map', 'array']);
  for (const estimate of comparison.paths) {
    const measured = comparison.measured.find((m) => m.path === estimate.path)!;
    expect(measured.status, `${estimate.path} path`).toBe('SUCCEEDED');
    expect(measured.failed).toBe(0);
    expect(measured.succeeded).toBe(comparison.itemCount);
    expect({
      path: estimate.path,
      transitions: measured.stateTransitions,
      submitJobCalls: measured.submitJobCalls,
      lambdaInvocations: measured.lambdaInvocations,
    }).toEqual({
      path: estimate.path,
      transitions: estimate.stateTransitions,
      submitJobCalls: estimate.submitJobCalls,
      lambdaInvocations: estimate.lambdaInvocations,
    });
  }
}

describe('fanout compare --run', () => {
  it('measures exactly the estimated transitions, SubmitJob calls and Lambda invocations on both paths', async () => {
    const comparison = await compareRun({
      runId: 'compare-grid',
      grid: { a: [1, 2, 3], b: ['x', 'y'] },
      command: ['true'],
    });
    expect(comparison.itemCount).toBe(6);
    expectEstimatesMeasured(comparison);
  });

  it('matches the estimates for one item (a plain job on the array path) without retry rounds', async () => {
    const comparison = await compareRun({
      runId: 'compare-one',
      items: [{ n: 1 }],
      retry: { rounds: 0 },
      command: ['true'],
    });
    expect(comparison.retryRounds).toBe(0);
    expectEstimatesMeasured(comparison);
  });

  it('matches the estimates with an aggregation job, running the array path without the options it cannot honour', async () => {
    const comparison = await compareRun({
      runId: 'compare-aggregate',
      replicas: { count: 3 },
      command: ['true'],
      failFast: true,
      maxConcurrency: 2,
      aggregate: { command: ['true'] },
    });
    expect(comparison.arrayPathIgnores.map((entry) => entry.field)).toEqual(['failFast', 'maxConcurrency']);
    expectEstimatesMeasured(comparison);
    expect(comparison.paths.map((path) => path.submitJobCalls)).toEqual([4, 2]);
  });

  it('matches the estimates for a run in a fair-share share with a priority: the share costs no transition per item', async () => {
    const comparison = await compareRun({
      runId: 'compare-share',
      replicas: { count: 4 },
      command: ['true'],
      jobQueue: 'fanout-teams',
      shareIdentifier: 'teamA',
      schedulingPriority: 3,
    });
    expectEstimatesMeasured(comparison);
    // docs/map-path.md, "Cost per item": 3 billed transitions per item, whatever the scheduling.
    const withoutShare = await compareRun({ runId: 'compare-noshare', replicas: { count: 4 }, command: ['true'] });
    expect(comparison.measured.map((m) => m.stateTransitions)).toEqual(
      withoutShare.measured.map((m) => m.stateTransitions),
    );
  });
});
