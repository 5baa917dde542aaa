import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LedgerWriteError } from '../errors';
import {
  type AggregateOutcome,
  type RetryLineage,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  RunStatus,
  type StatusCounts,
} from './schema';

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

/**
 * The header row's first write (Prepare): only when the run id is new, or the header belongs to
 * this very execution, whose Prepare is being retried; an existing run is never overwritten.
 * @example new PutCommand(newRunHeaderPut('fanout-ledger', header))
 */
export function newRunHeaderPut(tableName: string, header: RunHeaderRow, abandonedBefore?: string) {
  const item = { ...header, planned: false };
  if (abandonedBefore === undefined) {
    return {
      TableName: tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#runId) OR #executionArn = :executionArn',
      ExpressionAttributeNames: { '#runId': 'runId', '#executionArn': 'executionArn' },
      ExpressionAttributeValues: { ':executionArn': header.executionArn },
      ReturnValues: 'ALL_OLD' as const,
    };
  }
  // A plan that was never committed, begun before `abandonedBefore`, was abandoned by its
  // process (a killed CLI, a Prepare past its Lambda timeout): the run starts afresh.
  return {
    TableName: tableName,
    Item: item,
    ConditionExpression:
      'attribute_not_exists(#runId) OR #executionArn = :executionArn OR (#planned = :false AND #createdAt < :abandonedBefore)',
    ExpressionAttributeNames: {
      '#runId': 'runId',
      '#executionArn': 'executionArn',
      '#planned': 'planned',
      '#createdAt': 'createdAt',
    },
    ExpressionAttributeValues: {
      ':executionArn': header.executionArn,
      ':false': false,
      ':abandonedBefore': abandonedBefore,
    },
    ReturnValues: 'ALL_OLD' as const,
  };
}

/**
 * The run's commit point: its manifest and every item row are written (docs/failure-points.md).
 * @example new UpdateCommand(plannedRunUpdate('fanout-ledger', 'sweep-7', executionArn))
 */
export function plannedRunUpdate(tableName: string, runId: string, executionArn: string) {
  return {
    TableName: tableName,
    Key: { runId, itemId: RUN_HEADER_ITEM_ID },
    UpdateExpression: 'SET #planned = :true',
    ConditionExpression: '#executionArn = :executionArn',
    ExpressionAttributeNames: { '#planned': 'planned', '#executionArn': 'executionArn' },
    ExpressionAttributeValues: { ':true': true, ':executionArn': executionArn },
  };
}

/**
 * Clears a run whose plan was never written (no manifest): only while it is still uncommitted.
 * @example new DeleteCommand(abandonedRunDelete('fanout-ledger', 'sweep-7'))
 */
export function abandonedRunDelete(tableName: string, runId: string) {
  return {
    TableName: tableName,
    Key: { runId, itemId: RUN_HEADER_ITEM_ID },
    ConditionExpression: '#planned = :false',
    ExpressionAttributeNames: { '#planned': 'planned' },
    ExpressionAttributeValues: { ':false': false },
  };
}

/**
 * An execution continues an earlier run (retry or resume): the header becomes RUNNING again and
 * lists the execution under `retries` or `resumes`.
 * @example new UpdateCommand(reopenedRunUpdate('fanout-ledger', 'sweep-7', 'retries', { executionArn, startedAt }))
 */
export function reopenedRunUpdate(
  tableName: string,
  runId: string,
  lineageList: 'retries' | 'resumes',
  lineage: RetryLineage,
) {
  return {
    TableName: tableName,
    Key: { runId, itemId: RUN_HEADER_ITEM_ID },
    UpdateExpression: `SET #status = :running, #${lineageList} = list_append(if_not_exists(#${lineageList}, :none), :lineage)`,
    ConditionExpression: 'attribute_exists(#runId)',
    ExpressionAttributeNames: { '#runId': 'runId', '#status': 'status', [`#${lineageList}`]: lineageList },
    ExpressionAttributeValues: { ':running': RunStatus.RUNNING, ':none': [], ':lineage': [lineage] },
  };
}

/**
 * A round with claimed items starts: the header shows the latest round that ran, and an older
 * claim never moves it back (the condition fails instead).
 * @example new UpdateCommand(roundRaisedUpdate('fanout-ledger', 'sweep-7', 3))
 */
export function roundRaisedUpdate(tableName: string, runId: string, round: number) {
  return {
    TableName: tableName,
    Key: { runId, itemId: RUN_HEADER_ITEM_ID },
    UpdateExpression: 'SET #round = :round',
    ConditionExpression: 'attribute_exists(#runId) AND #round < :round',
    ExpressionAttributeNames: { '#runId': 'runId', '#round': 'round' },
    ExpressionAttributeValues: { ':round': round },
  };
}
