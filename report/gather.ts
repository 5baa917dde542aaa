import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { logFileFor } from '../local/batch';
import { readJournal } from '../local/batch/journal';
import { type ComputeConfig, RUN_HEADER_ITEM_ID, type RunRecord } from '../run';
import {
  buildReportModel,
  type ExecutionRecord,
  type JobTiming,
  REPORT_ROW_ATTRIBUTES,
  type ReportHeader,
  type ReportRow,
} from './build';
import { renderReport } from './render';
import { readSourceSummary, type SourceSummary } from './source';

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
    // An array's children are journaled under their parent, those with an event at least.
    for (const job of readJournal(join(stateDir, 'batch')).flatMap((entry) => [entry, ...(entry.children ?? [])])) {
      if (!wanted.has(job.jobId)) continue;
      found.set(job.jobId, {
        status: job.status,
        ...(job.startedAt === undefined ? {} : { startedAt: job.startedAt }),
        ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
        ...(job.exitCode === undefined ? {} : { exitCode: job.exitCode }),
        ...(job.logStreamName === undefined ? {} : { logStream: job.logStreamName }),
        ...(job.statusReason ? { statusReason: job.statusReason } : {}),
      });
    }
    return found;
  };
}

/** DescribeJobs takes at most 100 job ids per call (Batch API reference, DescribeJobs). */
export const DESCRIBE_JOBS_LIMIT = 100;

/**
 * Job times from Batch's DescribeJobs, 100 ids per call: what a report of a run on AWS uses
 * (Batch keeps finished jobs for about a week; older attempts are then not drawn). Array children
 * (`<parentId>:<index>`) are described like any job. An array parent is left out: it is no
 * attempt of an item (an array-path row names its parent only when the child never existed).
 */
export function describeJobsTimes(batch: BatchClient): JobTimesSource {
  return async (jobIds) => {
    const found = new Map<string, JobTiming>();
    for (let start = 0; start < jobIds.length; start += DESCRIBE_JOBS_LIMIT) {
      const { jobs } = await batch.send(
        new DescribeJobsCommand({ jobs: jobIds.slice(start, start + DESCRIBE_JOBS_LIMIT) }),
      );
      for (const job of jobs ?? []) {
        if (!job.jobId || !job.status || job.arrayProperties?.size !== undefined) continue;
        found.set(job.jobId, {
          status: job.status,
          ...(job.startedAt === undefined ? {} : { startedAt: job.startedAt }),
          ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
          ...(job.container?.exitCode === undefined ? {} : { exitCode: job.container.exitCode }),
          ...(job.container?.logStreamName === undefined ? {} : { logStream: job.container.logStreamName }),
          ...(job.statusReason ? { statusReason: job.statusReason } : {}),
        });
      }
    }
    return found;
  };
}

/**
 * Asks each source in turn for the jobs the ones before did not know. A local run's report reads
 * the journal first (every job, array children once they have launched), then the running Batch
 * service for the rest.
 * @example jobTimesFrom(journalJobTimes(cloud.dir), describeJobsTimes(cloud.clients.batch))
 */
export function jobTimesFrom(...sources: readonly JobTimesSource[]): JobTimesSource {
  return async (jobIds) => {
    const found = new Map<string, JobTiming>();
    let missing = jobIds;
    for (const source of sources) {
      if (missing.length === 0) break;
      for (const [jobId, timing] of await source(missing)) found.set(jobId, timing);
      missing = missing.filter((jobId) => !found.has(jobId));
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

/**
 * The run's header row and its item rows (only what the report reads), with a paginated Query.
 * A header the caller has already read is not read again.
 */
export async function readLedgerRows(
  client: DynamoDBClient,
  tableName: string,
  runId: string,
  knownHeader?: ReportHeader,
): Promise<{ header?: ReportHeader; rows: ReportRow[] }> {
  const ledger = DynamoDBDocumentClient.from(client);
  const header =
    knownHeader ??
    ((await ledger.send(new GetCommand({ TableName: tableName, Key: { runId, itemId: RUN_HEADER_ITEM_ID } }))).Item as
      | ReportHeader
      | undefined);
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

/**
 * The jobs whose times a report needs from Batch: earlier attempts, latest ones without times in
 * the row, and the aggregation job. An array run's failed items whose child never existed all
 * name the same parent: each id is asked once.
 */
export function jobsToLookUp(rows: readonly ReportRow[], header?: ReportHeader): string[] {
  const ids = new Set<string>();
  for (const row of rows) {
    for (const earlier of row.attempts ?? []) if (earlier.jobId) ids.add(earlier.jobId);
    if (row.jobId && (row.startedAt === undefined || row.stoppedAt === undefined)) ids.add(row.jobId);
  }
  const aggregateJob = header?.aggregateOutcome?.jobId;
  if (aggregateJob) ids.add(aggregateJob);
  return [...ids];
}

interface ReportInputs {
  ledger: DynamoDBClient;
  tableName: string;
  runId: string;
  jobTimes: JobTimesSource;
  /** Where a log stream can be read. @default the local log file (file:// URL) of `stateDir` */
  logUrl?: (logStream: string) => string | undefined;
  /** The run's header row, when already read: the ledger is then only queried for item rows. */
  header?: ReportHeader;
  /** @default new Date() */
  now?: Date;
  /** How the printed retry command starts (`npx fanout` inside a project). @default 'fanout' */
  commandPrefix?: string;
  /** Sizes the run's jobs for the compute estimate (fanout.config.json). @default - compute not estimated */
  computeConfig?: ComputeConfig;
}

/** A run of the local cloud: its records, kept source summary and report are under `stateDir`. */
interface LocalRunReport extends ReportInputs {
  /** The state directory (run records, kept source summaries, `reports/`). */
  stateDir: string;
  /** The state directory as the user names it, for the retry command. @default stateDir */
  dirLabel?: string;
  /** @default `<stateDir>/reports/<runId>.html` */
  out?: string;
}

/** A run elsewhere (a deployed stack): the caller gives its execution records and where the report goes. */
interface TargetRunReport extends ReportInputs {
  stateDir?: undefined;
  records: readonly ExecutionRecord[];
  source?: SourceSummary;
  /** The options that point `fanout retry` at the run (`--aws --stack Fanout --region eu-west-1`). */
  targetFlags: string;
  out: string;
}

export type WriteRunReportOptions = LocalRunReport | TargetRunReport;

/** The default place of a run's report. */
export function defaultReportPath(stateDir: string, runId: string): string {
  return join(stateDir, 'reports', `${runId}.html`);
}

/**
 * Reads a run's ledger rows and job times, with its execution records (locally from
 * `<stateDir>/runs`), and writes its HTML report. Returns the file written.
 * @example await writeRunReport({ ledger, tableName: 'fanout-ledger', runId: 'sweep-7', stateDir, jobTimes: journalJobTimes(stateDir) })
 */
export async function writeRunReport(options: WriteRunReportOptions): Promise<string> {
  const { runId, stateDir } = options;
  const records = stateDir === undefined ? options.records : readExecutionRecords(stateDir, runId);
  const { header, rows } = await readLedgerRows(options.ledger, options.tableName, runId, options.header);
  const jobs = await options.jobTimes(jobsToLookUp(rows, header));
  const source = stateDir === undefined ? options.source : readSourceSummary(stateDir, runId);
  const logUrl = options.logUrl ?? (stateDir === undefined ? undefined : localLogUrl(stateDir));
  const model = buildReportModel({
    runId,
    ...(stateDir === undefined ? { targetFlags: options.targetFlags } : { dir: options.dirLabel ?? stateDir }),
    ...(header ? { header } : {}),
    records,
    rows,
    jobs,
    ...(source ? { source } : {}),
    ...(logUrl ? { logUrl } : {}),
    ...(options.computeConfig ? { computeConfig: options.computeConfig } : {}),
    ...(options.commandPrefix ? { commandPrefix: options.commandPrefix } : {}),
    now: options.now ?? new Date(),
  });
  const out = stateDir === undefined ? options.out : (options.out ?? defaultReportPath(stateDir, runId));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderReport(model));
  return out;
}
