import { randomUUID } from 'node:crypto';
import { StatesError, StatesErrors } from '../../errors';

/** The parts of an AWS SDK v3 service exception the integrations read. */
interface SdkServiceError {
  name: string;
  message: string;
  Code?: string;
  $metadata: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
}

/** True for errors thrown by an AWS SDK v3 client for a service response (they carry `$metadata`). */
export function isSdkServiceError(error: unknown): error is SdkServiceError {
  return (
    error instanceof Error &&
    typeof (error as { $metadata?: unknown }).$metadata === 'object' &&
    (error as { $metadata?: unknown }).$metadata !== null
  );
}

/** Step Functions names every integration error `<Service>.<Name>Exception`, adding the suffix when the API omits it. */
export function withExceptionSuffix(name: string): string {
  return name.endsWith('Exception') ? name : `${name}Exception`;
}

/**
 * The Cause Step Functions writes for an optimized integration's API error: the service message
 * followed by the Java SDK v1 details, e.g.
 * `Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: …; Proxy: null)`.
 */
export function optimizedIntegrationCause(
  message: string,
  details: { service: string; statusCode: number; errorCode: string; requestId: string },
): string {
  return `${message} (Service: ${details.service}; Status Code: ${details.statusCode}; Error Code: ${details.errorCode}; Request ID: ${details.requestId}; Proxy: null)`;
}

/**
 * The Cause Step Functions writes for an AWS SDK integration's API error (Java SDK v2 details), e.g.
 * `The specified key does not exist. (Service: S3, Status Code: 404, Request ID: …, Extended Request ID: …)`.
 */
export function sdkIntegrationCause(
  message: string,
  details: { service: string; statusCode: number; requestId: string; extendedRequestId?: string | undefined },
): string {
  const parts = [
    `Service: ${details.service}`,
    `Status Code: ${details.statusCode}`,
    `Request ID: ${details.requestId}`,
  ];
  if (details.extendedRequestId) parts.push(`Extended Request ID: ${details.extendedRequestId}`);
  return `${message} (${parts.join(', ')})`;
}

/** How one optimized integration names and describes the API errors of its service. */
export interface OptimizedErrorStyle {
  /** Prefix of the error name, e.g. `Batch`, `DynamoDB`, `SNS`. */
  prefix: string;
  /** The service as the Java SDK v1 names it in causes, e.g. `AWSBatch`, `AmazonDynamoDBv2`. */
  service: string;
  /** Maps the SDK error name to the name after the prefix; defaults to adding the `Exception` suffix. */
  errorName?: (name: string) => string;
  /** The raw API error code shown in the cause; defaults to the SDK error name. */
  errorCode?: (name: string) => string;
}

/**
 * Converts whatever an SDK call threw into the `StatesError` Step Functions would raise.
 * Errors without a service response (network failures, bugs) become `States.TaskFailed`
 * carrying the message, so Retry on `States.TaskFailed`/`States.ALL` still applies.
 */
export function optimizedIntegrationError(error: unknown, style: OptimizedErrorStyle): StatesError {
  if (error instanceof StatesError) return error;
  if (!isSdkServiceError(error)) return taskFailedFrom(error);
  const name = (style.errorName ?? withExceptionSuffix)(error.name);
  return new StatesError(
    `${style.prefix}.${name}`,
    optimizedIntegrationCause(error.message, {
      service: style.service,
      statusCode: error.$metadata.httpStatusCode ?? 400,
      errorCode: (style.errorCode ?? ((n: string) => n))(error.name),
      requestId: error.$metadata.requestId ?? randomUUID(),
    }),
  );
}

/** `States.TaskFailed` for a failure that is not an API error of the called service. */
export function taskFailedFrom(error: unknown): StatesError {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new StatesError(StatesErrors.TaskFailed, message);
}
