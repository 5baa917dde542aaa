import { describe, expect, it } from 'vitest';
import { comparePaths, formatComparison } from '../../../cli/compare';

const comparison = comparePaths(
  { itemCount: 12_345, aggregate: false, retryRounds: 0, toleratedFailurePercentage: 10 },
  {
    map: () => ({ stateTransitions: 37_042, submitJobCalls: 12_345, ledgerWrites: 24_692, lambdaInvocations: 3 }),
    array: () => ({ stateTransitions: 12, submitJobCalls: 2, ledgerWrites: 24_691, lambdaInvocations: 3 }),
  },
);

describe('formatComparison', () => {
  it('shows both paths side by side with grouped numbers', () => {
    const text = formatComparison(comparison);
    expect(text).toMatch(/^\s+map path\s+array path$/m);
    expect(text).toMatch(/^state transitions\s+37,042\s+12$/m);
    expect(text).toMatch(/^min submit time \(50 SubmitJob\/s\)\s+246\.90 s\s+0\.04 s$/m);
    expect(text).toContain('12,345 items, retry rounds 0, failures tolerated up to 10% (toleratedFailurePercentage)');
  });

  it('quotes only the failure thresholds the input sets', () => {
    const bare = comparePaths(
      { itemCount: 3, aggregate: false, retryRounds: 1 },
      {
        map: () => ({ stateTransitions: 9, submitJobCalls: 3, ledgerWrites: 8, lambdaInvocations: 4 }),
        array: () => ({ stateTransitions: 7, submitJobCalls: 1, ledgerWrites: 8, lambdaInvocations: 3 }),
      },
    );
    const header = formatComparison(bare).split('\n')[0];
    expect(header).toBe('3 items, retry rounds 1, no failure tolerated (no threshold set)');
  });

  it('marks a measured transition count that differs from the estimate', () => {
    const text = formatComparison(comparison, [
      {
        path: 'map',
        status: 'SUCCEEDED',
        stateTransitions: 37_042,
        submitJobCalls: 12_345,
        lambdaInvocations: 3,
        wallSeconds: 61.23,
        succeeded: 12_345,
        failed: 0,
      },
      {
        path: 'array',
        status: 'FAILED',
        stateTransitions: 13,
        submitJobCalls: 2,
        lambdaInvocations: 3,
        wallSeconds: 40,
        succeeded: 12_344,
        failed: 1,
      },
    ]);
    expect(text).toMatch(/^measured on the local cloud$/m);
    expect(text).toMatch(/^state transitions\s+37,042\s+13 \(est\. 12\)$/m);
    expect(text).toMatch(/^wall time\s+61\.2 s\s+40\.0 s$/m);
    expect(text).toMatch(/^items succeeded \/ failed\s+12,345 \/ 0\s+12,344 \/ 1$/m);
  });

  it("lists each path's failure semantics", () => {
    const text = formatComparison(comparison);
    expect(text).toMatch(/ {2}array path\n {4}tolerance: none/);
  });
});
