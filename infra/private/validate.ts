import { FanoutInfraError } from '../errors';
import type {
  ComputeEnvironmentSpec,
  JobDefinitionSpec,
  JobQueueSpec,
  RetryRule,
  SchedulingPolicySpec,
} from '../fanout-orchestrator-props';
import { SPOT_RETRY_RULES } from './defaults';

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

function checkUnique(prop: string, names: readonly string[]): void {
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

function checkFargateSize(prop: string, vcpus: number, memoryMiB: number): void {
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
function checkRetryStrategy(prop: string, attempts: number, rules: readonly RetryRule[]): void {
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

/**
 * The Batch props as a whole: at least one of each, names Batch accepts and unique, queues naming
 * 1-3 known compute environments, scheduling policies and time-limit actions Batch accepts, Fargate
 * sizes, timeouts, scheduling priorities and retry strategies Batch accepts.
 */
export function validateBatchProps(
  environments: readonly ComputeEnvironmentSpec[],
  queues: readonly JobQueueSpec[],
  definitions: readonly JobDefinitionSpec[],
  schedulingPolicies: readonly SchedulingPolicySpec[],
): void {
  checkSchedulingPolicies(schedulingPolicies);
  const policyNames = schedulingPolicies.map((policy) => policy.name);
  if (environments.length === 0)
    throw FanoutInfraError.of('computeEnvironments', 'must list at least one compute environment', environments);
  if (queues.length === 0) throw FanoutInfraError.of('jobQueues', 'must list at least one job queue', queues);
  if (definitions.length === 0)
    throw FanoutInfraError.of('jobDefinitions', 'must list at least one job definition', definitions);
  environments.forEach((spec, index) => {
    checkName(`computeEnvironments[${index}].name`, spec.name);
    checkInteger(`computeEnvironments[${index}].maxvCpus`, spec.maxvCpus, 1, 100_000);
  });
  checkUnique(
    'computeEnvironments[].name',
    environments.map((spec) => spec.name),
  );
  const known = new Set(environments.map((spec) => spec.name));
  queues.forEach((spec, index) => {
    const at = `jobQueues[${index}]`;
    checkName(`${at}.name`, spec.name);
    checkInteger(`${at}.priority`, spec.priority, 0, 1000);
    if (spec.computeEnvironments.length < 1 || spec.computeEnvironments.length > 3) {
      throw FanoutInfraError.of(
        `${at}.computeEnvironments`,
        'must list 1-3 compute environments (Batch limit per queue)',
        spec.computeEnvironments,
      );
    }
    checkUnique(`${at}.computeEnvironments`, spec.computeEnvironments);
    for (const name of spec.computeEnvironments) {
      if (!known.has(name))
        throw FanoutInfraError.of(
          `${at}.computeEnvironments`,
          `must name compute environments of computeEnvironments (${[...known].join(', ')})`,
          name,
        );
    }
    if (spec.schedulingPolicy !== undefined && !policyNames.includes(spec.schedulingPolicy)) {
      throw FanoutInfraError.of(
        `${at}.schedulingPolicy`,
        `must name one of schedulingPolicies (${policyNames.join(', ') || 'none is defined'})`,
        spec.schedulingPolicy,
      );
    }
    (spec.jobStateTimeLimitActions ?? []).forEach((action, actionIndex) => {
      const where = `${at}.jobStateTimeLimitActions[${actionIndex}]`;
      if (!TIME_LIMIT_REASONS.includes(action.reason))
        throw FanoutInfraError.of(`${where}.reason`, `must be one of ${TIME_LIMIT_REASONS.join(', ')}`, action.reason);
      checkInteger(`${where}.maxTimeSeconds`, action.maxTimeSeconds, 600, 86_400);
    });
  });
  checkUnique(
    'jobQueues[].name',
    queues.map((spec) => spec.name),
  );
  definitions.forEach((spec, index) => {
    const at = `jobDefinitions[${index}]`;
    checkName(`${at}.name`, spec.name);
    checkFargateSize(at, spec.vcpus ?? 1, spec.memoryMiB ?? 2048);
    const timeout = spec.timeout?.toSeconds();
    if (timeout !== undefined && timeout < 60)
      throw FanoutInfraError.of(
        `${at}.timeout`,
        'must be at least 60 seconds (Batch minimum per attempt)',
        `${timeout} seconds`,
      );
    checkRetryStrategy(at, spec.retryAttempts ?? 3, spec.retryRules ?? SPOT_RETRY_RULES);
    if (spec.schedulingPriority !== undefined)
      checkInteger(`${at}.schedulingPriority`, spec.schedulingPriority, 0, 9999);
  });
  checkUnique(
    'jobDefinitions[].name',
    definitions.map((spec) => spec.name),
  );
}

/** The reasons a queue's `jobStateTimeLimitActions` may name (docs: batch/latest/APIReference/API_JobStateTimeLimitAction.html). */
const TIME_LIMIT_REASONS: readonly string[] = [
  'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY',
  'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
  'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
];

/** Names, share identifiers, weights, reservation and decay as Batch accepts them (docs: API_FairsharePolicy, API_ShareAttributes). */
function checkSchedulingPolicies(policies: readonly SchedulingPolicySpec[]): void {
  policies.forEach((policy, index) => {
    const at = `schedulingPolicies[${index}]`;
    checkName(`${at}.name`, policy.name);
    if (policy.computeReservation !== undefined)
      checkInteger(`${at}.computeReservation`, policy.computeReservation, 0, 99);
    const decay = policy.shareDecay?.toSeconds();
    if (decay !== undefined) checkInteger(`${at}.shareDecay`, decay, 0, 604_800);
    (policy.shares ?? []).forEach((share, shareIndex) => {
      if (!/^[A-Za-z0-9]{1,255}\*?$/.test(share.shareIdentifier)) {
        throw FanoutInfraError.of(
          `${at}.shares[${shareIndex}].shareIdentifier`,
          'must be 1-255 letters or digits, optionally ending in *',
          share.shareIdentifier,
        );
      }
      if (!(share.weightFactor >= 0.0001 && share.weightFactor <= 999.9999)) {
        throw FanoutInfraError.of(
          `${at}.shares[${shareIndex}].weightFactor`,
          'must be between 0.0001 and 999.9999',
          share.weightFactor,
        );
      }
    });
    if (policy.shares && policy.shares.length > 500)
      throw FanoutInfraError.of(`${at}.shares`, 'must list at most 500 share identifiers', policy.shares.length);
    checkUnique(
      `${at}.shares[].shareIdentifier`,
      (policy.shares ?? []).map((share) => share.shareIdentifier),
    );
  });
  checkUnique(
    'schedulingPolicies[].name',
    policies.map((policy) => policy.name),
  );
}
