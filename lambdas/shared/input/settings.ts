import { FanoutInputError } from '../errors';
import { AWS_MIN_TIMEOUT_SECONDS, type ExecutionInput } from './schema';

/** The settings a run gets from its input: thresholds, retry rounds (`failFast` included) and the job timeout. */

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

/**
 * Refuses a `timeout` under the floor of where the run goes: AWS Batch's 60 seconds, or the
 * local cloud's 1 (docs/job-contract.md, "Timeout").
 * @throws FanoutInputError naming `timeout`, the floor and the value.
 */
export function checkTimeout(input: Pick<ExecutionInput, 'timeout'>, minSeconds = AWS_MIN_TIMEOUT_SECONDS): void {
  if (input.timeout === undefined || input.timeout >= minSeconds) return;
  throw FanoutInputError.of(
    'timeout',
    `must be at least ${minSeconds} seconds: AWS Batch terminates no job attempt sooner (the local cloud honours shorter timeouts, AWS refuses them)`,
    input.timeout,
  );
}

/**
 * The SubmitJob `Timeout` of every job of the run: the input's, else the job definition's own
 * (the same limit, stated), else none (`{}`, which leaves the job without a limit, as the job
 * definition does).
 * @example jobTimeoutOf({ timeout: 900 }, undefined) // { AttemptDurationSeconds: 900 }
 */
export function jobTimeoutOf(
  input: Pick<ExecutionInput, 'timeout'>,
  definitionSeconds: number | undefined,
): { AttemptDurationSeconds?: number } {
  const seconds = input.timeout ?? definitionSeconds;
  return seconds === undefined ? {} : { AttemptDurationSeconds: seconds };
}
