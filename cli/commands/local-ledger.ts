import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FanoutConfig } from '../../config';
import { LocalDynamoDbError, startDynamoDb } from '../../local/dynamodb';

/** The ledger of a local state directory, read without the rest of the local cloud. */
export interface LocalLedger {
  client: DynamoDBClient;
  close(): Promise<void>;
}

/**
 * Opens the ledger of `dir` (`<dir>/dynamodb`) on a DynamoDB of its own, or returns undefined
 * when another process (a `fanout run` still running) holds the store: only one process can
 * open it at a time.
 * @example const ledger = await openLocalLedger('/home/me/.fanout', loadConfig()); ...; await ledger?.close();
 */
export async function openLocalLedger(dir: string, config: FanoutConfig): Promise<LocalLedger | undefined> {
  let dynamo: Awaited<ReturnType<typeof startDynamoDb>>;
  try {
    dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb') });
  } catch (error) {
    if (error instanceof LocalDynamoDbError && /only one process can open/.test(error.message)) return undefined;
    throw error;
  }
  const client = new DynamoDBClient({ region: config.region, endpoint: dynamo.url, credentials: dynamo.credentials });
  return {
    client,
    async close() {
      client.destroy();
      await dynamo.close();
    },
  };
}
