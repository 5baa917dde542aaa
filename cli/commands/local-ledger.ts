import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FanoutConfig } from '../../config';
import { LocalDynamoDbError, startDynamoDb } from '../../local/dynamodb';
import { type RunLedgerView, readRunLedgerView } from '../../run/ledger-view';
import { CliError, ExitCode } from '../io';
import { beginLedgerUse } from '../ledger-snapshot';
import { commandLine, holdStateDir } from '../state-lock';

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

/**
 * Reads the views of runs from the ledger of `dir` (`readRunLedgerView`) while holding the
 * folder (`<dir>/writer.lock`), and keeps them in the ledger snapshot so the next `status` or
 * `list` of these runs does not start DynamoDB. Undefined when another process holds the folder
 * or the store.
 */
export async function readLocalLedgerViews(
  dir: string,
  config: FanoutConfig,
  runIds: readonly string[],
): Promise<Map<string, RunLedgerView> | undefined> {
  let release: () => void;
  try {
    release = holdStateDir(dir, commandLine());
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.Busy) return undefined;
    throw error;
  }
  try {
    // Reading writes nothing: every run's kept view stays good once the store is closed.
    const use = beginLedgerUse(dir, []);
    const ledger = await openLocalLedger(dir, config);
    if (!ledger) return undefined;
    const views = new Map<string, RunLedgerView>();
    try {
      for (const runId of runIds) views.set(runId, await readRunLedgerView(ledger.client, config.ledgerTable, runId));
    } finally {
      await ledger.close();
    }
    for (const [runId, view] of views) use.keep(runId, view);
    use.end();
    return views;
  } finally {
    release();
  }
}
