/**
 * The status reason the local Batch service gives, after a restart, to a job its predecessor had
 * queued but never launched: the job did not run, so `resume` runs its item (as a first attempt,
 * non-idempotent items too) instead of counting it lost. A job whose launch had begun gets
 * `Host EC2 (instance local) terminated.` instead: it may have run. (docs/failure-points.md)
 */
export const NEVER_STARTED_STATUS_REASON = 'Job never started: the Batch service that queued it stopped.';

/** The error recorded on a row whose job was lost with the execution that submitted it (`fanout resume`; class ABORTED). */
export const ORCHESTRATOR_LOST_ERROR = 'Fanout.OrchestratorLost';

/**
 * Status reasons of the local Batch service that say a job died with the service, not of its own
 * doing: stopped with the service, or found unfinished by its successor (worded as Batch words the
 * loss of an EC2 host, the instance being this machine).
 */
export const SERVICE_STOPPED_STATUS_REASON = 'Local Batch service stopped';
export const LOCAL_HOST_TERMINATED_STATUS_REASON = 'Host EC2 (instance local) terminated.';
