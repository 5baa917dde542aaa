/** ListJobs' `JobSummary` of a job, from a whole record or from a spilled entry. */
import type { JobSummary } from '@aws-sdk/client-batch';
import type { JobRecord } from '../store/records';
import type { SummaryFields } from '../store/spilled-job';

/** What a summary (and a spilled entry) keeps of a whole record. */
export function summaryFields(job: JobRecord): SummaryFields {
  const last = job.attempts.at(-1);
  return {
    jobId: job.jobId,
    jobName: job.jobName,
    createdAt: job.createdAt,
    status: job.status,
    definition: job.definition,
    statusReason: job.statusReason,
    startedAt: job.startedAt,
    stoppedAt: job.stoppedAt,
    shareIdentifier: job.shareIdentifier,
    exitCode: last?.exitCode,
    reason: last?.reason,
    arraySize: job.array?.size,
    arrayIndex: job.arrayIndex,
    isCancelled: job.isCancelled,
    isTerminated: job.isTerminated,
  };
}

export function jobSummary(job: SummaryFields, jobArn: string): JobSummary {
  const summary: JobSummary = {
    jobArn,
    jobId: job.jobId,
    jobName: job.jobName,
    createdAt: job.createdAt,
    status: job.status,
    jobDefinition: job.definition.arn,
  };
  if (job.statusReason !== undefined) summary.statusReason = job.statusReason;
  if (job.startedAt !== undefined) summary.startedAt = job.startedAt;
  if (job.stoppedAt !== undefined) summary.stoppedAt = job.stoppedAt;
  if (job.shareIdentifier !== undefined) summary.shareIdentifier = job.shareIdentifier;
  if (job.exitCode !== undefined || job.reason !== undefined) {
    summary.container = {
      ...(job.exitCode === undefined ? {} : { exitCode: job.exitCode }),
      ...(job.reason === undefined ? {} : { reason: job.reason }),
    };
  }
  if (job.arraySize !== undefined) summary.arrayProperties = { size: job.arraySize };
  else if (job.arrayIndex !== undefined) summary.arrayProperties = { index: job.arrayIndex };
  if (job.isCancelled) summary.isCancelled = true;
  if (job.isTerminated) summary.isTerminated = true;
  return summary;
}
