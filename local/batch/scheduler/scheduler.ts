/**
 * The job lifecycle (docs: batch/latest/userguide/job_states.html): SUBMITTED jobs move on to
 * PENDING or RUNNABLE, array jobs expand into their children, RUNNABLE jobs start where there is
 * room (placement.ts), and a job's end settles its dependants and its array parent.
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import type { Clock } from '../../engine/types';
import { linkArrayChild } from '../dependencies/link';
import { dependencySettled, settleDependants } from '../dependencies/settle';
import type { AttemptLifecycle } from '../executor/executor';
import type { BatchResources } from '../resources';
import { jobDetail } from '../shapes/job-detail';
import { StatusReasons } from '../status-reasons';
import type { JobStore } from '../store/job-store';
import type { ArrayParentState, ComputeEnvironmentState, JobRecord, RunState } from '../store/records';
import { isFinal, type JobStatus } from '../store/status-index';
import { newArrayChild } from './array-child';
import { dispatchRunnable, type MachinePool } from './placement';
import { RunnableTimeLimits } from './time-limits';

interface SchedulerOptions {
  resources: BatchResources;
  store: JobStore;
  clock: Clock;
  /** vCPUs this machine lends every compute environment together. */
  vcpuCapacity: number;
  /** Starts an attempt of a job that has just been given `reservedVcpus` on `computeEnvironment`. */
  startAttempt: (job: JobRecord, reservedVcpus: number, computeEnvironment: ComputeEnvironmentState) => Promise<void>;
}

/**
 * Moves jobs through their states and hands RUNNABLE ones to the executor.
 * @example const scheduler = new Scheduler({ resources, store, clock, vcpuCapacity: 4, startAttempt }); scheduler.submit(job);
 */
export class Scheduler implements AttemptLifecycle {
  readonly vcpuCapacity: number;
  /** Jobs at the head of their queue that cannot run, and their queues' time limits. */
  readonly timeLimits: RunnableTimeLimits;
  private readonly machine: MachinePool;
  private readonly resources: BatchResources;
  private readonly store: JobStore;
  private readonly clock: Clock;
  private readonly startAttempt: SchedulerOptions['startAttempt'];
  private readonly submitted: JobRecord[] = [];
  private readonly jobWaiters = new Map<string, ((detail: JobDetail) => void)[]>();
  private idleWaiters: (() => void)[] = [];
  private activeJobs = 0;
  private tickScheduled = false;
  private finishing: JobRecord[] | undefined;
  private stopped = false;

  constructor(options: SchedulerOptions) {
    this.resources = options.resources;
    this.store = options.store;
    this.clock = options.clock;
    this.vcpuCapacity = options.vcpuCapacity;
    this.machine = { total: options.vcpuCapacity, free: options.vcpuCapacity };
    this.startAttempt = options.startAttempt;
    this.timeLimits = new RunnableTimeLimits(this.clock, (job, statusReason) => {
      job.isCancelled = true;
      this.finish(job, 'FAILED', statusReason);
      this.scheduleTick();
    });
  }

  /** Jobs not yet SUCCEEDED or FAILED (array parents included). */
  get activeJobCount(): number {
    return this.activeJobs;
  }

  /** vCPUs currently reserved by STARTING and RUNNING jobs. */
  get vcpusInUse(): number {
    return this.machine.total - this.machine.free;
  }

  /** Set once the service is closing: nothing starts or is retried any more. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Stops starting jobs and retrying attempts. */
  close(): void {
    this.stopped = true;
  }

  /** Takes a job just submitted (and stored): SUBMITTED until the next pass moves it on. */
  submit(job: JobRecord): void {
    job.queue.byStatus.move(job.jobId, undefined, 'SUBMITTED');
    this.activeJobs++;
    this.submitted.push(job);
    this.scheduleTick();
  }

  /** Resolves when no job is left in a non-final state. */
  waitForIdle(): Promise<void> {
    if (this.activeJobs === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves with the detail of a job not yet final once it is SUCCEEDED or FAILED. */
  waitForEnd(job: JobRecord): Promise<JobDetail> {
    return new Promise((resolve) => {
      const waiters = this.jobWaiters.get(job.jobId);
      if (waiters) waiters.push(resolve);
      else this.jobWaiters.set(job.jobId, [resolve]);
    });
  }

  /** Runs a pass of the scheduler once the current event-loop turn is over (one pass for many calls). */
  scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.tick();
    });
  }

  /** Moves submitted jobs on (PENDING or RUNNABLE) and starts what fits in the vCPU pool. */
  private tick(): void {
    const batch = this.submitted.splice(0, this.submitted.length);
    for (const job of batch) {
      if (job.status !== 'SUBMITTED') continue;
      if (job.dependencyFailed) this.finish(job, 'FAILED', StatusReasons.dependencyFailed);
      else if (job.unmetDependencies > 0) this.setStatus(job, 'PENDING');
      else this.becomeReady(job);
    }
    this.dispatch();
  }

  becomeReady(job: JobRecord): void {
    if (job.array) this.expandArray(job);
    else this.enqueue(job);
  }

  /** Makes a job RUNNABLE, last in its queue. */
  enqueue(job: JobRecord): void {
    this.setStatus(job, 'RUNNABLE');
    job.queue.runnable.push(job);
  }

  /** Gives the vCPUs an attempt held back to its compute environment and to this machine. */
  releaseVcpus(job: JobRecord, run: RunState): void {
    this.machine.free += run.reservedVcpus;
    run.computeEnvironment.vcpusInUse -= run.reservedVcpus;
    job.queue.runnable.attemptEnded(job, run.reservedVcpus);
  }

  /** Spawns an array job's children `<parentId>:<index>` (docs: batch/latest/userguide/array_jobs.html). */
  private expandArray(parent: JobRecord): void {
    const array = parent.array as ArrayParentState;
    this.setStatus(parent, 'PENDING');
    const now = this.clock.now();
    const children: JobRecord[] = [];
    array.expanded = true;
    // Taken now: a child failing as it is created fails this parent, whose end must not fail
    // the arrays waiting to pair with these children.
    const waiters = parent.expansionWaiters;
    parent.expansionWaiters = undefined;
    for (let index = 0; index < array.size; index++) {
      const jobId = `${parent.jobId}:${index}`;
      const child = newArrayChild(parent, index, this.resources.arn('job', jobId), now);
      linkArrayChild(parent, index, child, children[index - 1], this.store);
      children.push(child);
      this.store.add(child);
      array.childrenByStatus.move(jobId, undefined, 'SUBMITTED');
      this.activeJobs++;
    }
    for (const child of children) {
      if (child.dependencyFailed) this.finish(child, 'FAILED', StatusReasons.dependencyFailed);
      else if (child.unmetDependencies > 0) this.setStatus(child, 'PENDING');
      else this.enqueue(child);
    }
    // Arrays submitted with an N_TO_N dependency on this one can now pair their children with ours.
    for (const waiter of waiters ?? []) dependencySettled(waiter, true, this);
  }

  /** Starts what can start now (placement.ts). */
  private dispatch(): void {
    if (this.stopped) return;
    dispatchRunnable(this.resources, this.machine, this.timeLimits, (job, vcpus, environment) => {
      void this.startAttempt(job, vcpus, environment);
    });
  }

  setStatus(job: JobRecord, status: JobStatus): void {
    const previous = job.status;
    if (previous === status) return;
    const index = job.parent ? job.parent.array?.childrenByStatus : job.queue.byStatus;
    index?.move(job.jobId, previous, status);
    job.status = status;
    if (isFinal(status) && !isFinal(previous)) {
      this.activeJobs--;
      if (this.activeJobs === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  /** Moves a job to SUCCEEDED or FAILED, then settles its dependents and array parent without recursion. */
  finish(job: JobRecord, status: 'SUCCEEDED' | 'FAILED', statusReason: string | undefined): void {
    if (isFinal(job.status)) return;
    this.timeLimits.unblock(job);
    this.setStatus(job, status);
    if (statusReason !== undefined) job.statusReason = statusReason;
    job.stoppedAt = this.clock.now();
    const last = job.attempts.at(-1);
    this.store.journal.finished(job.jobId, {
      status,
      stoppedAt: job.stoppedAt,
      statusReason: job.statusReason,
      startedAt: job.startedAt,
      exitCode: last?.exitCode,
      reason: last?.reason,
      logStreamName: last?.logStreamName,
      isCancelled: job.isCancelled,
      isTerminated: job.isTerminated,
    });
    const waiters = this.jobWaiters.get(job.jobId);
    if (waiters) {
      this.jobWaiters.delete(job.jobId);
      const detail = jobDetail(job, this.clock);
      for (const resolve of waiters) resolve(detail);
    }
    if (this.finishing) {
      this.finishing.push(job);
      return;
    }
    const worklist = [job];
    this.finishing = worklist;
    try {
      for (let next = worklist.pop(); next; next = worklist.pop()) {
        this.settle(next);
        // Array parents stay whole: their status summary is live and their children are listed through them.
        if (!next.array) this.store.finished(next);
      }
    } finally {
      this.finishing = undefined;
    }
    this.store.spillOldFinished();
  }

  private settle(job: JobRecord): void {
    const succeeded = job.status === 'SUCCEEDED';
    settleDependants(job, succeeded, this);
    const parent = job.parent;
    if (parent?.array) {
      const array = parent.array;
      array.finishedChildren++;
      if (!succeeded) {
        array.failedChildren++;
        // The parent fails with its first failed child; the other children still run to their end
        // (docs: batch/latest/userguide/array_jobs.html: if a child fails, the parent also fails).
        this.finish(parent, 'FAILED', StatusReasons.arrayChildFailed);
      } else if (array.finishedChildren === array.size && array.failedChildren === 0) {
        this.finish(parent, 'SUCCEEDED', undefined);
      }
    }
  }
}
