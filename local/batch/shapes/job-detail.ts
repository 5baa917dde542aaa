/** DescribeJobs' `JobDetail` of a job, from its whole record or from what the journal kept of it. */
import type { JobDetail, KeyValuePair } from '@aws-sdk/client-batch';
import { imageReference } from '../../../config';
import type { Clock } from '../../engine/types';
import type { JournaledJob } from '../journal';
import type { ArrayParentState, DefinitionState, JobRecord, QueueState } from '../store/records';
import { jobStatuses } from '../store/status-index';

/** The detail of a job the service holds whole; an array parent's status summary is read at `clock.now()`. */
export function jobDetail(job: JobRecord, clock: Clock): JobDetail {
  const last = job.attempts.at(-1);
  const finished = job.attempts.filter((attempt) => attempt.stoppedAt !== undefined);
  const detail: JobDetail = {
    jobArn: job.jobArn,
    jobName: job.jobName,
    jobId: job.jobId,
    jobQueue: job.queue.arn,
    status: job.status,
    attempts: finished.map((attempt) => ({
      container: {
        taskArn: attempt.taskArn,
        ...(attempt.exitCode === undefined ? {} : { exitCode: attempt.exitCode }),
        ...(attempt.reason === undefined ? {} : { reason: attempt.reason }),
        logStreamName: attempt.logStreamName,
        networkInterfaces: [],
      },
      ...(attempt.startedAt === undefined ? {} : { startedAt: attempt.startedAt }),
      ...(attempt.stoppedAt === undefined ? {} : { stoppedAt: attempt.stoppedAt }),
      ...(attempt.statusReason === undefined ? {} : { statusReason: attempt.statusReason }),
    })),
    createdAt: job.createdAt,
    retryStrategy: job.retryStrategy,
    startedAt: job.startedAt,
    dependsOn: job.dependsOn ?? [],
    jobDefinition: job.definition.arn,
    parameters: job.parameters,
    platformCapabilities: [],
    propagateTags: job.propagateTags ?? false,
  };
  if (job.statusReason !== undefined) detail.statusReason = job.statusReason;
  if (job.stoppedAt !== undefined) detail.stoppedAt = job.stoppedAt;
  if (job.shareIdentifier !== undefined) detail.shareIdentifier = job.shareIdentifier;
  if (job.schedulingPriority !== undefined) detail.schedulingPriority = job.schedulingPriority;
  if (job.timeoutSeconds !== undefined) detail.timeout = { attemptDurationSeconds: job.timeoutSeconds };
  if (job.tags) detail.tags = job.tags;
  if (job.isCancelled) detail.isCancelled = true;
  if (job.isTerminated) detail.isTerminated = true;
  if (job.array) {
    detail.arrayProperties = {
      size: job.array.size,
      statusSummary: statusSummary(job.array),
      statusSummaryLastUpdatedAt: clock.now(),
    };
  } else if (job.parent?.array && job.arrayIndex !== undefined) {
    detail.arrayProperties = { index: job.arrayIndex };
  }
  // A parent has the container its children run, without a task of its own (it runs none).
  detail.container = {
    image: imageReference(job.definition.config),
    command: job.command,
    environment: job.environment,
    resourceRequirements: [
      { type: 'VCPU', value: String(job.vcpus) },
      { type: 'MEMORY', value: String(job.memory) },
    ],
    mountPoints: [],
    volumes: [],
    ulimits: [],
    secrets: [],
    networkInterfaces: [],
    ...(last?.exitCode === undefined ? {} : { exitCode: last.exitCode }),
    ...(last?.reason === undefined ? {} : { reason: last.reason }),
    ...(last ? { taskArn: last.taskArn, logStreamName: last.logStreamName } : {}),
  };
  return detail;
}

function statusSummary(array: ArrayParentState): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const status of jobStatuses) summary[status] = array.childrenByStatus.size(status);
  return summary;
}

/**
 * The detail of a job known from the journal only: what a describe of it showed when it ended.
 * An array parent's is given its children's `statusSummary` (as of `summaryAt`); the parent and its
 * children show the parent's journaled environment, as live ones do.
 */
export function restoredJobDetail(
  job: JournaledJob,
  jobArn: string,
  queue: QueueState,
  definition: DefinitionState,
  array?: { environment?: KeyValuePair[] | undefined; statusSummary?: Record<string, number>; summaryAt?: number },
): JobDetail {
  const container = {
    ...(job.exitCode === undefined ? {} : { exitCode: job.exitCode }),
    ...(job.reason === undefined ? {} : { reason: job.reason }),
    ...(job.logStreamName === undefined ? {} : { logStreamName: job.logStreamName }),
  };
  return {
    jobArn,
    jobName: job.jobName,
    jobId: job.jobId,
    jobQueue: queue.arn,
    status: job.status,
    ...(job.statusReason === undefined ? {} : { statusReason: job.statusReason }),
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
    attempts:
      job.startedAt === undefined
        ? []
        : [
            {
              container,
              startedAt: job.startedAt,
              ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
              ...(job.statusReason === undefined ? {} : { statusReason: job.statusReason }),
            },
          ],
    dependsOn: [],
    jobDefinition: definition.arn,
    parameters: {},
    platformCapabilities: [],
    propagateTags: false,
    container: {
      image: imageReference(definition.config),
      ...(array?.environment ? { environment: array.environment } : {}),
      ...container,
    },
    ...(job.arraySize === undefined
      ? {}
      : {
          arrayProperties: {
            size: job.arraySize,
            statusSummary: array?.statusSummary ?? {},
            ...(array?.summaryAt === undefined ? {} : { statusSummaryLastUpdatedAt: array.summaryAt }),
          },
        }),
    ...(job.arrayIndex === undefined ? {} : { arrayProperties: { index: job.arrayIndex } }),
    ...(job.isCancelled ? { isCancelled: true } : {}),
    ...(job.isTerminated ? { isTerminated: true } : {}),
  };
}
