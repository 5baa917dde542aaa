import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AggregateOutcome, RetryLineage, RunFollowUps, RunPath, StatusCounts } from './ledger';
import {
  currentRunStatus,
  type ExecutionStatus,
  type ItemTally,
  type LiveJobs,
  type RunState,
  tallyItems,
} from './status-model';

/** What a run is once it ran: its summary, and the record kept of it in the state folder. */

/** What is kept of one execution of a run after the process that ran it exits: `<dir>/runs/<name>.json`. */
export interface RunRecord {
  runId: string;
  /** `map` or `array`: the state machine that ran it (`fanout run --path`). */
  path: RunPath;
  /** The execution's own status (DescribeExecution). */
  status: ExecutionStatus;
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
}

/**
 * The run summary printed by `fanout run --json` and `fanout status --json` (the last stdout
 * line): the execution it names (`executionArn`, times, `error`) and the run's current state
 * in the status model (run/status-model.ts). Its shape is stable and documented in
 * docs/run-status.md.
 */
export interface RunSummary extends Omit<RunRecord, 'status'> {
  /** The run's current status across all its executions (`currentRunStatus`). */
  status: RunState;
  /** The status of the execution `executionArn` names. */
  executionStatus: ExecutionStatus;
  /** Items by what happened to them; every item in exactly one count. */
  items: ItemTally;
  /** Item counts per ledger status, plus `total`. */
  counts: StatusCounts;
  /** Only when the run was retried: the executions of `fanout retry`, oldest first. */
  retries?: RetryLineage[];
  /** Only when the input has an aggregation job that ran: how it ended. */
  aggregate?: AggregateOutcome;
}

/** What the ledger says of a run, as the summary needs it. */
export interface RunLedgerFacts {
  counts: StatusCounts;
  /** FAILED or ABANDONED rows whose job never ran (`failedBeforeStart`). */
  failedWithoutStart: number;
  followUps: RunFollowUps;
}

/**
 * The summary of a run from the record of one of its executions, what the ledger says of it, and
 * the status of its latest execution (the run's own, a retry or a resume). `live` is what Batch
 * says of its jobs while the latest execution runs. A retry execution's summary lists no retries.
 * @example runSummaryOf(record, facts, record.status)
 */
export function runSummaryOf(
  record: RunRecord,
  facts: RunLedgerFacts,
  latestExecution: ExecutionStatus,
  live?: LiveJobs,
): RunSummary {
  const running = latestExecution === 'RUNNING';
  const items = tallyItems(facts.counts, facts.failedWithoutStart, running ? (live ?? { running: 0 }) : undefined);
  const { retries, aggregate } = facts.followUps;
  const { runId, path, status: executionStatus, ...execution } = record;
  return {
    runId,
    path,
    status: currentRunStatus({ header: facts.followUps.status, latestExecution, tally: items }),
    executionStatus,
    items,
    counts: facts.counts,
    ...execution,
    ...(!record.retryOf && retries.length > 0 ? { retries } : {}),
    ...(aggregate ? { aggregate } : {}),
  };
}

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

/**
 * The records of a run's executions kept in `dir`, oldest first: its own (or, once resumed, its
 * resume's: `<runId>.json`) and its retry executions' (`<runId>-retry-<n>.json`).
 */
export function readRunExecutions(dir: string, runId: string): RunRecord[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'runs'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const retryName = new RegExp(`^${runId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-retry-\\d+\\.json$`);
  return names
    .filter((name) => name === `${runId}.json` || retryName.test(name))
    .map((name) => readRunRecord(dir, name.slice(0, -'.json'.length)))
    .filter((record): record is RunRecord => record?.runId === runId)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * The run's latest execution among those a ledger header lists (`retries`, `resumes`) and the
 * one already at hand: its ARN, to ask Step Functions how it is.
 */
export function latestExecutionArn(
  known: Pick<RunRecord, 'executionArn' | 'startedAt'>,
  followUps: RunFollowUps,
): string {
  let latest = { executionArn: known.executionArn, startedAt: known.startedAt };
  for (const lineage of [...followUps.retries, ...followUps.resumes])
    if (lineage.startedAt >= latest.startedAt) latest = lineage;
  return latest.executionArn;
}
