import { describe, expect, it } from 'vitest';
import { arrayJobName, arrayPathIssues, checkArrayPathInput, planArrays } from '../../../lambdas/shared/arrays';
import { FanoutInputError } from '../../../lambdas/shared/errors';

describe('planArrays', () => {
  it('covers the manifest in order with jobs of at most 10,000 items (docs: batch/latest/userguide/array_jobs.html)', () => {
    expect(planArrays('r', 1, 1)).toEqual([{ jobName: 'r-array-r1-0', start: 0, size: 1 }]);
    expect(planArrays('r', 1, 10_000)).toEqual([{ jobName: 'r-array-r1-0', start: 0, size: 10_000 }]);
    expect(planArrays('r', 2, 25_001).map(({ start, size }) => [start, size])).toEqual([
      [0, 10_000],
      [10_000, 10_000],
      [20_000, 5_001],
    ]);
    expect(planArrays('r', 1, 0)).toEqual([]);
  });

  it('names jobs after the run, the round and their place', () => {
    expect(arrayJobName('sweep-7', 3, 1)).toBe('sweep-7-array-r3-1');
    expect(arrayJobName('r'.repeat(64), 10, 9).length).toBeLessThanOrEqual(128);
  });
});

describe('arrayPathIssues', () => {
  it('accepts an input with no option the array path cannot honour', () => {
    expect(arrayPathIssues({ replicas: { count: 3 }, failFast: false, retry: { rounds: 0, maxAttempts: 5 } })).toEqual(
      [],
    );
  });

  it('names each refused option with the received value', () => {
    const issues = arrayPathIssues({
      items: [{}],
      toleratedFailureCount: 2,
      failFast: true,
      aggregate: { command: ['sum'] },
      retry: { rounds: 2 },
    });
    // An aggregation job is honoured (a job with a native dependsOn on the arrays), so it is not among them.
    expect(issues.map((issue) => [issue.path, issue.received])).toEqual([
      ['toleratedFailureCount', '2'],
      ['failFast', 'true'],
      ['retry.rounds', '2'],
    ]);
    expect(() => checkArrayPathInput({ items: [{}], maxConcurrency: 10 })).toThrow(FanoutInputError);
    expect(() => checkArrayPathInput({ items: [{}], maxConcurrency: 10 })).toThrow(
      'invalid execution input: maxConcurrency: the array path has no per-run concurrency: Batch runs the children as its compute environments allow (received 10)',
    );
  });
});
