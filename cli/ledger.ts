import { randomUUID } from 'node:crypto';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AggregateOutcome,
  countRunStatuses,
  FAILED_ITEMS_INDEX,
  FAILED_RUN_ID_ATTRIBUTE,
  type ItemRow,
  type RetryLineage,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  type StatusCounts,
} from '../lambdas/shared/ledger';
import { resumeRun } from '../lambdas/shared/resume';

/** Counts a run's ledger rows by status (the header row excluded). */
export async function countRunItems(client: DynamoDBClient, tableName: string, runId: string): Promise<StatusCounts> {
  const { counts } = await countRunStatuses(DynamoDBDocumentClient.from(client), tableName, runId);
  return counts;
}

/** What the CLI shows of one failed item. */
export type FailedItem = Pick<
  ItemRow,
  'itemId' | 'exitCode' | 'statusReason' | 'error' | 'cause' | 'logStream' | 'jobId'
> &
  Partial<Pick<ItemRow, 'status' | 'attempt' | 'failureClass'>>;

/**
 * The first `limit` failed items of a run, in item order, read from the ledger's sparse
 * index of failures (so a large run with few failures costs a small query).
 */
export async function listFailedItems(
  client: DynamoDBClient,
  tableName: string,
  runId: string,
  limit: number,
): Promise<FailedItem[]> {
  const page = await DynamoDBDocumentClient.from(client).send(
    new QueryCommand({
      TableName: tableName,
      IndexName: FAILED_ITEMS_INDEX,
      KeyConditionExpression: '#failedRunId = :runId',
      ExpressionAttributeNames: { '#failedRunId': FAILED_RUN_ID_ATTRIBUTE },
      ExpressionAttributeValues: { ':runId': runId },
      Limit: limit,
    }),
  );
  return (page.Items ?? []) as FailedItem[];
}

/**
 * What a run's header row says about the executions after its first: the `fanout retry`
 * executions that re-ran it (oldest first) and how its aggregation job last ended, in one read.
 */
export async function readRunFollowUps(
  client: DynamoDBClient,
  tableName: string,
  runId: string,
): Promise<{ retries: RetryLineage[]; aggregate?: AggregateOutcome }> {
  const response = await DynamoDBDocumentClient.from(client).send(
    new GetCommand({
      TableName: tableName,
      Key: { runId, itemId: RUN_HEADER_ITEM_ID },
      ProjectionExpression: '#retries, #aggregateOutcome',
      ExpressionAttributeNames: { '#retries': 'retries', '#aggregateOutcome': 'aggregateOutcome' },
    }),
  );
  const header = response?.Item as
    | (Pick<RunHeaderRow, 'retries'> & { aggregateOutcome?: AggregateOutcome })
    | undefined;
  return {
    retries: header?.retries ?? [],
    ...(header?.aggregateOutcome ? { aggregate: header.aggregateOutcome } : {}),
  };
}

/**
 * After a run was stopped (Ctrl+C, `fanout cancel`), settles the rows its stopped children left
 * without an outcome, from what Batch knows of their jobs: a job that had succeeded is recorded
 * SUCCEEDED, a terminated one FAILED with class ABORTED (re-run later by `fanout retry` when
 * idempotent). Rows whose job never started stay PENDING. Returns how many rows became ABORTED.
 */
export async function settleStoppedRun(
  clients: { dynamodb: DynamoDBClient; s3: S3Client; batch: BatchClient },
  names: { tableName: string; bucket: string },
  runId: string,
): Promise<number> {
  const ledger = DynamoDBDocumentClient.from(clients.dynamodb);
  const header = (
    await ledger.send(new GetCommand({ TableName: names.tableName, Key: { runId, itemId: RUN_HEADER_ITEM_ID } }))
  ).Item as RunHeaderRow | undefined;
  // Stopped before Prepare wrote the run: no row to settle.
  if (!header) return 0;
  const settled = await resumeRun(
    { ledger, s3: clients.s3, batch: clients.batch, ...names, now: () => new Date(), newId: randomUUID },
    header,
    header.round,
    { settleOnly: true },
  );
  return settled.lostCount;
}
