import { createHash } from 'node:crypto';
import { z } from 'zod';
import { placeholderNames } from '../../job/invocation';
import { describeValue, FanoutInputError, type InputIssue } from './errors';

/**
 * The execution input of the map path (DESIGN §4): its schema, its parsing into a typed
 * input with defaults, and the expansion of the item source into prepared items whose
 * identity, job name and request sizes are all checked before anything is written.
 */

/** Run ids become DynamoDB keys, S3 key segments and Batch job name prefixes. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** User item ids; `#` is deliberately absent so the ledger's header row key can never collide. */
export const ITEM_ID_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;
/** Batch job names: 1-128 letters, digits, hyphens, underscores, starting alphanumeric. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const QUEUE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const JOB_DEFINITION_PATTERN =
  /^(?:[A-Za-z0-9][A-Za-z0-9_-]{0,127}(?::[1-9][0-9]*)?|arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-definition\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}(?::[1-9][0-9]*)?)$/;
const S3_URI_PATTERN = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;
/** Kwarg names that would shadow variables Batch or the job entrypoint set themselves. */
const RESERVED_KWARG_PREFIXES = ['AWS_BATCH', 'FANOUT_'] as const;

/** The largest run one execution accepts; bigger sweeps are split into several runs. */
export const MAX_ITEMS = 100_000;
/** Step Functions runs at most 10,000 child executions of a Distributed Map at once. */
export const MAX_CONCURRENCY_LIMIT = 10_000;

/**
 * Request size budgets, in UTF-8 bytes (never fewer than characters, so the check is safe).
 * - SubmitJob payload: 30 KiB (batch/latest/userguide/service_limits.html).
 * - Container overrides: ECS allows 8,192 characters of overrides including the JSON
 *   formatting (ecs RunTask `overrides`); Batch adds its own `AWS_BATCH_*` variables to the
 *   same overrides, so 1 KiB of that is left to Batch.
 * - Step Functions state payload (the child execution's input): 256 KiB.
 */
export const SIZE_LIMITS = {
  submitJobPayload: 30 * 1024,
  containerOverrides: 8192,
  containerOverridesReservedForBatch: 1024,
  statePayload: 256 * 1024,
} as const;

export const DEFAULT_JOB_QUEUE = 'fanout-high';
export const DEFAULT_JOB_DEFINITION = 'fanout-job';
export const DEFAULT_MAX_CONCURRENCY = 1000;

function hasReservedPrefix(name: string): string | undefined {
  const upper = name.toUpperCase();
  return RESERVED_KWARG_PREFIXES.find((prefix) => upper.startsWith(prefix));
}

const kwargNameSchema = z
  .string()
  .min(1, 'a kwarg name must not be empty')
  .max(256, 'a kwarg name must be at most 256 characters')
  .refine((name) => hasReservedPrefix(name) === undefined, {
    error: `a kwarg name must not start with ${RESERVED_KWARG_PREFIXES.join(' or ')} (reserved for Batch and the job entrypoint)`,
  });

const jsonValueSchema = z.json();
const kwargsSchema = z.record(kwargNameSchema, jsonValueSchema);

const itemIdSchema = z.union([
  z.string().regex(ITEM_ID_PATTERN, 'an item id must be 1-100 letters, digits, "_", "." or "-"'),
  z
    .number()
    .int('an item id must be a string or a non-negative integer')
    .nonnegative('an item id must be a string or a non-negative integer'),
]);

/** One item of `items` (or one entry of a `source`): kwargs plus the reserved `id` and `idempotent`. */
export const itemEntrySchema = z
  .object({
    id: itemIdSchema.optional().describe('Item id, unique in the run; default: the zero-padded position.'),
    idempotent: z.boolean().optional().describe('Overrides the run-level idempotent flag for this item.'),
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
      .array(z.string())
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
    jobDefinition: z
      .string()
      .regex(JOB_DEFINITION_PATTERN, 'jobDefinition must be a name, name:revision or job definition ARN')
      .default(DEFAULT_JOB_DEFINITION),
    command: z
      .array(z.string())
      .min(1, 'command must have at least one element')
      .optional()
      .describe("Command run for every item, with {kwarg} placeholders; default: the job definition's command."),
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
export type ItemEntry = z.output<typeof itemEntrySchema>;

const ALLOWED_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(executionInputSchema.shape),
  retry: ['rounds', 'maxAttempts'],
  replicas: ['count', 'kwargs', 'indexKey'],
  aggregate: ['command', 'kwargs'],
};

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function toInputIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const allowed = ALLOWED_KEYS[issue.path.map(String).join('.')];
      const input = (issue.input ?? {}) as Record<string, unknown>;
      for (const key of issue.keys) {
        issues.push({
          path: pathText([...path, key]),
          message: `unknown key "${key}"${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
          received: describeValue(input[key]),
        });
      }
      continue;
    }
    issues.push({
      path: pathText(path),
      message: issue.message,
      ...('input' in issue && issue.input !== undefined ? { received: describeValue(issue.input) } : {}),
    });
  }
  return issues;
}

/**
 * Parses and validates an execution input, applying defaults.
 * @throws FanoutInputError naming every broken rule with its field path and received value.
 * @example parseExecutionInput({ replicas: { count: 100 }, command: ['sim', '--seed', '{replica}'] })
 */
export function parseExecutionInput(raw: unknown): ExecutionInput {
  const parsed = executionInputSchema.safeParse(raw, { reportInput: true });
  const issues = [
    ...retryOfConflicts(raw, 'retryOf'),
    ...retryOfConflicts(raw, 'resumeOf'),
    ...(parsed.success ? [] : toInputIssues(parsed.error)),
  ];
  if (issues.length > 0 || !parsed.success) throw new FanoutInputError(issues);
  return parsed.data;
}

/** A retry (or a resume) runs the earlier run's own items and settings, so `retryOf` (`resumeOf`) comes alone. */
function retryOfConflicts(raw: unknown, field: 'retryOf' | 'resumeOf'): InputIssue[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const record = raw as Record<string, unknown>;
  if (record[field] === undefined) return [];
  // With both given, the conflict is reported once, on resumeOf.
  return Object.keys(record)
    .filter(
      (key) =>
        key !== field && Object.hasOwn(executionInputSchema.shape, key) && !(field === 'retryOf' && key === 'resumeOf'),
    )
    .map((key) => ({
      path: key,
      message: `${key} cannot be given with ${field}: ${field === 'retryOf' ? 'a retry' : 'a resume'} re-runs the earlier run's items with that run's own settings`,
      received: describeValue(record[key]),
    }));
}

/**
 * The thresholds the Distributed Map gets. Both `...Path` fields are always set in the
 * definition, and AWS fails a Map Run when EITHER is exceeded, so an option the user left out
 * must not be 0: it becomes 100% or N items, which failures can never exceed.
 * @example effectiveThresholds({ toleratedFailureCount: 5 }, 1000) // { toleratedFailurePercentage: 100, toleratedFailureCount: 5 }
 */
export function effectiveThresholds(
  input: Pick<ExecutionInput, 'toleratedFailurePercentage' | 'toleratedFailureCount'> & { failFast?: boolean },
  itemCount: number,
): { toleratedFailurePercentage: number; toleratedFailureCount: number } {
  const { toleratedFailurePercentage: percentage, toleratedFailureCount: count } = input;
  if (input.failFast || (percentage === undefined && count === undefined))
    return { toleratedFailurePercentage: 0, toleratedFailureCount: 0 };
  return { toleratedFailurePercentage: percentage ?? 100, toleratedFailureCount: count ?? itemCount };
}

/**
 * The retry settings a run gets: with `failFast` no retry round (the first failure ends the
 * run), else the input's.
 * @example effectiveRetry({ failFast: true, retry: { rounds: 2, maxAttempts: 3 } }) // { rounds: 0, maxAttempts: 3 }
 */
export function effectiveRetry(input: Pick<ExecutionInput, 'retry'> & { failFast?: boolean }): {
  rounds: number;
  maxAttempts: number;
} {
  return input.failFast ? { ...input.retry, rounds: 0 } : input.retry;
}

/** The JSON Schema of the execution input, as published in `statemachine/input.schema.json`. */
export function executionInputJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(executionInputSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'fanout map path execution input',
    description:
      'Input of a fanout map-path execution. Exactly one of items, grid, replicas or source is required, or retryOf or resumeOf alone.',
    oneOf: [...ITEM_SOURCES, 'retryOf', 'resumeOf'].map((name) => ({ required: [name] })),
  };
}

/** The published schema file's exact text (`statemachine/input.schema.json`). */
export function renderExecutionInputJsonSchema(): string {
  return `${JSON.stringify(executionInputJsonSchema(), null, 2)}\n`;
}

/** Where a run's items come from, once the input is parsed. */
export type ItemSource =
  | { kind: 'inline'; entries: Iterable<{ entry: unknown; where: string }>; count: number }
  | { kind: 'retry'; runId: string }
  | { kind: 's3'; uri: string; bucket: string; key: string; format: 'json' | 'jsonl' | 'prefix' };

/** Splits an `s3://bucket/key` URI; the key keeps its trailing `/` for prefixes. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = S3_URI_PATTERN.exec(uri);
  if (!match) throw FanoutInputError.of('source', 'source must be an S3 URI s3://<bucket>/<key>', uri);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** The item source of a parsed input: inline entries (items, grid, replicas) or an S3 location. */
export function itemSourceOf(input: ExecutionInput): ItemSource {
  if (input.retryOf !== undefined) return { kind: 'retry', runId: input.retryOf };
  if (input.resumeOf !== undefined) return { kind: 'retry', runId: input.resumeOf };
  if (input.items) {
    const items = input.items;
    return {
      kind: 'inline',
      entries: items.map((entry, index) => ({ entry, where: `items.${index}` })),
      count: items.length,
    };
  }
  if (input.grid) {
    const grid = input.grid;
    let count = 1;
    for (const values of Object.values(grid)) count *= values.length;
    return { kind: 'inline', entries: gridEntries(grid), count };
  }
  if (input.replicas) {
    const { count, kwargs, indexKey } = input.replicas;
    return { kind: 'inline', entries: replicaEntries(count, kwargs, indexKey), count };
  }
  const uri = input.source as string;
  const { bucket, key } = parseS3Uri(uri);
  const format = key.endsWith('/') ? 'prefix' : key.endsWith('.jsonl') ? 'jsonl' : 'json';
  return { kind: 's3', uri, bucket, key, format };
}

function* gridEntries(
  grid: Record<string, z.infer<typeof jsonValueSchema>[]>,
): Generator<{ entry: unknown; where: string }> {
  const names = Object.keys(grid);
  const lists = names.map((name) => grid[name] as unknown[]);
  const position = names.map(() => 0);
  for (let index = 0; ; index += 1) {
    const kwargs: Record<string, unknown> = {};
    names.forEach((name, n) => {
      kwargs[name] = (lists[n] as unknown[])[position[n] as number];
    });
    yield { entry: kwargs, where: `grid (combination ${index})` };
    // Odometer: the last name varies fastest, so the first key is the outermost loop.
    let digit = names.length - 1;
    while (digit >= 0) {
      position[digit] = (position[digit] as number) + 1;
      if ((position[digit] as number) < (lists[digit] as unknown[]).length) break;
      position[digit] = 0;
      digit -= 1;
    }
    if (digit < 0) return;
  }
}

function* replicaEntries(
  count: number,
  kwargs: Record<string, unknown>,
  indexKey: string,
): Generator<{ entry: unknown; where: string }> {
  for (let index = 0; index < count; index += 1) {
    yield { entry: { ...kwargs, [indexKey]: index }, where: `replicas (replica ${index})` };
  }
}

/** One item, ready for the manifest and the ledger. */
export interface PreparedItem {
  readonly itemId: string;
  readonly jobName: string;
  /** The kwargs as JSON text: exactly what `FANOUT_KWARGS` carries. */
  readonly kwargsJson: string;
  readonly idempotent: boolean;
}

/** What every item of a run shares; request sizes depend on it. */
export interface RunContext {
  readonly runId: string;
  readonly round: number;
  readonly jobQueue: string;
  readonly jobDefinition: string;
  readonly command: readonly string[];
  /** Default for items that do not set `idempotent`. */
  readonly idempotent: boolean;
}

const MAX_JOB_NAME = 128;

/**
 * The Batch job name of an item: `<runId>-<itemId>` with `.` mapped to `_`; names longer
 * than 128 characters keep their start and end with a short hash of the item id, so they
 * stay readable and distinct.
 * @example jobNameFor('sweep-1', 'a.b') // 'sweep-1-a_b'
 */
export function jobNameFor(runId: string, itemId: string): string {
  const name = `${runId}-${itemId.replaceAll('.', '_')}`;
  if (name.length <= MAX_JOB_NAME) return name;
  const hash = createHash('sha256').update(itemId).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_JOB_NAME - hash.length - 1)}-${hash}`;
}

const encoder = new TextEncoder();
function byteLength(text: string): number {
  return encoder.encode(text).length;
}
/** Bytes a string takes inside a JSON document, quotes excluded. */
function escapedByteLength(text: string): number {
  return byteLength(JSON.stringify(text)) - 2;
}

/** Byte sizes of the requests one item causes; see `SIZE_LIMITS`. */
export interface ItemRequestSizes {
  containerOverrides: number;
  submitJobPayload: number;
  childInput: number;
}

/**
 * Computes, without building them, the sizes of an item's SubmitJob request, its container
 * overrides and its child execution input. Exposed so tests can compare with the real JSON.
 */
export class RequestSizer {
  private readonly overridesBase: number;
  private readonly submitBase: number;
  private readonly childBase: number;

  constructor(context: RunContext) {
    const environment = [
      { name: 'FANOUT_KWARGS', value: '' },
      { name: 'FANOUT_RUN_ID', value: context.runId },
      { name: 'FANOUT_ITEM_ID', value: '' },
    ];
    this.overridesBase = byteLength(JSON.stringify({ command: context.command, environment }));
    this.submitBase =
      byteLength(
        JSON.stringify({
          jobName: '',
          jobQueue: context.jobQueue,
          jobDefinition: context.jobDefinition,
          containerOverrides: 0,
        }),
      ) - 1;
    this.childBase =
      byteLength(
        JSON.stringify({
          runId: context.runId,
          round: context.round,
          jobQueue: context.jobQueue,
          jobDefinition: context.jobDefinition,
          command: context.command,
          itemId: '',
          jobName: '',
          kwargs: 0,
        }),
      ) - 1;
  }

  sizes(item: { itemId: string; jobName: string; kwargsJson: string }): ItemRequestSizes {
    const containerOverrides = this.overridesBase + escapedByteLength(item.kwargsJson) + item.itemId.length;
    return {
      containerOverrides,
      submitJobPayload: this.submitBase + item.jobName.length + containerOverrides,
      childInput: this.childBase + item.itemId.length + item.jobName.length + byteLength(item.kwargsJson),
    };
  }
}

interface CollectedEntry {
  where: string;
  explicitId: string | undefined;
  idempotent: boolean | undefined;
  kwargsJson: string;
}

const MAX_ISSUES = 50;

/**
 * Collects a run's items from any source, then assigns identities and checks every item's
 * request sizes. Issues are gathered across items (up to 50) and thrown together, so one
 * attempt shows the user every broken item rather than the first.
 */
export class ItemCollector {
  private readonly entries: CollectedEntry[] = [];
  private readonly issues: InputIssue[] = [];
  /** Explicit id -> the `where` of the entry that declared it. */
  private readonly explicitIds = new Map<string, string>();
  private overflowed = false;

  /** Kwarg names the run's command refers to; every item must have them (checked before anything is submitted). */
  private readonly requiredKwargs: readonly string[];

  constructor(private readonly context: RunContext) {
    this.requiredKwargs = [...new Set(context.command.flatMap((argument) => placeholderNames(argument)))];
  }

  get count(): number {
    return this.entries.length;
  }

  /**
   * Adds one entry; `where` names it in errors (`items.3`, `source line 4`, ...). Entries
   * that already passed the execution input schema (inline items, grid, replicas) skip the
   * per-entry schema check, which would otherwise dominate the cost of large runs.
   */
  add(entry: unknown, where: string, alreadyValidated = false): void {
    if (this.entries.length >= MAX_ITEMS) {
      if (!this.overflowed) this.report({ path: where, message: `a run has at most ${MAX_ITEMS} items` });
      this.overflowed = true;
      return;
    }
    if (!alreadyValidated) {
      const parsed = itemEntrySchema.safeParse(entry, { reportInput: true });
      if (!parsed.success) {
        for (const issue of toInputIssues(parsed.error))
          this.report({ ...issue, path: issue.path === '(root)' ? where : `${where}.${issue.path}` });
        return;
      }
    }
    const source = entry as Record<string, unknown> & { id?: string | number; idempotent?: boolean };
    const kwargs: Record<string, unknown> = {};
    for (const name of Object.keys(source)) {
      if (name !== 'id' && name !== 'idempotent') kwargs[name] = source[name];
    }
    const missing = this.requiredKwargs.filter((name) => !Object.hasOwn(kwargs, name));
    if (missing.length > 0) {
      this.report({
        path: where,
        message: `the command uses ${missing.map((name) => `{${name}}`).join(', ')} but this item has no kwarg of that name (write {{name}} for literal braces)`,
        received: describeValue(kwargs),
      });
      return;
    }
    const explicitId = source.id === undefined ? undefined : String(source.id);
    if (explicitId !== undefined) {
      const previous = this.explicitIds.get(explicitId);
      if (previous !== undefined) {
        this.report({
          path: `${where}.id`,
          message: `duplicate item id, already used by ${previous}`,
          received: describeValue(explicitId),
        });
      } else {
        this.explicitIds.set(explicitId, where);
      }
    }
    this.entries.push({ where, explicitId, idempotent: source.idempotent, kwargsJson: JSON.stringify(kwargs) });
  }

  /** Records an issue found outside `add` (e.g. an unreadable source line). */
  report(issue: InputIssue): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push(issue);
  }

  /**
   * Assigns ids (the user's, else the zero-padded position; width = digits of N), derives
   * job names and checks sizes for every item.
   * @throws FanoutInputError listing every issue found, including those from `add`.
   */
  finish(sourceName = 'items'): PreparedItem[] {
    const total = this.entries.length;
    if (total === 0 && this.issues.length === 0)
      this.report({ path: sourceName, message: 'the item source yielded no items' });
    const width = String(total).length;
    const sizer = new RequestSizer(this.context);
    const overridesLimit = SIZE_LIMITS.containerOverrides - SIZE_LIMITS.containerOverridesReservedForBatch;
    const items: PreparedItem[] = [];
    if (this.issues.length > 0) throw new FanoutInputError(this.issues);
    for (let index = 0; index < total; index += 1) {
      const entry = this.entries[index] as CollectedEntry;
      const itemId = entry.explicitId ?? String(index).padStart(width, '0');
      if (entry.explicitId === undefined) {
        const holder = this.explicitIds.get(itemId);
        if (holder !== undefined) {
          this.report({
            path: entry.where,
            message: `its positional id "${itemId}" is already used as an explicit id by ${holder}`,
            received: describeValue(itemId),
          });
        }
      }
      const jobName = jobNameFor(this.context.runId, itemId);
      const item: PreparedItem = {
        itemId,
        jobName,
        kwargsJson: entry.kwargsJson,
        idempotent: entry.idempotent ?? this.context.idempotent,
      };
      const sizes = sizer.sizes(item);
      if (sizes.containerOverrides > overridesLimit) {
        this.report({
          path: entry.where,
          message: `its Batch container overrides (command + FANOUT_KWARGS) would take ${sizes.containerOverrides} bytes; at most ${overridesLimit} are allowed (ECS allows ${SIZE_LIMITS.containerOverrides}, ${SIZE_LIMITS.containerOverridesReservedForBatch} are left to Batch)`,
          received: describeValue(entry.kwargsJson),
        });
      } else if (sizes.submitJobPayload > SIZE_LIMITS.submitJobPayload) {
        this.report({
          path: entry.where,
          message: `its SubmitJob request would take ${sizes.submitJobPayload} bytes; Batch accepts at most ${SIZE_LIMITS.submitJobPayload}`,
          received: describeValue(entry.kwargsJson),
        });
      } else if (sizes.childInput > SIZE_LIMITS.statePayload) {
        this.report({
          path: entry.where,
          message: `its child execution input would take ${sizes.childInput} bytes; Step Functions accepts at most ${SIZE_LIMITS.statePayload}`,
          received: describeValue(entry.kwargsJson),
        });
      }
      items.push(item);
    }
    if (this.issues.length > 0) throw new FanoutInputError(this.issues);
    return items;
  }
}

/** A validated run, before any I/O: everything but the items of an S3 source and a default command. */
export interface RunPlan {
  readonly input: ExecutionInput;
  /** Undefined when the input has no runId and no execution name was given. */
  readonly runId: string | undefined;
  readonly source: ItemSource;
  /** Prepared items for inline sources (checked against `input.command`, or an empty command); undefined for S3 sources. */
  readonly items: readonly PreparedItem[] | undefined;
}

/** Resolves the run id: the input's `runId`, else the execution name, which must then fit the same rule. */
export function resolveRunId(input: ExecutionInput, executionName: string | undefined): string {
  if (input.runId !== undefined) return input.runId;
  if (executionName === undefined) {
    throw FanoutInputError.of('runId', 'runId is required when no execution name is known');
  }
  if (!RUN_ID_PATTERN.test(executionName)) {
    throw FanoutInputError.of(
      'runId',
      'runId is not given and the execution name cannot serve as one (1-64 letters, digits, "_" or "-", starting with a letter or digit); set runId',
      executionName,
    );
  }
  return executionName;
}

/** Prepares inline items (items, grid, replicas, already checked by `parseExecutionInput`) with the given command. */
export function prepareInlineItems(
  source: Extract<ItemSource, { kind: 'inline' }>,
  context: RunContext,
): PreparedItem[] {
  const collector = new ItemCollector(context);
  for (const { entry, where } of source.entries) collector.add(entry, where, true);
  return collector.finish();
}

/**
 * Validates an execution input without any I/O and returns the run plan. The CLI calls it
 * before StartExecution, so a bad input is refused before anything is written. Items of an
 * S3 `source`, and sizes that depend on the job definition's own command, are checked again
 * by the Prepare Lambda. Pass the execution name the run will get (or set `runId` in the
 * input): job names and sizes depend on it; without either, items are sized for a 64-character
 * run id, which is conservative.
 * @throws FanoutInputError naming the field, the rule and the received value.
 * @example validateInput({ grid: { lr: [0.1, 0.01], depth: [2, 4] } }, { executionName: 'sweep-7' })
 */
export function validateInput(raw: unknown, options: { executionName?: string } = {}): RunPlan {
  const input = parseExecutionInput(raw);
  const runId =
    input.runId === undefined && options.executionName === undefined
      ? undefined
      : resolveRunId(input, options.executionName);
  const source = itemSourceOf(input);
  const items =
    source.kind === 'inline'
      ? prepareInlineItems(source, {
          // Without a run id yet, size items for the longest one a run may get.
          runId: runId ?? 'r'.repeat(64),
          round: 1,
          jobQueue: input.jobQueue,
          jobDefinition: input.jobDefinition,
          command: input.command ?? [],
          idempotent: input.idempotent,
        })
      : undefined;
  return { input, runId, source, items };
}
