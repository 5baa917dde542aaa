import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../config';
import { logFileFor } from '../../local/batch';
import { ensureTable, startDynamoDb } from '../../local/dynamodb';
import { type ItemRow, ledgerTableDefinition, type RunRecord, writeRunRecord } from '../../run';

/**
 * A local state directory as runs leave it, for the commands that read one (`list`, `logs`):
 * run records, ledger rows in the directory's own DynamoDB store, and job log files.
 */

export const ledgerTable = loadConfig().ledgerTable;

/** The record `fanout run` keeps of an execution that ended. */
export function runRecord(runId: string, fields: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    path: 'map',
    status: 'SUCCEEDED',
    error: null,
    cause: null,
    stateTransitions: 18,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:fanout-map:${runId}`,
    startedAt: '2026-03-02T10:00:00.000Z',
    stoppedAt: '2026-03-02T10:00:12.500Z',
    durationSeconds: 12.5,
    ...fields,
  };
}

/** An item row as the ledger holds it after the item's job ended. */
export function itemRow(runId: string, itemId: string, fields: Partial<ItemRow> = {}): ItemRow {
  return {
    runId,
    itemId,
    status: 'SUCCEEDED',
    idempotent: true,
    attempt: 1,
    round: 1,
    jobName: `${runId}-${itemId}`,
    kwargs: JSON.stringify({ seed: itemId }),
    createdAt: '2026-03-02T10:00:00.000Z',
    exitCode: 0,
    logStream: `fanout-job/default/${runId}-${itemId}`,
    ...fields,
  };
}

/** Writes records, ledger rows (failed rows also in the failed-items index) and log files into `dir`. */
export async function writeLocalState(
  dir: string,
  state: { records?: Array<[string, RunRecord]>; rows?: ItemRow[]; logs?: Record<string, string> },
): Promise<void> {
  for (const [name, record] of state.records ?? []) writeRunRecord(dir, record, name);
  for (const [logStream, text] of Object.entries(state.logs ?? {})) {
    const file = logFileFor(dir, logStream);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  const dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb') });
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials: dynamo.credentials });
  try {
    await ensureTable(client, ledgerTableDefinition(ledgerTable));
    const rows = (state.rows ?? []).map((row) => (row.status === 'FAILED' ? { ...row, failedRunId: row.runId } : row));
    for (let start = 0; start < rows.length; start += 25) {
      await DynamoDBDocumentClient.from(client).send(
        new BatchWriteCommand({
          RequestItems: { [ledgerTable]: rows.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
  } finally {
    client.destroy();
    await dynamo.close();
  }
}
