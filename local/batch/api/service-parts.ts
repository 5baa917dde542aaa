import type { Clock } from '../../engine/types';
import type { Executor } from '../executor/executor';
import type { BatchResources } from '../resources';
import type { Scheduler } from '../scheduler/scheduler';
import type { JobStore } from '../store/job-store';

/** The parts of a local Batch service the API handlers work on; each handler takes the ones it needs. */
export interface ServiceParts {
  readonly resources: BatchResources;
  readonly store: JobStore;
  readonly scheduler: Scheduler;
  readonly executor: Executor;
  readonly clock: Clock;
}
