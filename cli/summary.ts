import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AggregateOutcome, FailedItem, RetryLineage, RunPath, StatusCounts } from '../run';

/** Per-status item counts of a run; one key per ledger status plus `total`. */
export type RunCounts = StatusCounts;

/**
 * The run summary printed by `fanout run --json` and `fanout status --json` (the last
 * stdout line). Its shape is stable and documented in the README.
 */
export interface RunSummary {
  runId: string;
  /** `map` or `array`: the state machine that ran it (`fanout run --path`). */
  path: RunPath;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  counts: RunCounts;
  error: string | null;
  cause: string | null;
  /** Billed state transitions; null on AWS, which does not report them per execution (docs/deploy-cli.md). */
  stateTransitions: number | null;
  executionArn: string;
  startedAt: string;
  stoppedAt: string | null;
  durationSeconds: number | null;
  /** Only for an execution started by `fanout retry`: the run it re-ran (`runId` is that run's too). */
  retryOf?: string;
  /** Only for a retry execution that succeeded: how many items it re-ran (0: nothing was left to retry). */
  retriedItemCount?: number;
  /** Only when the run was retried: the executions of `fanout retry`, oldest first. */
  retries?: RetryLineage[];
  /** Only when the input has an aggregation job that ran: how it ended. */
  aggregate?: AggregateOutcome;
}

/** What is kept of a run after the process that ran it exits: `<dir>/runs/<runId>.json`. */
export type RunRecord = Omit<RunSummary, 'counts' | 'retries' | 'aggregate'>;

const recordPath = (dir: string, runId: string) => join(dir, 'runs', `${runId}.json`);

/** Writes a run record; a retry execution's record is named after the execution, not the run. */
export function writeRunRecord(dir: string, record: RunRecord, name: string = record.runId): void {
  mkdirSync(join(dir, 'runs'), { recursive: true });
  writeFileSync(recordPath(dir, name), `${JSON.stringify(record, null, 2)}\n`);
}

/** The record of a run (or of a retry execution, by its name), or undefined when none ran in `dir`. */
export function readRunRecord(dir: string, runId: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(dir, runId), 'utf8')) as RunRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

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

/** How many failed items the human-readable summary lists. */
export const FAILURES_SHOWN = 10;

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
      const why = item.statusReason || item.error || 'failed';
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
  lines.push(`details: npx fanout status ${summary.runId} ${statusFlags} --json`);
  return lines.join('\n');
}
