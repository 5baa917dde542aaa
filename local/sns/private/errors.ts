/**
 * Errors of the local SNS endpoint, with the codes, messages and HTTP statuses
 * Amazon SNS returns (https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html and
 * each action's Errors section).
 */

/** An SNS API error; rendered as an `<ErrorResponse>` document of the query protocol. */
export class SnsServiceError extends Error {
  override readonly name = 'SnsServiceError';
  constructor(
    /** The SNS error code, e.g. `NotFound`. */
    readonly code: string,
    message: string,
    /** The HTTP status SNS answers with for this code. */
    readonly httpStatus: number,
    /** `Sender` for caller mistakes, `Receiver` for service faults. */
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

/** Constructors for the SNS errors this endpoint returns. */
export const SnsErrors = {
  topicNotFound: () => new SnsServiceError('NotFound', 'Topic does not exist', 404),
  invalidParameter: (what: string) => new SnsServiceError('InvalidParameter', `Invalid parameter: ${what}`, 400),
  invalidParameterValue: (message: string) => new SnsServiceError('InvalidParameterValue', message, 400),
  invalidAction: (action: string) =>
    new SnsServiceError('InvalidAction', `The action ${action} is not valid for this web service.`, 400),
  missingAction: () => new SnsServiceError('MissingAction', 'The request must contain the parameter Action.', 400),
  emptyBatchRequest: () =>
    new SnsServiceError('EmptyBatchRequest', "The batch request doesn't contain any entries.", 400),
  tooManyEntriesInBatchRequest: () =>
    new SnsServiceError(
      'TooManyEntriesInBatchRequest',
      'The batch request contains more entries than permissible.',
      400,
    ),
  batchEntryIdsNotDistinct: () =>
    new SnsServiceError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.', 400),
  internal: () => new SnsServiceError('InternalError', 'Internal Error', 500, 'Receiver'),
} as const;
