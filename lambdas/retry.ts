import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { RUN_HEADER_ITEM_ID, type RunHeaderRow } from '../run';
import { claimRetryCandidates, retryRoundThresholds } from './shared/claims';
import { documentClient, s3Client } from './shared/clients';
import { type Environment, once, requiredEnv } from './shared/env';
import { FanoutError, parseEvent } from './shared/errors';
import { handlerLogger, runLogger } from './shared/log';

/**
 * Retry: runs after a round of the Distributed Map that stayed within its failure threshold.
 * Finds the run's failed items through the sparse `failed-items` index, claims those that are
 * safe to re-run and have attempts left, abandons those out of attempts, and writes the
 * claimed items' manifest for the next round (`claimRetryCandidates`, shared with Prepare's
 * `retryOf`).
 */

/** The event the state machine sends (statemachine/map.asl.json, state Retry). */
const retryEventSchema = z.object({
  runId: z.string().min(1),
  /** The round that just ended; claimed items move to `round + 1`. */
  round: z.number().int().positive(),
  /** The execution that asks, for the operator log. */
  executionArn: z.string().optional(),
});

/** What Retry returns: the next round's manifest (null when nothing was claimed). */
export interface RetryResult {
  manifest: { bucket: string; key: string } | null;
  itemCount: number;
  round: number;
  /** Items that ran out of attempts in this call and are now ABANDONED. */
  abandonedCount: number;
  /** The next round's Map thresholds: the run's own, as a count of the run's items (see `retryRoundThresholds`). */
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
}

/** Everything Retry talks to; tests and the local cloud may replace any of it. */
export interface RetryDependencies {
  s3: S3Client;
  ledger: DynamoDBDocumentClient;
  tableName: string;
  bucket: string;
  now: () => Date;
  /** Makes each manifest key unique, so two Retry calls on one run never overwrite each other's manifest. */
  newId: () => string;
  logger: Logger;
}

/** The run has no header row in the ledger. */
export class RunNotFoundError extends FanoutError {
  override readonly name = 'RunNotFoundError';
}

/**
 * Builds the Retry handler; without arguments it reads `TABLE_NAME` and `BUCKET` once, on first use.
 * @example export const handler = createRetryHandler();
 */
export function createRetryHandler(overrides: Partial<RetryDependencies> = {}, env: Environment = process.env) {
  const dependencies = once(
    (): RetryDependencies => ({
      s3: overrides.s3 ?? s3Client(),
      ledger: overrides.ledger ?? documentClient(),
      tableName: overrides.tableName ?? requiredEnv('TABLE_NAME', env),
      bucket: overrides.bucket ?? requiredEnv('BUCKET', env),
      now: overrides.now ?? (() => new Date()),
      newId: overrides.newId ?? randomUUID,
      logger: overrides.logger ?? handlerLogger('fanout-retry'),
    }),
  );

  return async function retry(rawEvent: unknown): Promise<RetryResult> {
    const { runId, round, executionArn } = parseEvent(retryEventSchema, rawEvent, 'Retry expects {runId, round}');
    const deps = dependencies();

    const header = await deps.ledger.send(
      new GetCommand({ TableName: deps.tableName, Key: { runId, itemId: RUN_HEADER_ITEM_ID }, ConsistentRead: true }),
    );
    const run = header.Item as RunHeaderRow | undefined;
    if (!run)
      throw new RunNotFoundError(
        `runId: no run ${JSON.stringify(runId)} in ledger ${deps.tableName} (its header row is missing)`,
      );
    // Without the execution's ARN an earlier try's claims cannot be told apart from another's.
    const claimant = executionArn ?? `unknown-${deps.newId()}`;
    const claimed = await claimRetryCandidates(deps, run, round + 1, { claimant });
    runLogger(deps.logger, { runId, execution: executionArn }).info('retry claims made', {
      round: claimed.round,
      claimedItemCount: claimed.itemCount,
      abandonedCount: claimed.abandonedCount,
    });
    return { ...claimed, ...retryRoundThresholds(run) };
  };
}

/** The Lambda entry point (CDK: `NodejsFunction` with `handler: 'handler'`). */
export const handler = createRetryHandler();
