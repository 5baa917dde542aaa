import type { EvaluateOnExitRule, RetryActionName, RetryStrategyInput } from '../api/validate';

/** What ended one attempt, as the retry rules see it. */
interface AttemptOutcome {
  exitCode?: number;
  /** The container's reason (`CannotStartContainerError: ...`), if any. */
  reason?: string;
  /** The attempt's status reason (`Essential container in task exited`, ...). */
  statusReason?: string;
}

/**
 * Batch's glob: the pattern matches the whole value, except that a trailing `*`
 * matches any rest (docs: batch/latest/APIReference/API_EvaluateOnExit.html).
 * A value the job does not have (no exit code, no reason) is matched as the empty
 * string, so `*` matches every failure, as the documentation's catch-all
 * `{ "action": "EXIT", "onReason": "*" }` intends.
 */
export function globMatches(pattern: string, value: string | undefined): boolean {
  const subject = value ?? '';
  return pattern.endsWith('*') ? subject.startsWith(pattern.slice(0, -1)) : subject === pattern;
}

function ruleMatches(rule: EvaluateOnExitRule, outcome: AttemptOutcome): boolean {
  if (
    rule.onExitCode !== undefined &&
    !globMatches(rule.onExitCode, outcome.exitCode === undefined ? undefined : String(outcome.exitCode))
  ) {
    return false;
  }
  if (rule.onReason !== undefined && !globMatches(rule.onReason, outcome.reason)) return false;
  if (rule.onStatusReason !== undefined && !globMatches(rule.onStatusReason, outcome.statusReason)) return false;
  return true;
}

/**
 * Decides what follows a failed attempt: the first rule whose conditions all match
 * decides; when rules exist but none matches the job is retried
 * (docs: batch/latest/userguide/job_retries.html). Attempts left are checked too.
 */
export function decideRetry(
  strategy: RetryStrategyInput,
  attemptsMade: number,
  outcome: AttemptOutcome,
): RetryActionName {
  if (attemptsMade >= strategy.attempts) return 'EXIT';
  for (const rule of strategy.evaluateOnExit ?? []) {
    if (ruleMatches(rule, outcome)) return rule.action;
  }
  return 'RETRY';
}
