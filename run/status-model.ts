import { FailureClass, ItemStatus, RunStatus, type StatusCounts } from './ledger/schema';

/**
 * The one status model of a run (docs/run-status.md): what `run`, `status`, `list`, `report`,
 * their `--json` and the Summarize output all say a run is, and how its items are counted.
 * Pure functions of what the ledger and the run's executions say; no I/O, so every view can
 * afford it and none can drift.
 */

/**
 * A run's status. The ledger's header statuses (`RunStatus`) plus the two ways an execution ends
 * without Summarize running: stopped (`ABORTED`: Ctrl+C, `fanout cancel`, StopExecution) and
 * `TIMED_OUT`.
 */
export const RunState = {
  ...RunStatus,
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'ABORTED',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/** How a Step Functions execution of a run is (DescribeExecution's `status`, PENDING_REDRIVE read as RUNNING). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/**
 * A run's items by what happened to them; every item is in exactly one count.
 * - `succeeded`: its job succeeded.
 * - `failed`: its job ran and failed (ABANDONED items included: failures no retry re-runs).
 * - `neverStarted`: no job of its latest attempt ever ran, and none will in this execution:
 *   rows left PENDING or RETRYING once the run stopped (interrupted, threshold exceeded,
 *   cancelled), submissions Batch refused, jobs terminated before they left the queue.
 * - `queued`: the run is going on and the item waits: no job yet, or one SUBMITTED, PENDING or RUNNABLE.
 * - `running`: the run is going on and Batch reports its job STARTING or RUNNING.
 */
export interface ItemTally {
  total: number;
  succeeded: number;
  failed: number;
  neverStarted: number;
  queued: number;
  running: number;
}

/** What of an item row tells a failure whose job ran from one whose job never did. */
export interface FailedRowFacts {
  status: string;
  failureClass?: string | undefined;
  logStream?: string | undefined;
}

/**
 * Whether a FAILED or ABANDONED row's latest attempt never ran a job: the run stopped before
 * submitting it (`NOT_STARTED`), Batch refused the submission (`SUBMIT_ERROR`), or the job was terminated (`ABORTED`) before its container
 * started — Batch names a log stream only once the container has started, so an aborted row
 * without one never ran. Rows of any other status answer false.
 * @example failedBeforeStart({ status: 'FAILED', failureClass: 'ABORTED' }) // true
 */
export function failedBeforeStart(row: FailedRowFacts): boolean {
  if (row.status !== ItemStatus.FAILED && row.status !== ItemStatus.ABANDONED) return false;
  if (row.failureClass === FailureClass.SUBMIT_ERROR || row.failureClass === FailureClass.NOT_STARTED) return true;
  return row.failureClass === FailureClass.ABORTED && !row.logStream;
}

/** What Batch says of the jobs of a run's unfinished rows while it runs; absent when not asked. */
export interface LiveJobs {
  /** Jobs STARTING or RUNNING. */
  running: number;
}

/**
 * The item tally from the ledger's counts per status. `failedWithoutStart` is how many FAILED
 * or ABANDONED rows {@link failedBeforeStart} says never ran. While the run goes on (`live`),
 * unfinished rows are running as far as Batch says so and queued otherwise; once it ended they
 * never started.
 * @example tallyItems(counts, 0, undefined) // an ended run
 */
export function tallyItems(counts: StatusCounts, failedWithoutStart: number, live: LiveJobs | undefined): ItemTally {
  // A RUNNING row is only written by older versions; it holds an unfinished item like PENDING.
  const unfinished = counts.pending + counts.retrying + counts.running;
  const failures = counts.failed + counts.abandoned;
  const neverRan = Math.min(failedWithoutStart, failures);
  const running = live ? Math.min(live.running, unfinished) : 0;
  return {
    total: counts.total,
    succeeded: counts.succeeded,
    failed: failures - neverRan,
    neverStarted: neverRan + (live ? 0 : unfinished),
    queued: live ? unfinished - running : 0,
    running,
  };
}

/**
 * The status of a run whose execution has just ended, as Summarize (and Collect) records it:
 * FAILED when the execution failed (threshold exceeded, `failFast`, aggregation job failed),
 * else SUCCEEDED when every item succeeded, else COMPLETED_WITH_FAILURES (failures within the
 * tolerated threshold). Never a bare SUCCEEDED with failed items.
 */
export function endedRunStatus(failed: boolean, tally: Pick<ItemTally, 'total' | 'succeeded'>): RunStatus {
  if (failed) return RunStatus.FAILED;
  return tally.succeeded < tally.total ? RunStatus.COMPLETED_WITH_FAILURES : RunStatus.SUCCEEDED;
}

/**
 * A run's current status, across all its executions (the run's own, its retries and resumes):
 * - RUNNING while its latest execution runs;
 * - else the ledger header's status when it is final: Summarize of the latest execution wrote it
 *   from every item's row, so after `fanout retry` it is the whole run's, not the first pass's;
 * - else (the header still says RUNNING because the latest execution stopped, timed out or
 *   failed before Summarize) that execution's status, with a SUCCEEDED one judged by the items.
 * A SUCCEEDED with any item not succeeded reads COMPLETED_WITH_FAILURES, whatever said it.
 * @example currentRunStatus({ header: 'RUNNING', latestExecution: 'ABORTED', tally }) // 'ABORTED'
 */
export function currentRunStatus(facts: {
  /** The ledger header's status; undefined when the run has no header (it failed before Prepare wrote one). */
  header: RunStatus | undefined;
  latestExecution: ExecutionStatus;
  tally: Pick<ItemTally, 'total' | 'succeeded'>;
}): RunState {
  const { header, latestExecution, tally } = facts;
  if (latestExecution === 'RUNNING') return RunState.RUNNING;
  const status: RunState = header && header !== RunStatus.RUNNING ? header : latestExecution;
  return status === RunState.SUCCEEDED ? endedRunStatus(false, tally) : status;
}

/** Whether a run in this status did what it was asked: every item succeeded, or the failures stayed within the tolerated threshold. */
export function runSucceeded(status: RunState): boolean {
  return status === RunState.SUCCEEDED || status === RunState.COMPLETED_WITH_FAILURES;
}
