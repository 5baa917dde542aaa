import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RunRecord } from '../cli/summary';
import { RUN_HEADER_ITEM_ID, type RunHeaderRow } from '../lambdas/shared/ledger';
import { logFileFor } from '../local/batch';
import { readJournal } from '../local/batch/journal';
import { buildReportModel, type ExecutionRecord, type JobTiming, REPORT_ROW_ATTRIBUTES, type ReportRow } from './build';
import { renderReport } from './render';
import { readSourceSummary } from './source';

/** Looks up Batch's times of jobs by id; ids Batch does not know are left out of the answer. */
export type JobTimesSource = (jobIds: readonly string[]) => Promise<Map<string, JobTiming>>;

/**
 * Job times from the local Batch service's journal (`<stateDir>/batch/jobs.journal.jsonl`,
 * docs/local-batch.md "Journal"): read from disk, so it works after the service has stopped.
 */
export function journalJobTimes(stateDir: string): JobTimesSource {
  return async (jobIds) => {
    const wanted = new Set(jobIds);
    const found = new Map<string, JobTiming>();
    for (const job of readJournal(join(stateDir, 'batch'))) {
      if (!wanted.has(job.jobId)) continue;
      found.set(job.jobId, {
        status: job.status,
        ...(job.startedAt === undefined ? {} : { startedAt: job.startedAt }),
        ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
        ...(job.exitCode === undefined ? {} : { exitCode: job.exitCode }),
        ...(job.logStreamName === undefined ? {} : { logStream: job.logStreamName }),
      });
    }
    return found;
  };
}

/** DescribeJobs takes at most 100 job ids per call (Batch API reference, DescribeJobs). */
export const DESCRIBE_JOBS_LIMIT = 100;

/**
 * Job times from Batch's DescribeJobs, 100 ids per call: what a report of a run on AWS uses
 * (Batch keeps finished jobs for about a week; older attempts are then not drawn).
 */
export function describeJobsTimes(batch: BatchClient): JobTimesSource {
  return async (jobIds) => {
    const found = new Map<string, JobTiming>();
    for (let start = 0; start < jobIds.length; start += DESCRIBE_JOBS_LIMIT) {
      const { jobs } = await batch.send(new DescribeJobsCommand({ jobs: jobIds.slice(start, start + DESCRIBE_JOBS_LIMIT) }));
      for (const job of jobs ?? []) {
        if (!job.jobId || !job.status) continue;
        found.set(job.jobId, {
          status: job.status,
          ...(job.startedAt === undefined ? {} : { startedAt: job.startedAt }),
          ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
          ...(job.container?.exitCode === undefined ? {} : { exitCode: job.container.exitCode }),
          ...(job.container?.logStreamName === undefined ? {} : { logStream: job.container.logStreamName }),
        });
      }
    }
    return found;
  };
}

/** Links to the local log file of a stream (`logFileFor` of the local Batch service). */
export function localLogUrl(stateDir: string): (logStream: string) => string | undefined {
  return (logStream) => {
    try {
      return pathToFileURL(logFileFor(stateDir, logStream)).href;
    } catch {
      // A stream name that is not a relative path has no local file.
      return undefined;
    }
  };
}

/**
 * The run records of a run's executions in `<stateDir>/runs`: the run's own and those of its
 * retries (`<runId>-retry-<n>.json`). Only files named after the run are read.
 */
export function readExecutionRecords(stateDir: string, runId: string): ExecutionRecord[] {
  let names: string[];
  try {
    names = readdirSync(join(stateDir, 'runs'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: ExecutionRecord[] = [];
  for (const file of names) {
    if (!file.endsWith('.json')) continue;
    const name = file.slice(0, -'.json'.length);
    if (name !== runId && !name.startsWith(`${runId}-`)) continue;
    const record = JSON.parse(readFileSync(join(stateDir, 'runs', file), 'utf8')) as RunRecord;
    if (record.runId === runId) records.push({ ...record, name });
  }
  return records;
}

/** The run's header row and its item rows (only what the report reads), with a paginated Query. */
export async function readLedgerRows(client: DynamoDBClient, tableName: string, runId: string): Promise<{ header?: RunHeaderRow; rows: ReportRow[] }> {
  const ledger = DynamoDBDocumentClient.from(client);
  const header = (await ledger.send(new GetCommand({ TableName: tableName, Key: { runId, itemId: RUN_HEADER_ITEM_ID } }))).Item as RunHeaderRow | undefined;
  const names = Object.fromEntries(REPORT_ROW_ATTRIBUTES.map((attribute, index) => [`#a${index}`, attribute]));
  const rows: ReportRow[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ledger.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: `#runId = :runId AND #a${REPORT_ROW_ATTRIBUTES.indexOf('itemId')} > :header`,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: { '#runId': 'runId', ...names },
        ExpressionAttributeValues: { ':runId': runId, ':header': RUN_HEADER_ITEM_ID },
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    rows.push(...((page.Items ?? []) as ReportRow[]));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return header ? { header, rows } : { rows };
}

/** The jobs whose times a report needs from Batch: earlier attempts, and latest ones without times in the row. */
export function jobsToLookUp(rows: readonly ReportRow[]): string[] {
  const ids: string[] = [];
  for (const row of rows) {
    for (const earlier of row.attempts ?? []) if (earlier.jobId) ids.push(earlier.jobId);
    if (row.jobId && (row.startedAt === undefined || row.stoppedAt === undefined)) ids.push(row.jobId);
  }
  return ids;
}

export interface WriteRunReportOptions {
  ledger: DynamoDBClient;
  tableName: string;
  runId: string;
  /** The state directory (run records, kept source summaries, `reports/`). */
  stateDir: string;
  /** The state directory as the user names it, for the retry command. @default stateDir */
  dirLabel?: string;
  jobTimes: JobTimesSource;
  /** Where a log stream can be read. @default the local log file (file:// URL) */
  logUrl?: (logStream: string) => string | undefined;
  /** @default `<stateDir>/reports/<runId>.html` */
  out?: string;
  /** @default new Date() */
  now?: Date;
}

/** The default place of a run's report. */
export function defaultReportPath(stateDir: string, runId: string): string {
  return join(stateDir, 'reports', `${runId}.html`);
}

/**
 * Reads a run's records, ledger rows and job times, and writes its HTML report. Returns the
 * file written.
 * @example await writeRunReport({ ledger, tableName: 'fanout-ledger', runId: 'sweep-7', stateDir, jobTimes: journalJobTimes(stateDir) })
 */
export async function writeRunReport(options: WriteRunReportOptions): Promise<string> {
  const { runId, stateDir } = options;
  const records = readExecutionRecords(stateDir, runId);
  const { header, rows } = await readLedgerRows(options.ledger, options.tableName, runId);
  const jobs = await options.jobTimes(jobsToLookUp(rows));
  const source = readSourceSummary(stateDir, runId);
  const model = buildReportModel({
    runId,
    dir: options.dirLabel ?? stateDir,
    ...(header ? { header } : {}),
    records,
    rows,
    jobs,
    ...(source ? { source } : {}),
    logUrl: options.logUrl ?? localLogUrl(stateDir),
    now: options.now ?? new Date(),
  });
  const out = options.out ?? defaultReportPath(stateDir, runId);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderReport(model));
  return out;
}
