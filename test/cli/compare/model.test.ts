import { describe, expect, it } from 'vitest';
import { comparePaths, SUBMIT_JOB_CALLS_PER_SECOND } from '../../../cli/compare';
import { PRICES } from '../../../run';

const input = {
  itemCount: 10_000,
  aggregate: false,
  retryRounds: 1,
  toleratedFailureCount: 5,
  toleratedFailurePercentage: 0,
};
const models = {
  map: () => ({ stateTransitions: 30_009, submitJobCalls: 10_000, ledgerWrites: 20_002, lambdaInvocations: 4 }),
  array: () => ({ stateTransitions: 7, submitJobCalls: 1, ledgerWrites: 20_001, lambdaInvocations: 3 }),
};

describe('comparePaths', () => {
  it('derives the minimum submit time from the 50 SubmitJob/s quota', () => {
    // batch/latest/userguide/service_limits.html: 50 SubmitJob transactions per second per account.
    expect(SUBMIT_JOB_CALLS_PER_SECOND).toBe(50);
    const comparison = comparePaths(input, models);
    expect(comparison.paths.map((path) => [path.path, path.minSubmitSeconds])).toEqual([
      ['map', 200],
      ['array', 0.02],
    ]);
  });

  it('prices each path from its own usage with the one price table', () => {
    const [map, array] = comparePaths(input, models).paths;
    expect(map!.costUsd.stepFunctions).toBeCloseTo(30_009 * PRICES.stepFunctionsPerTransition, 12);
    expect(map!.costUsd.dynamodb).toBeCloseTo(20_002 * PRICES.dynamodbPerWriteRequestUnit, 12);
    expect(array!.costUsd.stepFunctions).toBeCloseTo(7 * PRICES.stepFunctionsPerTransition, 12);
    expect(array!.costUsd.lambda).toBeCloseTo(3 * PRICES.lambdaPerRequest, 12);
  });

  it('passes the input settings to every model and keeps them in the comparison', () => {
    const seen: number[] = [];
    const comparison = comparePaths(input, {
      map: (given) => {
        seen.push(given.retryRounds);
        return models.map();
      },
      array: (given) => {
        seen.push(given.itemCount);
        return models.array();
      },
    });
    expect(seen).toEqual([1, 10_000]);
    expect(comparison).toMatchObject({
      itemCount: 10_000,
      retryRounds: 1,
      toleratedFailureCount: 5,
      prices: { checkedOn: PRICES.checkedOn },
    });
  });

  it('states that only the map path tolerates failures', () => {
    const [map, array] = comparePaths(input, models).paths;
    expect(map!.semantics.tolerance).toMatch(/toleratedFailureCount/);
    expect(array!.semantics.tolerance).toMatch(/^none/);
    expect(array!.semantics.runStatus).toMatch(/FAILED if any child failed/);
  });
});
