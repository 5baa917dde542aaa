import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../config';
import { startDynamoDb } from '../../local/dynamodb';
import { type CliIo, CliError } from '../io';
import { countRunItems, readRunAggregate, readRunRetries } from '../ledger';
import { printRunSummary } from '../report';
import { readRunRecord, type RunSummary } from '../summary';

export interface StatusOptions {
  runId: string;
  dir?: string;
  json?: boolean;
}

/**
 * `fanout status RUNID`: the run summary from the run's record and its ledger rows,
 * read after the process that ran it has exited, with the executions that retried it.
 * RUNID may also name a retry execution (`<runId>-retry-<n>`). Exit code 0 when it succeeded.
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
    // A retry execution's record names the run it re-ran: the counts are that run's rows.
    const counts = await countRunItems(client, config.ledgerTable, record.runId);
    const retries = record.retryOf ? [] : await readRunRetries(client, config.ledgerTable, record.runId);
    const aggregate = await readRunAggregate(client, config.ledgerTable, record.runId);
    const summary: RunSummary = { ...record, counts, ...(retries.length > 0 ? { retries } : {}), ...(aggregate ? { aggregate } : {}) };
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
