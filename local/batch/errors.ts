/**
 * Errors of the local Batch service. Each one maps onto an error AWS Batch returns,
 * so the endpoint can answer with the same HTTP status and `x-amzn-ErrorType`.
 */

/** Base of every error the local Batch service raises on purpose. */
export class BatchError extends Error {
  override readonly name: string = 'BatchError';
  constructor(
    /** AWS Batch's error code: `ClientException` or `ServerException`. */
    readonly code: 'ClientException' | 'ServerException',
    message: string,
    /** HTTP status AWS Batch answers with for this code. */
    readonly httpStatus: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A request Batch rejects (HTTP 400 `ClientException`): bad input, unknown queue or definition. */
export class BatchClientError extends BatchError {
  override readonly name = 'BatchClientError';
  constructor(message: string, options?: ErrorOptions) {
    super('ClientException', message, 400, options);
  }
}

/** A failure of the service itself (HTTP 500 `ServerException`). */
export class BatchServerError extends BatchError {
  override readonly name = 'BatchServerError';
  constructor(message: string, options?: ErrorOptions) {
    super('ServerException', message, 500, options);
  }
}

/**
 * A job attempt whose process could not start (empty command, program not found). It never
 * reaches a client: the attempt ends FAILED with Batch's `CannotStartContainerError` reason.
 */
export class ContainerStartError extends Error {
  override readonly name = 'ContainerStartError';
}
