import { FanoutInfraError } from '../errors';

/**
 * Checks that run before any resource is created, each naming the prop, the rule and the value.
 */

/** Names Batch accepts for compute environments, queues, job definitions and policies. */
const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function checkName(prop: string, value: string): void {
  if (!BATCH_NAME.test(value))
    throw FanoutInfraError.of(
      prop,
      'must be 1-128 letters, digits, hyphens or underscores, starting with a letter or digit',
      value,
    );
}

export function checkUnique(prop: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw FanoutInfraError.of(prop, 'must not name the same thing twice', name);
    seen.add(name);
  }
}

export function checkInteger(prop: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw FanoutInfraError.of(prop, `must be an integer from ${min} to ${max}`, value);
}

/**
 * Memory a Fargate task may have for each vCPU size, in MiB: [min, max, step]
 * (docs: batch/latest/APIReference/API_ResourceRequirement.html).
 */
const FARGATE_SIZES: ReadonlyMap<number, readonly [number, number, number]> = new Map([
  [0.25, [512, 2048, 512]],
  [0.5, [1024, 4096, 1024]],
  [1, [2048, 8192, 1024]],
  [2, [4096, 16384, 1024]],
  [4, [8192, 30720, 1024]],
  [8, [16384, 61440, 4096]],
  [16, [32768, 122880, 8192]],
]);

export function checkFargateSize(prop: string, vcpus: number, memoryMiB: number): void {
  const sizes = FARGATE_SIZES.get(vcpus);
  if (!sizes)
    throw FanoutInfraError.of(
      `${prop}.vcpus`,
      `must be a Fargate vCPU size (${[...FARGATE_SIZES.keys()].join(', ')})`,
      vcpus,
    );
  const [min, max, step] = sizes;
  if (!Number.isInteger(memoryMiB) || memoryMiB < min || memoryMiB > max || (memoryMiB - min) % step !== 0) {
    throw FanoutInfraError.of(
      `${prop}.memoryMiB`,
      `must be ${min}-${max} MiB in steps of ${step} for ${vcpus} vCPU on Fargate`,
      memoryMiB,
    );
  }
}

/** One `evaluateOnExit` rule of a Batch retry strategy. */
export interface RetryRule {
  /** Glob on the job's status reason, e.g. `Host EC2*` (Spot reclaimed). */
  readonly onStatusReason?: string;
  /** Glob on the container's reason. */
  readonly onReason?: string;
  /** Glob on the exit code, e.g. `137`. */
  readonly onExitCode?: string;
  readonly action: 'RETRY' | 'EXIT';
}

const RULE_PATTERN = /^(?=.)[A-Za-z0-9 \t.:]{0,511}\*?$/;
const EXIT_CODE_PATTERN = /^(?=.)[0-9]{0,511}\*?$/;

function isCatchAll(rule: RetryRule): boolean {
  return (
    [rule.onStatusReason, rule.onReason, rule.onExitCode].some((glob) => glob === '*') &&
    [rule.onStatusReason, rule.onReason, rule.onExitCode].every((glob) => glob === undefined || glob === '*')
  );
}

/**
 * A retry strategy Batch accepts, and one that cannot retry by accident: Batch RETRIES an
 * attempt that matches no rule (docs: batch/latest/APIReference/API_RetryStrategy.html), so
 * rules must end with a catch-all EXIT, and nothing may follow a catch-all.
 */
export function checkRetryStrategy(prop: string, attempts: number, rules: readonly RetryRule[]): void {
  checkInteger(`${prop}.retryAttempts`, attempts, 1, 10);
  if (rules.length > 5)
    throw FanoutInfraError.of(
      `${prop}.retryRules`,
      'may have at most 5 rules (Batch evaluateOnExit limit)',
      rules.length,
    );
  rules.forEach((rule, index) => {
    const at = `${prop}.retryRules[${index}]`;
    if (rule.action !== 'RETRY' && rule.action !== 'EXIT')
      throw FanoutInfraError.of(`${at}.action`, 'must be RETRY or EXIT', rule.action);
    const globs = { onStatusReason: rule.onStatusReason, onReason: rule.onReason } as const;
    for (const [key, glob] of Object.entries(globs)) {
      if (glob !== undefined && !RULE_PATTERN.test(glob)) {
        throw FanoutInfraError.of(
          `${at}.${key}`,
          'must be up to 512 letters, digits, spaces, periods or colons, optionally ending in *',
          glob,
        );
      }
    }
    if (rule.onExitCode !== undefined && !EXIT_CODE_PATTERN.test(rule.onExitCode)) {
      throw FanoutInfraError.of(`${at}.onExitCode`, 'must be digits, optionally ending in *', rule.onExitCode);
    }
    if (rule.onStatusReason === undefined && rule.onReason === undefined && rule.onExitCode === undefined) {
      throw FanoutInfraError.of(at, 'needs at least one of onStatusReason, onReason, onExitCode', rule);
    }
    if (isCatchAll(rule) && index < rules.length - 1) {
      throw FanoutInfraError.of(
        at,
        'matches every attempt, so the rules after it can never apply; make it the last rule',
        rule,
      );
    }
  });
  const last = rules[rules.length - 1];
  if (rules.length > 0 && !(last && isCatchAll(last) && last.action === 'EXIT')) {
    throw FanoutInfraError.of(
      `${prop}.retryRules`,
      "must end with a catch-all EXIT rule such as { onReason: '*', action: 'EXIT' }: Batch retries an attempt no rule matches",
      last,
    );
  }
}
