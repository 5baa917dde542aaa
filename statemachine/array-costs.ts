// The module itself, not lambdas/shared's index, which loads the Lambdas' AWS SDK clients and zod.
import { MAX_ARRAY_SIZE } from '../lambdas/shared/arrays';

/**
 * What one run of the array path costs, as a formula of its item count, for a run in which every
 * child succeeds (docs/array-path.md, "Cost per run"); each job holds at most 10,000 items.
 * `fanout compare` sets it against the map path; a test checks it against a measured local run.
 */

/** Usage of one array-path run. */
export interface ArrayPathUsage {
  /**
   * Billed state transitions, counted as the local engine counts them (docs/local-engine.md): one
   * per state entered, inline Map iterations' states included, plus one per retry (none here).
   * `7 + 2 × ceil(N / 10,000)`: Prepare, HasAggregate, SubmitArrays, per job ChooseSubmitJob and
   * its Submit state, Collect, Notify, RunOutcome, RunSucceeded. With an aggregation job two more:
   * StartArrays replaces SubmitArrays (ChooseStartJob and Start*Job per job), then ChooseAggregate
   * (which picks the variant with the run's share fields) and Aggregate.
   */
  stateTransitions: number;
  /** Batch SubmitJob calls: one per job of at most 10,000 children, `ceil(N / 10,000)`, plus the aggregation job. */
  submitJobCalls: number;
  /**
   * Ledger items written: `2N + 2`. Per item, its PENDING row (Prepare, BatchWriteItem) and its
   * outcome (Collect, one conditional UpdateItem); per run, the header put by Prepare and the
   * outcome Collect writes to it.
   */
  ledgerWrites: number;
  /** Lambda invocations: Prepare, Collect, Notify, whatever N. */
  lambdaInvocations: number;
}

/**
 * The usage of an array-path run of `itemCount` items (1..100,000) in which every child succeeds,
 * with or without an aggregation job.
 * @example arrayPathUsage(10_001) // { stateTransitions: 11, submitJobCalls: 2, ledgerWrites: 20_004, lambdaInvocations: 3 }
 */
export function arrayPathUsage(itemCount: number, aggregate = false): ArrayPathUsage {
  if (!Number.isInteger(itemCount) || itemCount < 1) {
    throw new RangeError(`itemCount must be a positive integer; received ${itemCount}`);
  }
  const jobs = Math.ceil(itemCount / MAX_ARRAY_SIZE);
  const aggregateJobs = aggregate ? 1 : 0;
  return {
    stateTransitions: 7 + 2 * jobs + 2 * aggregateJobs,
    submitJobCalls: jobs + aggregateJobs,
    ledgerWrites: 2 * itemCount + 2,
    lambdaInvocations: 3,
  };
}
