import { type BatchClient, ListJobsCommand } from '@aws-sdk/client-batch';
import { describeJobsById, jobVariable } from '../lambdas/shared/batch-jobs';
import type { LiveJobs, RunPath } from '../run';
import { arrayProgress } from './array-progress';

/** Batch's job states that mean the job's container is starting or running (docs: batch/latest/userguide/job_states.html). */
const RUNNING_JOB_STATES = ['STARTING', 'RUNNING'] as const;

/**
 * How many of the run's jobs Batch reports STARTING or RUNNING on the stack's queues: ListJobs by
 * status (the jobs a queue runs at once, not the run's every job), whose names start with the run
 * id as every job fanout submits for the run is named (docs/map-path.md); then DescribeJobs keeps
 * those whose `FANOUT_RUN_ID` is the run's, since another run's id may share that prefix (runs
 * `a` and `a-b`).
 */
export async function liveJobs(batch: BatchClient, jobQueues: readonly string[], runId: string): Promise<LiveJobs> {
  const candidates: string[] = [];
  for (const jobQueue of jobQueues) {
    for (const jobStatus of RUNNING_JOB_STATES) {
      let nextToken: string | undefined;
      do {
        const page = await batch.send(
          new ListJobsCommand({ jobQueue, jobStatus, ...(nextToken ? { nextToken } : {}) }),
        );
        for (const job of page.jobSummaryList ?? [])
          if (job.jobId && job.jobName?.startsWith(`${runId}-`)) candidates.push(job.jobId);
        nextToken = page.nextToken;
      } while (nextToken);
    }
  }
  let running = 0;
  for (const job of (await describeJobsById(batch, candidates)).values()) {
    const owner = jobVariable(job, 'FANOUT_RUN_ID');
    // A job described without its variables is trusted by its name.
    if (owner === undefined || owner === runId) running += 1;
  }
  return { running };
}

/**
 * The run's jobs Batch has STARTING or RUNNING: an array path run's by its array parents' status
 * summaries (ListJobs by status lists no array children), a map path run's by name.
 * @example await runningJobsOf(batch, ['fanout-high'], { runId: 'sweep-7', path: 'map', startedAt })
 */
export async function runningJobsOf(
  batch: BatchClient,
  jobQueues: readonly string[],
  run: { runId: string; path: RunPath; startedAt: string | null },
): Promise<LiveJobs> {
  if (run.path !== 'array') return liveJobs(batch, jobQueues, run.runId);
  const since = run.startedAt ? Date.parse(run.startedAt) - 1000 : 0;
  return { running: (await arrayProgress(batch, jobQueues, run.runId, since)).running };
}
