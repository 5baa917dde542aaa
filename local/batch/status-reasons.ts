/** Status reasons and container reasons the local service reports, worded as AWS Batch words them. */
import {
  LOCAL_HOST_TERMINATED_STATUS_REASON,
  NEVER_STARTED_STATUS_REASON,
  SERVICE_STOPPED_STATUS_REASON,
} from '../../run';

export const StatusReasons = {
  /** Set when the job's container exits, whatever its exit code. */
  containerExited: 'Essential container in task exited',
  /** Set when the process cannot be started (command not found, prepareInvocation failed). */
  taskFailedToStart: 'Task failed to start',
  /** Set when the local process launcher died before reporting how the job's process ended. */
  launcherExited: 'Local job launcher exited',
  /** Set when an attempt outlives `timeout.attemptDurationSeconds` (docs: batch/latest/userguide/job_timeouts.html). */
  timeout: 'Job attempt duration exceeded timeout',
  /** Set on a job whose dependency failed (docs: batch/latest/userguide/job_dependencies.html). */
  dependencyFailed: 'Dependent Job failed',
  /** Set on an array parent one of whose children failed. */
  arrayChildFailed: 'Array Child Job failed',
  /** Set on jobs still running when the local service is closed. */
  serviceClosed: SERVICE_STOPPED_STATUS_REASON,
  /**
   * Set, by a service restarted on the same state directory, on the jobs its predecessor had not
   * finished when it died: their processes died with it. Worded as Batch words the loss of an
   * EC2 host (`Host EC2 (instance i-…) terminated.`), the instance being this machine.
   */
  hostTerminated: LOCAL_HOST_TERMINATED_STATUS_REASON,
  /** Set, by a restarted service, on the jobs its predecessor had queued but never launched: they did not run. */
  neverStarted: NEVER_STARTED_STATUS_REASON,
  /** An attempt on a SPOT compute environment whose instance was reclaimed (docs: batch/latest/userguide/job_retries.html). */
  spotHostTerminated: (instanceId: string): string => `Host EC2 (instance ${instanceId}) terminated.`,
  /** An attempt on a FARGATE_SPOT compute environment whose task was reclaimed, as ECS words it. */
  fargateSpotInterrupted: 'Your Spot Task was interrupted.',
  /**
   * On a RUNNABLE job at the head of its queue that no compute environment can ever run, by the
   * `reason` a job queue's `jobStateTimeLimitActions` name (docs: batch/latest/userguide/job_stuck_in_runnable.html).
   */
  blocked: {
    'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE':
      'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU requirement of the job.',
    'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT':
      'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue.',
  },
  /** On a job cancelled by a `jobStateTimeLimitActions` entry (docs: batch/latest/userguide/job_stuck_in_runnable_capacity.html). */
  timeLimitCancelled: (reason: string): string => `Canceled by JobStateTimeLimit action due to reason: ${reason}`,
} as const;

/** The reasons a RUNNABLE job at the head of its queue can be blocked for, locally. */
export type BlockedReason = keyof typeof StatusReasons.blocked;
