/** DescribeJobQueues, DescribeJobDefinitions and DescribeComputeEnvironments: the resources from the configuration. */
import type { ComputeEnvironmentDetail, JobDefinition, JobQueueDetail } from '@aws-sdk/client-batch';
import type { BatchResources } from '../resources';
import { computeEnvironmentDetail, jobDefinitionDetail, jobQueueDetail } from '../shapes/resources';
import { optionalMember, optionalStringList } from './validate';

/** Every queue, or those named (by name or ARN) in `jobQueues`; unknown ones are left out. */
export function describeJobQueues(resources: BatchResources, request: unknown): { jobQueues: JobQueueDetail[] } {
  const wanted = optionalStringList(request, 'jobQueues');
  const queues = wanted
    ? wanted.map((ref) => resources.findQueue(ref)).filter((queue) => queue !== undefined)
    : [...resources.queues.values()];
  return { jobQueues: queues.map((queue) => jobQueueDetail(queue, resources)) };
}

/** Every definition, or those named in `jobDefinitions`, narrowed by `jobDefinitionName` and `status`. */
export function describeJobDefinitions(
  resources: BatchResources,
  request: unknown,
): { jobDefinitions: JobDefinition[] } {
  const wanted = optionalStringList(request, 'jobDefinitions');
  const name = optionalMember(request, 'jobDefinitionName', 'string');
  const status = optionalMember(request, 'status', 'string');
  let definitions = wanted
    ? wanted.map((ref) => resources.findDefinition(ref)).filter((definition) => definition !== undefined)
    : [...resources.definitions.values()];
  if (name !== undefined) definitions = definitions.filter((definition) => definition.name === name);
  if (status !== undefined && status !== 'ACTIVE') definitions = [];
  return { jobDefinitions: definitions.map((definition) => jobDefinitionDetail(definition)) };
}

/** Every compute environment, or those named (by name or ARN) in `computeEnvironments`. */
export function describeComputeEnvironments(
  resources: BatchResources,
  request: unknown,
): { computeEnvironments: ComputeEnvironmentDetail[] } {
  const wanted = optionalStringList(request, 'computeEnvironments');
  const prefix = resources.arn('compute-environment', '');
  const names = wanted?.map((ref) => (ref.startsWith(prefix) ? ref.slice(prefix.length) : ref));
  const environments = names
    ? resources.computeEnvironments.filter((ce) => names.includes(ce.name))
    : resources.computeEnvironments;
  return { computeEnvironments: environments.map((ce) => computeEnvironmentDetail(ce, resources)) };
}
