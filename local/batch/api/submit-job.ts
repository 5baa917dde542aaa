/** SubmitJob (docs: batch/latest/APIReference/API_SubmitJob.html). */
import { randomUUID } from 'node:crypto';
import type { KeyValuePair, SubmitJobResponse } from '@aws-sdk/client-batch';
import { findDependencies, linkDependencies } from '../dependencies/link';
import { BatchClientError } from '../errors';
import type { JobRecord } from '../store/records';
import { StatusIndex } from '../store/status-index';
import type { ServiceParts } from './service-parts';
import { parseSubmitJob } from './validate';

/**
 * Batch substitutes `Ref::name` command arguments with the job's parameters (docs: batch/latest/userguide/example-use-parameters.html).
 * @example substituteParameters(['echo', 'Ref::name'], { name: 'ada' }) // ['echo', 'ada']
 */
export function substituteParameters(command: readonly string[], parameters: Record<string, string>): string[] {
  return command.map((argument) => {
    if (!argument.startsWith('Ref::')) return argument;
    const value = parameters[argument.slice(5)];
    return value === undefined ? argument : value;
  });
}

/**
 * Checks the request, creates the job SUBMITTED and hands it to the scheduler. `payloadBytes` is the
 * size of the request as received; in-process callers may omit it and the JSON size of `request` is used.
 */
export function submitJob(
  { resources, store, scheduler, clock }: Pick<ServiceParts, 'resources' | 'store' | 'scheduler' | 'clock'>,
  request: unknown,
  payloadBytes: number | undefined,
): SubmitJobResponse {
  if (scheduler.closed) throw new BatchClientError('the local Batch service is closed');
  const input = parseSubmitJob(
    request,
    payloadBytes ?? Buffer.byteLength(JSON.stringify(request ?? null), 'utf8'),
    resources.minTimeoutSeconds,
  );
  const queue = resources.resolveQueue(input.jobQueue);
  // docs: batch/latest/APIReference/API_JobQueueDetail.html (state): a DISABLED queue takes no new jobs.
  if (queue.state === 'DISABLED')
    throw new BatchClientError(`jobQueue: job queue ${queue.name} is DISABLED and accepts no new jobs`);
  const definition = resources.resolveDefinition(input.jobDefinition);
  if (queue.schedulingPolicy && input.shareIdentifier === undefined) {
    throw new BatchClientError(
      `shareIdentifier is required: job queue ${queue.name} has the fair-share scheduling policy ${queue.schedulingPolicy.name}`,
    );
  }
  if (!queue.schedulingPolicy && input.shareIdentifier !== undefined) {
    throw new BatchClientError(
      `shareIdentifier can only be set on jobs for a queue with a fair-share scheduling policy; job queue ${queue.name} has none (received "${input.shareIdentifier}")`,
    );
  }
  const dependencies = findDependencies(input.dependsOn, input.arraySize, store);

  const parameters = { ...input.parameters };
  const environment = mergeEnvironment(definition.environment, input.environment);
  const jobId = randomUUID();
  const job: JobRecord = {
    jobId,
    jobArn: resources.arn('job', jobId),
    jobName: input.jobName,
    queue,
    definition,
    status: 'SUBMITTED',
    createdAt: clock.now(),
    parameters,
    command: substituteParameters(input.command ?? definition.config.command, parameters),
    environment,
    vcpus: input.vcpus ?? definition.config.vcpus,
    memory: input.memory ?? definition.config.memoryMiB,
    retryStrategy: input.retryStrategy ?? definition.config.retryStrategy ?? { attempts: 1 },
    attempts: [],
    unmetDependencies: 0,
  };
  const timeoutSeconds = input.timeout?.attemptDurationSeconds ?? definition.config.timeoutSeconds;
  if (timeoutSeconds !== undefined) job.timeoutSeconds = timeoutSeconds;
  if (input.tags) job.tags = input.tags;
  if (input.shareIdentifier !== undefined) job.shareIdentifier = input.shareIdentifier;
  // The definition's schedulingPriority unless SubmitJob overrides it (docs: batch/latest/APIReference/API_SubmitJob.html).
  const schedulingPriority = input.schedulingPriorityOverride ?? definition.config.schedulingPriority;
  if (schedulingPriority !== undefined) job.schedulingPriority = schedulingPriority;
  if (input.propagateTags !== undefined) job.propagateTags = input.propagateTags;
  if (input.dependsOn) job.dependsOn = input.dependsOn;
  if (input.arraySize !== undefined) {
    job.array = {
      size: input.arraySize,
      expanded: false,
      childrenByStatus: new StatusIndex(),
      sequential: dependencies.sequential,
      failedChildren: 0,
      finishedChildren: 0,
    };
  }
  linkDependencies(job, dependencies);
  store.add(job);
  store.journal.submitted({
    jobId,
    jobName: job.jobName,
    queue: queue.name,
    definition: definition.name,
    createdAt: job.createdAt,
    array: job.array && { size: job.array.size, environment: job.environment },
  });
  scheduler.submit(job);
  return { jobArn: job.jobArn, jobName: job.jobName, jobId };
}

/** The definition's variables with the request's overriding those of the same name. */
function mergeEnvironment(
  base: KeyValuePair[],
  overrides: { name: string; value: string }[] | undefined,
): KeyValuePair[] {
  if (!overrides || overrides.length === 0) return base;
  const merged = new Map(base.map((entry) => [entry.name as string, entry.value ?? '']));
  for (const entry of overrides) merged.set(entry.name, entry.value);
  return [...merged].map(([name, value]) => ({ name, value }));
}
