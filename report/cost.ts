import { estimateCost, PRICES } from '../run';
import type { CostSummary } from './model';

/**
 * Estimates the run's AWS orchestration cost at the prices of run/pricing.ts. The counts are
 * those of the Map path as docs/map-path.md describes it; see docs/report.md, "Cost".
 */
export function costOf(run: CostRun): CostSummary {
  const headerWrites = 2 * run.executions + Math.max(0, run.rounds - 1);
  // The first execution calls Retry after each pass while rounds remain, also when it then finds
  // nothing to claim (as fanout compare counts it): at most retry.rounds calls.
  const automaticPasses = Math.max(1, run.rounds - run.retryExecutions);
  const retryCalls = Math.min(run.retryRounds, automaticPasses);
  const usage = {
    stateTransitions: run.stateTransitions ?? 0,
    ledgerWriteUnits: 2 * run.itemRounds + headerWrites,
    lambdaInvocations: 3 * run.executions + retryCalls,
    s3PutRequests: run.executions + 4 * run.rounds,
    s3GetRequests: run.rounds,
  };
  return {
    usage,
    estimate: estimateCost(usage),
    basis: [
      stepFunctionsBasis(run),
      `DynamoDB: about 2 writes per item per round (the row's PENDING or RETRYING write and its outcome; ${run.itemRounds} item-rounds) plus ${headerWrites} header writes (Prepare and Summarize per execution, one per later round), at 1 write unit each (rows under 1 KB). Reads are not counted.`,
      `Lambda: Prepare, Summarize and Notify per execution, plus Retry after each automatic pass while retry rounds remain, also when it finds nothing to claim (${usage.lambdaInvocations} requests); compute time is not counted.`,
      `S3: one manifest per execution, about 4 result files per round (${run.rounds} round(s)) and one manifest read per round.`,
      'Batch compute (Fargate or EC2) for the jobs themselves is not included: it is the same whatever orchestrates them.',
    ],
    pricesCheckedOn: PRICES.checkedOn,
    region: PRICES.region,
    sources: Object.values(PRICES.sources),
  };
}

/**
 * The same estimate for an array-path run, with the calls docs/array-path.md ("Cost per run")
 * lists: Prepare, Collect and Notify per execution, the manifest and its index per execution,
 * and on AWS two ranged GETs per child to read its item.
 */
export function arrayCostOf(run: CostRun): CostSummary {
  const headerWrites = 2 * run.executions;
  const usage = {
    stateTransitions: run.stateTransitions ?? 0,
    ledgerWriteUnits: 2 * run.itemRounds + headerWrites,
    lambdaInvocations: 3 * run.executions,
    s3PutRequests: 2 * run.executions,
    s3GetRequests: 2 * run.itemRounds + run.executions,
  };
  return {
    usage,
    estimate: estimateCost(usage),
    basis: [
      stepFunctionsBasis(run),
      `DynamoDB: about 2 writes per item per round (the row's PENDING or RETRYING write and the outcome Collect writes; ${run.itemRounds} item-rounds) plus ${headerWrites} header writes (Prepare and Collect per execution), at 1 write unit each (rows under 1 KB). Reads are not counted.`,
      `Lambda: Prepare, Collect and Notify per execution (${usage.lambdaInvocations} requests); compute time is not counted.`,
      `S3: a manifest and its index per execution; per child job two ranged GETs (its index entry and its manifest line), and one manifest read by Collect per execution.`,
      'Batch compute (Fargate or EC2) for the jobs themselves is not included: it is the same whatever orchestrates them.',
    ],
    pricesCheckedOn: PRICES.checkedOn,
    region: PRICES.region,
    sources: Object.values(PRICES.sources),
  };
}

export interface CostRun {
  stateTransitions: number | null;
  itemRounds: number;
  executions: number;
  rounds: number;
  retryExecutions: number;
  /** The run's `retry.rounds`: how many times the map path may call Retry after a pass. */
  retryRounds: number;
}

function stepFunctionsBasis(run: CostRun): string {
  return run.stateTransitions === null
    ? 'Step Functions: not included, since the state transitions of these executions are not known (AWS does not report them per execution; see docs/deploy-cli.md).'
    : `Step Functions: ${run.stateTransitions} state transitions, as the local engine counted them for billing, summed over the run's ${run.executions} execution(s).`;
}
