/** What a job's end does to the jobs waiting for it (docs: batch/latest/userguide/job_dependencies.html). */

import { StatusReasons } from '../status-reasons';
import type { JobRecord } from '../store/records';

/** The scheduler's moves a settled dependency may make its dependant take. */
interface DependantMoves {
  /** A job whose dependencies are all met goes on to RUNNABLE (or expands, for an array). */
  becomeReady(job: JobRecord): void;
  finish(job: JobRecord, status: 'SUCCEEDED' | 'FAILED', statusReason: string | undefined): void;
}

/**
 * Tells the dependants of a job that has just ended, and the arrays waiting to pair with
 * children it will never have, that it ended.
 */
export function settleDependants(job: JobRecord, succeeded: boolean, moves: DependantMoves): void {
  const dependents = job.dependents;
  job.dependents = undefined;
  for (const dependent of dependents ?? []) dependencySettled(dependent, succeeded, moves);
  const waiters = job.expansionWaiters;
  job.expansionWaiters = undefined;
  for (const waiter of waiters ?? []) dependencySettled(waiter, false, moves);
}

/**
 * One dependency of `dependent` has ended. A success brings it closer to running; a failure
 * fails it without running it (docs: batch/latest/userguide/job_dependencies.html). A job still
 * SUBMITTED is only marked: the scheduler's next pass fails it.
 */
export function dependencySettled(dependent: JobRecord, succeeded: boolean, moves: DependantMoves): void {
  if (succeeded) {
    dependent.unmetDependencies--;
    if (dependent.unmetDependencies === 0 && dependent.status === 'PENDING') moves.becomeReady(dependent);
  } else if (dependent.status === 'SUBMITTED') {
    dependent.dependencyFailed = true;
  } else if (dependent.status === 'PENDING') {
    moves.finish(dependent, 'FAILED', StatusReasons.dependencyFailed);
  }
}
