/**
 * Job queues' `jobStateTimeLimitActions` (docs: batch/latest/userguide/job_stuck_in_runnable.html,
 * batch/latest/APIReference/API_JobStateTimeLimitAction.html): a RUNNABLE job blocking the head of
 * its queue shows why in its `statusReason`, and an action naming that reason cancels it once it
 * has been blocked for `maxTimeSeconds`, letting the next job reach the head.
 */
import type { Clock } from '../../engine/types';
import { type BlockedReason, StatusReasons } from '../status-reasons';
import type { JobRecord } from '../store/records';

const noop = (): void => {};

/**
 * Marks and unmarks blocked heads and runs their time limits on the injected clock.
 * @example const limits = new RunnableTimeLimits(clock, (job, reason) => cancel(job, reason)); limits.block(job, reason);
 */
export class RunnableTimeLimits {
  constructor(
    private readonly clock: Clock,
    private readonly cancel: (job: JobRecord, statusReason: string) => void,
  ) {}

  /** `job`, at the head of its queue, can never run on the queue's compute environments, for `reason`. */
  block(job: JobRecord, reason: BlockedReason, since = this.clock.now()): void {
    if (job.blocked?.reason === reason) return;
    this.unblock(job);
    const timer = new AbortController();
    job.blocked = { reason, timer, since };
    job.statusReason = StatusReasons.blocked[reason];
    const action = job.queue.jobStateTimeLimitActions.find(
      (candidate) => candidate.state === 'RUNNABLE' && candidate.reason === reason,
    );
    if (!action) return;
    const remaining = Math.max(0, since + action.maxTimeSeconds * 1000 - this.clock.now());
    this.clock.sleep(remaining, timer.signal).then(() => {
      if (job.blocked?.timer !== timer || job.status !== 'RUNNABLE') return;
      job.blocked = undefined;
      this.cancel(job, StatusReasons.timeLimitCancelled(reason));
    }, noop);
  }

  /** `job` is no longer blocked (placed, waiting for room like any job, or ended). */
  unblock(job: JobRecord): void {
    const blocked = job.blocked;
    if (!blocked) return;
    blocked.timer.abort();
    job.blocked = undefined;
    if (job.status === 'RUNNABLE') job.statusReason = undefined;
  }

  /** Re-reads the queue's actions for a blocked job (UpdateJobQueue), keeping the time it has been blocked. */
  refresh(job: JobRecord): void {
    const blocked = job.blocked;
    if (!blocked) return;
    this.unblock(job);
    this.block(job, blocked.reason as BlockedReason, blocked.since);
  }
}
