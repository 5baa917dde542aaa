import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type BatchClient,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  type JobDefinition,
} from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  type PreparedRun,
  pendingItemRow,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  type RunPath,
  RunStatus,
  realSleep,
  type Sleep,
} from '../run';
import { ARRAY_THRESHOLDS, checkArrayPathInput, planArrays } from './shared/arrays';
import { batchClient, documentClient, s3Client } from './shared/clients';
import { prepareResume, prepareRetry } from './shared/continued-run';
import { type Environment, once, requiredEnv } from './shared/env';
import { FanoutInputError, parseEvent } from './shared/errors';
import {
  AWS_MIN_TIMEOUT_SECONDS,
  checkTimeout,
  type ExecutionInput,
  effectiveRetry,
  effectiveThresholds,
  ItemCollector,
  itemSourceOf,
  jobSchedulingOf,
  jobTimeoutOf,
  type PreparedItem,
  parseExecutionInput,
  prepareInlineItems,
  type RunContext,
  resolveRunId,
  shareIdentifierIssues,
} from './shared/input';
import { handlerLogger, runLogger } from './shared/log';
import { indexedManifest, manifestIndexKey, manifestLine } from './shared/manifest';
import { writeRunPlan } from './shared/run-plan';
import { readSourceItems } from './shared/source';

/**
 * Prepare: the first state of the map path and of the array path (`path: 'array'` in its event).
 * Validates the execution input, resolves the job queue, job definition and command, expands and
 * checks every item, then writes the run's header row, the JSONL manifest (the Distributed Map
 * reads it; array children read their line through its offset index), and one PENDING row per
 * item. Nothing is written unless every item passed every check.
 */

/** The event the state machine sends (see statemachine/map.asl.json, state Prepare). */
export const prepareEventSchema = z.object({
  input: z.unknown(),
  executionName: z.string().min(1),
  executionArn: z.string().min(1),
  /** The state machine asking: `array` for statemachine/array.asl.json. @default 'map' */
  path: z.enum(['map', 'array']).optional(),
});
export type PrepareEvent = z.infer<typeof prepareEventSchema>;

/** Everything Prepare talks to; tests and the local cloud may replace any of it. */
export interface PrepareDependencies {
  s3: S3Client;
  batch: BatchClient;
  ledger: DynamoDBDocumentClient;
  tableName: string;
  bucket: string;
  now: () => Date;
  sleep: Sleep;
  random: () => number;
  /** Makes a retry's manifest key unique. */
  newId: () => string;
  logger: Logger;
  /** The least `timeout` the input may ask for: AWS Batch's 60 seconds, or 1 on the local cloud. */
  minTimeoutSeconds: number;
  /** After how long an uncommitted plan of another execution is abandoned (see `PlanDependencies`). @default 900 */
  abandonedPrepareAfterSeconds: number;
}

/** S3 keys of a run's objects. */
function runKeys(runId: string): { manifestKey: string; resultPrefix: string } {
  return { manifestKey: `runs/${runId}/manifest.jsonl`, resultPrefix: `runs/${runId}/results` };
}

/** Refuses a queue that does not exist or is not ENABLED, and a shareIdentifier its scheduling policy (or lack of one) refuses. */
async function resolveJobQueue(
  batch: BatchClient,
  input: Pick<ExecutionInput, 'jobQueue' | 'shareIdentifier'>,
): Promise<void> {
  const name = input.jobQueue;
  const response = await batch.send(new DescribeJobQueuesCommand({ jobQueues: [name] }));
  const queue = response.jobQueues?.[0];
  if (!queue) throw FanoutInputError.of('jobQueue', 'no job queue has this name', name);
  if (queue.state !== undefined && queue.state !== 'ENABLED') {
    throw FanoutInputError.of(
      'jobQueue',
      `the job queue is ${queue.state}; jobs can only be submitted to an ENABLED queue`,
      name,
    );
  }
  const issues = shareIdentifierIssues(input, queue.schedulingPolicyArn || undefined);
  if (issues.length > 0) throw new FanoutInputError(issues);
}

async function resolveJobDefinition(batch: BatchClient, reference: string): Promise<JobDefinition> {
  const pinned = reference.includes(':');
  let best: JobDefinition | undefined;
  let nextToken: string | undefined;
  do {
    const response = await batch.send(
      new DescribeJobDefinitionsCommand(
        pinned
          ? { jobDefinitions: [reference] }
          : { jobDefinitionName: reference, status: 'ACTIVE', ...(nextToken ? { nextToken } : {}) },
      ),
    );
    for (const definition of response.jobDefinitions ?? []) {
      if (definition.status !== undefined && definition.status !== 'ACTIVE') continue;
      if (!best || (definition.revision ?? 0) > (best.revision ?? 0)) best = definition;
    }
    nextToken = pinned ? undefined : response.nextToken;
  } while (nextToken);
  if (!best) throw FanoutInputError.of('jobDefinition', 'no ACTIVE job definition matches', reference);
  return best;
}

function headerRow(event: PrepareEvent, prepared: PreparedRun): RunHeaderRow {
  return {
    ...prepared,
    itemId: RUN_HEADER_ITEM_ID,
    kind: 'run',
    status: RunStatus.RUNNING,
    executionName: event.executionName,
  };
}

/**
 * Builds the Prepare handler. Without arguments it reads `TABLE_NAME` and `BUCKET` from the
 * environment (once, on first use) and uses the shared SDK clients.
 * @example export const handler = createPrepareHandler();
 */
export function createPrepareHandler(overrides: Partial<PrepareDependencies> = {}, env: Environment = process.env) {
  const dependencies = once(
    (): PrepareDependencies => ({
      s3: overrides.s3 ?? s3Client(),
      batch: overrides.batch ?? batchClient(),
      ledger: overrides.ledger ?? documentClient(),
      tableName: overrides.tableName ?? requiredEnv('TABLE_NAME', env),
      bucket: overrides.bucket ?? requiredEnv('BUCKET', env),
      now: overrides.now ?? (() => new Date()),
      sleep: overrides.sleep ?? realSleep,
      random: overrides.random ?? Math.random,
      newId: overrides.newId ?? randomUUID,
      logger: overrides.logger ?? handlerLogger('fanout-prepare'),
      minTimeoutSeconds: overrides.minTimeoutSeconds ?? AWS_MIN_TIMEOUT_SECONDS,
      // Lambda's longest timeout: a Prepare begun earlier can no longer be writing its plan.
      abandonedPrepareAfterSeconds: overrides.abandonedPrepareAfterSeconds ?? 900,
    }),
  );

  return async function prepare(rawEvent: unknown): Promise<PreparedRun> {
    const event = parseEvent(prepareEventSchema, rawEvent, 'Prepare expects {input, executionName, executionArn}');
    const deps = dependencies();
    let prepared: PreparedRun;
    try {
      prepared = await prepareRun(deps, event);
    } catch (error) {
      if (error instanceof FanoutInputError) {
        deps.logger.warn('input refused', { execution: event.executionArn, issues: error.issues });
      }
      throw error;
    }
    const log = runLogger(deps.logger, { runId: prepared.runId, execution: event.executionArn });
    const fields = { path: prepared.path, round: prepared.round, itemCount: prepared.itemCount };
    if (prepared.retryOf !== undefined) log.info('retry round planned', fields);
    else if (prepared.resumeOf !== undefined) log.info('resume round planned', fields);
    else log.info('input accepted', { ...fields, jobQueue: prepared.jobQueue, jobDefinition: prepared.jobDefinition });
    return prepared;
  };
}

/** Validates the input, then writes the run's header, manifest and PENDING rows (or reopens an earlier run). */
async function prepareRun(deps: PrepareDependencies, event: PrepareEvent): Promise<PreparedRun> {
  const path: RunPath = event.path ?? 'map';
  const input = parseExecutionInput(event.input);
  checkTimeout(input, deps.minTimeoutSeconds);
  if (path === 'array') checkArrayPathInput(event.input);
  if (input.retryOf !== undefined) return prepareRetry(deps, event, input.retryOf, path);
  if (input.resumeOf !== undefined) return prepareResume(deps, event, input.resumeOf, path);
  const runId = resolveRunId(input, event.executionName);

  await resolveJobQueue(deps.batch, input);
  const definition = await resolveJobDefinition(deps.batch, input.jobDefinition);
  const command = input.command ?? definition.containerProperties?.command ?? [];
  if (command.length === 0) {
    throw FanoutInputError.of(
      'command',
      `command is not given and job definition ${definition.jobDefinitionName} has no command of its own`,
    );
  }
  const context: RunContext = {
    runId,
    round: 1,
    jobQueue: input.jobQueue,
    jobDefinition: `${definition.jobDefinitionName}:${definition.revision}`,
    command,
    environment: input.environment,
    jobTimeout: jobTimeoutOf(input, definition.timeout?.attemptDurationSeconds),
    scheduling: jobSchedulingOf(input),
    idempotent: input.idempotent,
  };

  const source = itemSourceOf(input);
  let items: PreparedItem[];
  if (source.kind === 'inline') {
    items = prepareInlineItems(source, context);
  } else if (source.kind === 'retry') {
    throw FanoutInputError.of('retryOf', 'a retry is prepared from the earlier run', source.runId);
  } else {
    const collector = new ItemCollector(context);
    await readSourceItems(deps.s3, source, collector);
    items = collector.finish('source');
  }

  const { manifestKey, resultPrefix } = runKeys(runId);
  const createdAt = deps.now().toISOString();
  const prepared: PreparedRun = {
    runId,
    path,
    round: 1,
    itemCount: items.length,
    executionArn: event.executionArn,
    createdAt,
    manifest: { bucket: deps.bucket, key: manifestKey },
    resultPrefix,
    jobQueue: context.jobQueue,
    jobDefinition: context.jobDefinition,
    command: [...command],
    environment: context.environment,
    jobTimeout: context.jobTimeout,
    scheduling: jobSchedulingOf(input),
    maxConcurrency: input.maxConcurrency,
    ...effectiveThresholds(input, items.length),
    retry: effectiveRetry(input),
    idempotent: input.idempotent,
    ...(input.failFast ? { failFast: true } : {}),
    ...(input.aggregate
      ? {
          aggregate: {
            jobName: `${runId}-aggregate`,
            command: input.aggregate.command,
            kwargs: JSON.stringify(input.aggregate.kwargs),
          },
        }
      : {}),
    ...(path === 'array'
      ? arrayRunSettings(runId, 1, items.length, deps.bucket, manifestKey, input.retry.maxAttempts)
      : {}),
  };

  const { body, index } = indexedManifest(items.map(manifestLine));
  const rows = items.map((item) =>
    pendingItemRow({
      runId,
      itemId: item.itemId,
      idempotent: item.idempotent,
      jobName: item.jobName,
      kwargs: item.kwargsJson,
      createdAt,
    }),
  );
  // Header first (only if the run id is new, belongs to this very execution whose Prepare is
  // being retried, or was abandoned before its commit), then manifest and rows, then the commit.
  await writeRunPlan(deps, {
    header: headerRow(event, prepared),
    manifest: { bucket: deps.bucket, key: manifestKey, body },
    ...(prepared.index ? { index: { ...prepared.index, body: index } } : {}),
    rows,
  });

  return prepared;
}

/**
 * What an array-path run adds to (and changes in) its prepared run: the manifest's index, the
 * jobs that cover the manifest, no tolerated failures, no Map concurrency and no automatic rounds.
 */
function arrayRunSettings(
  runId: string,
  round: number,
  itemCount: number,
  bucket: string,
  manifestKey: string,
  maxAttempts: number,
) {
  return {
    index: { bucket, key: manifestIndexKey(manifestKey) },
    arrays: planArrays(runId, round, itemCount),
    maxConcurrency: 0,
    ...ARRAY_THRESHOLDS,
    retry: { rounds: 0, maxAttempts },
  } satisfies Partial<PreparedRun>;
}

/** The Lambda entry point (CDK: `NodejsFunction` with `handler: 'handler'`). */
export const handler = createPrepareHandler();
