import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../config';
import { startDynamoDb } from '../../local/dynamodb';
import { type CliIo, CliError } from '../io';
import { countRunItems } from '../ledger';
import { printRunSummary } from '../report';
import { readRunRecord, type RunSummary } from '../summary';

export interface StatusOptions {
  runId: string;
  dir?: string;
  json?: boolean;
}

/**
 * `fanout status RUNID`: the run summary from the run's record and its ledger rows,
 * read after the process that ran it has exited. Exit code 0 when the run succeeded.
 */
export async function statusCommand(options: StatusOptions, io: CliIo): Promise<number> {
  const dir = resolve(options.dir ?? '.fanout');
  const record = readRunRecord(dir, options.runId);
  if (!record) throw new CliError(`no run "${options.runId}" in ${dir}`);
  const config = loadConfig();
  const dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb') });
  const client = new DynamoDBClient({
    region: config.region,
    endpoint: dynamo.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const counts = await countRunItems(client, config.ledgerTable, options.runId);
    const summary: RunSummary = { ...record, counts };
    return await printRunSummary(io, summary, options.json ?? false, {
      ledger: client,
      tableName: config.ledgerTable,
      dir: options.dir ?? '.fanout',
      stateDir: dir,
    });
  } finally {
    client.destroy();
    await dynamo.close();
  }
}
