import type { JobRecord } from '../store/records';

/**
 * Child `index` of an array job, `<parentId>:<index>`, SUBMITTED (docs: batch/latest/userguide/array_jobs.html).
 * It shares its parent's parameters, command, environment and retry strategy rather than copying them.
 */
export function newArrayChild(parent: JobRecord, index: number, jobArn: string, createdAt: number): JobRecord {
  const child: JobRecord = {
    jobId: `${parent.jobId}:${index}`,
    jobArn,
    jobName: parent.jobName,
    queue: parent.queue,
    definition: parent.definition,
    status: 'SUBMITTED',
    createdAt,
    parameters: parent.parameters,
    command: parent.command,
    environment: parent.environment,
    vcpus: parent.vcpus,
    memory: parent.memory,
    retryStrategy: parent.retryStrategy,
    attempts: [],
    unmetDependencies: 0,
    parent,
    arrayIndex: index,
  };
  if (parent.timeoutSeconds !== undefined) child.timeoutSeconds = parent.timeoutSeconds;
  if (parent.tags) child.tags = parent.tags;
  if (parent.shareIdentifier !== undefined) child.shareIdentifier = parent.shareIdentifier;
  return child;
}
