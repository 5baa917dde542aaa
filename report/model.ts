import type { BilledUsage, ComputeCost, CostEstimate, FixedMonthly, ItemTally, JobCompute, StatusCounts } from '../run';
import type { SourceSummary } from './source';

/**
 * The report of one run as plain data: everything the HTML shows, already decided (counts,
 * attempts with their times, failure groups, the cost estimate). Built by `buildReportModel`
 * from the ledger, the run records and Batch's job times; rendered by `renderReport`, a pure
 * function of it.
 */
export interface ReportModel {
  runId: string;
  /** `map` or `array` (any path a run record names). */
  path: string;
  /** The run's current status in the status model (docs/run-status.md). */
  status: string;
  /** When the report was made (ISO). */
  generatedAt: string;
  input: InputSummary;
  counts: StatusCounts;
  /** The run's items by what happened to them (the status model's tally). */
  items: ItemTally;
  /** The run's executions, oldest first: the run itself, then its retries and resumes. */
  executions: ExecutionSummary[];
  /** First execution start to last execution stop (ISO), and the time spent executing. */
  timing: { startedAt: string | null; stoppedAt: string | null; executingSeconds: number | null };
  /** Billed state transitions of every execution of the run; null when an execution's count is unknown (on AWS). */
  stateTransitions: number | null;
  cost: CostSummary;
  /** Item ids, one per timeline lane, in item order: the items with at least one attempt drawn. */
  lanes: string[];
  /** One per job attempt that started, in lane order then attempt order. */
  attempts: TimelineAttempt[];
  /** Attempts without a job or a start time (never submitted, or stopped before starting): not drawn. */
  undrawnAttempts: number;
  /** Items that failed at least once and then succeeded. */
  recoveredItems: number;
  failures: FailureReport;
  retry: RetryAdvice;
  /** The run's aggregation job, when it has one that ran (the latest execution's). */
  aggregate?: AggregateSummary;
  /** When its jobs started, for a run that named a share or a scheduling priority. */
  scheduling?: SchedulingSummary;
}

/**
 * A run's place in Batch's scheduler: its queue, share and priority, and when its items' first
 * attempts started, in seconds after the run started (null when a time is unknown).
 */
export interface SchedulingSummary {
  jobQueue: string;
  shareIdentifier?: string;
  schedulingPriority?: number;
  /** Items with at least one attempt that started. */
  startedJobs: number;
  firstStartSeconds: number | null;
  /** The lower median when the count is even. */
  medianStartSeconds: number | null;
  lastStartSeconds: number | null;
}

/** How the aggregation job ended (the header row's `aggregateOutcome`) and what Batch knows of it. */
export interface AggregateSummary {
  status: 'SUCCEEDED' | 'FAILED';
  jobName: string;
  jobId?: string;
  exitCode?: number;
  /** The Step Functions error of a failed job (`States.TaskFailed`). */
  error?: string;
  /** Why it failed: Batch's status reason, else the error. */
  reason?: string;
  logStream?: string;
  logUrl?: string;
  /** Its start and stop when Batch knows them: drawn in a lane of its own after the items. */
  bar?: { startedAt: number; stoppedAt: number | null; outcome: AttemptOutcome };
}

/** What the run was asked to do. Fields the ledger's header row lacks are absent. */
export interface InputSummary {
  /** The item source (`items`, `grid`, `replicas`, `source`), when the process that started the run recorded it. */
  source?: SourceSummary;
  itemCount: number;
  jobQueue?: string;
  jobDefinition?: string;
  command?: string[];
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
  retry?: { rounds: number; maxAttempts: number };
  idempotent?: boolean;
  failFast?: boolean;
}

/** One execution of the run, from its run record (`<dir>/runs/<name>.json`). */
export interface ExecutionSummary {
  name: string;
  kind: 'run' | 'retry' | 'resume';
  status: string;
  startedAt: string;
  stoppedAt: string | null;
  durationSeconds: number | null;
  /** Null when unknown: Step Functions does not report a Distributed Map's billed transitions. */
  stateTransitions: number | null;
  error: string | null;
  retriedItemCount?: number;
}

/** How an attempt ended, as its bar's colour says. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'aborted' | 'running';

/** One job attempt of one item, drawn from its start to its stop. */
export interface TimelineAttempt {
  /** Index into {@link ReportModel.lanes}. */
  lane: number;
  /** The item's attempt number (1 = the first). */
  attempt: number;
  /** Epoch milliseconds. */
  startedAt: number;
  /** Epoch milliseconds; null while the job still runs. */
  stoppedAt: number | null;
  outcome: AttemptOutcome;
  failureClass?: string;
  exitCode?: number | null;
}

/** Final failures (FAILED and ABANDONED items), grouped by failure class and status reason. */
export interface FailureReport {
  total: number;
  /** Largest group first. */
  groups: FailureGroup[];
}

export interface FailureGroup {
  failureClass: string;
  reason: string;
  count: number;
  /** The group's first items in item order, at most `FAILURE_ROWS_PER_GROUP`. */
  items: FailureEntry[];
}

/** Whether `fanout retry` re-runs an item, and why not. */
export type RetryVerdict = 'retryable' | 'not-idempotent' | 'out-of-attempts' | 'abandoned';

export interface FailureEntry {
  itemId: string;
  status: string;
  attempt: number;
  exitCode: number | null;
  /** The kwargs as the job got them (JSON text). */
  kwargs: string;
  error?: string;
  logStream?: string;
  /** Where to read the log: a file:// URL locally, a console URL on AWS. */
  logUrl?: string;
  retry: RetryVerdict;
}

/** The command that re-runs the safe failures, and how many it would (and would not) take. */
export interface RetryAdvice {
  command: string;
  /** The command that lists every failed item as JSON. */
  failuresCommand: string;
  retryable: number;
  notIdempotent: number;
  /** FAILED and safe, but out of attempts: the next retry abandons them. */
  outOfAttempts: number;
  abandoned: number;
}

/** The estimated AWS cost of the run's orchestration, with what it is based on. */
export interface CostSummary {
  usage: BilledUsage;
  estimate: CostEstimate;
  /** One sentence per figure of `usage`, saying how it was counted. */
  basis: string[];
  pricesCheckedOn: string;
  region: string;
  /** The pricing pages the prices come from. */
  sources: string[];
  /** The jobs' compute, priced from the attempts' measured times; absent when the job size is not known. */
  compute?: ComputeSummary;
  /** What the stack bills per month whether or not runs happen. */
  fixedMonthly: FixedMonthly;
}

/** The compute of the run's job attempts (items and aggregation job), and what the figure assumes. */
export interface ComputeSummary {
  job: JobCompute;
  cost: ComputeCost;
  /** One sentence per assumption, shown with the figure. */
  assumptions: string[];
  pricesCheckedOn: string;
  region: string;
  sources: string[];
}
