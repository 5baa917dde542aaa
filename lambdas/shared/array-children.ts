import { type BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ITEM_TRANSITIONS, itemUpdate } from '../../run';
import { DESCRIBE_LIMIT } from './batch-jobs';
import { FanoutError } from './errors';
import { classifyJobFailure, classifyTaskError } from './failure';

/**
 * What became of the array path's jobs and their children: each submitted job's result, each
 * child's outcome and the ledger write that records it, whether every child has ended, and why
 * a run failed. Collect (lambdas/collect.ts) reads the jobs and writes with these.
 */

export const arraySchema = z.object({
  jobName: z.string().min(1),
  start: z.number().int().nonnegative(),
  size: z.number().int().positive(),
});

/** One submitted job as the state machine reports it: its `.sync` result, or the error it raised. */
export const arrayResultSchema = arraySchema
  .extend({
    job: z.object({ jobId: z.string().min(1), status: z.string() }).optional(),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  })
  .loose();
type ArrayResult = z.infer<typeof arrayResultSchema>;

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

/** Step Functions' own cap on a cause, which the map path's causes never exceed either. */
const MAX_CAUSE = 32_768;

/** What became of one submitted job, from the Map iteration's result. */
export interface Submission {
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

export function submissionOf(result: ArrayResult): Submission {
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
export type Outcome =
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
export function outcomeOf(submission: Submission, detail: JobDetail | undefined): Outcome {
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

/** Tallies of what one Collect recorded. */
export interface Tally {
  succeeded: number;
  failed: number;
  /** Items whose outcome could not be told (a child still running, or unknown to Batch): left as they were. */
  unrecorded: number;
  /** Rows the condition refused: a final or newer outcome is already there. */
  refused: number;
  /** A few of the items this execution recorded FAILED, for the summary's cause. */
  failedSample: string[];
}

const FINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED']);

/**
 * Throws {@link ChildrenStillRunningError} unless every submitted job has ended, children of
 * arrays included (`arrayProperties.statusSummary`); takes each job's final status into its
 * submission, since a job submitted without `.sync` was last seen SUBMITTED.
 */
export async function requireEnded(batch: BatchClient, submissions: Submission[]): Promise<void> {
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
export function runError(
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
