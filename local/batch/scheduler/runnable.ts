/** The RUNNABLE jobs of a queue: first in, first out, or by fair share when the queue has a scheduling policy. */
import type { Clock } from '../../engine/types';
import { Fifo } from '../private/fifo';
import type { JobRecord, RunnableJobs, SchedulingPolicyState } from '../store/records';
import { FairShareJobs } from './fair-share';

/** A queue without a scheduling policy: FIFO (docs: batch/latest/userguide/job_queues.html). */
class FifoJobs implements RunnableJobs {
  private readonly jobs = new Fifo<JobRecord>();

  get size(): number {
    return this.jobs.size;
  }

  push(job: JobRecord): void {
    this.jobs.push(job);
  }

  peek(): JobRecord | undefined {
    return this.jobs.peek();
  }

  shift(): JobRecord | undefined {
    return this.jobs.shift();
  }

  attemptStarted(): void {}

  attemptEnded(): void {}

  admits(): boolean {
    return true;
  }
}

/**
 * The RUNNABLE jobs of a new queue: fair share when it has a scheduling policy (read through
 * `policyOf` each time, so that UpdateSchedulingPolicy and UpdateJobQueue take effect at once),
 * FIFO otherwise. A queue never changes between the two (docs: batch/latest/APIReference/API_UpdateJobQueue.html).
 * @example const runnable = runnableJobsFor(true, () => queue.schedulingPolicy, clock);
 */
export function runnableJobsFor(
  fairShare: boolean,
  policyOf: () => SchedulingPolicyState | undefined,
  clock: Clock,
): RunnableJobs {
  return fairShare ? new FairShareJobs(policyOf as () => SchedulingPolicyState, clock) : new FifoJobs();
}
