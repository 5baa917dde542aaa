import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The run ledger's shape: one DynamoDB table, partition `runId`, sort `itemId`, one header row
 * per run plus one row per item. Which writes may change an item row, and how, is decided in
 * one place: `item-transitions.ts` (docs/architecture.md, "The run domain").
 */

/**
 * Item statuses. SUCCEEDED is final; ABANDONED marks a failure that will not be retried.
 * No ledger write records RUNNING: a write per job start would break the budget of two ledger
 * writes per item, so whether a job runs is Batch's to say (the status is kept for readers of
 * older rows and for counts).
 */
export const ItemStatus = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  RETRYING: 'RETRYING',
  ABANDONED: 'ABANDONED',
} as const;
export type ItemStatus = (typeof ItemStatus)[keyof typeof ItemStatus];
export const ITEM_STATUSES: readonly ItemStatus[] = Object.values(ItemStatus);

/** Run statuses kept in the header row. */
export const RunStatus = {
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  COMPLETED_WITH_FAILURES: 'COMPLETED_WITH_FAILURES',
  FAILED: 'FAILED',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/**
 * Why an item failed, derived by the state machine's failure path from the Batch job detail
 * and the Step Functions error (docs/map-path.md, "Failure classes").
 */
export const FailureClass = {
  /** Spot capacity was reclaimed: `Host EC2 (instance …) terminated.` or `Your Spot Task was interrupted.` */
  SPOT_INTERRUPTED: 'SPOT_INTERRUPTED',
  /** `Job attempt duration exceeded timeout`. */
  TIMEOUT: 'TIMEOUT',
  /** Exit code 137 with a container reason that mentions OutOfMemory or OOM. */
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
  /**
   * The job's command never ran: the image could not be pulled (`CannotPullContainerError`), the
   * container could not start (`CannotStartContainerError`, `ResourceInitializationError`), or
   * fanout's launcher could not resolve the command (exit 125), run it (126) or find it (127). It
   * would fail the same way again, so no retry re-runs it.
   */
  START_ERROR: 'START_ERROR',
  /** The container exited with a non-zero code. */
  APP_ERROR: 'APP_ERROR',
  /** A `Batch.<Code>` API error: the job never started, so re-running it is safe for any item. */
  SUBMIT_ERROR: 'SUBMIT_ERROR',
  /** The job was terminated because its Map Run failed or the run was cancelled. */
  ABORTED: 'ABORTED',
  /**
   * The run stopped (interrupted, cancelled, its failure threshold exceeded) before the item's
   * job was submitted: nothing of it ran, so a retry runs it, idempotent or not, as the same attempt.
   */
  NOT_STARTED: 'NOT_STARTED',
  /** Anything else (a failed job without an exit code or known reason, permissions, timeouts of the task itself). */
  UNKNOWN: 'UNKNOWN',
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

/** The error of a NOT_STARTED row: its run stopped before the item's job was submitted. */
export const NOT_STARTED_ERROR = 'Fanout.NotStarted';

/** Sort key of the run's header row; `#` cannot appear in an item id, so no item can take it. */
export const RUN_HEADER_ITEM_ID = '#run';

/**
 * Sparse index of failed items: the state machine sets `failedRunId` (= runId) when it
 * records a failure and removes it when it records a success, so the retry path queries only
 * the failures of a run, never every item.
 */
export const FAILED_ITEMS_INDEX = 'failed-items';
export const FAILED_RUN_ID_ATTRIBUTE = 'failedRunId';

/**
 * CreateTable input of the ledger, for the local cloud (dynalite) and the CDK table alike.
 * @example await dynamodb.send(new CreateTableCommand(ledgerTableDefinition('fanout-ledger')))
 */
export function ledgerTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'runId', AttributeType: 'S' },
      { AttributeName: 'itemId', AttributeType: 'S' },
      { AttributeName: FAILED_RUN_ID_ATTRIBUTE, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'runId', KeyType: 'HASH' },
      { AttributeName: 'itemId', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: FAILED_ITEMS_INDEX,
        KeySchema: [
          { AttributeName: FAILED_RUN_ID_ATTRIBUTE, KeyType: 'HASH' },
          { AttributeName: 'itemId', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  } satisfies CreateTableCommandInput;
}

/** One item's row. Optional fields appear once the state machine records an outcome. */
export interface ItemRow {
  runId: string;
  itemId: string;
  status: ItemStatus;
  idempotent: boolean;
  /** Attempts of this item across rounds, the first included. */
  attempt: number;
  /** The round the item is in (1 = the first pass); writers of an older round are refused. */
  round: number;
  jobName: string;
  /** The kwargs as JSON text, as passed in `FANOUT_KWARGS`. */
  kwargs: string;
  createdAt: string;
  updatedAt?: string;
  queue?: string;
  jobId?: string;
  exitCode?: number | null;
  statusReason?: string;
  containerReason?: string;
  logStream?: string;
  /** Epoch milliseconds, as Batch reports them. */
  startedAt?: number;
  stoppedAt?: number;
  error?: string;
  /** Bounded: a short message built from the job's status, or the API error message (≤ 32,768 characters, Step Functions' own cap). */
  cause?: string;
  failureClass?: FailureClass;
  failedRunId?: string;
  /** Earlier attempts, oldest first, written by the retry path; at most `retry.maxAttempts` entries. */
  attempts?: AttemptRecord[];
  /** The execution (ARN) that last claimed the row for a retry round; its own retried claim takes the row back. */
  claimedBy?: string;
}

/** One finished attempt of an item, kept in its row's `attempts` history. */
export interface AttemptRecord {
  attempt: number;
  jobId?: string;
  failureClass?: FailureClass;
  statusReason?: string;
}

/** Item counts of a run. */
export interface StatusCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  retrying: number;
  abandoned: number;
}

/** What Prepare decided for a run: Prepare's state output (`$.prepared`) and the core of the run's header row. */
export interface PreparedRun {
  runId: string;
  /** Which state machine runs it: `fanout-map` (a Distributed Map) or `fanout-array` (Batch array jobs). */
  path: RunPath;
  round: number;
  itemCount: number;
  executionArn: string;
  createdAt: string;
  manifest: { bucket: string; key: string };
  resultPrefix: string;
  jobQueue: string;
  /** Pinned to `name:revision`, so a revision registered mid-run does not change later jobs. */
  jobDefinition: string;
  command: string[];
  /** Variables every job of the run gets (the input's `environment`; docs/job-contract.md). */
  environment: Record<string, string>;
  /** SubmitJob `Timeout` of every job: the input's `timeout` or the job definition's; `{}` for none. */
  jobTimeout: { AttemptDurationSeconds?: number };
  /**
   * The fair-share fields of every job's SubmitJob; `{}` for a run without a share. The state
   * machines choose the SubmitJob state that sends exactly the fields present here.
   */
  scheduling: JobScheduling;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  retry: { rounds: number; maxAttempts: number };
  idempotent: boolean;
  /** Set when the input asked for it: thresholds are 0 and `retry.rounds` 0. */
  failFast?: boolean;
  /** The aggregation job run after every item has finished, when the input asked for one. */
  aggregate?: AggregateJob;
  /** Array path: the offset index of `manifest` (job/manifest-index.ts). */
  index?: { bucket: string; key: string };
  /** Array path: the jobs this execution submits, each covering `size` manifest lines from `start`. */
  arrays?: ArraySubmission[];
  /** Only in a retry execution's `$.prepared`: the run it re-runs (its own `runId`). */
  retryOf?: string;
  /** Only in a retry execution's `$.prepared`: how many items it claimed to re-run. */
  retriedItemCount?: number;
  /** Only in a resume execution's `$.prepared`: the run it finishes (its own `runId`). */
  resumeOf?: string;
  /** Only in a resume execution's `$.prepared`: how many items it runs (never started, or lost and idempotent). */
  resumedItemCount?: number;
}

/**
 * A run's fair-share options. A field the run does not set is absent, never null: Step Functions
 * refuses a null SubmitJob field, and the state machines test these with `IsPresent`.
 */
export interface JobScheduling {
  /** SubmitJob `ShareIdentifier`: the input's `shareIdentifier` (a queue with a fair-share policy). */
  shareIdentifier?: string;
  /** SubmitJob `SchedulingPriorityOverride`: the input's `schedulingPriority`, only with a share. */
  schedulingPriority?: number;
}

/** The aggregation job of a run, as the state machine submits it. */
export interface AggregateJob {
  /** `<runId>-aggregate`. */
  jobName: string;
  command: string[];
  /** The kwargs as JSON text: the job's `FANOUT_KWARGS`. */
  kwargs: string;
}

/** How a run's aggregation job ended, as Summarize records it on the header row (`aggregateOutcome`). */
export interface AggregateOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  jobName: string;
  jobId?: string;
  exitCode?: number;
  logStream?: string;
  error?: string;
  cause?: string;
}

/** The two ways a run fans out (docs/map-path.md, docs/array-path.md). */
export type RunPath = 'map' | 'array';

/**
 * One Batch job of the array path: an array job of `size` children (2..10,000), or a plain job
 * when `size` is 1 (Batch refuses arrays of one). Child i runs manifest line `start + i`.
 */
export interface ArraySubmission {
  jobName: string;
  start: number;
  size: number;
}

/** One execution that re-ran a run's failures (`retryOf`), as its header row lists them. */
export interface RetryLineage {
  executionArn: string;
  startedAt: string;
}

/** The header row of a run: what Prepare decided, and the final counts once Summarize ran. */
export interface RunHeaderRow extends PreparedRun {
  itemId: typeof RUN_HEADER_ITEM_ID;
  kind: 'run';
  status: RunStatus;
  executionName: string;
  stoppedAt?: string;
  counts?: StatusCounts;
  error?: { error: string; cause: string };
  /** Executions that re-ran this run's failures, oldest first. */
  retries?: RetryLineage[];
  /** How the aggregation job last ended (Summarize, Collect); absent when it did not run. */
  aggregateOutcome?: AggregateOutcome;
  /**
   * The run's commit point (docs/failure-points.md): false from the header's first write until
   * Prepare has written the manifest and every item row, then true. Runs prepared before the
   * commit point existed have no such attribute and count as planned.
   */
  planned?: boolean;
}

/** Counts of zero for every status. */
export function emptyCounts(): StatusCounts {
  return { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, retrying: 0, abandoned: 0 };
}
