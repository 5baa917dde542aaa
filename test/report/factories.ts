import type { ExecutionRecord, JobTiming, ReportRow, ReportSources } from '../../report';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

/** Epoch milliseconds `seconds` after the runs' start. */
export const at = (seconds: number): number => T0 + seconds * 1000;
export const iso = (seconds: number): string => new Date(at(seconds)).toISOString();

/** An item row; SUCCEEDED with its times unless told otherwise. */
export function row(itemId: string, fields: Partial<ReportRow> = {}): ReportRow {
  return {
    itemId,
    status: 'SUCCEEDED',
    idempotent: true,
    attempt: 1,
    kwargs: JSON.stringify({ id: itemId }),
    jobId: `job-${itemId}`,
    startedAt: at(1),
    stoppedAt: at(3),
    exitCode: 0,
    ...fields,
  };
}

/** A failed row of an application error; its job's times come from Batch. */
export function failedRow(itemId: string, fields: Partial<ReportRow> = {}): ReportRow {
  const { startedAt: _s, stoppedAt: _t, ...base } = row(itemId);
  return {
    ...base,
    status: 'FAILED',
    exitCode: 3,
    failureClass: 'APP_ERROR',
    statusReason: 'Essential container in task exited',
    error: 'States.TaskFailed',
    logStream: `fanout-job/default/${itemId}`,
    ...fields,
  };
}

export function record(name: string, fields: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    name,
    runId: 'sweep',
    path: 'map',
    status: 'SUCCEEDED',
    error: null,
    cause: null,
    stateTransitions: 10,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:fanout-map:${name}`,
    startedAt: iso(0),
    stoppedAt: iso(10),
    durationSeconds: 10,
    ...fields,
  };
}

export function job(startSeconds: number, stopSeconds: number | undefined, fields: Partial<JobTiming> = {}): JobTiming {
  return {
    status: stopSeconds === undefined ? 'RUNNING' : 'FAILED',
    startedAt: at(startSeconds),
    ...(stopSeconds === undefined ? {} : { stoppedAt: at(stopSeconds) }),
    ...fields,
  };
}

/** `value` without the given fields, as a row or source that lacks them (not one holding undefined). */
export function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

export function sources(fields: Partial<ReportSources> = {}): ReportSources {
  return {
    runId: 'sweep',
    dir: '.fanout',
    records: [record('sweep')],
    rows: [],
    jobs: new Map(),
    now: new Date(at(60)),
    ...fields,
  };
}
