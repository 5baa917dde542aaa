import { describe, expect, it } from 'vitest';
import { estimateCost, PRICES } from '../../run';

describe('estimateCost', () => {
  it('prices 1,000 Standard state transitions at $0.025', () => {
    expect(
      estimateCost({ stateTransitions: 1000, ledgerWriteUnits: 0, lambdaInvocations: 0 }).stepFunctions,
    ).toBeCloseTo(0.025, 10);
  });

  it('prices a million ledger writes at $0.625 and a million Lambda requests at $0.20', () => {
    const cost = estimateCost({ stateTransitions: 0, ledgerWriteUnits: 1_000_000, lambdaInvocations: 1_000_000 });
    expect(cost.dynamodb).toBeCloseTo(0.625, 10);
    expect(cost.lambda).toBeCloseTo(0.2, 10);
  });

  it('adds every service into the total', () => {
    const cost = estimateCost({
      stateTransitions: 30_000,
      ledgerWriteUnits: 20_000,
      ledgerReadUnits: 4_000,
      lambdaInvocations: 4,
      lambdaGbSeconds: 10,
      s3PutRequests: 2,
      s3GetRequests: 3,
    });
    expect(cost.total).toBeCloseTo(cost.stepFunctions + cost.dynamodb + cost.lambda + cost.s3, 12);
    expect(cost.stepFunctions).toBeCloseTo(30_000 * PRICES.stepFunctionsPerTransition, 12);
    expect(cost.s3).toBeCloseTo(2 * PRICES.s3PerPutRequest + 3 * PRICES.s3PerGetRequest, 12);
  });
});
