/**
 * The status reason the local Batch service gives, after a restart, to a job its predecessor had
 * queued but never launched: the job did not run, so `resume` runs its item (as a first attempt,
 * non-idempotent items too) instead of counting it lost. A job whose launch had begun gets
 * `Host EC2 (instance local) terminated.` instead: it may have run. (docs/failure-points.md)
 */
export const NEVER_STARTED_STATUS_REASON = 'Job never started: the Batch service that queued it stopped.';
