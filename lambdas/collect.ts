import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { countRunStatuses, ITEM_TRANSITIONS, itemUpdate, RunStatus, runOutcomeUpdate } from '../run';
import { aggregateErrorSchema, aggregateFailure, aggregateOutcomeOf, aggregateResultSchema } from './shared/aggregate';
import { isConditionFailure } from './shared/claims';
import { batchClient, documentClient, s3Client } from './shared/clients';
import { type Environment, once, requiredEnv } from './shared/env';
import { FanoutError, parseEvent } from './shared/errors';
import { classifyJobFailure, classifyTaskError } from './shared/failure';
import { handlerLogger, runLogger } from './shared/log';
import { type RunOutput, runOutputBase } from './shared/run-output';

/**
 * Collect: the array path's last step before Notify. The array jobs have ended (or failed to
 * start); Collect describes every child (DescribeJobs, 100 ids per call; child i of array job P is
 * `P:i`, a plain job is itself), writes one conditional outcome per item to the ledger (the same
 * fields and failure classes the map path's child writes), writes the run's outcome to the header
 * row and returns the run summary. Array semantics: the run is FAILED unless every item succeeded.
 */

const arraySchema = z.object({
  jobName: z.string().min(1),
  start: z.number().int().nonnegative(),
  size: z.number().int().positive(),
});

/** The state Collect receives: Prepare's output and one result per submitted job. */
export const collectEventSchema = z.object({
  prepared: z
    .object({
      runId: z.string().min(1),
      path: z.literal('array'),
      round: z.number().int().positive(),
      itemCount: z.number().int().nonnegative(),
      createdAt: z.string().min(1),
      executionArn: z.string().optional(),
      manifest: z.object({ bucket: z.string().min(1), key: z.string().min(1) }),
      jobQueue: z.string().min(1),
      arrays: z.array(arraySchema),
      retryOf: z.string().optional(),
      retriedItemCount: z.number().int().nonnegative().optional(),
      aggregate: z
        .object({ jobName: z.string().min(1) })
        .loose()
        .optional(),
    })
    .loose(),
  arrays: z.array(
    arraySchema
      .extend({
        job: z.object({ jobId: z.string().min(1), status: z.string() }).optional(),
        error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
      })
      .loose(),
  ),
  /** The aggregation job's result or error, when the input has one (state Aggregate). */
  aggregation: z
    .object({ result: aggregateResultSchema.optional(), error: aggregateErrorSchema.optional() })
    .optional(),
});
export type CollectEvent = z.infer<typeof collectEventSchema>;

/** One submitted job as the run summary reports it. */
export interface ArrayJobReport {
  jobName: string;
  /** Absent when the job could not be submitted. */
  jobId?: string;
  size: number;
  status: string;
}

/** Everything Collect talks to; tests and the local cloud may replace any of it. */
export interface CollectDependencies {
  batch: BatchClient;
  s3: S3Client;
  ledger: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
  /** Conditional UpdateItem calls in flight at once. @default 32 */
  writeConcurrency: number;
  logger: Logger;
}

/**
 * A submitted job has not ended, or an array that FAILED still has children running: Batch fails
 * an array parent at its first failed child while the others run on, and a job submitted without
 * `.sync` (before an aggregation job) may still run when that job fails. Collect records nothing
 * then; the state machine retries it (Retry on this error name) until every child has ended.
 */
export class ChildrenStillRunningError extends FanoutError {
  override readonly name = 'ChildrenStillRunningError';
}

/** The manifest and the jobs disagree: a line has no job, or a job has no line. */
export class CollectError extends FanoutError {
  override readonly name = 'CollectError';
}

/** DescribeJobs takes at most 100 job ids (docs: batch/latest/APIReference/API_DescribeJobs.html). */
const DESCRIBE_LIMIT = 100;
/** Step Functions' own cap on a cause, which the map path's causes never exceed either. */
const MAX_CAUSE = 32_768;

/** What became of one submitted job, from the Map iteration's result. */
interface Submission {
  jobName: string;
  start: number;
  size: number;
  /** The job's id: from the `.sync` result, or from the failed job's detail in the error's cause. */
  jobId?: string;
  status: string;
  /** The failed job's status reason, for children that never ran. */
  statusReason?: string;
  /** The task error when no job was submitted (or its detail cannot be read). */
  error?: { Error: string; Cause: string };
}

function submissionOf(result: CollectEvent['arrays'][number]): Submission {
  const base = { jobName: result.jobName, start: result.start, size: result.size };
  if (result.job) return { ...base, jobId: result.job.jobId, status: result.job.status };
  const error = { Error: result.error?.Error ?? 'States.Runtime', Cause: result.error?.Cause ?? '' };
  // A FAILED .sync job raises States.TaskFailed whose Cause is the job detail as JSON text.
  if (error.Error === 'States.TaskFailed' && error.Cause.startsWith('{')) {
    try {
      const detail = JSON.parse(error.Cause) as { JobId?: unknown; Status?: unknown; StatusReason?: unknown };
      if (typeof detail.JobId === 'string' && detail.JobId !== '') {
        return {
          ...base,
          jobId: detail.JobId,
          status: typeof detail.Status === 'string' ? detail.Status : 'FAILED',
          ...(typeof detail.StatusReason === 'string' ? { statusReason: detail.StatusReason } : {}),
          error,
        };
      }
    } catch {
      // Not a job detail (cut, or another message): handled as a task error below.
    }
  }
  return { ...base, status: 'NOT_SUBMITTED', error };
}

/** An item's outcome as the ledger records it. */
type Outcome =
  | { kind: 'succeeded'; job: JobDetail }
  | {
      kind: 'jobFailed';
      jobId: string;
      statusReason: string;
      exitCode: number | undefined;
      containerReason: string;
      logStream: string;
    }
  | { kind: 'taskError'; error: string; cause: string }
  | { kind: 'unknown' };

/** The outcome of one child from its detail, or from its parent when Batch knows no such child. */
function outcomeOf(submission: Submission, detail: JobDetail | undefined): Outcome {
  if (detail) {
    if (detail.status === 'SUCCEEDED') return { kind: 'succeeded', job: detail };
    if (detail.status !== 'FAILED') return { kind: 'unknown' };
    return {
      kind: 'jobFailed',
      jobId: detail.jobId ?? '',
      statusReason: detail.statusReason ?? '',
      exitCode: detail.container?.exitCode,
      containerReason: detail.container?.reason ?? '',
      logStream: detail.container?.logStreamName ?? '',
    };
  }
  if (submission.jobId === undefined) {
    return {
      kind: 'taskError',
      error: submission.error?.Error ?? 'States.Runtime',
      cause: submission.error?.Cause ?? '',
    };
  }
  // The parent failed before this child existed (cancelled, terminated, a dependency failed).
  if (submission.status === 'FAILED') {
    return {
      kind: 'jobFailed',
      jobId: submission.jobId,
      statusReason: submission.statusReason ?? '',
      exitCode: undefined,
      containerReason: '',
      logStream: '',
    };
  }
  return { kind: 'unknown' };
}

/**
 * The UpdateItem of an outcome: the transitions the map path's RecordOutcome, RecordJobFailure and
 * RecordTaskError states write (run/ledger/item-transitions.ts), under the same condition.
 */
export function outcomeUpdate(
  tableName: string,
  key: { runId: string; itemId: string },
  round: number,
  queue: string,
  updatedAt: string,
  outcome: Exclude<Outcome, { kind: 'unknown' }>,
): UpdateCommandInput {
  const common = { ':round': round, ':queue': queue, ':updatedAt': updatedAt };
  if (outcome.kind === 'succeeded') {
    const job = outcome.job;
    return itemUpdate(tableName, key, ITEM_TRANSITIONS.recordSuccess, {
      ...common,
      ':jobId': job.jobId ?? '',
      ':exitCode': job.container?.exitCode ?? 0,
      ':logStream': job.container?.logStreamName ?? '',
      ':startedAt': job.startedAt ?? 0,
      ':stoppedAt': job.stoppedAt ?? 0,
    });
  }
  if (outcome.kind === 'jobFailed') {
    return itemUpdate(tableName, key, ITEM_TRANSITIONS.recordJobFailure, {
      ...common,
      ':failureClass': classifyJobFailure(outcome),
      // What Step Functions raises for a FAILED .sync job, as the map path records it.
      ':error': 'States.TaskFailed',
      ':cause': `Batch job ${outcome.jobId} failed: ${outcome.statusReason}`.slice(0, MAX_CAUSE),
      ':jobId': outcome.jobId,
      ':exitCode': outcome.exitCode ?? null,
      ':statusReason': outcome.statusReason,
      ':containerReason': outcome.containerReason,
      ':logStream': outcome.logStream,
      ':runId': key.runId,
    });
  }
  return itemUpdate(tableName, key, ITEM_TRANSITIONS.recordTaskError, {
    ...common,
    ':failureClass': classifyTaskError(outcome.error),
    ':error': outcome.error,
    ':cause': outcome.cause.slice(0, MAX_CAUSE),
    ':runId': key.runId,
  });
}

/** Runs async work with at most `limit` in flight; `drain` waits for all and rethrows the first failure. */
class WritePool {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly limit: number) {}

  async add(work: () => Promise<void>): Promise<void> {
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    const running: Promise<void> = work()
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Tallies of what one Collect recorded. */
interface Tally {
  succeeded: number;
  failed: number;
  /** Items whose outcome could not be told (a child still running, or unknown to Batch): left as they were. */
  unrecorded: number;
  /** Rows the condition refused: a final or newer outcome is already there. */
  refused: number;
  /** A few of the items this execution recorded FAILED, for the summary's cause. */
  failedSample: string[];
}

async function* manifestItemIds(s3: S3Client, manifest: { bucket: string; key: string }): AsyncGenerator<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: manifest.bucket, Key: manifest.key }));
  if (!response.Body) return;
  const lines = createInterface({ input: response.Body as Readable, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === '') continue;
    yield (JSON.parse(line) as { itemId: string }).itemId;
  }
}

/**
 * Builds the Collect handler; without arguments it reads `TABLE_NAME` once, on first use.
 * @example export const handler = createCollectHandler();
 */
export function createCollectHandler(overrides: Partial<CollectDependencies> = {}, env: Environment = process.env) {
  const dependencies = once(
    (): CollectDependencies => ({
      batch: overrides.batch ?? batchClient(),
      s3: overrides.s3 ?? s3Client(),
      ledger: overrides.ledger ?? documentClient(),
      tableName: overrides.tableName ?? requiredEnv('TABLE_NAME', env),
      now: overrides.now ?? (() => new Date()),
      writeConcurrency: overrides.writeConcurrency ?? 32,
      logger: overrides.logger ?? handlerLogger('fanout-collect'),
    }),
  );

  return async function collect(rawEvent: unknown): Promise<RunOutput> {
    const event = parseEvent(collectEventSchema, rawEvent, 'Collect expects {prepared, arrays, aggregation?}');
    const { prepared, arrays } = event;
    const deps = dependencies();
    const { runId, round } = prepared;
    const submissions = arrays.map(submissionOf).sort((a, b) => a.start - b.start);
    await requireEnded(deps.batch, submissions);
    const updatedAt = deps.now().toISOString();
    const pool = new WritePool(deps.writeConcurrency);
    const tally: Tally = { succeeded: 0, failed: 0, unrecorded: 0, refused: 0, failedSample: [] };

    const record = (itemId: string, outcome: Outcome): Promise<void> => {
      if (outcome.kind === 'unknown') {
        tally.unrecorded += 1;
        return Promise.resolve();
      }
      return pool.add(async () => {
        try {
          await deps.ledger.send(
            new UpdateCommand(
              outcomeUpdate(deps.tableName, { runId, itemId }, round, prepared.jobQueue, updatedAt, outcome),
            ),
          );
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          tally.refused += 1;
          return;
        }
        if (outcome.kind === 'succeeded') tally.succeeded += 1;
        else {
          tally.failed += 1;
          if (tally.failedSample.length < 5) tally.failedSample.push(itemId);
        }
      });
    };

    // Lines are read in windows of 100: one DescribeJobs per window, the window's writes queued
    // while the next window is read, so memory stays bounded whatever N is.
    let window: Array<{ itemId: string; submission: Submission; childId: string | undefined }> = [];
    const flush = async (): Promise<void> => {
      const ids = window.flatMap((entry) => (entry.childId === undefined ? [] : [entry.childId]));
      const described = new Map<string, JobDetail>();
      if (ids.length > 0) {
        const { jobs } = await deps.batch.send(new DescribeJobsCommand({ jobs: ids }));
        for (const job of jobs ?? []) if (job.jobId) described.set(job.jobId, job);
      }
      for (const entry of window) {
        const detail = entry.childId === undefined ? undefined : described.get(entry.childId);
        await record(entry.itemId, outcomeOf(entry.submission, detail));
      }
      window = [];
    };

    let position = 0;
    let next = 0;
    for await (const itemId of manifestItemIds(deps.s3, prepared.manifest)) {
      while (
        next < submissions.length &&
        position >= (submissions[next] as Submission).start + (submissions[next] as Submission).size
      )
        next += 1;
      const submission = submissions[next];
      if (!submission || position < submission.start) {
        throw new CollectError(
          `manifest s3://${prepared.manifest.bucket}/${prepared.manifest.key} line ${position} (item ${itemId}) is not covered by any submitted job`,
        );
      }
      const childId =
        submission.jobId === undefined
          ? undefined
          : submission.size > 1
            ? `${submission.jobId}:${position - submission.start}`
            : submission.jobId;
      window.push({ itemId, submission, childId });
      if (window.length === DESCRIBE_LIMIT) await flush();
      position += 1;
    }
    await flush();
    await pool.drain();
    const covered = submissions.reduce((sum, submission) => sum + submission.size, 0);
    if (position !== covered) {
      throw new CollectError(
        `manifest s3://${prepared.manifest.bucket}/${prepared.manifest.key} has ${position} lines but the submitted jobs cover ${covered}`,
      );
    }

    const { counts, pendingSample } = await countRunStatuses(deps.ledger, deps.tableName, runId);
    const stopped = deps.now();
    const aggregate = aggregateOutcomeOf(
      prepared.aggregate?.jobName,
      event.aggregation?.result,
      event.aggregation?.error,
    );
    const itemsSucceeded = counts.total > 0 && counts.succeeded === counts.total;
    const status = itemsSucceeded && aggregate?.status !== 'FAILED' ? RunStatus.SUCCEEDED : RunStatus.FAILED;
    // The items' failure comes first: with a failed array, Batch fails the dependent aggregation job too.
    const error = !itemsSucceeded
      ? runError(submissions, tally, counts)
      : aggregate?.status === 'FAILED'
        ? aggregateFailure(aggregate)
        : undefined;
    const arrayJobs: ArrayJobReport[] = submissions.map((submission) => ({
      jobName: submission.jobName,
      ...(submission.jobId === undefined ? {} : { jobId: submission.jobId }),
      size: submission.size,
      status: submission.status,
    }));

    const summary: RunOutput = {
      ...runOutputBase('array', prepared, { status, counts, pendingSample, stopped, error, aggregate }),
      arrayJobs,
    };

    await deps.ledger.send(
      new UpdateCommand(
        runOutcomeUpdate(deps.tableName, runId, { status, counts, stoppedAt: summary.stoppedAt, error, aggregate }),
      ),
    );
    runLogger(deps.logger, { runId, execution: prepared.executionArn }).info('summary written', {
      status,
      counts,
      ...(error ? { error: error.error } : {}),
    });
    return summary;
  };
}

const FINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED']);

/**
 * Throws {@link ChildrenStillRunningError} unless every submitted job has ended, children of
 * arrays included (`arrayProperties.statusSummary`); takes each job's final status into its
 * submission, since a job submitted without `.sync` was last seen SUBMITTED.
 */
async function requireEnded(batch: BatchClient, submissions: Submission[]): Promise<void> {
  const submitted = submissions.filter((submission) => submission.jobId !== undefined);
  for (let start = 0; start < submitted.length; start += DESCRIBE_LIMIT) {
    const chunk = submitted.slice(start, start + DESCRIBE_LIMIT);
    const { jobs } = await batch.send(
      new DescribeJobsCommand({ jobs: chunk.map((submission) => submission.jobId as string) }),
    );
    const byId = new Map((jobs ?? []).map((job) => [job.jobId, job]));
    for (const submission of chunk) {
      const job = byId.get(submission.jobId);
      if (!job?.status) continue;
      if (!FINAL_STATUSES.has(job.status)) {
        throw new ChildrenStillRunningError(`Batch job ${submission.jobId} (${submission.jobName}) is ${job.status}`);
      }
      const summary = job.arrayProperties?.statusSummary;
      if (submission.size > 1 && summary) {
        const ended = (summary.SUCCEEDED ?? 0) + (summary.FAILED ?? 0);
        if (ended < submission.size) {
          throw new ChildrenStillRunningError(
            `array job ${submission.jobId} (${submission.jobName}) is ${job.status} with ${submission.size - ended} of ${submission.size} children still to end`,
          );
        }
      }
      submission.status = job.status;
      if (job.status === 'FAILED' && submission.statusReason === undefined && job.statusReason)
        submission.statusReason = job.statusReason;
    }
  }
}

/**
 * Why a run FAILED: the first failed job's error (as Step Functions raised it) with what its
 * children did; else, when this execution's jobs all succeeded, the items of the run still not
 * SUCCEEDED (failures an earlier execution left that could not be retried).
 */
function runError(
  submissions: readonly Submission[],
  tally: Tally,
  counts: { total: number; failed: number; pending: number; abandoned: number; retrying: number },
) {
  const failedJob = submissions.find((submission) => submission.error !== undefined);
  const items =
    tally.failedSample.length > 0
      ? ` (${tally.failedSample.join(', ')}${tally.failed > tally.failedSample.length ? ', …' : ''})`
      : '';
  if (failedJob?.error) {
    const what =
      failedJob.jobId === undefined
        ? `Batch job ${failedJob.jobName} was not submitted: ${failedJob.error.Cause.slice(0, 500)}`
        : `Batch job ${failedJob.jobId} (${failedJob.jobName}) failed: ${failedJob.statusReason ?? ''}`;
    return { error: failedJob.error.Error, cause: `${what}; ${tally.failed} item(s) of this execution FAILED${items}` };
  }
  // A job submitted without waiting raised nothing: what `.sync` would have raised for it.
  const failedSubmitted = submissions.find(
    (submission) => submission.jobId !== undefined && submission.status === 'FAILED',
  );
  if (failedSubmitted) {
    return {
      error: 'States.TaskFailed',
      cause: `Batch job ${failedSubmitted.jobId} (${failedSubmitted.jobName}) failed: ${failedSubmitted.statusReason ?? ''}; ${tally.failed} item(s) of this execution FAILED${items}`,
    };
  }
  const notSucceeded = [
    counts.failed > 0 ? `${counts.failed} failed` : '',
    counts.abandoned > 0 ? `${counts.abandoned} abandoned` : '',
    counts.pending + counts.retrying > 0 ? `${counts.pending + counts.retrying} without an outcome` : '',
  ].filter(Boolean);
  return {
    error: 'Fanout.ItemsNotSucceeded',
    cause: `${notSucceeded.join(', ') || 'no items'} of the run's ${counts.total} items did not succeed`,
  };
}

/** The Lambda entry point (CDK: `NodejsFunction` with `handler: 'handler'`). */
export const handler = createCollectHandler();
