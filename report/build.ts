import { retryDecision } from '../lambdas/shared';
import {
  type AggregateOutcome,
  type AttemptRecord,
  type ComputeConfig,
  currentRunStatus,
  type ExecutionStatus,
  emptyCounts,
  FailureClass,
  failedBeforeStart,
  failureReason,
  type ItemRow,
  type RunHeaderRow,
  type RunRecord,
  type StatusCounts,
  tallyItems,
} from '../run';
import { costSummaryOf } from './cost';
import { timingOf } from './executions';
import { shellWord } from './format';
import type {
  AggregateSummary,
  AttemptOutcome,
  ExecutionSummary,
  FailureEntry,
  FailureGroup,
  ReportModel,
  RetryAdvice,
  RetryVerdict,
  TimelineAttempt,
} from './model';
import { schedulingSummaryOf } from './scheduling';
import type { SourceSummary } from './source';

/** What the report reads of an item row; the rest of the row is not fetched. */
export type ReportRow = Pick<ItemRow, 'itemId' | 'status' | 'idempotent' | 'attempt' | 'kwargs'> &
  Partial<
    Pick<
      ItemRow,
      | 'jobId'
      | 'exitCode'
      | 'statusReason'
      | 'containerReason'
      | 'error'
      | 'failureClass'
      | 'logStream'
      | 'startedAt'
      | 'stoppedAt'
      | 'attempts'
    >
  >;

/** The ledger attributes a {@link ReportRow} needs (a Query's projection). */
export const REPORT_ROW_ATTRIBUTES = [
  'itemId',
  'status',
  'idempotent',
  'attempt',
  'kwargs',
  'jobId',
  'exitCode',
  'statusReason',
  'containerReason',
  'error',
  'failureClass',
  'logStream',
  'startedAt',
  'stoppedAt',
  'attempts',
] as const satisfies readonly (keyof ReportRow)[];

/** What Batch says of one job (DescribeJobs, or the local service's journal). */
export interface JobTiming {
  status: string;
  /** Epoch milliseconds. */
  startedAt?: number;
  stoppedAt?: number;
  exitCode?: number;
  logStream?: string;
  statusReason?: string;
}

/** The run's header row as the report reads it: Prepare's fields and Summarize's `aggregateOutcome`. */
export type ReportHeader = Partial<RunHeaderRow> & { aggregateOutcome?: AggregateOutcome };

/** A run record with the name of its file (`<dir>/runs/<name>.json`). */
export type ExecutionRecord = RunRecord & { name: string };

/** Everything a report is made from. */
export interface ReportSources {
  runId: string;
  /** The state directory as the user names it, for the retry command. @default '.fanout' */
  dir?: string;
  /**
   * The options that point `fanout retry` at the run: `--aws --stack Fanout --region eu-west-1`
   * for a deployed stack. @default `--dir <dir>`
   */
  targetFlags?: string;
  header?: ReportHeader;
  /** Run records of the run's executions, in any order. */
  records: readonly ExecutionRecord[];
  /** The run's item rows in item order, the header row left out. */
  rows: Iterable<ReportRow>;
  /** Jobs of attempts whose times are not in the row, and the aggregation job, by job id. */
  jobs: ReadonlyMap<string, JobTiming>;
  source?: SourceSummary;
  /** Where a log stream can be read; undefined: no link. */
  logUrl?: (logStream: string) => string | undefined;
  /** When the report is made. */
  now: Date;
  /** How the user runs fanout where they read the report: `npx fanout` inside a project. @default 'fanout' */
  commandPrefix?: string;
  /**
   * The compute environments, queues and job definitions (fanout.config.json) that size the
   * run's jobs for the compute estimate. @default - compute not estimated
   */
  computeConfig?: ComputeConfig;
}

/** Failed items listed per failure group; the group still counts all of them. */
export const FAILURE_ROWS_PER_GROUP = 100;

/** The `retry.maxAttempts` Prepare uses when the input does not say (docs/map-path.md). */
const DEFAULT_MAX_ATTEMPTS = 3;

const COUNT_KEY: Record<string, Exclude<keyof StatusCounts, 'total'>> = {
  PENDING: 'pending',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  RETRYING: 'retrying',
  ABANDONED: 'abandoned',
};

/**
 * Builds the report of a run from its sources. Pure: the same sources give the same model.
 * One pass over the rows; memory grows with the attempts drawn and the failures listed only.
 * @example renderReport(buildReportModel({ runId, dir: '.fanout', records, rows, jobs: new Map(), now: new Date() }))
 */
export function buildReportModel(sources: ReportSources): ReportModel {
  const { header } = sources;
  const maxAttempts = header?.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const counts = emptyCounts();
  const lanes: string[] = [];
  const attempts: TimelineAttempt[] = [];
  let undrawnAttempts = 0;
  let recoveredItems = 0;
  let itemRounds = 0;
  let failedWithoutStart = 0;
  const groups = new Map<string, FailureGroup>();
  const prefix = sources.commandPrefix ?? 'fanout';
  const targetFlags = sources.targetFlags ?? `--dir ${shellWord(sources.dir ?? '.fanout')}`;
  const retry: RetryAdvice = {
    command: `${prefix} retry ${sources.runId} ${targetFlags}`,
    failuresCommand: `${prefix} status ${sources.runId} ${targetFlags} --failures --json`,
    retryable: 0,
    notIdempotent: 0,
    outOfAttempts: 0,
    abandoned: 0,
  };

  for (const row of sources.rows) {
    counts.total += 1;
    const key = COUNT_KEY[row.status];
    if (key) counts[key] += 1;
    if (failedBeforeStart(row)) failedWithoutStart += 1;
    itemRounds += row.attempt;
    const history = row.attempts ?? [];
    if (row.status === 'SUCCEEDED' && history.length > 0) recoveredItems += 1;

    const drawn = attemptsOf(row, history, sources.jobs);
    undrawnAttempts += drawn.undrawn;
    if (drawn.bars.length > 0) {
      const lane = lanes.push(row.itemId) - 1;
      for (const bar of drawn.bars) attempts.push({ ...bar, lane });
    }

    if (row.status === 'FAILED' || row.status === 'ABANDONED') {
      const verdict = verdictOf(row, maxAttempts);
      if (verdict === 'retryable') retry.retryable += 1;
      else if (verdict === 'not-idempotent') retry.notIdempotent += 1;
      else if (verdict === 'out-of-attempts') retry.outOfAttempts += 1;
      else retry.abandoned += 1;
      addFailure(groups, row, verdict, sources.logUrl);
    }
  }

  const executions = [...sources.records]
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map((record) => executionSummary(record, sources.runId));
  const failureGroups = [...groups.values()].sort(
    (a, b) => b.count - a.count || a.failureClass.localeCompare(b.failureClass) || a.reason.localeCompare(b.reason),
  );
  const stateTransitions = executions.some((execution) => execution.stateTransitions === null)
    ? null
    : executions.reduce((sum, execution) => sum + (execution.stateTransitions ?? 0), 0);
  const latest = executions.at(-1);
  // The status model (docs/run-status.md): while the run goes on, the jobs drawn running are Batch's running jobs.
  const running = latest?.status === 'RUNNING';
  const live = { running: attempts.filter((attempt) => attempt.outcome === 'running').length };
  const items = tallyItems(counts, failedWithoutStart, running ? live : undefined);
  const latestExecution = (latest?.status ??
    (header?.status === 'RUNNING' ? 'RUNNING' : 'SUCCEEDED')) as ExecutionStatus;
  const path = header?.path ?? latest?.path ?? 'map';
  const aggregate = header?.aggregateOutcome
    ? aggregateSummary(header.aggregateOutcome, sources.jobs, sources.logUrl)
    : undefined;
  const costRun = {
    stateTransitions,
    itemRounds,
    executions: executions.length,
    rounds: header?.round ?? 1,
    retryExecutions: executions.filter((e) => e.kind !== 'run').length,
    retryRounds: header?.retry?.rounds ?? 0,
  };

  const timing = timingOf(executions);
  const scheduling = schedulingSummaryOf(header, attempts, timing.startedAt);
  return {
    runId: sources.runId,
    path,
    status: currentRunStatus({ header: header?.status, latestExecution, tally: items }),
    generatedAt: sources.now.toISOString(),
    input: {
      ...(sources.source ? { source: sources.source } : {}),
      itemCount: header?.itemCount ?? counts.total,
      ...pick(header, [
        'jobQueue',
        'jobDefinition',
        'command',
        'maxConcurrency',
        'toleratedFailurePercentage',
        'toleratedFailureCount',
        'retry',
        'idempotent',
        'failFast',
      ]),
    },
    counts,
    items,
    executions: executions.map(({ path: _path, ...execution }) => execution),
    timing,
    stateTransitions,
    cost: costSummaryOf(path, costRun, sources.computeConfig, header ?? {}, [
      ...attempts,
      ...(aggregate?.bar ? [aggregate.bar] : []),
    ]),
    lanes,
    attempts,
    undrawnAttempts,
    recoveredItems,
    failures: { total: counts.failed + counts.abandoned, groups: failureGroups },
    retry,
    ...(aggregate ? { aggregate } : {}),
    ...(scheduling ? { scheduling } : {}),
  };
}

/**
 * The aggregation job as Summarize recorded it, with what Batch still knows of it: its times
 * (its timeline bar) and status reason. A failed `.sync` job's recorded cause is its job detail
 * (JSON, cut when long): its `StatusReason` is read from it when Batch no longer has the job.
 */
function aggregateSummary(
  outcome: AggregateOutcome,
  jobs: ReadonlyMap<string, JobTiming>,
  logUrl: ReportSources['logUrl'],
): AggregateSummary {
  const job = outcome.jobId ? jobs.get(outcome.jobId) : undefined;
  const logStream = outcome.logStream || job?.logStream;
  const url = logStream ? logUrl?.(logStream) : undefined;
  const reason =
    outcome.status === 'FAILED' ? job?.statusReason || statusReasonOf(outcome.cause) || outcome.error : undefined;
  const exitCode = outcome.exitCode ?? job?.exitCode;
  return {
    status: outcome.status,
    jobName: outcome.jobName,
    ...(outcome.jobId ? { jobId: outcome.jobId } : {}),
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(reason ? { reason } : {}),
    ...(logStream ? { logStream } : {}),
    ...(url ? { logUrl: url } : {}),
    ...(job?.startedAt === undefined
      ? {}
      : {
          bar: {
            startedAt: job.startedAt,
            stoppedAt: job.stoppedAt ?? null,
            outcome: job.stoppedAt === undefined ? 'running' : outcome.status === 'SUCCEEDED' ? 'succeeded' : 'failed',
          },
        }),
  };
}

function statusReasonOf(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const reason = (JSON.parse(cause) as { StatusReason?: unknown }).StatusReason;
    return typeof reason === 'string' && reason !== '' ? reason : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The attempts of one row: its `attempts` history (earlier attempts), then its latest attempt
 * unless the history already holds it (an ABANDONED row's last failure is appended there) or it
 * has not run yet (PENDING, RETRYING).
 */
function attemptsOf(
  row: ReportRow,
  history: readonly AttemptRecord[],
  jobs: ReadonlyMap<string, JobTiming>,
): { bars: Omit<TimelineAttempt, 'lane'>[]; undrawn: number } {
  const bars: Omit<TimelineAttempt, 'lane'>[] = [];
  let undrawn = 0;
  for (const earlier of history) {
    const job = earlier.jobId ? jobs.get(earlier.jobId) : undefined;
    if (job?.startedAt === undefined) {
      undrawn += 1;
      continue;
    }
    bars.push({
      attempt: earlier.attempt,
      startedAt: job.startedAt,
      stoppedAt: job.stoppedAt ?? null,
      outcome: failedOutcome(earlier.failureClass, job),
      ...(earlier.failureClass ? { failureClass: earlier.failureClass } : {}),
      ...(job.exitCode === undefined ? {} : { exitCode: job.exitCode }),
    });
  }
  const ran = row.status === 'SUCCEEDED' || row.status === 'FAILED' || row.status === 'RUNNING';
  if (!ran || history.some((earlier) => earlier.attempt === row.attempt)) return { bars, undrawn };

  const job = row.jobId ? jobs.get(row.jobId) : undefined;
  const startedAt = row.startedAt ?? job?.startedAt;
  if (startedAt === undefined) return { bars, undrawn: undrawn + 1 };
  const stoppedAt = row.stoppedAt ?? job?.stoppedAt ?? null;
  const outcome: AttemptOutcome =
    row.status === 'SUCCEEDED'
      ? 'succeeded'
      : row.status === 'RUNNING'
        ? 'running'
        : failedOutcome(row.failureClass, job);
  bars.push({
    attempt: row.attempt,
    startedAt,
    stoppedAt,
    outcome,
    ...(row.failureClass ? { failureClass: row.failureClass } : {}),
    ...(row.exitCode === undefined ? {} : { exitCode: row.exitCode }),
  });
  return { bars, undrawn };
}

function failedOutcome(failureClass: string | undefined, job: JobTiming | undefined): AttemptOutcome {
  if (failureClass === FailureClass.ABORTED) return 'aborted';
  if (job && job.stoppedAt === undefined) return 'running';
  return 'failed';
}

function verdictOf(row: ReportRow, maxAttempts: number): RetryVerdict {
  if (row.status === 'ABANDONED') return 'abandoned';
  const decision = retryDecision(row, maxAttempts);
  return decision === 'claim' ? 'retryable' : decision === 'abandon' ? 'out-of-attempts' : 'not-idempotent';
}

function addFailure(
  groups: Map<string, FailureGroup>,
  row: ReportRow,
  verdict: RetryVerdict,
  logUrl: ReportSources['logUrl'],
): void {
  const failureClass = row.failureClass ?? FailureClass.UNKNOWN;
  const reason = failureReason(row);
  const key = `${failureClass}\u0000${reason}`;
  let group = groups.get(key);
  if (!group) {
    group = { failureClass, reason, count: 0, items: [] };
    groups.set(key, group);
  }
  group.count += 1;
  if (group.items.length >= FAILURE_ROWS_PER_GROUP) return;
  const url = row.logStream ? logUrl?.(row.logStream) : undefined;
  const entry: FailureEntry = {
    itemId: row.itemId,
    status: row.status,
    attempt: row.attempt,
    exitCode: row.exitCode ?? null,
    kwargs: row.kwargs,
    ...(row.error ? { error: row.error } : {}),
    ...(row.logStream ? { logStream: row.logStream } : {}),
    ...(url ? { logUrl: url } : {}),
    retry: verdict,
  };
  group.items.push(entry);
}

function executionSummary(record: ExecutionRecord, runId: string): ExecutionSummary & { path: string } {
  const name = record.executionArn.split(':').at(-1) || record.name;
  const kind = record.retryOf ? 'retry' : name.startsWith(`${runId}-resume-`) ? 'resume' : 'run';
  return {
    name,
    kind,
    path: record.path,
    status: record.status,
    startedAt: record.startedAt,
    stoppedAt: record.stoppedAt,
    durationSeconds: record.durationSeconds,
    stateTransitions: record.stateTransitions,
    error: record.error,
    ...(record.retriedItemCount === undefined ? {} : { retriedItemCount: record.retriedItemCount }),
  };
}

function pick<T extends object, K extends keyof T>(
  value: Partial<T> | undefined,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  if (!value) return picked;
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key] as T[K];
  return picked;
}
