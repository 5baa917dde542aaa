/** DescribeJobs (docs: batch/latest/APIReference/API_DescribeJobs.html). */
import type { JobDetail } from '@aws-sdk/client-batch';
import { BatchClientError } from '../errors';
import type { ServiceParts } from './service-parts';
import { optionalStringList } from './validate';

/** DescribeJobs: up to 100 job IDs; unknown IDs are left out, as AWS does. */
export function describeJobs({ store }: Pick<ServiceParts, 'store'>, request: unknown): { jobs: JobDetail[] } {
  const ids = optionalStringList(request, 'jobs', 100);
  if (!ids) throw new BatchClientError('jobs is required: a list of up to 100 job IDs');
  const jobs: JobDetail[] = [];
  for (const id of ids) {
    const job = store.get(id);
    if (job) jobs.push(store.detailOf(job));
  }
  return { jobs };
}
