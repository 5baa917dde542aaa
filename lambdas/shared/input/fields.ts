import { z } from 'zod';

/**
 * The rules of the execution input's names, ids and strings, wherever they appear: run and item
 * ids (which become Batch job names), kwarg and environment variable names, command arguments,
 * and the reserved `id` and `idempotent` of every entry.
 */

/** Run ids become DynamoDB keys, S3 key segments and Batch job name prefixes. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** User item ids; `#` is deliberately absent so the ledger's header row key can never collide. */
export const ITEM_ID_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** A job's fair-share identifier: 1-255 letters or digits, optionally followed by `*` (docs: batch/latest/APIReference/API_SubmitJob.html). */
export const SHARE_IDENTIFIER_PATTERN = /^[A-Za-z0-9]{1,255}\*?$/;
/** The range of a job's scheduling priority (docs: batch/latest/APIReference/API_SubmitJob.html, `schedulingPriorityOverride`). */
export const SCHEDULING_PRIORITY_RANGE = { min: 0, max: 9999 } as const;
export const JOB_DEFINITION_PATTERN =
  /^(?:[A-Za-z0-9][A-Za-z0-9_-]{0,127}(?::[1-9][0-9]*)?|arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-definition\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}(?::[1-9][0-9]*)?)$/;
/** Kwarg names that would shadow variables Batch or the job entrypoint set themselves. */
export const RESERVED_KWARG_PREFIXES = ['AWS_BATCH', 'FANOUT_'] as const;

export function hasReservedPrefix(name: string): string | undefined {
  const upper = name.toUpperCase();
  return RESERVED_KWARG_PREFIXES.find((prefix) => upper.startsWith(prefix));
}

export const kwargNameSchema = z
  .string()
  .min(1, 'a kwarg name must not be empty')
  .max(256, 'a kwarg name must be at most 256 characters')
  .refine((name) => hasReservedPrefix(name) === undefined, {
    error: `a kwarg name must not start with ${RESERVED_KWARG_PREFIXES.join(' or ')} (reserved for Batch and the job entrypoint)`,
  });

/** Names the shell and Batch accept for an environment variable. */
const ENVIRONMENT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const environmentNameSchema = z
  .string()
  .regex(
    ENVIRONMENT_NAME_PATTERN,
    'an environment variable name must be letters, digits and "_", not starting with a digit',
  )
  .max(256, 'an environment variable name must be at most 256 characters')
  .refine((name) => hasReservedPrefix(name) === undefined, {
    error: `an environment variable name must not start with ${RESERVED_KWARG_PREFIXES.join(' or ')} (reserved for Batch and the job launcher)`,
  });

export const environmentSchema = z
  .record(
    environmentNameSchema,
    z.string().refine((value) => !value.includes('\0'), {
      error:
        'an environment variable value must not contain a NUL byte (\\u0000), which a process environment cannot hold',
    }),
  )
  .describe(
    'Environment variables every job of the run gets, locally and on AWS (docs/job-contract.md); kwargs of the same name override them.',
  );

export const itemIdSchema = z.union([
  z.string().regex(ITEM_ID_PATTERN, 'an item id must be 1-100 letters, digits, "_", "." or "-"'),
  z
    .number()
    .int('an item id must be a string or a non-negative integer')
    .nonnegative('an item id must be a string or a non-negative integer'),
]);

/** What `id` and `idempotent` must be wherever an entry gets them: items, source entries, grid values, replicas' kwargs. */
export const RESERVED_FIELDS = {
  id: itemIdSchema,
  idempotent: z.boolean('idempotent must be a boolean (true or false): it decides whether a failed item is retried'),
} as const;

/** Checks a value a grid or replicas give to the reserved `id` or `idempotent` of every entry they produce. */
export function checkReservedValue(
  name: string,
  value: unknown,
  path: readonly (string | number)[],
  ctx: z.RefinementCtx,
  what: string,
): void {
  if (name !== 'id' && name !== 'idempotent') return;
  const parsed = RESERVED_FIELDS[name].safeParse(value);
  if (parsed.success) return;
  ctx.addIssue({
    code: 'custom',
    path: [...path],
    input: value,
    message: `${what} "${name}", so ${parsed.error.issues[0]?.message ?? `it must be a valid ${name}`}`,
  });
}

/** One command argument: Batch refuses an empty one, and a process argument cannot hold a NUL byte. */
export function commandArgumentSchema(field: string) {
  return z
    .string()
    .min(1, `an argument of ${field} must not be empty: Batch refuses a command with an empty string`)
    .refine((argument) => !argument.includes('\0'), {
      error: `an argument of ${field} must not contain a NUL byte (\\u0000), which a process argument cannot hold`,
    });
}
