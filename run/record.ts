import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AggregateOutcome, RetryLineage, RunPath, StatusCounts } from './ledger';

/** What a run is once it ran: its summary, and the record kept of it in the state folder. */

/**
 * The run summary printed by `fanout run --json` and `fanout status --json` (the last
 * stdout line). Its shape is stable and documented in the README.
 */
export interface RunSummary {
  runId: string;
  /** `map` or `array`: the state machine that ran it (`fanout run --path`). */
  path: RunPath;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** Item counts per ledger status, plus `total`. */
  counts: StatusCounts;
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
