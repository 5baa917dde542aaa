/**
 * Errors of the local engine. `StatesError` carries a States Language error name and
 * cause and is what Retry/Catch match on; `ServiceError` is an API error of the
 * Step Functions service itself (returned by the endpoint as AWS does).
 */

/** Predefined error names of the Amazon States Language. */
export const StatesErrors = {
  ALL: 'States.ALL',
  DataLimitExceeded: 'States.DataLimitExceeded',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ItemReaderFailed: 'States.ItemReaderFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  ParameterPathFailure: 'States.ParameterPathFailure',
  QueryEvaluationError: 'States.QueryEvaluationError',
  Permissions: 'States.Permissions',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ResultWriterFailed: 'States.ResultWriterFailed',
  Runtime: 'States.Runtime',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  BranchFailed: 'States.BranchFailed',
} as const;

/** Which of a failure's error and cause exist; a Fail state may set neither, one or both. */
export interface FailureDetails {
  error?: string;
  cause?: string;
}

/** A failure inside an execution, matched by Retry and Catch on `error`. */
export class StatesError extends Error {
  override readonly name = 'StatesError';
  constructor(
    /** The error name, e.g. `States.TaskFailed` or `Batch.ClientException`; '' when it is absent. */
    readonly error: string,
    /** The human-readable (or JSON) cause, as Step Functions reports it; '' when it is absent. */
    override readonly cause: string = '',
    /** What the execution reports: both members unless the failure comes from a Fail state that omits one. */
    readonly details: FailureDetails = { error, cause },
  ) {
    super(cause ? `${error}: ${cause}` : error);
  }

  /**
   * The failure of a Fail state (docs: step-functions/latest/dg/state-fail.html): Error and Cause
   * are optional, and one the state does not set is absent from the execution's result, not "".
   * @example StatesError.fromFailState('Oops', undefined).details // { error: 'Oops' }
   */
  static fromFailState(error: string | undefined, cause: string | undefined): StatesError {
    const details: FailureDetails = {};
    if (error !== undefined) details.error = error;
    if (cause !== undefined) details.cause = cause;
    return new StatesError(error ?? '', cause ?? '', details);
  }
}

/** The definition uses something this engine does not run; the message names state and field. */
export class UnsupportedFeatureError extends Error {
  override readonly name = 'UnsupportedFeatureError';
}

/** The definition is not valid Amazon States Language; the message names what is wrong. */
export class InvalidDefinitionError extends Error {
  override readonly name = 'InvalidDefinitionError';
}

/** An API error of the Step Functions service (e.g. `ExecutionDoesNotExist`), as AWS names it. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}
