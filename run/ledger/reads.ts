import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AggregateOutcome,
  emptyCounts,
  FAILED_ITEMS_INDEX,
  FAILED_RUN_ID_ATTRIBUTE,
  type ItemRow,
  ItemStatus,
  type RetryLineage,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  type StatusCounts,
} from './schema';

/** The ledger queries the Lambdas, the CLI and the report share. */

/** Either client reads the ledger; the raw one is wrapped so rows come back as plain objects. */
export type LedgerClient = DynamoDBClient | DynamoDBDocumentClient;

const documentClient = (client: LedgerClient): DynamoDBDocumentClient =>
  client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);

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
  client: LedgerClient,
  tableName: string,
  runId: string,
  options: { sampleSize?: number } = {},
): Promise<RunStatusCounts> {
  const sampleSize = options.sampleSize ?? 10;
  const counts = emptyCounts();
  const pendingSample: string[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient(client).send(
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

/** What is shown of one failed item. */
export type FailedItem = Pick<
  ItemRow,
  'itemId' | 'exitCode' | 'statusReason' | 'error' | 'cause' | 'logStream' | 'jobId'
> &
  Partial<Pick<ItemRow, 'status' | 'attempt' | 'failureClass' | 'containerReason' | 'kwargs'>>;

/**
 * The first `limit` (default: all) failed items of a run, in item order, read from the ledger's sparse
 * index of failures (so a large run with few failures costs a small query).
 */
export async function listFailedItems(
  client: LedgerClient,
  tableName: string,
  runId: string,
  limit: number = Number.POSITIVE_INFINITY,
): Promise<FailedItem[]> {
  const items: FailedItem[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient(client).send(
      new QueryCommand({
        TableName: tableName,
        IndexName: FAILED_ITEMS_INDEX,
        KeyConditionExpression: '#failedRunId = :runId',
        ExpressionAttributeNames: { '#failedRunId': FAILED_RUN_ID_ATTRIBUTE },
        ExpressionAttributeValues: { ':runId': runId },
        ...(Number.isFinite(limit) ? { Limit: limit - items.length } : {}),
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    items.push(...((page.Items ?? []) as FailedItem[]));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey && items.length < limit);
  return items;
}

/**
 * What a run's header row says about the executions after its first: the `fanout retry`
 * executions that re-ran it (oldest first) and how its aggregation job last ended, in one read.
 */
export async function readRunFollowUps(
  client: LedgerClient,
  tableName: string,
  runId: string,
): Promise<{ retries: RetryLineage[]; aggregate?: AggregateOutcome }> {
  const response = await documentClient(client).send(
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
