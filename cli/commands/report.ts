import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../config';
import type { LocalCloud } from '../../local/cloud';
import { startDynamoDb } from '../../local/dynamodb';
import { describeSource, journalJobTimes, readExecutionRecords, saveSourceSummary, writeRunReport } from '../../report';
import { type CliIo, CliError, ExitCode } from '../io';
import { readRunRecord } from '../summary';

export interface ReportOptions {
  runId: string;
  dir?: string;
  /** @default `<dir>/reports/<runId>.html` */
  out?: string;
}

/**
 * `fanout report RUNID`: writes the run's HTML report (docs/report.md) from its ledger rows,
 * its run records (retries included) and the local Batch service's job journal, and prints
 * `report: <path>`. RUNID may name a retry execution: the report is its run's.
 */
export async function reportCommand(options: ReportOptions, io: CliIo): Promise<number> {
  const dirLabel = options.dir ?? '.fanout';
  const stateDir = resolve(dirLabel);
  const runId = readRunRecord(stateDir, options.runId)?.retryOf ?? options.runId;
  if (readExecutionRecords(stateDir, runId).length === 0) throw new CliError(`no run "${options.runId}" in ${dirLabel}`);
  const config = loadConfig();
  const dynamo = await startDynamoDb({ dir: join(stateDir, 'dynamodb') });
  const ledger = new DynamoDBClient({ region: config.region, endpoint: dynamo.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const path = await writeRunReport({
      ledger,
      tableName: config.ledgerTable,
      runId,
      stateDir,
      dirLabel,
      jobTimes: journalJobTimes(stateDir),
      ...(options.out ? { out: resolve(options.out) } : {}),
    });
    io.out(`report: ${path}`);
    return ExitCode.Succeeded;
  } finally {
    ledger.destroy();
    await dynamo.close();
  }
}

/**
 * Writes the report at the end of a local `run`, `retry` or `resume` and returns its path; a
 * report that cannot be written is a warning on stderr, never a failed run. The input's item
 * source is kept for later reports, since the ledger does not keep it.
 */
export async function writeReportAfterRun(cloud: LocalCloud, plan: { runId: string; input: unknown }, dirLabel: string, io: CliIo): Promise<string | undefined> {
  try {
    const source = describeSource(plan.input);
    if (source) saveSourceSummary(cloud.dir, plan.runId, source);
    return await writeRunReport({
      ledger: cloud.clients.dynamodb,
      tableName: cloud.config.ledgerTable,
      runId: plan.runId,
      stateDir: cloud.dir,
      dirLabel,
      jobTimes: journalJobTimes(cloud.dir),
    });
  } catch (error) {
    io.err(`fanout: the run's report was not written: ${(error as Error).message}`);
    return undefined;
  }
}
