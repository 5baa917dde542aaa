/** DescribeJobDefinitions: the job definitions from the configuration. */
import type { JobDefinition } from '@aws-sdk/client-batch';
import type { BatchResources } from '../resources';
import { jobDefinitionDetail } from '../shapes/resources';
import { optionalMember, optionalStringList } from './validate';

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
