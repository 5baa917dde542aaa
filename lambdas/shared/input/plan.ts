import { FanoutInputError } from '../errors';
import { ItemCollector, type PreparedItem, type RunContext } from './collector';
import { RUN_ID_PATTERN } from './fields';
import { parseExecutionInput } from './parse';
import { checkJobResources, type KnownJobResources } from './resources';
import { jobSchedulingOf } from './scheduling';
import type { ExecutionInput } from './schema';
import { checkTimeout, jobTimeoutOf } from './settings';
import { type ItemSource, itemSourceOf } from './sources';

/**
 * The run plan: an execution input validated without any I/O (the CLI's check before
 * StartExecution), built from the run id and inline-item steps the Prepare Lambda also uses.
 */

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
 * run id, which is conservative. `minTimeoutSeconds` is where the run goes: AWS's 60 (the
 * default) or the local cloud's 1. `jobResources`, when known, are the job queues and job
 * definitions there (the local cloud's, from the configuration): others are refused.
 * @throws FanoutInputError naming the field, the rule and the received value.
 * @example validateInput({ grid: { lr: [0.1, 0.01], depth: [2, 4] } }, { executionName: 'sweep-7' })
 */
export function validateInput(
  raw: unknown,
  options: { executionName?: string; minTimeoutSeconds?: number; jobResources?: KnownJobResources } = {},
): RunPlan {
  const input = parseExecutionInput(raw);
  checkTimeout(input, options.minTimeoutSeconds);
  // A retry or resume runs on the earlier run's own queue and job definition.
  if (options.jobResources && input.retryOf === undefined && input.resumeOf === undefined)
    checkJobResources(input, options.jobResources);
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
          environment: input.environment,
          jobTimeout: jobTimeoutOf(input, undefined),
          scheduling: jobSchedulingOf(input),
          idempotent: input.idempotent,
        })
      : undefined;
  return { input, runId, source, items };
}
