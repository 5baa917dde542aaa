import { z } from 'zod';
import type { AggregateOutcome } from '../../run';

/**
 * The aggregation job's outcome, as both paths record it: the map path's Summarize and the array
 * path's Collect read what the Aggregate state left in the execution's state (`$.aggregate` on
 * success, `$.aggregateError` when it failed) and write it to the header row.
 */

/** The error a failed aggregation job gives the run. */
const AGGREGATE_FAILED_ERROR = 'Fanout.AggregateFailed';

/** The Aggregate state's result (its ResultSelector). */
export const aggregateResultSchema = z.object({
  jobId: z.string(),
  exitCode: z.number().optional(),
  logStream: z.string().optional(),
});
/** The error the Aggregate state's Catch stored. */
export const aggregateErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

/** Keeps a recorded cause within the ledger's bounded size. */
function boundedText(text: string, limit = 2048): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** A failed `.sync` job's Cause is its job detail as JSON (PascalCase); anything else yields nothing. */
function failedJobDetail(cause: string | undefined): Pick<AggregateOutcome, 'jobId' | 'exitCode' | 'logStream'> {
  if (!cause) return {};
  try {
    const detail = JSON.parse(cause) as {
      JobId?: unknown;
      Container?: { ExitCode?: unknown; LogStreamName?: unknown };
    };
    return {
      ...(typeof detail.JobId === 'string' ? { jobId: detail.JobId } : {}),
      ...(typeof detail.Container?.ExitCode === 'number' ? { exitCode: detail.Container.ExitCode } : {}),
      ...(typeof detail.Container?.LogStreamName === 'string' ? { logStream: detail.Container.LogStreamName } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * How the run's aggregation job ended; undefined when the run has none or it did not run.
 * @example aggregateOutcomeOf('sweep-aggregate', { jobId: 'j-1', exitCode: 0 }, undefined) // { status: 'SUCCEEDED', ... }
 */
export function aggregateOutcomeOf(
  jobName: string | undefined,
  result: z.infer<typeof aggregateResultSchema> | undefined,
  error: z.infer<typeof aggregateErrorSchema> | undefined,
): AggregateOutcome | undefined {
  if (jobName === undefined) return undefined;
  if (result) {
    const { jobId, exitCode, logStream } = result;
    return {
      status: 'SUCCEEDED',
      jobName,
      jobId,
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(logStream === undefined ? {} : { logStream }),
    };
  }
  if (error) {
    return {
      status: 'FAILED',
      jobName,
      ...failedJobDetail(error.Cause),
      error: error.Error,
      cause: boundedText(error.Cause ?? ''),
    };
  }
  return undefined;
}

/** The run's error when its aggregation job failed. */
export function aggregateFailure(outcome: AggregateOutcome): { error: string; cause: string } {
  return {
    error: AGGREGATE_FAILED_ERROR,
    cause: `aggregation job ${outcome.jobName} failed (${outcome.error}): ${outcome.cause ?? ''}`,
  };
}
