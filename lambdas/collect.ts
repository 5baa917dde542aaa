import type { Logger } from '@aws-lambda-powertools/logger';
import { type BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { countRunStatuses, RunStatus, runOutcomeUpdate } from '../run';
import { aggregateErrorSchema, aggregateFailure, aggregateOutcomeOf, aggregateResultSchema } from './shared/aggregate';
import {
  arrayResultSchema,
  arraySchema,
  CollectError,
  type Outcome,
  outcomeOf,
  outcomeUpdate,
  requireEnded,
  runError,
  type Submission,
  submissionOf,
  type Tally,
} from './shared/array-children';
import { DESCRIBE_LIMIT } from './shared/batch-jobs';
import { isConditionFailure } from './shared/claims';
import { batchClient, documentClient, s3Client } from './shared/clients';
import { type Environment, once, requiredEnv } from './shared/env';
import { parseEvent } from './shared/errors';
import { handlerLogger, runLogger } from './shared/log';
import { manifestItemIds } from './shared/manifest';
import { type RunOutput, runOutputBase } from './shared/run-output';
import { WritePool } from './shared/write-pool';

/**
 * Collect: the array path's last step before Notify. The array jobs have ended (or failed to
 * start); Collect describes every child (DescribeJobs, 100 ids per call; child i of array job P is
 * `P:i`, a plain job is itself), writes one conditional outcome per item to the ledger (the same
 * fields and failure classes the map path's child writes), writes the run's outcome to the header
 * row and returns the run summary. Array semantics: the run is FAILED unless every item succeeded.
 */

/** The state Collect receives: Prepare's output and one result per submitted job. */
const collectEventSchema = z.object({
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
  arrays: z.array(arrayResultSchema),
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

/** The Lambda entry point (CDK: `NodejsFunction` with `handler: 'handler'`). */
export const handler = createCollectHandler();
