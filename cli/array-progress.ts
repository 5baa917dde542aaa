import {
  type BatchClient,
  DescribeJobsCommand,
  type JobSummary,
  ListJobsCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import type { ProgressCounts } from './progress';

/**
 * Progress of an array-path execution from Batch itself: the ledger learns the outcomes only when
 * Collect runs, but each array parent's `statusSummary` counts its children by status as they go.
 */

const DONE = new Set(['SUCCEEDED', 'FAILED']);
const RUNNING = new Set(['STARTING', 'RUNNING']);

function add(counts: ProgressCounts, status: string, n: number): void {
  if (status === 'SUCCEEDED') counts.succeeded += n;
  else if (status === 'FAILED') counts.failed += n;
  else if (RUNNING.has(status)) counts.running += n;
  else counts.queued += n;
}

/**
 * Counts the children of the jobs the array path submitted for `runId` (named `<runId>-array-*`)
 * since `sinceMs`, on the given queues: ListJobs with a JOB_NAME filter (which lists every status),
 * then DescribeJobs of the array parents for their `statusSummary`. A plain job counts as one.
 * @example await arrayProgress(batch, ['fanout-high'], 'sweep-1', Date.now() - 1000)
 */
export async function arrayProgress(
  batch: BatchClient,
  jobQueues: readonly string[],
  runId: string,
  sinceMs: number,
): Promise<ProgressCounts> {
  const counts: ProgressCounts = { total: 0, succeeded: 0, failed: 0, running: 0, queued: 0 };
  const parents: string[] = [];
  for await (const job of listArrayRunJobs(batch, jobQueues, runId, sinceMs)) {
    if (isArrayParent(job)) parents.push(job.jobId as string);
    else {
      counts.total += 1;
      add(counts, job.status ?? 'SUBMITTED', 1);
    }
  }
  for (let start = 0; start < parents.length; start += 100) {
    const { jobs } = await batch.send(new DescribeJobsCommand({ jobs: parents.slice(start, start + 100) }));
    for (const job of jobs ?? []) {
      const size = job.arrayProperties?.size ?? 0;
      counts.total += size;
      const summary = job.arrayProperties?.statusSummary ?? {};
      let counted = 0;
      for (const [status, n] of Object.entries(summary)) {
        add(counts, status, n);
        counted += n;
      }
      // Children not expanded yet (the parent still SUBMITTED) are pending; a finished parent's are done.
      if (counted < size) add(counts, DONE.has(job.status ?? '') ? (job.status as string) : 'PENDING', size - counted);
    }
  }
  return counts;
}

function isArrayParent(job: JobSummary): boolean {
  return job.arrayProperties?.size !== undefined;
}

/**
 * Terminates the jobs the array path submitted for `runId` since `sinceMs`. Step Functions
 * terminates a `.sync` job when its execution stops, but not a job it submitted without waiting
 * (the arrays before an aggregation job), nor the children an array that FAILED still runs.
 * Terminating an array parent terminates its children; a job that has ended is left as it is.
 * Returns how many jobs were asked to terminate.
 */
export async function terminateArrayRunJobs(
  batch: BatchClient,
  jobQueues: readonly string[],
  runId: string,
  sinceMs: number,
  reason: string,
): Promise<number> {
  let terminated = 0;
  for await (const job of listArrayRunJobs(batch, jobQueues, runId, sinceMs)) {
    // A FAILED array parent may still have running children, which its termination stops.
    if (!job.jobId || job.status === 'SUCCEEDED' || (job.status === 'FAILED' && !isArrayParent(job))) continue;
    await batch.send(new TerminateJobCommand({ jobId: job.jobId, reason }));
    terminated += 1;
  }
  return terminated;
}

/** The jobs the array path submitted for `runId` (named `<runId>-array-*`) since `sinceMs`, on the given queues. */
async function* listArrayRunJobs(
  batch: BatchClient,
  jobQueues: readonly string[],
  runId: string,
  sinceMs: number,
): AsyncGenerator<JobSummary> {
  for (const jobQueue of jobQueues) {
    let nextToken: string | undefined;
    do {
      // A JOB_NAME filter lists jobs of every status.
      const page = await batch.send(
        new ListJobsCommand({
          jobQueue,
          filters: [{ name: 'JOB_NAME', values: [`${runId}-array-*`] }],
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const job of page.jobSummaryList ?? []) if ((job.createdAt ?? 0) >= sinceMs) yield job;
      nextToken = page.nextToken;
    } while (nextToken);
  }
}
