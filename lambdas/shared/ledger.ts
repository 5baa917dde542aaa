import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LedgerWriteError } from './errors';

/**
 * The run ledger (DESIGN §4): one DynamoDB table, partition `runId`, sort `itemId`, one header
 * row per run plus one row per item. Writes after the first are conditional (see
 * docs/map-path.md) so that a late or duplicate writer never moves an item backwards.
 */

/** Item statuses. SUCCEEDED is final; ABANDONED marks a failure that will not be retried. */
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
  /** The container exited with a non-zero code. */
  APP_ERROR: 'APP_ERROR',
  /** A `Batch.<Code>` API error: the job never started, so re-running it is safe for any item. */
  SUBMIT_ERROR: 'SUBMIT_ERROR',
  /** The job was terminated because its Map Run failed or the run was cancelled. */
  ABORTED: 'ABORTED',
  /** Anything else (a failed job without an exit code or known reason, permissions, timeouts of the task itself). */
  UNKNOWN: 'UNKNOWN',
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

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
}

/** Counts of zero for every status. */
export function emptyCounts(): StatusCounts {
  return { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, retrying: 0, abandoned: 0 };
}

const COUNT_KEY: Record<ItemStatus, Exclude<keyof StatusCounts, 'total'>> = {
  PENDING: 'pending',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  RETRYING: 'retrying',
  ABANDONED: 'abandoned',
};

/** Result of `countRunStatuses`. */
export interface RunStatusCounts {
  counts: StatusCounts;
  /** Up to `sampleSize` ids of items still PENDING, in key order. */
  pendingSample: string[];
}

/**
 * Counts a run's items by status with a paginated Query that reads only the status and the
 * key (the header row is excluded by the key condition, `#` sorting before every item id).
 * @example const { counts } = await countRunStatuses(doc, 'fanout-ledger', 'sweep-7')
 */
export async function countRunStatuses(
  client: DynamoDBDocumentClient,
  tableName: string,
  runId: string,
  options: { sampleSize?: number } = {},
): Promise<RunStatusCounts> {
  const sampleSize = options.sampleSize ?? 10;
  const counts = emptyCounts();
  const pendingSample: string[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#runId = :runId AND #itemId > :header',
        ExpressionAttributeNames: { '#runId': 'runId', '#itemId': 'itemId', '#status': 'status' },
        ExpressionAttributeValues: { ':runId': runId, ':header': RUN_HEADER_ITEM_ID },
        ProjectionExpression: '#itemId, #status',
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    for (const row of page.Items ?? []) {
      const key = COUNT_KEY[row.status as ItemStatus];
      counts.total += 1;
      if (key) counts[key] += 1;
      if (row.status === ItemStatus.PENDING && pendingSample.length < sampleSize)
        pendingSample.push(String(row.itemId));
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return { counts, pendingSample };
}

/** Waits between write attempts; tests inject one that does not sleep. */
export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PutRowsOptions {
  /** Parallel BatchWriteItem calls; default 8. */
  concurrency?: number;
  /** Attempts per chunk before giving up; default 10. */
  maxAttempts?: number;
  sleep?: Sleep;
  /** Uniform in [0, 1); the backoff uses full jitter. */
  random?: () => number;
}

const BATCH_WRITE_LIMIT = 25;
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 5000;

/**
 * Puts rows with BatchWriteItem in chunks of 25, re-sending UnprocessedItems with
 * exponential backoff and full jitter until every row is written.
 * @throws LedgerWriteError when a chunk still has unprocessed rows after `maxAttempts`.
 */
export async function putRows(
  client: DynamoDBDocumentClient,
  tableName: string,
  rows: readonly Record<string, unknown>[],
  options: PutRowsOptions = {},
): Promise<void> {
  const concurrency = options.concurrency ?? 8;
  const maxAttempts = options.maxAttempts ?? 10;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  let next = 0;

  const writeChunk = async (start: number): Promise<void> => {
    let requests = rows.slice(start, start + BATCH_WRITE_LIMIT).map((row) => ({ PutRequest: { Item: row } }));
    for (let attempt = 1; ; attempt += 1) {
      const response = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      const unprocessed = response.UnprocessedItems?.[tableName] ?? [];
      if (unprocessed.length === 0) return;
      if (attempt >= maxAttempts) {
        throw new LedgerWriteError(
          `ledger ${tableName} left ${unprocessed.length} of ${requests.length} rows unprocessed after ${maxAttempts} attempts (rows from position ${start})`,
        );
      }
      requests = unprocessed as typeof requests;
      await sleep(Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)));
    }
  };

  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const start = next;
      next += BATCH_WRITE_LIMIT;
      await writeChunk(start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(rows.length / BATCH_WRITE_LIMIT)) }, worker));
}

/** What a run ended with, as its header row records it. */
export interface RunOutcome {
  status: RunStatus;
  counts: StatusCounts;
  stoppedAt: string;
  /** Absent when the run did not fail; the header's earlier error is then removed. */
  error?: { error: string; cause: string } | undefined;
  aggregate?: AggregateOutcome | undefined;
}

/**
 * The one write that ends a run (Summarize on the map path, Collect on the array path): status,
 * counts, stop time, error and the aggregation job's outcome on the header row.
 * @example new UpdateCommand(runOutcomeUpdate('fanout-ledger', 'sweep-7', { status, counts, stoppedAt }))
 */
export function runOutcomeUpdate(tableName: string, runId: string, outcome: RunOutcome) {
  const { error, aggregate } = outcome;
  return {
    TableName: tableName,
    Key: { runId, itemId: RUN_HEADER_ITEM_ID },
    UpdateExpression:
      `SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt${error ? ', #error = :error' : ''}${aggregate ? ', #aggregateOutcome = :aggregate' : ''}` +
      `${error ? '' : ' REMOVE #error'}`,
    ConditionExpression: 'attribute_exists(#runId)',
    ExpressionAttributeNames: {
      '#runId': 'runId',
      '#status': 'status',
      '#counts': 'counts',
      '#stoppedAt': 'stoppedAt',
      '#error': 'error',
      ...(aggregate ? { '#aggregateOutcome': 'aggregateOutcome' } : {}),
    },
    ExpressionAttributeValues: {
      ':status': outcome.status,
      ':counts': outcome.counts,
      ':stoppedAt': outcome.stoppedAt,
      ...(error ? { ':error': error } : {}),
      ...(aggregate ? { ':aggregate': aggregate } : {}),
    },
  };
}
