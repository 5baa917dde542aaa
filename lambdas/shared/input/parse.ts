import { describeValue, FanoutInputError, type InputIssue } from '../errors';
import { inputNestingIssues } from './nesting';
import { toInputIssues } from './private/zod-issues';
import { type ExecutionInput, executionInputSchema } from './schema';

/** Parsing an execution input: every rule it breaks is reported at once, with its path and received value. */

/**
 * Parses and validates an execution input, applying defaults.
 * @throws FanoutInputError naming every broken rule with its field path and received value.
 * @example parseExecutionInput({ replicas: { count: 100 }, command: ['sim', '--seed', '{replica}'] })
 */
export function parseExecutionInput(raw: unknown): ExecutionInput {
  // Depth first: the schema's JSON rule recurses, so a value nested thousands of levels deep
  // would overflow the stack instead of being refused.
  const tooDeep = inputNestingIssues(raw);
  if (tooDeep.length > 0) throw new FanoutInputError(tooDeep);
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
