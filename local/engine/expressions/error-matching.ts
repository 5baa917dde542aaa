import { StatesErrors } from '../errors';

/**
 * Errors no Retry or Catch can handle. AWS: "A retry or catch on States.ALL will not catch
 * States.Runtime errors" and States.DataLimitExceeded "is a terminal error that can't be
 * caught by the States.ALL error type" (docs: step-functions/latest/dg/concepts-error-handling.html).
 */
const TERMINAL_ERRORS: ReadonlySet<string> = new Set([StatesErrors.Runtime, StatesErrors.DataLimitExceeded]);

/** True for errors that always fail the execution, whatever Retry and Catch say. */
export function isTerminalError(error: string): boolean {
  return TERMINAL_ERRORS.has(error);
}

/**
 * Whether a Retrier's or Catcher's `ErrorEquals` matches an error name. `States.ALL`
 * matches every error and `States.TaskFailed` every error except `States.Timeout`; other
 * names match exactly. Terminal errors (`States.Runtime`, `States.DataLimitExceeded`) never match.
 *
 * @example matchesErrorEquals(['States.TaskFailed'], 'Batch.ClientException') // true
 */
export function matchesErrorEquals(errorEquals: readonly string[], error: string): boolean {
  if (TERMINAL_ERRORS.has(error)) return false;
  for (const name of errorEquals) {
    if (name === error || name === StatesErrors.ALL) return true;
    if (name === StatesErrors.TaskFailed && error !== StatesErrors.Timeout) return true;
  }
  return false;
}

/**
 * Checks one `ErrorEquals` list as the States Language requires: a non-empty array of
 * strings in which `States.ALL`, if present, appears alone, and (when `last` is false)
 * not in a Retrier or Catcher that is followed by another. Returns a message naming
 * `where` (e.g. `/States/Submit/Retry/0/ErrorEquals`), or `undefined` when valid.
 *
 * @example validateErrorEquals(['States.ALL', 'States.Timeout'], '/States/A/Catch/0/ErrorEquals')
 */
export function validateErrorEquals(
  list: unknown,
  where: string,
  options: { last?: boolean } = {},
): string | undefined {
  if (!Array.isArray(list) || list.length === 0) {
    return `ErrorEquals at ${where} must be a non-empty array of error names; received ${JSON.stringify(list)}`;
  }
  const notString = list.find((name) => typeof name !== 'string');
  if (notString !== undefined) {
    return `ErrorEquals at ${where} must contain only strings; received ${JSON.stringify(notString)}`;
  }
  if (list.includes(StatesErrors.ALL)) {
    if (list.length > 1) {
      return `ErrorEquals at ${where} must list States.ALL alone; received ${JSON.stringify(list)}`;
    }
    if (options.last === false) {
      return `ErrorEquals at ${where} uses States.ALL, which must appear only in the last Retrier or Catcher`;
    }
  }
  return undefined;
}
