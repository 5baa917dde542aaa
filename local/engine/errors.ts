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
  Permissions: 'States.Permissions',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ResultWriterFailed: 'States.ResultWriterFailed',
  Runtime: 'States.Runtime',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  BranchFailed: 'States.BranchFailed',
} as const;

/** A failure inside an execution, matched by Retry and Catch on `error`. */
export class StatesError extends Error {
  override readonly name = 'StatesError';
  constructor(
    /** The error name, e.g. `States.TaskFailed` or `Batch.ClientException`. */
    readonly error: string,
    /** The human-readable (or JSON) cause, as Step Functions reports it. */
    override readonly cause: string = '',
  ) {
    super(cause ? `${error}: ${cause}` : error);
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
