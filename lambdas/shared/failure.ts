import { FailureClass } from '../../run';

/**
 * The failure classes of docs/map-path.md ("Failure classes") as code, for writers outside the
 * state machine (the array path's Collect). The map path derives the same classes in its child's
 * `ClassifyJobFailure` and `ClassifyTaskError` states; a test runs both on the same cases.
 */

/** What a failed job's detail says, with the defaults the map path merges in (`""`, no exit code). */
export interface JobFailureFacts {
  statusReason: string;
  /** Undefined when Batch reports none (the container never ran, or the job was cancelled). */
  exitCode: number | undefined;
  containerReason: string;
}

/** Errors ECS and Batch report when a container cannot be pulled or started (docs: AmazonECS/latest/developerguide/stopped-task-error-codes.html). */
const START_FAILURES = ['CannotPullContainerError', 'CannotStartContainerError', 'ResourceInitializationError'];
/** The launcher's exits when the command cannot be resolved (125), executed (126) or found (127), as a shell's. */
const LAUNCH_EXIT_CODES = [125, 126, 127];

/** `StringMatches` of a pattern whose only wildcards are leading and/or trailing `*`. */
function startsWith(text: string, prefix: string): boolean {
  return text.startsWith(prefix);
}

/**
 * The class of a job that FAILED: Batch's own status reasons first (Spot loss, timeout, a
 * termination or cancellation), then the container's exit. The first matching rule wins.
 * @example classifyJobFailure({ statusReason: 'Essential container in task exited', exitCode: 3, containerReason: '' }) // 'APP_ERROR'
 */
export function classifyJobFailure(facts: JobFailureFacts): FailureClass {
  const { statusReason, containerReason } = facts;
  if (startsWith(statusReason, 'Host EC2') || startsWith(statusReason, 'Your Spot Task was interrupted'))
    return FailureClass.SPOT_INTERRUPTED;
  if (startsWith(statusReason, 'Job attempt duration exceeded timeout')) return FailureClass.TIMEOUT;
  if (
    startsWith(statusReason, 'Terminated by Step Functions') ||
    statusReason.includes('Execution was aborted') ||
    statusReason.includes('cancel') ||
    statusReason.includes('Cancel')
  ) {
    return FailureClass.ABORTED;
  }
  if (START_FAILURES.some((error) => statusReason.includes(error) || containerReason.includes(error)))
    return FailureClass.START_ERROR;
  const exitCode = facts.exitCode ?? -1;
  if (LAUNCH_EXIT_CODES.includes(exitCode)) return FailureClass.START_ERROR;
  if (exitCode === 137 && (containerReason.includes('OutOfMemory') || containerReason.includes('OOM')))
    return FailureClass.OUT_OF_MEMORY;
  if (exitCode > 0) return FailureClass.APP_ERROR;
  return FailureClass.UNKNOWN;
}

/**
 * The class of a task error that is not a failed job: a `Batch.<Code>` API error means the job was
 * never submitted (safe to re-run for any item); anything else is UNKNOWN.
 * @example classifyTaskError('Batch.ClientException') // 'SUBMIT_ERROR'
 */
export function classifyTaskError(error: string): FailureClass {
  return error.startsWith('Batch.') ? FailureClass.SUBMIT_ERROR : FailureClass.UNKNOWN;
}
