/**
 * What one run of the map path uses when every item succeeds on its first attempt, as a
 * formula of the item count. The counts follow statemachine/map.asl.json state by state, and
 * the local engine counts billed transitions the way the Step Functions pricing page does
 * (one per child execution started, plus every state entered). An e2e test compares the
 * formula with measured local runs, so a change to the definition that changes the bill
 * fails until this model is updated.
 */

/** Billed work of one run, for a run where every item succeeds. */
export interface PathUsage {
  /** Billed Standard state transitions, child executions included. */
  stateTransitions: number;
  /** Batch SubmitJob API calls (Batch's quota: 50 per second per account). */
  submitJobCalls: number;
  /** Ledger write requests (each row up to 1 KB is one write request unit). */
  ledgerWrites: number;
  lambdaInvocations: number;
}

/**
 * States every map-path run enters once: Prepare, ChooseFanOut (which picks the Distributed Map
 * whose SubmitJob carries the run's share fields, docs/map-path.md "Fair share"), one of the
 * FanOut Maps, RetryRoundLeft, Summarize, Notify, RunOutcome, RunSucceeded.
 */
const MAP_RUN_STATES = 8;
/** With retry rounds configured the first pass is followed by Retry and RetryClaimedItems, which find nothing to run. */
const MAP_EMPTY_RETRY_ROUND_STATES = 2;
/** A child execution: its start, SubmitJob and RecordOutcome (the design budget: at most 3 per item). */
const MAP_ITEM_TRANSITIONS = 3;
/** ChooseAggregate and Aggregate, when the input has an aggregation job: two transitions, one SubmitJob call. */
const MAP_AGGREGATE_STATES = 2;

/**
 * @param itemCount items in the run (N)
 * @param retryRounds the run's effective `retry.rounds` (0 with `failFast`)
 * @param aggregate whether the input has an aggregation job
 * @example mapPathUsage(10_000, 1, false).stateTransitions // 30,010
 */
export function mapPathUsage(itemCount: number, retryRounds: number, aggregate: boolean): PathUsage {
  const retries = retryRounds > 0;
  const aggregateJobs = aggregate ? 1 : 0;
  return {
    stateTransitions:
      MAP_RUN_STATES +
      (retries ? MAP_EMPTY_RETRY_ROUND_STATES : 0) +
      MAP_AGGREGATE_STATES * aggregateJobs +
      MAP_ITEM_TRANSITIONS * itemCount,
    submitJobCalls: itemCount + aggregateJobs,
    // The header put, a PENDING row and an outcome per item, the header's final update.
    ledgerWrites: 2 * itemCount + 2,
    // Prepare, Summarize and Notify; Retry once when rounds are configured.
    lambdaInvocations: 3 + (retries ? 1 : 0),
  };
}
