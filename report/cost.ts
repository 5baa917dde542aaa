import { DEFAULT_JOB_DEFINITION, DEFAULT_JOB_QUEUE } from '../lambdas/shared';
import {
  COMPUTE_PRICES,
  type ComputeConfig,
  computeAssumptions,
  computeCostOf,
  estimateCost,
  type JobCompute,
  type JobDurations,
  jobComputeOf,
  PRICES,
  stackFixedMonthly,
} from '../run';
import type { ComputeSummary, CostSummary } from './model';

/**
 * The run's cost: its orchestration on its path, and the compute of its job attempts when the
 * size of its jobs is known.
 */
export function costSummaryOf(
  path: string,
  run: CostRun,
  config: ComputeConfig | undefined,
  placement: { jobQueue?: string; jobDefinition?: string },
  bars: Iterable<{ startedAt: number; stoppedAt: number | null }>,
): CostSummary {
  const orchestration = path === 'array' ? arrayCostOf(run) : costOf(run);
  if (!config) return orchestration;
  const job = jobComputeOf(
    config,
    placement.jobQueue ?? DEFAULT_JOB_QUEUE,
    placement.jobDefinition ?? DEFAULT_JOB_DEFINITION,
  );
  return { ...orchestration, compute: computeSummaryOf(job, bars) };
}

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
    ],
    pricesCheckedOn: PRICES.checkedOn,
    region: PRICES.region,
    sources: Object.values(PRICES.sources),
    fixedMonthly: stackFixedMonthly(),
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
    ],
    pricesCheckedOn: PRICES.checkedOn,
    region: PRICES.region,
    sources: Object.values(PRICES.sources),
    fixedMonthly: stackFixedMonthly(),
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

/**
 * Prices the compute of job attempts from their measured times (Batch's start and stop), each
 * billed on its own; an attempt still running is left out and counted in the assumptions.
 * See docs/report.md, "Compute".
 */
export function computeSummaryOf(
  job: JobCompute,
  bars: Iterable<{ startedAt: number; stoppedAt: number | null }>,
): ComputeSummary {
  const durations: JobDurations[] = [];
  let unfinishedAttempts = 0;
  for (const bar of bars) {
    if (bar.stoppedAt === null) unfinishedAttempts += 1;
    else durations.push({ count: 1, seconds: Math.max(0, (bar.stoppedAt - bar.startedAt) / 1000) });
  }
  const cost = computeCostOf(job, durations);
  return {
    job,
    cost,
    assumptions: computeAssumptions(job, cost, { kind: 'measured', unfinishedAttempts }),
    pricesCheckedOn: COMPUTE_PRICES.checkedOn,
    region: COMPUTE_PRICES.region,
    sources: Object.values(COMPUTE_PRICES.sources),
  };
}
