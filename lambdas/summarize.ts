import type { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  countRunStatuses,
  endedRunStatus,
  FailureClass,
  ITEM_TRANSITIONS,
  itemUpdate,
  NOT_STARTED_ERROR,
  runOutcomeUpdate,
} from '../run';
import { aggregateErrorSchema, aggregateFailure, aggregateOutcomeOf, aggregateResultSchema } from './shared/aggregate';
import { isConditionFailure } from './shared/claims';
import { documentClient, s3Client } from './shared/clients';
import { type Environment, once, requiredEnv } from './shared/env';
import { parseEvent } from './shared/errors';
import { handlerLogger, runLogger } from './shared/log';
import { type RunOutput, runOutputBase } from './shared/run-output';

/**
 * Summarize: runs once after the Distributed Map, whether it succeeded or failed. Counts the
 * run's ledger rows by status, writes the outcome to the header row (one write) and returns
 * the run summary that Notify publishes and the execution outputs.
 */

/** The state Summarize receives: Prepare's output plus the Map's result or its caught error. */
export const summarizeEventSchema = z.object({
  prepared: z.object({
    runId: z.string().min(1),
    itemCount: z.number().int().nonnegative(),
    createdAt: z.string().min(1),
    executionArn: z.string().optional(),
    retryOf: z.string().optional(),
    resultPrefix: z.string().optional(),
    jobQueue: z.string().optional(),
    manifest: z.object({ bucket: z.string() }).optional(),
    retriedItemCount: z.number().int().nonnegative().optional(),
    aggregate: z.object({ jobName: z.string() }).optional(),
  }),
  fanOut: z
    .object({
      MapRunArn: z.string().optional(),
      ResultWriterDetails: z.object({ Bucket: z.string(), Key: z.string() }).optional(),
    })
    .optional(),
  fanOutError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /** The aggregation job's result (state Aggregate's ResultSelector). */
  aggregate: aggregateResultSchema.optional(),
  aggregateError: aggregateErrorSchema.optional(),
});

export interface SummarizeDependencies {
  ledger: DynamoDBDocumentClient;
  /** Reads the ResultWriter files of a failed Map, to tell aborted children's rows from never-started ones. */
  s3: S3Client;
  tableName: string;
  now: () => Date;
  logger: Logger;
}

/** A ResultWriter entry, as far as reconciling reads it (docs: input-output-resultwriter.html). */
interface ResultEntry {
  Input?: string;
  Status?: string;
  Error?: string;
  Cause?: string;
}

async function readJsonObject<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await response.Body?.transformToString()) ?? 'null') as T;
}

/** The newest `manifest.json` under the run's result prefix: the Map Run that just failed wrote it. */
async function newestResultManifest(s3: S3Client, bucket: string, resultPrefix: string): Promise<string | undefined> {
  let newest: { key: string; at: number } | undefined;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${resultPrefix}/`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key?.endsWith('/manifest.json')) continue;
      const at = object.LastModified?.getTime() ?? 0;
      if (!newest || at >= newest.at) newest = { key: object.Key, at };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return newest?.key;
}

/**
 * Rows a Map left without an outcome, still PENDING (or RETRYING in a retry round), whose child
 * the Map Run's ResultWriter files list as ended:
 * - ABORTED: the Map failed (its threshold exceeded, `failFast`) and aborted the child;
 * - FAILED: the child failed before it recorded its job's outcome (its ledger write failed after
 *   its retries), so the job may have run, even succeeded;
 * - PENDING (their own result files): the Map stopped before it started the child.
 * Their rows become FAILED (conditional: a row that moved on is left alone), with failure class
 * ABORTED (the job may have run: the retry path re-runs them only when idempotent) or NOT_STARTED
 * (nothing ran: a retry runs them, idempotent or not), so every item has a final row. Without
 * result files the rows stay PENDING.
 * Returns how many rows changed.
 */
async function reconcileUnrecordedChildren(
  deps: SummarizeDependencies,
  run: { runId: string; bucket: string; resultPrefix: string; queue: string },
  now: string,
): Promise<number> {
  const { runId, bucket, resultPrefix, queue } = run;
  const manifestKey = await newestResultManifest(deps.s3, bucket, resultPrefix);
  if (!manifestKey) return 0;
  const manifest = await readJsonObject<{
    ResultFiles?: { FAILED?: Array<{ Key: string }>; PENDING?: Array<{ Key: string }> };
  }>(deps.s3, bucket, manifestKey);
  const files = [...(manifest.ResultFiles?.FAILED ?? []), ...(manifest.ResultFiles?.PENDING ?? [])];
  let changed = 0;
  for (const file of files) {
    const entries = await readJsonObject<ResultEntry[]>(deps.s3, bucket, file.Key);
    for (const entry of entries) {
      const outcome = unrecordedOutcome(entry);
      if (!outcome || !entry.Input) continue;
      const input = JSON.parse(entry.Input) as { runId?: unknown; itemId?: unknown; round?: unknown };
      if (input.runId !== runId || typeof input.itemId !== 'string' || typeof input.round !== 'number') continue;
      try {
        await deps.ledger.send(
          new UpdateCommand(
            itemUpdate(deps.tableName, { runId, itemId: input.itemId }, ITEM_TRANSITIONS.abortUnrecorded, {
              ':failureClass': outcome.failureClass,
              ':error': outcome.error,
              ':cause': outcome.cause.slice(0, 32_768),
              ':queue': queue,
              ':runId': runId,
              ':updatedAt': now,
              ':round': input.round,
            }),
          ),
        );
        changed += 1;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
  }
  return changed;
}

/** What a result entry of a child that recorded nothing says of its item; nothing for other entries. */
function unrecordedOutcome(
  entry: ResultEntry,
): { failureClass: FailureClass; error: string; cause: string } | undefined {
  switch (entry.Status) {
    case 'ABORTED':
      return {
        failureClass: FailureClass.ABORTED,
        error: entry.Error ?? 'States.Aborted',
        cause: `the item's child execution was aborted when the Map failed: ${entry.Cause ?? ''}`,
      };
    case 'FAILED':
      return {
        failureClass: FailureClass.ABORTED,
        error: entry.Error ?? 'States.TaskFailed',
        cause: `the item's child execution failed before it recorded its job's outcome (the job may have run): ${entry.Error ?? ''}: ${entry.Cause ?? ''}`,
      };
    case 'PENDING':
      return {
        failureClass: FailureClass.NOT_STARTED,
        error: NOT_STARTED_ERROR,
        cause: "the Map stopped before it started this item's child execution",
      };
    default:
      return undefined;
  }
}

/**
 * Builds the Summarize handler; without arguments it reads `TABLE_NAME` once, on first use.
 * @example export const handler = createSummarizeHandler();
 */
export function createSummarizeHandler(overrides: Partial<SummarizeDependencies> = {}, env: Environment = process.env) {
  const dependencies = once(
    (): SummarizeDependencies => ({
      ledger: overrides.ledger ?? documentClient(),
      s3: overrides.s3 ?? s3Client(),
      tableName: overrides.tableName ?? requiredEnv('TABLE_NAME', env),
      now: overrides.now ?? (() => new Date()),
      logger: overrides.logger ?? handlerLogger('fanout-summarize'),
    }),
  );

  return async function summarize(rawEvent: unknown): Promise<RunOutput> {
    const event = parseEvent(
      summarizeEventSchema,
      rawEvent,
      'Summarize expects {prepared, fanOut?, fanOutError?, aggregate?, aggregateError?}',
    );
    const { prepared, fanOut, fanOutError } = event;
    const deps = dependencies();

    let { counts, pendingSample } = await countRunStatuses(deps.ledger, deps.tableName, prepared.runId);
    const stopped = deps.now();
    const { resultPrefix, manifest, jobQueue } = prepared;
    if ((counts.pending > 0 || counts.retrying > 0) && resultPrefix && manifest && jobQueue) {
      const changed = await reconcileUnrecordedChildren(
        deps,
        { runId: prepared.runId, bucket: manifest.bucket, resultPrefix, queue: jobQueue },
        stopped.toISOString(),
      );
      if (changed > 0)
        ({ counts, pendingSample } = await countRunStatuses(deps.ledger, deps.tableName, prepared.runId));
    }
    const aggregate = aggregateOutcomeOf(prepared.aggregate?.jobName, event.aggregate, event.aggregateError);
    const aggregateFailed = aggregate?.status === 'FAILED';
    // The one status model (run/status-model.ts): tolerated failures are COMPLETED_WITH_FAILURES, never SUCCEEDED.
    const status = endedRunStatus(fanOutError !== undefined || aggregateFailed, counts);
    const error = fanOutError
      ? { error: fanOutError.Error, cause: fanOutError.Cause ?? '' }
      : aggregateFailed
        ? aggregateFailure(aggregate)
        : undefined;

    const summary: RunOutput = {
      ...runOutputBase('map', prepared, { status, counts, pendingSample, stopped, error, aggregate }),
      ...(fanOut?.MapRunArn ? { mapRunArn: fanOut.MapRunArn } : {}),
      ...(fanOut?.ResultWriterDetails
        ? { results: { bucket: fanOut.ResultWriterDetails.Bucket, key: fanOut.ResultWriterDetails.Key } }
        : {}),
    };

    await deps.ledger.send(
      new UpdateCommand(
        runOutcomeUpdate(deps.tableName, prepared.runId, {
          status,
          counts,
          stoppedAt: summary.stoppedAt,
          error,
          aggregate,
        }),
      ),
    );
    runLogger(deps.logger, { runId: prepared.runId, execution: prepared.executionArn }).info('summary written', {
      status,
      counts,
      ...(error ? { error: error.error } : {}),
    });
    return summary;
  };
}

/** The Lambda entry point. */
export const handler = createSummarizeHandler();
