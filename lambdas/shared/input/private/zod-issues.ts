import type { z } from 'zod';
import { describeValue, type InputIssue } from '../../errors';
import { executionInputSchema } from '../schema';

/** Turns zod issues into input issues a user can act on: a dotted path, the rule, the received value. */

const ALLOWED_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(executionInputSchema.shape),
  retry: ['rounds', 'maxAttempts'],
  replicas: ['count', 'kwargs', 'indexKey'],
  aggregate: ['command', 'kwargs'],
};

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** One input issue per zod issue; an unknown key also lists the keys its object allows. */
export function toInputIssues(error: z.ZodError): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = ALLOWED_KEYS[issue.path.map(String).join('.')];
      const input = (issue.input ?? {}) as Record<string, unknown>;
      for (const key of issue.keys) {
        issues.push({
          path: pathText([...issue.path, key]),
          message: `unknown key "${key}"${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
          received: describeValue(input[key]),
        });
      }
      continue;
    }
    issues.push({
      path: pathText(issue.path),
      message: issue.message,
      ...('input' in issue && issue.input !== undefined ? { received: describeValue(issue.input) } : {}),
    });
  }
  return issues;
}
