/**
 * CreateComputeEnvironment, UpdateComputeEnvironment, DeleteComputeEnvironment and
 * DescribeComputeEnvironments (docs: batch/latest/APIReference/API_CreateComputeEnvironment.html,
 * API_UpdateComputeEnvironment.html, API_DeleteComputeEnvironment.html, API_ComputeResource.html).
 */
import type { ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import { computeEnvironmentDetail } from '../shapes/resources';
import type { ComputeEnvironmentState, ComputeType } from '../store/records';
import {
  optionalEnum,
  optionalInteger,
  optionalObjectMember,
  optionalStrings,
  reference,
  refuseUnsupported,
  requestBody,
  resourceName,
  tags,
} from './resource-input';
import type { ServiceParts } from './service-parts';
import { fail, optionalStringList } from './validate';

type Parts = Pick<ServiceParts, 'resources' | 'scheduler'>;

const computeTypes: readonly ComputeType[] = ['EC2', 'SPOT', 'FARGATE', 'FARGATE_SPOT'];
const states = ['ENABLED', 'DISABLED'] as const;

/** Creates a MANAGED compute environment; `computeResources.type`, `maxvCpus` and `subnets` are required, as on AWS. */
export function createComputeEnvironment(
  { resources, scheduler }: Parts,
  request: unknown,
): { computeEnvironmentName: string; computeEnvironmentArn: string } {
  const body = requestBody(request, 'CreateComputeEnvironment');
  const name = resourceName(body, 'computeEnvironmentName');
  const type = optionalEnum(body, 'type', ['MANAGED', 'UNMANAGED'] as const);
  if (type === undefined) fail('type is required: MANAGED or UNMANAGED');
  if (type === 'UNMANAGED')
    fail('type: UNMANAGED compute environments are not supported by the local Batch service; use MANAGED');
  refuseUnsupported(body, ['eksConfiguration']);
  const state = optionalEnum(body, 'state', states) ?? 'ENABLED';
  const compute = optionalObjectMember(body, 'computeResources');
  if (!compute) fail('computeResources is required for a MANAGED compute environment');
  const resourcesIn = compute as Record<string, unknown>;
  const computeType = optionalEnum(resourcesIn, 'type', computeTypes, 'computeResources.type');
  if (computeType === undefined) fail(`computeResources.type is required: one of ${computeTypes.join(', ')}`);
  const maxvCpus = optionalInteger(resourcesIn, 'maxvCpus', 1, 1_000_000, 'computeResources.maxvCpus');
  if (maxvCpus === undefined) fail('computeResources.maxvCpus is required: a positive integer');
  const minvCpus = optionalInteger(resourcesIn, 'minvCpus', 0, 1_000_000, 'computeResources.minvCpus') ?? 0;
  if (minvCpus > (maxvCpus as number))
    fail(`computeResources.minvCpus must not exceed computeResources.maxvCpus (${maxvCpus}); received ${minvCpus}`);
  const subnets = optionalStrings(resourcesIn, 'subnets');
  if (!subnets || subnets.length === 0) fail('computeResources.subnets is required: a non-empty array of subnet IDs');
  if (resources.computeEnvironments.has(name))
    fail(`computeEnvironmentName: a compute environment named ${name} already exists`);
  const environment: ComputeEnvironmentState = {
    name,
    arn: resources.arn('compute-environment', name),
    type: computeType as ComputeType,
    state,
    maxvCpus: maxvCpus as number,
    minvCpus,
    subnets: subnets as string[],
    securityGroupIds: optionalStrings(resourcesIn, 'securityGroupIds') ?? [],
    tags: tags(body),
    vcpusInUse: 0,
  };
  resources.computeEnvironments.set(name, environment);
  scheduler.scheduleTick();
  return { computeEnvironmentName: name, computeEnvironmentArn: environment.arn };
}

/** Changes `state` and `computeResources` (`maxvCpus`, `minvCpus`, `subnets`, `securityGroupIds`); running attempts go on. */
export function updateComputeEnvironment(
  { resources, scheduler }: Parts,
  request: unknown,
): { computeEnvironmentName: string; computeEnvironmentArn: string } {
  const body = requestBody(request, 'UpdateComputeEnvironment');
  const environment = requireEnvironment(resources, body);
  const state = optionalEnum(body, 'state', states);
  const compute = optionalObjectMember(body, 'computeResources') ?? {};
  const maxvCpus = optionalInteger(compute, 'maxvCpus', 1, 1_000_000, 'computeResources.maxvCpus');
  const minvCpus = optionalInteger(compute, 'minvCpus', 0, 1_000_000, 'computeResources.minvCpus');
  const newMax = maxvCpus ?? environment.maxvCpus;
  if ((minvCpus ?? environment.minvCpus) > newMax)
    fail(`computeResources.minvCpus must not exceed computeResources.maxvCpus (${newMax}); received ${minvCpus}`);
  const subnets = optionalStrings(compute, 'subnets');
  const securityGroupIds = optionalStrings(compute, 'securityGroupIds');
  if (state) environment.state = state;
  environment.maxvCpus = newMax;
  if (minvCpus !== undefined) environment.minvCpus = minvCpus;
  if (subnets) environment.subnets = subnets;
  if (securityGroupIds) environment.securityGroupIds = securityGroupIds;
  scheduler.scheduleTick();
  return { computeEnvironmentName: environment.name, computeEnvironmentArn: environment.arn };
}

/** Deletes a DISABLED compute environment that no job queue lists any more, as AWS requires. */
export function deleteComputeEnvironment({ resources }: Parts, request: unknown): Record<string, never> {
  const body = requestBody(request, 'DeleteComputeEnvironment');
  const environment = requireEnvironment(resources, body);
  if (environment.state !== 'DISABLED')
    fail(
      `computeEnvironment: ${environment.name} is ENABLED; set its state to DISABLED with UpdateComputeEnvironment before deleting it`,
    );
  for (const queue of resources.queues.values()) {
    if (queue.computeEnvironmentOrder.some((entry) => entry.computeEnvironment === environment))
      fail(
        `computeEnvironment: ${environment.name} is still in the computeEnvironmentOrder of job queue ${queue.name}; remove it with UpdateJobQueue before deleting it`,
      );
  }
  resources.computeEnvironments.delete(environment.name);
  return {};
}

/** Every compute environment, or those named (by name or ARN) in `computeEnvironments`; unknown ones are left out. */
export function describeComputeEnvironments(
  { resources }: Pick<ServiceParts, 'resources'>,
  request: unknown,
): { computeEnvironments: ComputeEnvironmentDetail[] } {
  const wanted = optionalStringList(request, 'computeEnvironments', 100);
  const environments = wanted
    ? wanted.map((ref) => resources.findComputeEnvironment(ref)).filter((ce) => ce !== undefined)
    : [...resources.computeEnvironments.values()];
  return { computeEnvironments: environments.map((ce) => computeEnvironmentDetail(ce, resources)) };
}

function requireEnvironment(resources: Parts['resources'], body: Record<string, unknown>): ComputeEnvironmentState {
  const ref = reference(body, 'computeEnvironment');
  const environment = resources.findComputeEnvironment(ref);
  if (!environment) fail(`computeEnvironment: no compute environment ${ref}`);
  return environment as ComputeEnvironmentState;
}
