import { type BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';

/** DescribeJobs takes at most 100 job ids (docs: batch/latest/APIReference/API_DescribeJobs.html). */
export const DESCRIBE_LIMIT = 100;

/**
 * The value of a variable a job was given (its container's environment), or undefined when the
 * description keeps none; fanout's jobs carry `FANOUT_RUN_ID` (and map-path jobs `FANOUT_ITEM_ID`).
 * @example jobVariable(detail, 'FANOUT_RUN_ID') // 'sweep-7'
 */
export function jobVariable(job: JobDetail, name: string): string | undefined {
  return job.container?.environment?.find((variable) => variable.name === name)?.value;
}

/**
 * Describes jobs (DescribeJobs, 100 ids a call), by id; ids Batch does not know are left out,
 * as DescribeJobs leaves them out.
 * @example await describeJobsById(batch, ['a1b2…', 'a1b2…:0'])
 */
export async function describeJobsById(batch: BatchClient, ids: readonly string[]): Promise<Map<string, JobDetail>> {
  const described = new Map<string, JobDetail>();
  for (let start = 0; start < ids.length; start += DESCRIBE_LIMIT) {
    const { jobs } = await batch.send(new DescribeJobsCommand({ jobs: ids.slice(start, start + DESCRIBE_LIMIT) }));
    for (const job of jobs ?? []) if (job.jobId) described.set(job.jobId, job);
  }
  return described;
}
