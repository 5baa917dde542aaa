import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { listFailedItems } from '../run';
import { type CliIo, ExitCode } from './io';
import { FAILURES_SHOWN, formatFailures, formatSummary, type RunSummary } from './summary';

/** Where a run's ledger and logs are, to show its failed items. */
export interface RunLocation {
  ledger: DynamoDBClient;
  tableName: string;
  /** Where a person reads a job's log stream: a local log file, or the CloudWatch console page of the stream. */
  logLink(logStream: string): string;
  /** The options that point `fanout status` at the same run (`--dir .fanout`, `--aws --stack Fanout`), shown in hints. */
  statusFlags: string;
}

/**
 * Prints a run summary: one JSON line with `--json`, else the table and the first failed
 * items. Returns the exit code the summary means.
 */
export async function printRunSummary(
  io: CliIo,
  summary: RunSummary,
  json: boolean,
  location: RunLocation,
): Promise<number> {
  if (json) {
    io.out(JSON.stringify(summary));
  } else {
    io.out(formatSummary(summary));
    const failures = await listFailedItems(location.ledger, location.tableName, summary.runId, FAILURES_SHOWN);
    io.out(formatFailures(summary, failures, (logStream) => location.logLink(logStream), '', location.statusFlags));
  }
  return summary.status === 'SUCCEEDED' ? ExitCode.Succeeded : ExitCode.Failed;
}
