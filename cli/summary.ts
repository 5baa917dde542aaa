import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// Only light modules: `fanout status` prints a summary without loading the AWS SDK.
import { failureReason } from '../run/ledger/failure-reason';
import type { FailedItem } from '../run/ledger/reads';
import type { RunSummary } from '../run/record';
import { runSucceeded } from '../run/status-model';
import { type Palette, paintStatus, palette } from './colour';
import { type CliIo, ExitCode } from './io';
import { commandPrefix } from './package-info';

/** How a run summary is shown: a table and the first failures for people, one JSON line for programs. */

/** A human-readable table of the summary. */
export function formatSummary(summary: RunSummary): string {
  const rows: Array<[string, string]> = [
    ['run', summary.runId],
    ['status', summary.status],
    ['items', String(summary.items.total)],
    ['  succeeded', String(summary.items.succeeded)],
    ['  failed', String(summary.items.failed)],
    ['  never started', String(summary.items.neverStarted)],
  ];
  // Queued and running items exist only while the run goes on.
  if (summary.status === 'RUNNING' || summary.items.queued + summary.items.running > 0) {
    rows.push(['  queued', String(summary.items.queued)], ['  running', String(summary.items.running)]);
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
  rows.push(['execution', `${summary.executionArn} (${summary.executionStatus})`]);
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
    const failed = summary.counts.failed + summary.counts.abandoned;
    const shown = failures.length < failed ? ` (first ${failures.length} of ${failed})` : '';
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

/** Where a person reads a run's logs and the flags that find the run again, for the human-readable summary. */
export type SummaryHints = Pick<RunLocation, 'logLink' | 'statusFlags'>;

/**
 * Prints a run summary: one JSON line with `--json`, else the table and the first failed items
 * (`failures`, read by the caller). Returns the exit code the summary means: 0 when the run
 * succeeded or completed within its tolerated failures, 1 otherwise.
 */
export function printRunSummary(
  io: CliIo,
  summary: RunSummary,
  json: boolean,
  hints: SummaryHints,
  failures: readonly FailedItem[],
): number {
  if (json) {
    io.out(JSON.stringify(summary));
  } else {
    io.out(paintSummaryStatus(formatSummary(summary), summary.status, palette(io.colour)));
    io.out(formatFailures(summary, failures, (logStream) => hints.logLink(logStream), '', hints.statusFlags));
  }
  return runSucceeded(summary.status) ? ExitCode.Succeeded : ExitCode.Failed;
}
