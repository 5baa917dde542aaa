import type { ExecutionInput } from './schema';

/** The failure thresholds and retry rounds a run gets from its input, `failFast` included. */

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
