import type { JobRecord } from '../store/records';

/**
 * The environment of a job's attempt: the service's job environment, PATH and HOME, the
 * definition's and job's variables, then the `AWS_BATCH_*` ones
 * (docs: batch/latest/userguide/job_env_vars.html).
 */
export function attemptEnvironment(
  jobEnvironment: Record<string, string>,
  job: JobRecord,
  attempt: number,
  computeEnvironment: string,
): Record<string, string> {
  const environment: Record<string, string> = { ...jobEnvironment };
  if (process.env.PATH !== undefined) environment.PATH = process.env.PATH;
  if (process.env.HOME !== undefined) environment.HOME = process.env.HOME;
  for (const entry of job.environment) environment[entry.name as string] = entry.value ?? '';
  environment.AWS_BATCH_JOB_ID = job.jobId;
  environment.AWS_BATCH_JOB_ATTEMPT = String(attempt);
  environment.AWS_BATCH_JQ_NAME = job.queue.name;
  environment.AWS_BATCH_CE_NAME = computeEnvironment;
  if (job.parent?.array && job.arrayIndex !== undefined) {
    environment.AWS_BATCH_JOB_ARRAY_INDEX = String(job.arrayIndex);
    environment.AWS_BATCH_JOB_ARRAY_SIZE = String(job.parent.array.size);
  }
  return environment;
}
