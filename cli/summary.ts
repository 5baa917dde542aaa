import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type FailedItem, failureReason, listFailedItems, type RunSummary } from '../run';
import { type Palette, paintStatus, palette } from './colour';
import { type CliIo, ExitCode } from './io';
import { commandPrefix } from './package-info';

/** How a run summary is shown: a table and the first failures for people, one JSON line for programs. */

/** A human-readable table of the summary. */
export function formatSummary(summary: RunSummary): string {
  const rows: Array<[string, string]> = [
    ['run', summary.runId],
    ['status', summary.status],
    ['items', String(summary.counts.total)],
    ['  succeeded', String(summary.counts.succeeded)],
    ['  failed', String(summary.counts.failed)],
    ['  pending', String(summary.counts.pending)],
  ];
  for (const key of ['running', 'retrying', 'abandoned'] as const) {
    if (summary.counts[key] > 0) rows.push([`  ${key}`, String(summary.counts[key])]);
  }
  if (summary.error) rows.push(['error', summary.error]);
  if (summary.aggregate) {
    const { status, jobName, exitCode } = summary.aggregate;
    rows.push(['aggregate', `${jobName} ${status}${exitCode === undefined ? '' : ` (exit ${exitCode})`}`]);
  }
  rows.push([
    'state transitions',
    summary.stateTransitions === null ? 'not reported' : String(summary.stateTransitions),
  ]);
  if (summary.durationSeconds !== null) rows.push(['duration', `${summary.durationSeconds.toFixed(1)}s`]);
  rows.push(['execution', summary.executionArn]);
  if (summary.retryOf) rows.push(['retry of', summary.retryOf]);
  if (summary.retriedItemCount !== undefined)
    rows.push([
      'retried items',
      summary.retriedItemCount === 0 ? '0 (nothing left to retry)' : String(summary.retriedItemCount),
    ]);
  for (const retry of summary.retries ?? [])
    rows.push(['retried by', `${retry.executionArn} (started ${retry.startedAt})`]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** The summary table with its status line's status coloured. */
function paintSummaryStatus(table: string, status: string, paint: Palette): string {
  return table.replace(
    new RegExp(`^(status +)${status}$`, 'm'),
    (_, label: string) => label + paintStatus(paint, status),
  );
}

/** How many failed items the human-readable summary lists. */
const FAILURES_SHOWN = 10;

/**
 * A few failed items with why they failed and where their log is, plus the commands to look
 * further; for people, not part of the `--json` contract. `statusFlags` point `fanout status`
 * at the run (`--aws --stack Fanout` for a deployed stack); by default `--dir <dir>`.
 */
export function formatFailures(
  summary: RunSummary,
  failures: readonly FailedItem[],
  logPath: (logStream: string) => string,
  dir: string,
  statusFlags = `--dir ${dir}`,
): string {
  const lines: string[] = [];
  if (failures.length > 0) {
    const shown =
      failures.length < summary.counts.failed ? ` (first ${failures.length} of ${summary.counts.failed})` : '';
    lines.push(`failed items${shown}:`);
    for (const item of failures) {
      const why = failureReason(item);
      const exit = item.exitCode === undefined || item.exitCode === null ? '' : ` exit ${item.exitCode}`;
      const notes = [
        item.failureClass,
        item.attempt !== undefined && item.attempt > 1 ? `attempt ${item.attempt}` : undefined,
        item.status !== undefined && item.status !== 'FAILED' ? item.status.toLowerCase() : undefined,
      ].filter(Boolean);
      const suffix = notes.length > 0 ? ` (${notes.join(', ')})` : '';
      lines.push(
        `  ${item.itemId}${exit}: ${why}${suffix}${item.logStream ? `\n    log: ${logPath(item.logStream)}` : ''}`,
      );
    }
  }
  lines.push(`details: ${commandPrefix()} status ${summary.runId} ${statusFlags} --json`);
  return lines.join('\n');
}

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
    io.out(paintSummaryStatus(formatSummary(summary), summary.status, palette(io.colour)));
    const failures = await listFailedItems(location.ledger, location.tableName, summary.runId, FAILURES_SHOWN);
    io.out(formatFailures(summary, failures, (logStream) => location.logLink(logStream), '', location.statusFlags));
  }
  return summary.status === 'SUCCEEDED' ? ExitCode.Succeeded : ExitCode.Failed;
}
