import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { RUN_HEADER_ITEM_ID, type RunHeaderRow } from '../run';
import type { Target } from './targets';

/** A run's header row in the target's ledger (consistent read), or undefined when the run has none. */
export async function readLedgerHeader(target: Target, runId: string): Promise<RunHeaderRow | undefined> {
  const ledger = DynamoDBDocumentClient.from(target.clients.dynamodb);
  const { Item } = await ledger.send(
    new GetCommand({
      TableName: target.names.ledgerTable,
      Key: { runId, itemId: RUN_HEADER_ITEM_ID },
      ConsistentRead: true,
    }),
  );
  return Item as RunHeaderRow | undefined;
}
