import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { failedBeforeStart } from '../status-model';
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
  type RunStatus,
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
  /** FAILED or ABANDONED rows whose latest attempt never ran a job (`failedBeforeStart`, run/status-model.ts). */
  failedWithoutStart: number;
}

/**
 * Counts a run's items by status with a paginated Query that reads only the key, the status
 * and what tells a failure that never ran (the header row is excluded by the key condition, `#`
 * sorting before every item id).
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
  let failedWithoutStart = 0;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient(client).send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#runId = :runId AND #itemId > :header',
        ExpressionAttributeNames: {
          '#runId': 'runId',
          '#itemId': 'itemId',
          '#status': 'status',
          '#failureClass': 'failureClass',
          '#logStream': 'logStream',
        },
        ExpressionAttributeValues: { ':runId': runId, ':header': RUN_HEADER_ITEM_ID },
        ProjectionExpression: '#itemId, #status, #failureClass, #logStream',
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    for (const row of page.Items ?? []) {
      const key = COUNT_KEY[row.status as ItemStatus];
      counts.total += 1;
      if (key) counts[key] += 1;
      if (failedBeforeStart(row as { status: string })) failedWithoutStart += 1;
      if (row.status === ItemStatus.PENDING && pendingSample.length < sampleSize)
        pendingSample.push(String(row.itemId));
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return { counts, pendingSample, failedWithoutStart };
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

/** What a run's header row says beyond Prepare's plan, as `readRunFollowUps` reads it. */
export interface RunFollowUps {
  /** The header's status: final once Summarize (or Collect) of the latest execution ran; undefined without a header. */
  status?: RunStatus;
  /** The `fanout retry` executions that re-ran the run, oldest first. */
  retries: RetryLineage[];
  /** The `fanout resume` executions that finished the run, oldest first. */
  resumes: RetryLineage[];
  /** How its aggregation job last ended. */
  aggregate?: AggregateOutcome;
}

/**
 * What a run's header row says about the executions after its first, in one read: its status,
 * the `fanout retry` and `fanout resume` executions that continued it (oldest first) and how
 * its aggregation job last ended.
 */
export async function readRunFollowUps(client: LedgerClient, tableName: string, runId: string): Promise<RunFollowUps> {
  const response = await documentClient(client).send(
    new GetCommand({
      TableName: tableName,
      Key: { runId, itemId: RUN_HEADER_ITEM_ID },
      ProjectionExpression: '#status, #retries, #resumes, #aggregateOutcome',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#retries': 'retries',
        '#resumes': 'resumes',
        '#aggregateOutcome': 'aggregateOutcome',
      },
    }),
  );
  const header = response?.Item as
    | (Pick<RunHeaderRow, 'retries' | 'status'> & { resumes?: RetryLineage[]; aggregateOutcome?: AggregateOutcome })
    | undefined;
  return {
    ...(header?.status ? { status: header.status } : {}),
    retries: header?.retries ?? [],
    resumes: header?.resumes ?? [],
    ...(header?.aggregateOutcome ? { aggregate: header.aggregateOutcome } : {}),
  };
}
