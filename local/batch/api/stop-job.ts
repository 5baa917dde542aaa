/** TerminateJob and CancelJob (docs: batch/latest/APIReference/API_TerminateJob.html, API_CancelJob.html). */
import { type JobEntry, SpilledJob } from '../store/spilled-job';
import { isFinal } from '../store/status-index';
import type { ServiceParts } from './service-parts';
import { parseJobIdAndReason } from './validate';

type StopParts = Pick<ServiceParts, 'store' | 'scheduler' | 'executor'>;

/**
 * TerminateJob: a STARTING or RUNNING job's process is stopped (SIGTERM, SIGKILL 30 s later)
 * and the job FAILS with the reason, never retried; an earlier job is cancelled.
 * Terminating an array parent terminates its children.
 */
export function terminateJob(parts: StopParts, request: unknown): Record<string, never> {
  const { jobId, reason } = parseJobIdAndReason(request, 'TerminateJob');
  const job = parts.store.require(jobId);
  stopJob(parts, job, reason, true);
  parts.scheduler.scheduleTick();
  return {};
}

/**
 * CancelJob: a SUBMITTED, PENDING or RUNNABLE job FAILS with the reason; a STARTING or
 * RUNNING job is left alone and the call still succeeds (docs: batch/latest/APIReference/API_CancelJob.html).
 */
export function cancelJob(parts: StopParts, request: unknown): Record<string, never> {
  const { jobId, reason } = parseJobIdAndReason(request, 'CancelJob');
  const job = parts.store.require(jobId);
  stopJob(parts, job, reason, false);
  parts.scheduler.scheduleTick();
  return {};
}

/** Cancels (`terminate` false) or terminates a job, as CancelJob and TerminateJob do. */
export function stopJob(parts: StopParts, job: JobEntry, reason: string, terminate: boolean): void {
  // A spilled job is final: there is nothing left to stop.
  if (job instanceof SpilledJob) return;
  if (job.array?.expanded) {
    // The parent ends at once with the caller's reason; each child is then cancelled or terminated
    // as a job of its own (docs: batch/latest/userguide/array_jobs.html).
    if (!isFinal(job.status)) {
      if (terminate) job.isTerminated = true;
      else job.isCancelled = true;
      parts.scheduler.finish(job, 'FAILED', reason);
    }
    for (let index = 0; index < job.array.size; index++) {
      const child = parts.store.get(`${job.jobId}:${index}`);
      if (child) stopJob(parts, child, reason, terminate);
    }
    return;
  }
  switch (job.status) {
    case 'SUBMITTED':
    case 'PENDING':
    case 'RUNNABLE':
      job.isCancelled = true;
      parts.scheduler.finish(job, 'FAILED', reason);
      return;
    case 'STARTING':
    case 'RUNNING':
      if (!terminate) return;
      job.isTerminated = true;
      parts.executor.kill(job, 'terminate', reason);
      return;
    default:
      return;
  }
}
