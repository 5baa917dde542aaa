import { z } from 'zod';
import { placeholderNames } from '../../../job/invocation';
import {
  checkReservedValue,
  commandArgumentSchema,
  environmentSchema,
  hasReservedPrefix,
  itemIdSchema,
  JOB_DEFINITION_PATTERN,
  kwargNameSchema,
  QUEUE_NAME_PATTERN,
  RESERVED_FIELDS,
  RUN_ID_PATTERN,
  SCHEDULING_PRIORITY_RANGE,
  SHARE_IDENTIFIER_PATTERN,
} from './fields';
import { SIZE_LIMITS } from './sizing';

/**
 * The execution input's zod schema: every field, its default and its rule, and the JSON
 * Schema published from it. The rules of names, ids and command arguments are in `fields.ts`.
 */

/** An S3 `source`: the bucket and the key (or prefix ending with `/`). */
export const S3_URI_PATTERN = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/** The largest run one execution accepts; bigger sweeps are split into several runs. */
export const MAX_ITEMS = 100_000;
/** Step Functions runs at most 10,000 child executions of a Distributed Map at once. */
const MAX_CONCURRENCY_LIMIT = 10_000;

export const DEFAULT_JOB_QUEUE = 'fanout-high';
export const DEFAULT_JOB_DEFINITION = 'fanout-job';
export const DEFAULT_MAX_CONCURRENCY = 1000;
/** Batch's floor for a job attempt's timeout (docs: batch/latest/APIReference/API_JobTimeout.html). */
export const AWS_MIN_TIMEOUT_SECONDS = 60;

const jsonValueSchema = z.json();
const kwargsSchema = z.record(kwargNameSchema, jsonValueSchema);

/** One item of `items` (or one entry of a `source`): kwargs plus the reserved `id` and `idempotent`. */
export const itemEntrySchema = z
  .object({
    id: itemIdSchema.optional().describe('Item id, unique in the run; default: the zero-padded position.'),
    idempotent: RESERVED_FIELDS.idempotent
      .optional()
      .describe('Overrides the run-level idempotent flag for this item.'),
  })
  .catchall(jsonValueSchema)
  .superRefine((entry, ctx) => {
    for (const name of Object.keys(entry)) {
      if (name === 'id' || name === 'idempotent') continue;
      const reserved = name === '' ? 'must not be empty' : hasReservedPrefix(name);
      if (reserved !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          input: name,
          message:
            name === ''
              ? 'a kwarg name must not be empty'
              : `a kwarg name must not start with ${reserved} (reserved for Batch and the job entrypoint)`,
        });
      }
    }
  })
  .describe('kwargs for one job; "id" and "idempotent" are reserved and not passed to the job');

const gridSchema = z
  .record(kwargNameSchema, z.array(jsonValueSchema).min(1, 'a grid value list must not be empty'))
  .superRefine((grid, ctx) => {
    const names = Object.keys(grid);
    if (names.length === 0) {
      ctx.addIssue({ code: 'custom', input: grid, message: 'a grid needs at least one named value list' });
      return;
    }
    for (const name of ['id', 'idempotent'] as const) {
      grid[name]?.forEach((value, index) => {
        checkReservedValue(name, value, [name, index], ctx, "each value becomes an item's");
      });
    }
    let size = 1;
    for (const values of Object.values(grid)) size *= values.length;
    if (size > MAX_ITEMS) {
      ctx.addIssue({
        code: 'custom',
        input: size,
        message: `the grid's cartesian product must have at most ${MAX_ITEMS} items`,
      });
    }
  })
  .describe(
    'Cartesian product of named value lists, one item per combination, in key order (first key varies slowest).',
  );

const replicasSchema = z
  .strictObject({
    count: z
      .number()
      .int('count must be an integer')
      .min(1, 'count must be at least 1')
      .max(MAX_ITEMS, `count must be at most ${MAX_ITEMS}`),
    kwargs: kwargsSchema.default({}).describe('kwargs shared by every replica.'),
    indexKey: kwargNameSchema.default('replica').describe('kwarg that receives the replica index (0-based).'),
  })
  .superRefine((replicas, ctx) => {
    for (const name of ['id', 'idempotent'] as const) {
      if (Object.hasOwn(replicas.kwargs, name))
        checkReservedValue(name, replicas.kwargs[name], ['kwargs', name], ctx, "it becomes every replica's");
    }
    if (replicas.indexKey === 'idempotent') {
      ctx.addIssue({
        code: 'custom',
        path: ['indexKey'],
        input: replicas.indexKey,
        message:
          'indexKey must not be "idempotent": each replica\'s index (a number) would become its idempotent flag, which must be a boolean',
      });
    }
    if (Object.hasOwn(replicas.kwargs, replicas.indexKey)) {
      ctx.addIssue({
        code: 'custom',
        path: ['kwargs', replicas.indexKey],
        input: replicas.indexKey,
        message: `kwargs must not contain the indexKey "${replicas.indexKey}", which each replica sets to its index`,
      });
    }
  })
  .describe('count copies of kwargs, each with its 0-based index under indexKey.');

const sourceSchema = z
  .string()
  .regex(S3_URI_PATTERN, 'source must be an S3 URI s3://<bucket>/<key>')
  .refine((uri) => uri.endsWith('.json') || uri.endsWith('.jsonl') || uri.endsWith('/'), {
    error: 'source must name a .json array, a .jsonl manifest, or a prefix ending with "/"',
  })
  .describe(
    's3://bucket/key.json (JSON array of items), s3://bucket/key.jsonl (one item per line) or s3://bucket/prefix/ (one item JSON object per object, in key order).',
  );

const retrySchema = z
  .strictObject({
    rounds: z
      .number()
      .int('rounds must be an integer')
      .min(0, 'rounds must be at least 0')
      .max(10, 'rounds must be at most 10')
      .default(1)
      .describe('Retry rounds after the first pass.'),
    maxAttempts: z
      .number()
      .int('maxAttempts must be an integer')
      .min(1, 'maxAttempts must be at least 1')
      .max(10, 'maxAttempts must be at most 10')
      .default(3)
      .describe('Attempts per item, the first included.'),
  })
  .describe('Re-running failed idempotent items from the ledger.');

/** The optional job run once after every item has finished (e.g. a reduce over the items' results). */
const aggregateSchema = z
  .strictObject({
    command: z
      .array(commandArgumentSchema('aggregate.command'))
      .min(1, 'aggregate.command must have at least one element')
      .describe('Command of the aggregation job, with {kwarg} placeholders filled from aggregate.kwargs.'),
    kwargs: kwargsSchema
      .default({})
      .describe('kwargs of the aggregation job, passed as FANOUT_KWARGS and as environment variables.'),
  })
  .superRefine((aggregate, ctx) => {
    for (const [position, argument] of aggregate.command.entries()) {
      for (const name of placeholderNames(argument)) {
        if (Object.hasOwn(aggregate.kwargs, name)) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['command', position],
          input: argument,
          message: `aggregate.command placeholder {${name}} has no value in aggregate.kwargs`,
        });
      }
    }
    const kwargsBytes =
      Buffer.byteLength(JSON.stringify(aggregate.kwargs)) + Buffer.byteLength(JSON.stringify(aggregate.command));
    const limit = SIZE_LIMITS.containerOverrides - SIZE_LIMITS.containerOverridesReservedForBatch;
    if (kwargsBytes > limit) {
      ctx.addIssue({
        code: 'custom',
        input: kwargsBytes,
        message: `aggregate's command and kwargs must fit the ${limit} bytes of container overrides left to fanout`,
      });
    }
  })
  .describe(
    'One job run after every item has finished and the run has not failed: the same job queue and job definition as the items.',
  );

const ITEM_SOURCES = ['items', 'grid', 'replicas', 'source'] as const;

/** The execution input of the map path; strict: an unknown key is an error naming it. */
export const executionInputSchema = z
  .strictObject({
    items: z
      .array(itemEntrySchema)
      .min(1, 'items must not be empty')
      .max(MAX_ITEMS, `items must have at most ${MAX_ITEMS} entries`)
      .optional()
      .describe('Inline list of items.'),
    grid: gridSchema.optional(),
    replicas: replicasSchema.optional(),
    source: sourceSchema.optional(),
    idempotent: z
      .boolean()
      .default(true)
      .describe('Default idempotent flag of every item: only idempotent items are retried.'),
    toleratedFailurePercentage: z
      .number()
      .min(0, 'toleratedFailurePercentage must be between 0 and 100')
      .max(100, 'toleratedFailurePercentage must be between 0 and 100')
      .optional()
      .describe(
        'The run fails when failed items exceed this percentage of all items. When only toleratedFailureCount is set, no percentage applies; when neither is set, any failure fails the run.',
      ),
    toleratedFailureCount: z
      .number()
      .int('toleratedFailureCount must be an integer')
      .min(0, 'toleratedFailureCount must be at least 0')
      .optional()
      .describe(
        'The run fails when failed items exceed this count. When only toleratedFailurePercentage is set, no count applies; when neither is set, any failure fails the run.',
      ),
    maxConcurrency: z
      .number()
      .int('maxConcurrency must be an integer')
      .min(0, 'maxConcurrency must be between 0 and 10000')
      .max(MAX_CONCURRENCY_LIMIT, 'maxConcurrency must be between 0 and 10000')
      .default(DEFAULT_MAX_CONCURRENCY)
      .describe('Child executions running at once; 0 means as many as Step Functions allows (10,000).'),
    retry: retrySchema.default({ rounds: 1, maxAttempts: 3 }),
    jobQueue: z.string().regex(QUEUE_NAME_PATTERN, 'jobQueue must be a job queue name').default(DEFAULT_JOB_QUEUE),
    shareIdentifier: z
      .string()
      .regex(SHARE_IDENTIFIER_PATTERN, 'shareIdentifier must be 1-255 letters or digits, optionally followed by "*"')
      .optional()
      .describe(
        'Fair-share identifier of every job of the run (SubmitJob shareIdentifier): required when jobQueue has a scheduling policy, refused when it has none.',
      ),
    schedulingPriority: z
      .number()
      .int('schedulingPriority must be an integer')
      .min(SCHEDULING_PRIORITY_RANGE.min, 'schedulingPriority must be between 0 and 9999')
      .max(SCHEDULING_PRIORITY_RANGE.max, 'schedulingPriority must be between 0 and 9999')
      .optional()
      .describe(
        "Scheduling priority of every job of the run (SubmitJob schedulingPriorityOverride; higher starts first within its share on a fair-share queue); only with shareIdentifier; default: the job definition's.",
      ),
    jobDefinition: z
      .string()
      .regex(JOB_DEFINITION_PATTERN, 'jobDefinition must be a name, name:revision or job definition ARN')
      .default(DEFAULT_JOB_DEFINITION),
    command: z
      .array(commandArgumentSchema('command'))
      .min(1, 'command must have at least one element')
      .optional()
      .describe("Command run for every item, with {kwarg} placeholders; default: the job definition's command."),
    environment: environmentSchema.default({}),
    timeout: z
      .number()
      .int('timeout must be a whole number of seconds')
      .min(1, 'timeout must be at least 1 second')
      .optional()
      .describe(
        "Seconds every job attempt may run before Batch terminates it (class TIMEOUT); overrides the job definition's. AWS requires at least 60; the local cloud honours any value.",
      ),
    runId: z
      .string()
      .regex(RUN_ID_PATTERN, 'runId must be 1-64 letters, digits, "_" or "-", starting with a letter or digit')
      .optional()
      .describe('Run id; default: the execution name.'),
    failFast: z
      .boolean()
      .default(false)
      .describe(
        'The first failed item fails the run and terminates the running jobs: thresholds 0 and no retry rounds. Not combinable with toleratedFailurePercentage or toleratedFailureCount.',
      ),
    retryOf: z
      .string()
      .regex(
        RUN_ID_PATTERN,
        'retryOf must be a run id: 1-64 letters, digits, "_" or "-", starting with a letter or digit',
      )
      .optional()
      .describe(
        "Re-runs the retry candidates of an earlier run (FAILED and idempotent, or never submitted, with attempts left) with that run's own settings, updating its ledger rows. Given alone: no item source and no other option.",
      ),
    aggregate: aggregateSchema.optional(),
    resumeOf: z
      .string()
      .regex(
        RUN_ID_PATTERN,
        'resumeOf must be a run id: 1-64 letters, digits, "_" or "-", starting with a letter or digit',
      )
      .optional()
      .describe(
        'Finishes a run whose execution died: items whose job succeeded are recorded, items whose job was lost become FAILED (ABORTED) and re-run only when idempotent, items never started run. Given alone: no item source and no other option.',
      ),
  })
  .superRefine((input, ctx) => {
    if (input.failFast) {
      for (const field of ['toleratedFailurePercentage', 'toleratedFailureCount'] as const) {
        if (input[field] === undefined) continue;
        ctx.addIssue({
          code: 'custom',
          path: [field],
          input: input[field],
          message: `failFast and ${field} cannot be combined: failFast fails the run at the first failure, ${field} tolerates failures`,
        });
      }
    }
    // Batch applies a job's scheduling priority only on a fair-share queue (docs:
    // batch/latest/APIReference/API_SubmitJob.html, schedulingPriorityOverride), and every job there
    // names its share: a priority without a share would have no effect, so it is refused.
    if (input.schedulingPriority !== undefined && input.shareIdentifier === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedulingPriority'],
        input: input.schedulingPriority,
        message:
          'schedulingPriority needs a shareIdentifier: Batch orders jobs by scheduling priority only on a fair-share job queue, where every job names its share',
      });
    }
    if (input.retryOf !== undefined || input.resumeOf !== undefined) return;
    const given = ITEM_SOURCES.filter((name) => input[name] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({
        code: 'custom',
        input: undefined,
        message: `exactly one item source is required: ${ITEM_SOURCES.join(', ')}, or retryOf or resumeOf`,
      });
    } else if (given.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given[1] as string],
        input: given,
        message: `exactly one item source is allowed, but ${given.join(' and ')} were given`,
      });
    }
  });

export type ExecutionInput = z.output<typeof executionInputSchema>;

/** The JSON Schema of the execution input, as published in `statemachine/input.schema.json`. */
export function executionInputJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(executionInputSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'fanout map path execution input',
    description:
      'Input of a fanout map-path execution. Exactly one of items, grid, replicas or source is required, or retryOf or resumeOf alone.',
    oneOf: [...ITEM_SOURCES, 'retryOf', 'resumeOf'].map((name) => ({ required: [name] })),
    dependentRequired: { schedulingPriority: ['shareIdentifier'] },
  };
}

/** The published schema file's exact text (`statemachine/input.schema.json`). */
export function renderExecutionInputJsonSchema(): string {
  return `${JSON.stringify(executionInputJsonSchema(), null, 2)}\n`;
}
