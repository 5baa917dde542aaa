/**
 * Reading the members of control-plane requests (CreateComputeEnvironment, CreateJobQueue,
 * CreateSchedulingPolicy and their Update, Delete and Describe operations) with AWS Batch's
 * rules; every error is a `ClientException` naming the field, the rule and the value received.
 */
import type { SchedulingPolicyConfig } from '../../../config';
import type { TimeLimitAction } from '../store/records';
import { describe, fail, isObject, stringMap } from './validate';

/** Names of compute environments, job queues and scheduling policies: up to 128 letters, numbers, hyphens, underscores. */
const resourceNamePattern = /^[A-Za-z0-9_-]{1,128}$/;
/** A share identifier or prefix (docs: batch/latest/APIReference/API_ShareAttributes.html). */
const shareIdentifierPattern = /^[A-Za-z0-9]{1,255}\*?$/;

/** The request body as an object. */
export function requestBody(raw: unknown, operation: string): Record<string, unknown> {
  if (!isObject(raw)) fail(`the ${operation} request must be a JSON object; received ${describe(raw)}`);
  return raw as Record<string, unknown>;
}

export function resourceName(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || !resourceNamePattern.test(value)) {
    fail(`${field} must be 1-128 letters, numbers, hyphens or underscores; received ${describe(value)}`);
  }
  return value as string;
}

/** A required name or ARN. */
export function reference(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0)
    fail(`${field} is required and must be a name or an ARN; received ${describe(value)}`);
  return value as string;
}

export function optionalEnum<T extends string>(
  body: Record<string, unknown>,
  field: string,
  values: readonly T[],
  label = field,
): T | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !values.includes(value as T))
    fail(`${label} must be one of ${values.join(', ')}; received ${describe(value)}`);
  return value as T;
}

export function optionalInteger(
  body: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  label = field,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(`${label} must be an integer from ${min} to ${max}; received ${describe(value)}`);
  return value as number;
}

export function requiredInteger(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = optionalInteger(body, field, min, max);
  if (value === undefined) fail(`${field} is required: an integer from ${min} to ${max}`);
  return value as number;
}

export function optionalObjectMember(
  body: Record<string, unknown>,
  field: string,
): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(`${field} must be an object; received ${describe(value)}`);
  return value as Record<string, unknown>;
}

export function optionalArray(body: Record<string, unknown>, field: string): unknown[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(`${field} must be an array; received ${describe(value)}`);
  return value as unknown[];
}

export function optionalStrings(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = optionalArray(body, field);
  if (value?.some((entry) => typeof entry !== 'string'))
    fail(`${field} must be an array of strings; received ${describe(value)}`);
  return value as string[] | undefined;
}

export function tags(body: Record<string, unknown>): Record<string, string> {
  return stringMap(body.tags, 'tags', 'tag values are strings') ?? {};
}

/** Refuses members the local service does not serve, naming them. */
export function refuseUnsupported(body: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    if (body[field] !== undefined && body[field] !== null)
      fail(`${field} is not supported by the local Batch service; received ${describe(body[field])}`);
  }
}

/** `jobStateTimeLimitActions` (docs: batch/latest/APIReference/API_JobStateTimeLimitAction.html). */
export function timeLimitActions(body: Record<string, unknown>): TimeLimitAction[] | undefined {
  const list = optionalArray(body, 'jobStateTimeLimitActions');
  return list?.map((entry, index) => {
    const field = `jobStateTimeLimitActions[${index}]`;
    if (!isObject(entry)) fail(`${field} must be an object; received ${describe(entry)}`);
    const action = entry as Record<string, unknown>;
    const reason = action.reason;
    if (typeof reason !== 'string' || reason.length === 0)
      fail(`${field}.reason is required and must be a non-empty string; received ${describe(reason)}`);
    if (action.state !== 'RUNNABLE') fail(`${field}.state must be RUNNABLE; received ${describe(action.state)}`);
    if (action.action !== 'CANCEL') fail(`${field}.action must be CANCEL; received ${describe(action.action)}`);
    const seconds = action.maxTimeSeconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 600 || seconds > 86_400)
      fail(`${field}.maxTimeSeconds must be an integer from 600 to 86400; received ${describe(seconds)}`);
    return { reason: reason as string, state: 'RUNNABLE', maxTimeSeconds: seconds as number, action: 'CANCEL' };
  });
}

/** `fairsharePolicy` (docs: batch/latest/APIReference/API_FairsharePolicy.html, API_ShareAttributes.html). */
export function fairsharePolicy(
  body: Record<string, unknown>,
  name: string,
): Omit<SchedulingPolicyConfig, 'name'> & { name: string } {
  const policy = optionalObjectMember(body, 'fairsharePolicy') ?? {};
  const prefixed = (field: string): string => `fairsharePolicy.${field}`;
  const shareDecaySeconds = optionalInteger(policy, 'shareDecaySeconds', 0, 604_800, prefixed('shareDecaySeconds'));
  const computeReservation = optionalInteger(policy, 'computeReservation', 0, 99, prefixed('computeReservation'));
  const distribution = optionalArray(policy, 'shareDistribution') ?? [];
  if (distribution.length > 500)
    fail(`${prefixed('shareDistribution')} can hold at most 500 entries; received ${distribution.length}`);
  const seen = new Set<string>();
  const shareDistribution = distribution.map((entry, index) => {
    const field = prefixed(`shareDistribution[${index}]`);
    if (!isObject(entry)) fail(`${field} must be an object; received ${describe(entry)}`);
    const share = entry as Record<string, unknown>;
    const id = share.shareIdentifier;
    if (typeof id !== 'string' || !shareIdentifierPattern.test(id))
      fail(
        `${field}.shareIdentifier must be 1-255 letters or numbers, optionally followed by *; received ${describe(id)}`,
      );
    if (seen.has(id as string)) fail(`${field}.shareIdentifier: ${id as string} is listed twice`);
    seen.add(id as string);
    const weight = share.weightFactor ?? 1;
    if (typeof weight !== 'number' || !(weight >= 0.0001 && weight <= 999.9999))
      fail(`${field}.weightFactor must be a number from 0.0001 to 999.9999; received ${describe(weight)}`);
    return { shareIdentifier: id as string, weightFactor: weight as number };
  });
  return {
    name,
    shareDecaySeconds: shareDecaySeconds ?? 0,
    computeReservation: computeReservation ?? 0,
    shareDistribution,
  };
}
