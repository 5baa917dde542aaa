/**
 * Errors of the local S3 endpoint. Each carries the S3 error code, message and HTTP
 * status exactly as Amazon S3 documents them, so SDK clients raise the same typed
 * exceptions (`NoSuchKey`, `NoSuchBucket`, ...) as against AWS.
 * Codes and messages: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */

/** An S3 API error; rendered as `<Error><Code>..</Code><Message>..</Message>...</Error>`. */
export class S3ServiceError extends Error {
  override readonly name = 'S3ServiceError';
  constructor(
    /** The S3 error code, e.g. `NoSuchKey`. */
    readonly code: string,
    message: string,
    /** The HTTP status S3 answers with for this code. */
    readonly httpStatus: number,
    /** Extra child elements of `<Error>` S3 adds for this code (e.g. `Key`, `BucketName`). */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Constructors for the S3 errors this endpoint returns, with S3's own messages. */
export const S3Errors = {
  invalidUri: (uri: string) => new S3ServiceError('InvalidURI', "Couldn't parse the specified URI.", 400, { URI: uri }),
  noSuchBucket: (bucket: string) =>
    new S3ServiceError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket }),
  noSuchKey: (key: string) => new S3ServiceError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3ServiceError(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      409,
      { BucketName: bucket },
    ),
  bucketNotEmpty: (bucket: string) =>
    new S3ServiceError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket }),
  invalidBucketName: (bucket: string) =>
    new S3ServiceError('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket }),
  keyTooLong: (bytes: number) =>
    new S3ServiceError('KeyTooLongError', 'Your key is too long', 400, { Size: String(bytes), MaxSizeAllowed: '1024' }),
  invalidRange: (range: string, size: number) =>
    new S3ServiceError('InvalidRange', 'The requested range is not satisfiable', 416, {
      RangeRequested: range,
      ActualObjectSize: String(size),
    }),
  preconditionFailed: (condition: string) =>
    new S3ServiceError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
      Condition: condition,
    }),
  badDigest: () =>
    new S3ServiceError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400),
  invalidDigest: () => new S3ServiceError('InvalidDigest', 'The Content-MD5 you specified is not valid.', 400),
  badChecksum: (algorithm: string) =>
    new S3ServiceError('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, 400),
  sha256Mismatch: (client: string, computed: string) =>
    new S3ServiceError(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      400,
      { ClientComputedContentSHA256: client, S3ComputedContentSHA256: computed },
    ),
  incompleteBody: () =>
    new S3ServiceError(
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header',
      400,
    ),
  malformedXml: () =>
    new S3ServiceError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    ),
  invalidArgument: (message: string, name: string, value: string) =>
    new S3ServiceError('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value }),
  invalidRequest: (message: string) => new S3ServiceError('InvalidRequest', message, 400),
  methodNotAllowed: (method: string, resourceType: string) =>
    new S3ServiceError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, {
      Method: method,
      ResourceType: resourceType,
    }),
  notImplemented: (what: string) =>
    new S3ServiceError('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, {
      Header: what,
    }),
  noSuchUpload: (uploadId: string) =>
    new S3ServiceError(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      { UploadId: uploadId },
    ),
  invalidPart: () =>
    new S3ServiceError(
      'InvalidPart',
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
    ),
  invalidPartOrder: () =>
    new S3ServiceError(
      'InvalidPartOrder',
      'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      400,
    ),
  entityTooSmall: () =>
    new S3ServiceError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400),
  internal: () => new S3ServiceError('InternalError', 'We encountered an internal error. Please try again.', 500),
} as const;
