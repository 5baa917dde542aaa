/**
 * CreateSchedulingPolicy, UpdateSchedulingPolicy, DeleteSchedulingPolicy, DescribeSchedulingPolicies
 * and ListSchedulingPolicies (docs: batch/latest/APIReference/API_CreateSchedulingPolicy.html,
 * API_FairsharePolicy.html, API_DeleteSchedulingPolicy.html).
 */
import type { SchedulingPolicyDetail, SchedulingPolicyListingDetail } from '@aws-sdk/client-batch';
import { schedulingPolicyDetail } from '../shapes/resources';
import type { SchedulingPolicyState } from '../store/records';
import { fairsharePolicy, reference, requestBody, resourceName, tags } from './resource-input';
import type { ServiceParts } from './service-parts';
import { fail, optionalStringList } from './validate';

type Parts = Pick<ServiceParts, 'resources' | 'scheduler'>;

export function createSchedulingPolicy({ resources }: Parts, request: unknown): { name: string; arn: string } {
  const body = requestBody(request, 'CreateSchedulingPolicy');
  const name = resourceName(body, 'name');
  const policy = fairsharePolicy(body, name);
  const policyTags = tags(body);
  if (resources.schedulingPolicies.has(name)) fail(`name: a scheduling policy named ${name} already exists`);
  const created = resources.addSchedulingPolicy(policy, policyTags);
  return { name, arn: created.arn };
}

/** Replaces the policy's `fairsharePolicy`; the queues using it schedule by the new one at once. */
export function updateSchedulingPolicy({ resources, scheduler }: Parts, request: unknown): Record<string, never> {
  const body = requestBody(request, 'UpdateSchedulingPolicy');
  const policy = requirePolicy(resources, body);
  if (body.fairsharePolicy !== undefined && body.fairsharePolicy !== null) {
    const updated = fairsharePolicy(body, policy.name);
    policy.shareDecaySeconds = updated.shareDecaySeconds;
    policy.computeReservation = updated.computeReservation;
    policy.shareDistribution = updated.shareDistribution;
  }
  scheduler.scheduleTick();
  return {};
}

/** Deletes a policy no job queue uses, as AWS requires. */
export function deleteSchedulingPolicy({ resources }: Parts, request: unknown): Record<string, never> {
  const body = requestBody(request, 'DeleteSchedulingPolicy');
  const policy = requirePolicy(resources, body);
  for (const queue of resources.queues.values()) {
    if (queue.schedulingPolicy === policy)
      fail(`arn: scheduling policy ${policy.name} is used by job queue ${queue.name} and cannot be deleted`);
  }
  resources.schedulingPolicies.delete(policy.name);
  return {};
}

/** The policies named in `arns` (required, at most 100); unknown ones are left out. */
export function describeSchedulingPolicies(
  { resources }: Pick<ServiceParts, 'resources'>,
  request: unknown,
): { schedulingPolicies: SchedulingPolicyDetail[] } {
  const arns = optionalStringList(request, 'arns', 100);
  if (!arns || arns.length === 0) fail('arns is required: a non-empty array of scheduling policy ARNs');
  const policies = (arns as string[]).map((arn) => resources.findSchedulingPolicy(arn)).filter((p) => p !== undefined);
  return { schedulingPolicies: policies.map(schedulingPolicyDetail) };
}

/** Every policy's ARN, in one page. */
export function listSchedulingPolicies({ resources }: Pick<ServiceParts, 'resources'>): {
  schedulingPolicies: SchedulingPolicyListingDetail[];
} {
  return { schedulingPolicies: [...resources.schedulingPolicies.values()].map((policy) => ({ arn: policy.arn })) };
}

function requirePolicy(resources: Parts['resources'], body: Record<string, unknown>): SchedulingPolicyState {
  const ref = reference(body, 'arn');
  const policy = resources.findSchedulingPolicy(ref);
  if (!policy) fail(`arn: no scheduling policy ${ref}`);
  return policy as SchedulingPolicyState;
}
