/**
 * The AWS prices fanout's estimates use, in USD, region us-east-1, on-demand, without free tier.
 * One table so `fanout compare` and the run report can never disagree. Batch itself is free;
 * the compute the jobs use (Fargate or EC2), the same on both paths, is priced apart in
 * run/compute-pricing.ts.
 *
 * Checked on 2026-11-22 against the public pricing pages:
 * - Step Functions Standard: $0.025 per 1,000 state transitions (aws.amazon.com/step-functions/pricing/)
 * - DynamoDB on-demand: $0.625 per million write request units, $0.125 per million read request
 *   units (aws.amazon.com/dynamodb/pricing/on-demand/; the November 2024 reduction)
 * - Lambda: $0.20 per million requests; arm64 $0.0000133334 per GB-second (aws.amazon.com/lambda/pricing/)
 * - S3 Standard: $0.005 per 1,000 PUT/LIST requests, $0.0004 per 1,000 GET requests (aws.amazon.com/s3/pricing/)
 */
export const PRICES = {
  checkedOn: '2026-11-22',
  region: 'us-east-1',
  stepFunctionsPerTransition: 0.025 / 1000,
  dynamodbPerWriteRequestUnit: 0.625 / 1_000_000,
  dynamodbPerReadRequestUnit: 0.125 / 1_000_000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaArmPerGbSecond: 0.0000133334,
  s3PerPutRequest: 0.005 / 1000,
  s3PerGetRequest: 0.0004 / 1000,
  sources: {
    stepFunctions: 'https://aws.amazon.com/step-functions/pricing/',
    dynamodb: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    lambda: 'https://aws.amazon.com/lambda/pricing/',
    s3: 'https://aws.amazon.com/s3/pricing/',
  },
} as const;

/** What a run uses of the priced services; every field counts requests (or GB-seconds). */
export interface BilledUsage {
  stateTransitions: number;
  /** DynamoDB write request units (one per write of an item up to 1 KB). */
  ledgerWriteUnits: number;
  /** DynamoDB read request units. @default 0 */
  ledgerReadUnits?: number;
  lambdaInvocations: number;
  /** Lambda compute in GB-seconds (memory in GB × billed duration). @default 0 */
  lambdaGbSeconds?: number;
  s3PutRequests?: number;
  s3GetRequests?: number;
}

/** Estimated USD per service and in total for `usage`, at {@link PRICES}. */
export interface CostEstimate {
  stepFunctions: number;
  dynamodb: number;
  lambda: number;
  s3: number;
  total: number;
}

/**
 * Prices a run's usage.
 * @example estimateCost({ stateTransitions: 30_000, ledgerWriteUnits: 20_000, lambdaInvocations: 3 }).total
 */
export function estimateCost(usage: BilledUsage): CostEstimate {
  const stepFunctions = usage.stateTransitions * PRICES.stepFunctionsPerTransition;
  const dynamodb =
    usage.ledgerWriteUnits * PRICES.dynamodbPerWriteRequestUnit +
    (usage.ledgerReadUnits ?? 0) * PRICES.dynamodbPerReadRequestUnit;
  const lambda =
    usage.lambdaInvocations * PRICES.lambdaPerRequest + (usage.lambdaGbSeconds ?? 0) * PRICES.lambdaArmPerGbSecond;
  const s3 = (usage.s3PutRequests ?? 0) * PRICES.s3PerPutRequest + (usage.s3GetRequests ?? 0) * PRICES.s3PerGetRequest;
  return { stepFunctions, dynamodb, lambda, s3, total: stepFunctions + dynamodb + lambda + s3 };
}
