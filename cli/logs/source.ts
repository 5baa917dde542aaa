import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type FailedItem,
  type ItemRow,
  type LedgerClient,
  listFailedItems,
  RUN_HEADER_ITEM_ID,
  readRunFollowUps,
} from '../../run';

/** Where `fanout logs` finds a run's jobs and reads their output: the local state directory or CloudWatch Logs. */

/** One item (or the run's aggregation job) as `fanout logs` names it. */
export interface LoggedItem {
  itemId: string;
  /** The item's kwargs; null when not known (a run still running locally, the aggregation job). */
  kwargs: unknown;
  status: string;
  exitCode: number | null;
  /** Its job's log stream (of its latest attempt), once the job started. */
  logStream: string | undefined;
  /** Where a person opens the log: a file, or the CloudWatch console page. */
  logLink: string | undefined;
}

/** Where reading a log stream got to: a byte offset in a file, or CloudWatch's forward token. */
export type LogCursor = number | string | undefined;

export interface LogSource {
  /** The item, or undefined when the run has no item by that id. */
  item(itemId: string): Promise<LoggedItem | undefined>;
  /** Every item id of the run, to suggest the one meant when an id is not found; empty when unknown. */
  itemIds(): Promise<string[]>;
  /** The run's failed items, in item order. */
  failedItems(): Promise<LoggedItem[]>;
  /** Reads what the stream holds after `cursor`. */
  read(logStream: string, cursor: LogCursor): Promise<{ text: string; cursor: LogCursor }>;
  /** False once the run can write no more to its items' logs (following them stops). */
  running(): Promise<boolean>;
  close(): Promise<void>;
}

/** The aggregation job of a run is named `aggregate` when no item has that id. */
export const AGGREGATE_ITEM = 'aggregate';

/** Item statuses after which an item's job writes no more. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'ABANDONED']);

const kwargsOf = (text: string | undefined): unknown => {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** An item as the ledger row (or failed-items index entry) describes it. */
export function itemFromRow(row: ItemRow | FailedItem, logLink: (logStream: string) => string): LoggedItem {
  return {
    itemId: row.itemId,
    kwargs: kwargsOf(row.kwargs),
    status: row.status ?? 'FAILED',
    exitCode: row.exitCode ?? null,
    logStream: row.logStream,
    logLink: row.logStream ? logLink(row.logStream) : undefined,
  };
}

/** The item look-ups of a run from its ledger, shared by the local and AWS sources. */
export function ledgerItems(
  ledger: LedgerClient,
  table: string,
  runId: string,
  logLink: (logStream: string) => string,
): Pick<LogSource, 'item' | 'itemIds' | 'failedItems'> {
  const documents = ledger instanceof DynamoDBDocumentClient ? ledger : DynamoDBDocumentClient.from(ledger);
  return {
    async item(itemId) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: table, Key: { runId, itemId }, ConsistentRead: true }),
      );
      if (Item && itemId !== RUN_HEADER_ITEM_ID) return itemFromRow(Item as ItemRow, logLink);
      if (itemId !== AGGREGATE_ITEM) return undefined;
      const { aggregate } = await readRunFollowUps(ledger, table, runId);
      if (!aggregate) return undefined;
      return {
        itemId: AGGREGATE_ITEM,
        kwargs: null,
        status: aggregate.status,
        exitCode: aggregate.exitCode ?? null,
        logStream: aggregate.logStream,
        logLink: aggregate.logStream ? logLink(aggregate.logStream) : undefined,
      };
    },
    async itemIds() {
      const ids: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'runId = :r',
            ExpressionAttributeValues: { ':r': runId },
            ProjectionExpression: 'itemId',
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const row of page.Items ?? []) if (row.itemId !== RUN_HEADER_ITEM_ID) ids.push(String(row.itemId));
        start = page.LastEvaluatedKey;
      } while (start);
      return ids;
    },
    async failedItems() {
      return (await listFailedItems(ledger, table, runId)).map((row) => itemFromRow(row, logLink));
    },
  };
}
