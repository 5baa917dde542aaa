/** Status reasons and container reasons the local service reports, worded as AWS Batch words them. */
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
  serviceClosed: 'Local Batch service stopped',
  /**
   * Set, by a service restarted on the same state directory, on the jobs its predecessor had not
   * finished when it died: their processes died with it. Worded as Batch words the loss of an
   * EC2 host (`Host EC2 (instance i-…) terminated.`), the instance being this machine.
   */
  hostTerminated: 'Host EC2 (instance local) terminated.',
} as const;
