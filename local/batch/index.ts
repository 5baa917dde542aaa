/**
 * The local AWS Batch service: an HTTP endpoint speaking Batch's REST-JSON protocol
 * (so `@aws-sdk/client-batch` and the AWS CLI work against it unchanged) in front of a
 * process executor that runs each job attempt as a process started by one launcher shell.
 * See docs/local-batch.md.
 */

export { substituteParameters } from './api/submit-job';
export type { InvocationModule } from './child-protocol';
export type { BatchServiceControl, BatchServiceStats } from './control';
export { BatchClientError, BatchError, BatchServerError } from './errors';
export type { AttemptInvocation, Invocation, PrepareInvocation } from './executor/invocation';
export {
  type LaunchedProcess,
  type LaunchOutcome,
  type LaunchRequest,
  LaunchRequestError,
  ProcessLauncher,
} from './executor/launcher';
export { logFileFor } from './executor/log-file';
export { decideRetry, globMatches } from './executor/retry';
export { countSubmitJobCalls, type JournaledJob, readJournal } from './journal';
export { LocalBatch, type LocalBatchOptions } from './local-batch';
export {
  type BatchServiceOptions,
  type InProcessBatchServiceOptions,
  type RunningBatchService,
  startBatchService,
} from './start';
export { StatusReasons } from './status-reasons';
