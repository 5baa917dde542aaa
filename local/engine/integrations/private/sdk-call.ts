import { randomUUID } from 'node:crypto';
import { StatesError, StatesErrors } from '../../errors';
import type { Json, JsonObject } from '../../types';

/** The response headers an optimized integration reports, and the content type its service answers with. */
interface HttpMetadataOptions {
  requestId?: string | undefined;
  statusCode?: number | undefined;
  contentType: string;
  /** Epoch milliseconds, rendered as the HTTP `Date` header. */
  date: number;
  headers?: Record<string, string>;
}

/**
 * The `SdkHttpMetadata` and `SdkResponseMetadata` members that optimized integrations add to
 * the API response (docs: step-functions/latest/dg/connect-lambda.html shows the shape).
 * Locally there is no real HTTP exchange to copy, so the headers are the ones that matter to
 * a reader: content type, date and request id.
 */
export function sdkResponseMetadata(options: HttpMetadataOptions): {
  SdkHttpMetadata: JsonObject;
  SdkResponseMetadata: JsonObject;
} {
  const requestId = options.requestId ?? randomUUID();
  const headers: Record<string, string> = {
    'Content-Type': options.contentType,
    Date: new Date(options.date).toUTCString(),
    'x-amzn-RequestId': requestId,
    ...options.headers,
  };
  const allHeaders: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) allHeaders[key] = [value];
  return {
    SdkHttpMetadata: { AllHttpHeaders: allHeaders, HttpHeaders: headers, HttpStatusCode: options.statusCode ?? 200 },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

/**
 * Sends one SDK command so that an aborted task stops waiting at once: the signal is handed to
 * the SDK, and a rejection caused by the abort surfaces as the signal's reason (what the
 * interpreter expects) rather than the SDK's AbortError.
 */
export async function sendAbortable<Output>(
  send: (options: { abortSignal: AbortSignal }) => Promise<Output>,
  signal: AbortSignal,
): Promise<Output> {
  signal.throwIfAborted();
  try {
    return await send({ abortSignal: signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}

/**
 * Converts an SDK response (or part of it) into JSON the way Step Functions renders it: blobs as
 * base64 text, dates as ISO-8601 text, undefined members dropped, and the SDK's `$metadata` removed.
 */
export function sdkOutputToJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Set) return [...value].map(sdkOutputToJson);
  if (Array.isArray(value)) return value.map(sdkOutputToJson);
  if (typeof value === 'object') {
    const result: JsonObject = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined || key === '$metadata') continue;
      result[key] = sdkOutputToJson(member);
    }
    return result;
  }
  return String(value);
}

/** Longest excerpt of the parameters quoted in a `States.Runtime` cause. */
const QUOTED_PARAMETERS_LIMIT = 1_000;

/**
 * The `States.Runtime` failure Step Functions raises when a Task's effective parameters cannot
 * start the call, worded like AWS: `The Parameters '{…}' could not be used to start the Task: [problem]`.
 */
export function invalidParameters(parameters: Json, problem: string): StatesError {
  let quoted = JSON.stringify(parameters) ?? 'null';
  if (quoted.length > QUOTED_PARAMETERS_LIMIT) quoted = `${quoted.slice(0, QUOTED_PARAMETERS_LIMIT)}…`;
  return new StatesError(
    StatesErrors.Runtime,
    `The Parameters '${quoted}' could not be used to start the Task: [${problem}]`,
  );
}

/** Narrows task parameters to a JSON object. */
export function parametersObject(parameters: Json): JsonObject {
  if (parameters !== null && typeof parameters === 'object' && !Array.isArray(parameters)) return parameters;
  throw invalidParameters(parameters, 'The Parameters must be a JSON object');
}

/** The JSON types Step Functions checks an API parameter against, as its messages name them. */
export type ParameterType = 'STRING' | 'INTEGER' | 'BOOLEAN' | 'OBJECT' | 'ARRAY';

/** Whether a parameter value has the API type; null has none of them. */
export function hasParameterType(value: Json, type: ParameterType): boolean {
  switch (type) {
    case 'STRING':
      return typeof value === 'string';
    case 'INTEGER':
      return typeof value === 'number' && Number.isInteger(value);
    case 'BOOLEAN':
      return typeof value === 'boolean';
    case 'OBJECT':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'ARRAY':
      return Array.isArray(value);
  }
}

/**
 * The `States.Runtime` failure for a parameter present with the wrong type (null included):
 * `[The value for the field 'X' must be a STRING]`, the wording Step Functions uses.
 */
export function wrongParameterType(parameters: JsonObject, field: string, type: ParameterType): StatesError {
  const article = type === 'INTEGER' || type === 'OBJECT' || type === 'ARRAY' ? 'an' : 'a';
  return invalidParameters(parameters, `The value for the field '${field}' must be ${article} ${type}`);
}

/** Reads a required string field of the parameters. */
export function requiredString(parameters: JsonObject, field: string): string {
  const value = parameters[field];
  if (value === undefined || value === null)
    throw invalidParameters(parameters, `The field "${field}" is required but was missing`);
  if (typeof value !== 'string') throw wrongParameterType(parameters, field, 'STRING');
  return value;
}

/** The failure for an action the integration does not declare (the interpreter checks `actions` first, so this is a wiring bug). */
export function unsupportedAction(service: string, action: string, actions: readonly string[]): StatesError {
  return new StatesError(
    StatesErrors.Runtime,
    `${service}: the action "${action}" is not supported; supported actions: ${actions.join(', ')}`,
  );
}
