import { BatchClientError } from '../errors';

/**
 * Parsing and validation of request bodies. Rules and limits are AWS Batch's:
 * SubmitJob (docs: batch/latest/APIReference/API_SubmitJob.html), retry strategies
 * (batch/latest/userguide/job_retries.html, API_EvaluateOnExit.html), timeouts
 * (batch/latest/userguide/job_timeouts.html), quotas (batch/latest/userguide/service_limits.html)
 * and reserved environment names (batch/latest/userguide/job_env_vars.html).
 */

export type RetryActionName = 'RETRY' | 'EXIT';

export interface EvaluateOnExitRule {
  onStatusReason?: string | undefined;
  onReason?: string | undefined;
  onExitCode?: string | undefined;
  action: RetryActionName;
}

export interface RetryStrategyInput {
  attempts: number;
  evaluateOnExit?: EvaluateOnExitRule[] | undefined;
}

export interface DependencyInput {
  jobId?: string;
  type?: 'N_TO_N' | 'SEQUENTIAL';
}

/** A SubmitJob request once every field has been checked. */
interface SubmitJobInput {
  jobName: string;
  jobQueue: string;
  jobDefinition: string;
  parameters?: Record<string, string>;
  command?: string[];
  environment?: { name: string; value: string }[];
  vcpus?: number;
  memory?: number;
  retryStrategy?: RetryStrategyInput;
  timeout?: { attemptDurationSeconds: number };
  arraySize?: number;
  dependsOn?: DependencyInput[];
  tags?: Record<string, string>;
  shareIdentifier?: string;
  schedulingPriorityOverride?: number;
  propagateTags?: boolean;
}

/** Batch's job name rule: 1-128 letters, numbers, hyphens, underscores; the first an alphanumeric. */
const jobNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Maximum SubmitJob payload (docs: batch/latest/userguide/service_limits.html). */
const maxSubmitPayloadBytes = 30 * 1024;
/** Maximum number of dependencies of one job (same page). */
const maxDependencies = 20;
const minArraySize = 2;
const maxArraySize = 10_000;

const exitCodePattern = /^[0-9]*\*?$/;
/** A process's argv and environment are C strings: a NUL byte would cut them short. */
const nulRule = 'must not contain a NUL byte (\\u0000), which a process argument or environment variable cannot hold';
const reasonPattern = /^[A-Za-z0-9.:\s]*\*?$/;

/** A received value as a message shows it. */
export const describe = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
};

/** Throws Batch's `ClientException` with `message`. */
export const fail = (message: string): never => {
  throw new BatchClientError(message);
};

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0)
    fail(`${field} is required and must be a non-empty string; received ${describe(value)}`);
  return value as string;
}

function optionalObject(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(`${field} must be an object; received ${describe(value)}`);
  return value as Record<string, unknown>;
}

export function stringMap(value: unknown, field: string, rule: string): Record<string, string> | undefined {
  const object = optionalObject(value, field);
  if (!object) return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) {
    if (typeof entry !== 'string') fail(`${field}.${key} must be a string (${rule}); received ${describe(entry)}`);
    out[key] = entry as string;
  }
  return out;
}

function positiveNumber(value: unknown, field: string): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0) {
    fail(`${field} must be a positive number; received ${describe(value)}`);
  }
  return number as number;
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${field} must be an integer between ${min} and ${max}; received ${describe(value)}`);
  }
  return value as number;
}

/** Parses SubmitJob's retry strategy with Batch's limits. */
function parseRetryStrategy(value: unknown): RetryStrategyInput | undefined {
  const field = 'retryStrategy';
  const object = optionalObject(value, field);
  if (!object) return undefined;
  const attempts = object.attempts === undefined ? 1 : integerIn(object.attempts, `${field}.attempts`, 1, 10);
  const rules = object.evaluateOnExit;
  if (rules === undefined || rules === null) return { attempts };
  if (!Array.isArray(rules)) fail(`${field}.evaluateOnExit must be an array; received ${describe(rules)}`);
  const list = rules as unknown[];
  if (list.length > 5) fail(`${field}.evaluateOnExit can contain at most 5 rules; received ${list.length}`);
  const evaluateOnExit = list.map((raw, index): EvaluateOnExitRule => {
    const where = `${field}.evaluateOnExit[${index}]`;
    if (!isObject(raw)) fail(`${where} must be an object; received ${describe(raw)}`);
    const rule = raw as Record<string, unknown>;
    const action = typeof rule.action === 'string' ? rule.action.toUpperCase() : undefined;
    if (action !== 'RETRY' && action !== 'EXIT')
      fail(`${where}.action must be RETRY or EXIT; received ${describe(rule.action)}`);
    const out: EvaluateOnExitRule = { action: action as RetryActionName };
    for (const key of ['onStatusReason', 'onReason', 'onExitCode'] as const) {
      const pattern = rule[key];
      if (pattern === undefined || pattern === null) continue;
      if (typeof pattern !== 'string' || pattern.length > 512) {
        fail(`${where}.${key} must be a string of at most 512 characters; received ${describe(pattern)}`);
      }
      const allowed = key === 'onExitCode' ? exitCodePattern : reasonPattern;
      if (!allowed.test(pattern as string)) {
        const rule = key === 'onExitCode' ? 'only numbers' : 'only letters, numbers, periods, colons and white space';
        fail(`${where}.${key} may contain ${rule}, optionally ending with *; received ${describe(pattern)}`);
      }
      out[key] = pattern as string;
    }
    return out;
  });
  return { attempts, evaluateOnExit };
}

function parseContainerOverrides(value: unknown, input: SubmitJobInput): void {
  const overrides = optionalObject(value, 'containerOverrides');
  if (!overrides) return;
  if (overrides.command !== undefined && overrides.command !== null) {
    const command = overrides.command;
    if (!Array.isArray(command) || command.some((part) => typeof part !== 'string')) {
      fail(`containerOverrides.command must be an array of strings; received ${describe(command)}`);
    }
    if ((command as string[]).length === 0 || (command as string[]).some((part) => part.length === 0)) {
      fail('Command cannot be empty: containerOverrides.command must not be empty nor contain empty strings');
    }
    (command as string[]).forEach((part, index) => {
      if (part.includes('\0')) fail(`containerOverrides.command[${index}] ${nulRule}; received ${describe(part)}`);
    });
    input.command = command as string[];
  }
  if (overrides.environment !== undefined && overrides.environment !== null) {
    if (!Array.isArray(overrides.environment)) {
      fail(
        `containerOverrides.environment must be an array of {name, value}; received ${describe(overrides.environment)}`,
      );
    }
    input.environment = (overrides.environment as unknown[]).map((raw, index) => {
      const where = `containerOverrides.environment[${index}]`;
      if (!isObject(raw) || typeof raw.name !== 'string' || raw.name.length === 0) {
        fail(`${where}.name must be a non-empty string; received ${describe(isObject(raw) ? raw.name : raw)}`);
      }
      const entry = raw as { name: string; value?: unknown };
      if (entry.name.startsWith('AWS_BATCH')) {
        fail(
          `${where}.name: environment variable names can't start with AWS_BATCH, a prefix reserved for variables that AWS Batch sets; received ${describe(entry.name)}`,
        );
      }
      if (entry.value !== undefined && typeof entry.value !== 'string') {
        fail(`${where}.value must be a string; received ${describe(entry.value)}`);
      }
      if (entry.name.includes('=') || entry.name.includes('\0')) {
        fail(
          `${where}.name must not contain "=" or a NUL byte, which end a variable name; received ${describe(entry.name)}`,
        );
      }
      if (typeof entry.value === 'string' && entry.value.includes('\0'))
        fail(`${where}.value ${nulRule}; received ${describe(entry.value)}`);
      return { name: entry.name, value: (entry.value as string | undefined) ?? '' };
    });
  }
  if (overrides.vcpus !== undefined && overrides.vcpus !== null)
    input.vcpus = positiveNumber(overrides.vcpus, 'containerOverrides.vcpus');
  if (overrides.memory !== undefined && overrides.memory !== null)
    input.memory = positiveNumber(overrides.memory, 'containerOverrides.memory');
  if (overrides.resourceRequirements !== undefined && overrides.resourceRequirements !== null) {
    if (!Array.isArray(overrides.resourceRequirements)) {
      fail(
        `containerOverrides.resourceRequirements must be an array; received ${describe(overrides.resourceRequirements)}`,
      );
    }
    (overrides.resourceRequirements as unknown[]).forEach((raw, index) => {
      const where = `containerOverrides.resourceRequirements[${index}]`;
      if (!isObject(raw)) fail(`${where} must be an object; received ${describe(raw)}`);
      const requirement = raw as { type?: unknown; value?: unknown };
      if (typeof requirement.value !== 'string')
        fail(`${where}.value must be a string; received ${describe(requirement.value)}`);
      switch (requirement.type) {
        case 'VCPU':
          input.vcpus = positiveNumber(requirement.value, `${where}.value (VCPU)`);
          break;
        case 'MEMORY':
          input.memory = positiveNumber(requirement.value, `${where}.value (MEMORY)`);
          break;
        case 'GPU':
          // No GPUs are scheduled locally; the value is still checked so a typo fails here as on AWS.
          positiveNumber(requirement.value, `${where}.value (GPU)`);
          break;
        default:
          fail(`${where}.type must be one of GPU, MEMORY, VCPU; received ${describe(requirement.type)}`);
      }
    });
  }
}

function parseDependsOn(value: unknown): DependencyInput[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(`dependsOn must be an array; received ${describe(value)}`);
  const list = value as unknown[];
  if (list.length > maxDependencies)
    fail(`dependsOn: a job can depend on at most ${maxDependencies} jobs; received ${list.length}`);
  return list.map((raw, index) => {
    const where = `dependsOn[${index}]`;
    if (!isObject(raw)) fail(`${where} must be an object; received ${describe(raw)}`);
    const dependency = raw as { jobId?: unknown; type?: unknown };
    const out: DependencyInput = {};
    if (dependency.jobId !== undefined && dependency.jobId !== null) {
      if (typeof dependency.jobId !== 'string' || dependency.jobId.length === 0) {
        fail(`${where}.jobId must be a non-empty string; received ${describe(dependency.jobId)}`);
      }
      out.jobId = dependency.jobId as string;
    }
    if (dependency.type !== undefined && dependency.type !== null) {
      if (dependency.type !== 'N_TO_N' && dependency.type !== 'SEQUENTIAL') {
        fail(`${where}.type must be N_TO_N or SEQUENTIAL; received ${describe(dependency.type)}`);
      }
      out.type = dependency.type as 'N_TO_N' | 'SEQUENTIAL';
    }
    if (!out.jobId && out.type !== 'SEQUENTIAL') fail(`${where}.jobId is required unless type is SEQUENTIAL`);
    return out;
  });
}

/**
 * Checks a SubmitJob request body the way Batch does and returns it normalised.
 * `payloadBytes` is the size of the request body as received (30 KiB at most).
 * `minAttemptDurationSeconds` is AWS's 60, or the configuration's `local.minTimeoutSeconds`.
 * @example parseSubmitJob({ jobName: 'a', jobQueue: 'q', jobDefinition: 'd' }, 60, 60)
 */
export function parseSubmitJob(raw: unknown, payloadBytes: number, minAttemptDurationSeconds: number): SubmitJobInput {
  if (payloadBytes > maxSubmitPayloadBytes) {
    fail(
      `SubmitJob request payload is ${payloadBytes} bytes; the maximum job payload size is 30 KiB (${maxSubmitPayloadBytes} bytes)`,
    );
  }
  if (!isObject(raw)) fail(`the SubmitJob request must be a JSON object; received ${describe(raw)}`);
  const body = raw as Record<string, unknown>;
  const jobName = body.jobName;
  if (typeof jobName !== 'string' || !jobNamePattern.test(jobName)) {
    fail(
      `Job name should match valid pattern: jobName must be 1-128 letters, numbers, hyphens or underscores, starting with a letter or number; received ${describe(jobName)}`,
    );
  }
  const input: SubmitJobInput = {
    jobName: jobName as string,
    jobQueue: requireString(body, 'jobQueue'),
    jobDefinition: requireString(body, 'jobDefinition'),
  };
  const parameters = stringMap(body.parameters, 'parameters', 'Batch parameters accept string values only');
  if (parameters) input.parameters = parameters;
  parseContainerOverrides(body.containerOverrides, input);
  const retryStrategy = parseRetryStrategy(body.retryStrategy);
  if (retryStrategy) input.retryStrategy = retryStrategy;
  const timeout = optionalObject(body.timeout, 'timeout');
  if (timeout && timeout.attemptDurationSeconds !== undefined && timeout.attemptDurationSeconds !== null) {
    const seconds = timeout.attemptDurationSeconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < minAttemptDurationSeconds) {
      fail(
        `timeout.attemptDurationSeconds must be an integer of at least ${minAttemptDurationSeconds} seconds; received ${describe(seconds)}`,
      );
    }
    input.timeout = { attemptDurationSeconds: seconds as number };
  }
  const arrayProperties = optionalObject(body.arrayProperties, 'arrayProperties');
  if (arrayProperties && arrayProperties.size !== undefined && arrayProperties.size !== null) {
    const size = arrayProperties.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < minArraySize || size > maxArraySize) {
      // Worded as the documentation words the rule (docs: batch/latest/APIReference/API_SubmitJob.html, arrayProperties).
      fail(
        `The array size can be between 2 and 10,000: arrayProperties.size must be an integer from ${minArraySize} to ${maxArraySize}; received ${describe(size)}`,
      );
    }
    input.arraySize = size as number;
  }
  const dependsOn = parseDependsOn(body.dependsOn);
  if (dependsOn) input.dependsOn = dependsOn;
  const tags = stringMap(body.tags, 'tags', 'tag values are strings');
  if (tags) input.tags = tags;
  if (body.shareIdentifier !== undefined && body.shareIdentifier !== null)
    input.shareIdentifier = requireString(body, 'shareIdentifier');
  if (body.schedulingPriorityOverride !== undefined && body.schedulingPriorityOverride !== null) {
    input.schedulingPriorityOverride = integerIn(
      body.schedulingPriorityOverride,
      'schedulingPriorityOverride',
      0,
      9999,
    );
  }
  if (typeof body.propagateTags === 'boolean') input.propagateTags = body.propagateTags;
  for (const unsupported of [
    'nodeOverrides',
    'eksPropertiesOverride',
    'ecsPropertiesOverride',
    'consumableResourcePropertiesOverride',
  ]) {
    if (body[unsupported] !== undefined && body[unsupported] !== null) {
      fail(
        `${unsupported} is not supported by the local Batch service (container jobs only); received ${describe(body[unsupported])}`,
      );
    }
  }
  return input;
}

/** Reads a required `jobId` + `reason` pair (TerminateJob, CancelJob); reason is limited to 1024 characters. */
export function parseJobIdAndReason(raw: unknown, operation: string): { jobId: string; reason: string } {
  if (!isObject(raw)) fail(`the ${operation} request must be a JSON object; received ${describe(raw)}`);
  const body = raw as Record<string, unknown>;
  const jobId = requireString(body, 'jobId');
  const reason = body.reason;
  if (typeof reason !== 'string') fail(`reason is required and must be a string; received ${describe(reason)}`);
  if ((reason as string).length > 1024)
    fail(`reason must be at most 1024 characters; received ${(reason as string).length}`);
  return { jobId, reason: reason as string };
}

/** Reads an optional string list member (`jobs`, `jobQueues`, ...). */
export function optionalStringList(raw: unknown, field: string, max?: number): string[] | undefined {
  const value = isObject(raw) ? raw[field] : undefined;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    fail(`${field} must be an array of strings; received ${describe(value)}`);
  }
  if (max !== undefined && (value as string[]).length > max)
    fail(`${field} can list at most ${max} entries; received ${(value as string[]).length}`);
  return value as string[];
}

/** Reads an optional member of the given type from a request body. */
export function optionalMember<T extends 'string' | 'number'>(
  raw: unknown,
  field: string,
  type: T,
): (T extends 'string' ? string : number) | undefined {
  const value = isObject(raw) ? raw[field] : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) fail(`${field} must be a ${type}; received ${describe(value)}`);
  return value as T extends 'string' ? string : number;
}
