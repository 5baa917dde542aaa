import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { documentClient } from './shared/clients';
import { type Environment, once, requiredEnv } from './shared/env';
import { parseEvent } from './shared/errors';
import { RUN_HEADER_ITEM_ID, RunStatus, type StatusCounts, countRunStatuses } from './shared/ledger';

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
    retriedItemCount: z.number().int().nonnegative().optional(),
  }),
  fanOut: z
    .object({
      MapRunArn: z.string().optional(),
      ResultWriterDetails: z.object({ Bucket: z.string(), Key: z.string() }).optional(),
    })
    .optional(),
  fanOutError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type SummarizeEvent = z.infer<typeof summarizeEventSchema>;

/** The run summary (docs/map-path.md, "Run summary"). */
export interface RunSummary {
  runId: string;
  path: 'map';
  status: RunStatus;
  counts: StatusCounts;
  /** Items Prepare accepted; equals `counts.total` unless rows went missing. */
  itemCount: number;
  /** Ids of up to 10 items still PENDING: they were never started or their outcome was never recorded. */
  pendingItemIds: string[];
  startedAt: string;
  stoppedAt: string;
  durationMs: number;
  executionArn?: string;
  mapRunArn?: string;
  results?: { bucket: string; key: string };
  error?: { error: string; cause: string };
  /** A retry execution (`retryOf`): the run it re-ran, whose rows the counts are. */
  retryOf?: string;
  /** A retry execution: the items it claimed and re-ran (0 when there was nothing to retry). */
  retriedItemCount?: number;
}

export interface SummarizeDependencies {
  ledger: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
}

/** The run's status from the Map's outcome and the ledger counts. */
export function runStatusOf(counts: StatusCounts, mapFailed: boolean): RunStatus {
  if (mapFailed) return RunStatus.FAILED;
  if (counts.total > 0 && counts.succeeded === counts.total) return RunStatus.SUCCEEDED;
  return RunStatus.COMPLETED_WITH_FAILURES;
}

/**
 * Builds the Summarize handler; without arguments it reads `TABLE_NAME` once, on first use.
 * @example export const handler = createSummarizeHandler();
 */
export function createSummarizeHandler(overrides: Partial<SummarizeDependencies> = {}, env: Environment = process.env) {
  const dependencies = once(
    (): SummarizeDependencies => ({
      ledger: overrides.ledger ?? documentClient(),
      tableName: overrides.tableName ?? requiredEnv('TABLE_NAME', env),
      now: overrides.now ?? (() => new Date()),
    }),
  );

  return async function summarize(rawEvent: unknown): Promise<RunSummary> {
    const { prepared, fanOut, fanOutError } = parseEvent(summarizeEventSchema, rawEvent, 'Summarize expects {prepared, fanOut?, fanOutError?}');
    const deps = dependencies();

    const { counts, pendingSample } = await countRunStatuses(deps.ledger, deps.tableName, prepared.runId);
    const status = runStatusOf(counts, fanOutError !== undefined);
    const stopped = deps.now();
    const error = fanOutError ? { error: fanOutError.Error, cause: fanOutError.Cause ?? '' } : undefined;

    const summary: RunSummary = {
      runId: prepared.runId,
      path: 'map',
      status,
      counts,
      itemCount: prepared.itemCount,
      pendingItemIds: pendingSample,
      startedAt: prepared.createdAt,
      stoppedAt: stopped.toISOString(),
      durationMs: Math.max(0, stopped.getTime() - Date.parse(prepared.createdAt)),
      ...(prepared.executionArn ? { executionArn: prepared.executionArn } : {}),
      ...(fanOut?.MapRunArn ? { mapRunArn: fanOut.MapRunArn } : {}),
      ...(fanOut?.ResultWriterDetails ? { results: { bucket: fanOut.ResultWriterDetails.Bucket, key: fanOut.ResultWriterDetails.Key } } : {}),
      ...(error ? { error } : {}),
      ...(prepared.retryOf === undefined ? {} : { retryOf: prepared.retryOf, retriedItemCount: prepared.retriedItemCount ?? 0 }),
    };

    await deps.ledger.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { runId: prepared.runId, itemId: RUN_HEADER_ITEM_ID },
        UpdateExpression: error
          ? 'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt, #error = :error'
          : 'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt REMOVE #error',
        ConditionExpression: 'attribute_exists(#runId)',
        ExpressionAttributeNames: { '#runId': 'runId', '#status': 'status', '#counts': 'counts', '#stoppedAt': 'stoppedAt', '#error': 'error' },
        ExpressionAttributeValues: { ':status': status, ':counts': counts, ':stoppedAt': summary.stoppedAt, ...(error ? { ':error': error } : {}) },
      }),
    );
    return summary;
  };
}

/** The Lambda entry point. */
export const handler = createSummarizeHandler();
