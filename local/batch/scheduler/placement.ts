/**
 * Where RUNNABLE jobs start (docs: batch/latest/userguide/create-job-queue.html,
 * batch/latest/APIReference/API_JobQueueDetail.html): queues are evaluated by priority, higher
 * first; a queue's next job tries the queue's compute environments in `order` and starts on the
 * first ENABLED one with room under its `maxvCpus`, and in the vCPUs this machine lends them all.
 * A job that must wait keeps the compute environments it could run on from lower-priority queues.
 */
import type { BatchResources } from '../resources';
import type { BlockedReason } from '../status-reasons';
import type { ComputeEnvironmentState, JobRecord, QueueState } from '../store/records';
import type { RunnableTimeLimits } from './time-limits';

/** The vCPUs of this machine, lent to every compute environment. */
export interface MachinePool {
  readonly total: number;
  free: number;
}

export type Placement =
  | { kind: 'placed'; environment: ComputeEnvironmentState }
  /** Fits some compute environment once room frees up there (`machineShort`: room there, not on this machine). */
  | { kind: 'wait'; candidates: ComputeEnvironmentState[]; machineShort: boolean }
  /** No compute environment of the queue can ever hold it (`reason` undefined: none is ENABLED). */
  | { kind: 'never'; reason?: BlockedReason };

/**
 * The first compute environment of `queue` with room for `need` vCPUs, skipping those claimed by a
 * higher-priority queue's waiting job, and taking none when the machine is claimed.
 * @example placeJob(1, queue, { total: 2, free: 2 }, new Set(), false) // { kind: 'placed', environment }
 */
export function placeJob(
  need: number,
  queue: QueueState,
  machine: MachinePool,
  claimed: ReadonlySet<ComputeEnvironmentState>,
  machineClaimed: boolean,
): Placement {
  const candidates: ComputeEnvironmentState[] = [];
  let machineShort = false;
  let enabled = 0;
  let withinMax = false;
  for (const { computeEnvironment: environment } of queue.computeEnvironmentOrder) {
    if (environment.state !== 'ENABLED') continue;
    enabled++;
    if (need > environment.maxvCpus) continue;
    withinMax = true;
    // This machine is the only instance locally: a job wider than it never fits.
    if (need > machine.total) continue;
    candidates.push(environment);
    if (claimed.has(environment) || environment.vcpusInUse + need > environment.maxvCpus) continue;
    if (machineClaimed || machine.free < need) {
      machineShort = true;
      continue;
    }
    return { kind: 'placed', environment };
  }
  if (candidates.length > 0) return { kind: 'wait', candidates, machineShort };
  if (enabled === 0) return { kind: 'never' };
  return {
    kind: 'never',
    reason: withinMax
      ? 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT'
      : 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
  };
}

/** The most a queue's jobs can hold at once: its ENABLED compute environments' `maxvCpus`, within this machine. */
export function queueCapacity(queue: QueueState, machine: MachinePool): number {
  let total = 0;
  for (const { computeEnvironment } of queue.computeEnvironmentOrder) {
    if (computeEnvironment.state === 'ENABLED') total += computeEnvironment.maxvCpus;
  }
  return Math.min(total, machine.total);
}

/**
 * Starts what can start: each queue, by priority, starts its next job (FIFO or fair share) while
 * it can be placed. A queue stops at a job that must wait (first in, first out: nothing overtakes
 * it); that job claims the compute environments it waits for, and the whole machine when what
 * it lacks is this machine's vCPUs, so that lower-priority queues cannot take the room it waits for.
 */
export function dispatchRunnable(
  resources: BatchResources,
  machine: MachinePool,
  timeLimits: RunnableTimeLimits,
  start: (job: JobRecord, vcpus: number, environment: ComputeEnvironmentState) => void,
): void {
  const claimed = new Set<ComputeEnvironmentState>();
  let machineClaimed = false;
  for (const queue of resources.queuesByPriority) {
    for (;;) {
      const head = queue.runnable.peek();
      if (!head) break;
      if (head.status !== 'RUNNABLE') {
        // Cancelled or terminated while queued: dropped here rather than searched for on cancel.
        queue.runnable.shift();
        continue;
      }
      const placement = placeJob(head.vcpus, queue, machine, claimed, machineClaimed);
      if (placement.kind === 'never') {
        if (placement.reason) timeLimits.block(head, placement.reason);
        else timeLimits.unblock(head);
        break;
      }
      timeLimits.unblock(head);
      if (placement.kind === 'wait') {
        for (const environment of placement.candidates) claimed.add(environment);
        if (placement.machineShort) machineClaimed = true;
        break;
      }
      if (!queue.runnable.admits(head.vcpus, queueCapacity(queue, machine))) break;
      queue.runnable.shift();
      machine.free -= head.vcpus;
      placement.environment.vcpusInUse += head.vcpus;
      queue.runnable.attemptStarted(head, head.vcpus);
      start(head, head.vcpus, placement.environment);
    }
  }
}
