import type { ArraySubmission } from '../../run';
import { describeValue, FanoutInputError, type InputIssue } from './errors';

/**
 * The array path's plan: which Batch jobs cover a round's manifest, and which execution input
 * options it refuses because Batch array jobs cannot honour them.
 */

/** An array job fails when any child fails: as a threshold, 0 failures tolerated. */
export const ARRAY_THRESHOLDS = { toleratedFailurePercentage: 0, toleratedFailureCount: 0 } as const;

/** Batch array jobs have 2..10,000 children (docs: batch/latest/userguide/array_jobs.html). */
export const MAX_ARRAY_SIZE = 10_000;

const MAX_JOB_NAME = 128;

/**
 * Name of the k-th job (0-based) a round submits: `<runId>-array-r<round>-<k>`. Every child of an
 * array job carries its parent's name.
 * @example arrayJobName('sweep-1', 1, 0) // 'sweep-1-array-r1-0'
 */
export function arrayJobName(runId: string, round: number, k: number): string {
  return `${runId}-array-r${round}-${k}`.slice(0, MAX_JOB_NAME);
}

/**
 * Splits a round's `itemCount` manifest lines into jobs of at most 10,000, in manifest order, all
 * submitted side by side: 10,001 items are an array of 10,000 then a plain job of 1.
 * @example planArrays('sweep-1', 1, 10_001) // [{start: 0, size: 10000, ...}, {start: 10000, size: 1, ...}]
 */
export function planArrays(runId: string, round: number, itemCount: number): ArraySubmission[] {
  const arrays: ArraySubmission[] = [];
  for (let start = 0, k = 0; start < itemCount; start += MAX_ARRAY_SIZE, k++) {
    arrays.push({ jobName: arrayJobName(runId, round, k), start, size: Math.min(MAX_ARRAY_SIZE, itemCount - start) });
  }
  return arrays;
}

/** Options of the execution input that have no meaning for an array job, with why. */
const REFUSED_OPTIONS: ReadonlyArray<{ field: string; why: string; applies: (value: unknown) => boolean }> = [
  {
    field: 'toleratedFailurePercentage',
    why: 'the array path has no failure threshold: an array job fails when any child fails (use the map path to tolerate failures)',
    applies: (value) => value !== undefined,
  },
  {
    field: 'toleratedFailureCount',
    why: 'the array path has no failure threshold: an array job fails when any child fails (use the map path to tolerate failures)',
    applies: (value) => value !== undefined,
  },
  {
    field: 'failFast',
    why: "the array path does not stop an array's other children at the first failure (use the map path for failFast)",
    applies: (value) => value === true,
  },
  {
    field: 'maxConcurrency',
    why: 'the array path has no per-run concurrency: Batch runs the children as its compute environments allow',
    applies: (value) => value !== undefined,
  },
];

/**
 * The issues an execution input has on the array path: options an array job cannot honour, and
 * automatic retry rounds (the array path re-runs failures with `fanout retry`, as a smaller array).
 * `retry.maxAttempts` applies; `retry.rounds` may only be 0.
 */
export function arrayPathIssues(raw: unknown): InputIssue[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const input = raw as Record<string, unknown>;
  const issues: InputIssue[] = [];
  for (const option of REFUSED_OPTIONS) {
    if (option.applies(input[option.field]))
      issues.push({ path: option.field, message: option.why, received: describeValue(input[option.field]) });
  }
  const rounds = (input.retry as { rounds?: unknown } | undefined)?.rounds;
  if (rounds !== undefined && rounds !== 0) {
    issues.push({
      path: 'retry.rounds',
      message:
        'the array path runs no automatic retry rounds: re-run failures with the retry command (which submits them as a smaller array); set 0 or leave it out',
      received: describeValue(rounds),
    });
  }
  return issues;
}

/**
 * Refuses an execution input the array path cannot honour.
 * @throws FanoutInputError naming each field, the rule and the received value.
 * @example checkArrayPathInput({ replicas: { count: 3 }, toleratedFailureCount: 1 }) // throws on toleratedFailureCount
 */
export function checkArrayPathInput(raw: unknown): void {
  const issues = arrayPathIssues(raw);
  if (issues.length > 0) throw new FanoutInputError(issues);
}
