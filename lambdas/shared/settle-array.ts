import {
  type BatchClient,
  type JobDetail,
  type JobSummary,
  ListJobsCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ARRAY_OFFSET_VARIABLE, MANIFEST_VARIABLE, parseObjectUri } from '../../job/manifest-index';
import {
  FailureClass,
  ITEM_TRANSITIONS,
  type ItemRow,
  ItemStatus,
  itemUpdate,
  LOCAL_HOST_TERMINATED_STATUS_REASON,
  NOT_STARTED_ERROR,
  ORCHESTRATOR_LOST_ERROR,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  SERVICE_STOPPED_STATUS_REASON,
} from '../../run';
import { outcomeOf, outcomeUpdate, type Submission } from './array-children';
import { DESCRIBE_LIMIT, describeJobsById, jobVariable } from './batch-jobs';
import { isConditionFailure } from './claims';
import { manifestItemIds } from './manifest';

/**
 * Settling an array-path run that was stopped (Ctrl+C, `fanout cancel`): Collect never ran, so
 * its rows have no outcome. The jobs of the run's latest round are found in Batch by name; each
 * child's outcome is recorded as Collect would have recorded it, except that a child that never
 * started (terminated while queued, or never created because its parent was stopped first) is
 * FAILED with class NOT_STARTED, which `fanout retry` runs whether or not the run is idempotent.
 * A child still going when the wait ends is left as it is (PENDING) and counted.
 */

export interface ArraySettleDependencies {
  ledger: DynamoDBDocumentClient;
  s3: S3Client;
  batch: BatchClient;
  tableName: string;
  now: () => Date;
  /** How long to wait for terminated jobs to end before settling what has ended. @default 60_000 */
  waitMs?: number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * TerminateJob reason of `fanout resume` for an array job its dead execution left running: the
 * job's outcome would reach nobody. It says "cancelled" so that a child it stops mid-run is
 * classed ABORTED, as a job Step Functions terminates is.
 */
export const RESUME_TERMINATE_REASON =
  'Terminated by fanout resume: cancelled, the execution that submitted it is gone';

/** Reasons of a child that died with its execution or with the local Batch service. */
const LOST_REASONS = new Set([
  RESUME_TERMINATE_REASON,
  SERVICE_STOPPED_STATUS_REASON,
  LOCAL_HOST_TERMINATED_STATUS_REASON,
]);

/** What settling recorded. */
export interface ArraySettlement {
  succeeded: number;
  /** Children that ran and failed, or were terminated while running (class from their reason). */
  failed: number;
  /** Items whose job never started; FAILED with class NOT_STARTED. */
  notStarted: number;
  /** Items whose child had not ended when the wait ran out: left PENDING. */
  stillRunning: number;
}

const FINAL = new Set(['SUCCEEDED', 'FAILED']);
const POLL_MS = 1_000;
const WRITE_CONCURRENCY = 16;

/** A job has ended, and so have all its children when it is an array. */
function hasEnded(job: JobDetail): boolean {
  if (!FINAL.has(job.status ?? '')) return false;
  const size = job.arrayProperties?.size;
  if (size === undefined) return true;
  const summary = job.arrayProperties?.statusSummary ?? {};
  // A parent stopped before it expanded has no children to wait for.
  const counted = Object.values(summary).reduce((sum, n) => sum + n, 0);
  return counted === 0 || (summary.SUCCEEDED ?? 0) + (summary.FAILED ?? 0) >= size;
}

/** A job of the round, with where its items are: its manifest's URI and its first line. */
interface RoundJob {
  job: JobDetail;
  manifest: string | undefined;
  offset: string | undefined;
}

/**
 * The jobs round `round` of the run submitted (`<runId>-array-r<round>-<k>`, docs/array-path.md),
 * described; only those whose `FANOUT_RUN_ID` is the run's (another run's id may share the prefix).
 */
async function roundJobs(batch: BatchClient, run: RunHeaderRow): Promise<RoundJob[]> {
  const prefix = `${run.runId}-array-r${run.round}-`;
  const summaries: JobSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await batch.send(
      new ListJobsCommand({
        jobQueue: run.jobQueue,
        filters: [{ name: 'JOB_NAME', values: [`${prefix}*`] }],
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    summaries.push(...(page.jobSummaryList ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const described = await describeJobsById(
    batch,
    summaries.filter((job) => /^\d+$/.test((job.jobName ?? '').slice(prefix.length))).map((job) => job.jobId as string),
  );
  // An array parent may be described without its container (the local Batch service does so):
  // its first child carries the same variables.
  const bare = [...described.values()].filter((job) => !job.container && job.arrayProperties?.size !== undefined);
  const firstChildren = await describeJobsById(
    batch,
    bare.map((job) => `${job.jobId}:0`),
  );
  const variablesOf = (job: JobDetail) => (job.container ? job : firstChildren.get(`${job.jobId}:0`));
  return [...described.values()].flatMap((job) => {
    const carrier = variablesOf(job);
    if (!carrier || jobVariable(carrier, 'FANOUT_RUN_ID') !== run.runId) return [];
    return [
      { job, manifest: jobVariable(carrier, MANIFEST_VARIABLE), offset: jobVariable(carrier, ARRAY_OFFSET_VARIABLE) },
    ];
  });
}

/**
 * Settles the rows of a stopped array-path run from what Batch knows of its latest round's jobs.
 * Run it after the run's jobs were asked to terminate, or give `terminateReason` to terminate those
 * still going (a resume): it waits (up to `waitMs`) for them to end.
 * @example await settleStoppedArrayRun(deps, header)
 */
export async function settleStoppedArrayRun(
  deps: ArraySettleDependencies,
  run: RunHeaderRow,
  options: { terminateReason?: string } = {},
): Promise<ArraySettlement> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = deps.now().getTime() + (deps.waitMs ?? 60_000);
  const found = await roundJobs(deps.batch, run);
  if (options.terminateReason !== undefined) {
    // Terminating an array parent terminates its children (docs: batch/latest/userguide/array_jobs.html).
    for (const { job } of found)
      if (!hasEnded(job))
        await deps.batch.send(new TerminateJobCommand({ jobId: job.jobId, reason: options.terminateReason }));
  }
  let jobs = found.map(({ job }) => job);
  while (!jobs.every(hasEnded) && deps.now().getTime() < deadline) {
    await sleep(POLL_MS);
    jobs = [
      ...(
        await describeJobsById(
          deps.batch,
          jobs.map((job) => job.jobId as string),
        )
      ).values(),
    ];
  }
  const latest = new Map(jobs.map((job) => [job.jobId, job]));

  const updatedAt = deps.now().toISOString();
  const settlement: ArraySettlement = { succeeded: 0, failed: 0, notStarted: 0, stillRunning: 0 };
  const stillRunning = new Set<string>();
  const write = async (input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> => {
    try {
      await deps.ledger.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };

  // Each job covers `size` lines of its manifest from `FANOUT_ARRAY_OFFSET`; child i of an array is `<jobId>:i`.
  const byManifest = new Map<string, Array<{ job: JobDetail; start: number; size: number }>>();
  for (const { job, manifest, offset } of found) {
    if (!manifest) continue;
    const current = latest.get(job.jobId) ?? job;
    const range = { job: current, start: Number(offset ?? 0), size: current.arrayProperties?.size ?? 1 };
    byManifest.set(manifest, [...(byManifest.get(manifest) ?? []), range]);
  }
  for (const [uri, ranges] of byManifest) {
    let window: Array<{ itemId: string; submission: Submission; childId: string }> = [];
    const flush = async (): Promise<void> => {
      const children = await describeJobsById(
        deps.batch,
        window.map((entry) => entry.childId),
      );
      await Promise.all(
        window.map(async ({ itemId, submission, childId }) => {
          const detail = children.get(childId);
          // Never started (no such child, or one terminated while queued): the sweep below records it.
          if (!detail || (detail.status === 'FAILED' && detail.startedAt === undefined)) return;
          const outcome = outcomeOf(submission, detail);
          if (outcome.kind === 'unknown') {
            stillRunning.add(itemId);
            return;
          }
          const key = { runId: run.runId, itemId };
          const update = outcomeUpdate(deps.tableName, key, run.round, run.jobQueue, updatedAt, outcome);
          if (outcome.kind === 'jobFailed' && LOST_REASONS.has(outcome.statusReason)) {
            // Not the job's doing: it died with the execution or the local service, as a map-path
            // resume records such a job (class ABORTED, re-run only when idempotent).
            Object.assign(update.ExpressionAttributeValues ?? {}, {
              ':failureClass': FailureClass.ABORTED,
              ':error': ORCHESTRATOR_LOST_ERROR,
              ':cause': `Batch job ${outcome.jobId} was lost with the execution that submitted it: ${outcome.statusReason}`,
            });
          }
          if (await write(update)) {
            if (outcome.kind === 'succeeded') settlement.succeeded += 1;
            else settlement.failed += 1;
          }
        }),
      );
      window = [];
    };
    let position = 0;
    for await (const itemId of manifestItemIds(deps.s3, parseObjectUri(uri, MANIFEST_VARIABLE))) {
      const range = ranges.find(({ start, size }) => position >= start && position < start + size);
      const jobId = range?.job.jobId;
      if (range && jobId) {
        const { job, start, size } = range;
        window.push({
          itemId,
          submission: { jobName: job.jobName ?? '', start, size, jobId, status: job.status ?? '' },
          childId: job.arrayProperties?.size === undefined ? jobId : `${jobId}:${position - start}`,
        });
        if (window.length === DESCRIBE_LIMIT) await flush();
      }
      position += 1;
    }
    await flush();
  }
  settlement.stillRunning = stillRunning.size;
  settlement.notStarted = await markNeverStarted(deps, run, stillRunning, updatedAt, write);
  return settlement;
}

/** Every row of the round still without an outcome, except those whose child still runs, becomes NOT_STARTED. */
async function markNeverStarted(
  deps: ArraySettleDependencies,
  run: RunHeaderRow,
  stillRunning: ReadonlySet<string>,
  updatedAt: string,
  write: (input: ConstructorParameters<typeof UpdateCommand>[0]) => Promise<boolean>,
): Promise<number> {
  let marked = 0;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ledger.send(
      new QueryCommand({
        TableName: deps.tableName,
        ConsistentRead: true,
        KeyConditionExpression: '#runId = :runId AND #itemId > :header',
        FilterExpression: '#status IN (:pending, :retrying)',
        ExpressionAttributeNames: { '#runId': 'runId', '#itemId': 'itemId', '#status': 'status' },
        ExpressionAttributeValues: {
          ':runId': run.runId,
          ':header': RUN_HEADER_ITEM_ID,
          ':pending': ItemStatus.PENDING,
          ':retrying': ItemStatus.RETRYING,
        },
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    const rows = ((page.Items ?? []) as ItemRow[]).filter((row) => !stillRunning.has(row.itemId));
    for (let start = 0; start < rows.length; start += WRITE_CONCURRENCY) {
      const results = await Promise.all(
        rows.slice(start, start + WRITE_CONCURRENCY).map((row) =>
          write(
            itemUpdate(deps.tableName, { runId: run.runId, itemId: row.itemId }, ITEM_TRANSITIONS.abortUnrecorded, {
              ':failureClass': FailureClass.NOT_STARTED,
              ':error': NOT_STARTED_ERROR,
              ':cause': "the run stopped before this item's job started",
              ':queue': run.jobQueue,
              ':runId': run.runId,
              ':updatedAt': updatedAt,
              ':round': row.round,
            }),
          ),
        ),
      );
      marked += results.filter(Boolean).length;
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return marked;
}
