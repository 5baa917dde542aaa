/** Serves a `StepFunctionsService` over HTTP (AWS JSON 1.0): requests in, typed AWS errors out. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { admitRequest, type EndpointAccess } from '../../private/request-gate.mjs';
import { generateLocalCredentials, type LocalCredentials } from '../../private/sigv4.mjs';
import { ServiceError } from '../errors';
import type { StepFunctionsService } from '../types';
import { OPERATIONS } from './private/operations';
import { RequestMembers } from './private/request';

export interface StepFunctionsEndpointOptions {
  readonly service: StepFunctionsService;
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Receives unexpected failures, which clients only see as `InternalFailure`. @default ignored */
  readonly onInternalError?: (error: unknown, operation: string) => void;
  /** The only key pair requests may be signed with. @default a fresh pair */
  readonly credentials?: LocalCredentials;
  /** More callers and what each may do (a rehearsal's roles). @default the key pair alone, allowed everything */
  readonly access?: EndpointAccess;
}

export interface StepFunctionsEndpoint {
  /** Base URL to give SDK clients as `endpoint`, e.g. `http://127.0.0.1:39123`. */
  readonly url: string;
  /** The key pair clients must sign with. */
  readonly credentials: LocalCredentials;
  /** Stops accepting requests and closes open connections. */
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Largest request body accepted; StartExecution input is capped at 256 KiB, definitions at 1 MiB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** AWS's wording for InternalFailure (docs: step-functions/latest/apireference/CommonErrors.html). */
const INTERNAL_FAILURE_MESSAGE = 'The request processing has failed because of an unknown error, exception or failure.';

/**
 * Serves the engine's Step Functions API on 127.0.0.1. Only requests signed (SigV4) with the
 * endpoint's key pair are served; others get the errors AWS sends for them
 * (`UnrecognizedClientException`, `InvalidSignatureException`). Errors come back as AWS sends them (HTTP 400,
 * `{"__type": "ExecutionDoesNotExist", "message": "..."}`), so SDK clients raise their typed
 * exceptions.
 * @example
 * const endpoint = await startStepFunctionsEndpoint({ service: engine });
 * const sfn = new SFNClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: endpoint.credentials });
 */
export async function startStepFunctionsEndpoint(
  options: StepFunctionsEndpointOptions,
): Promise<StepFunctionsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const credentials = options.credentials ?? generateLocalCredentials();
  const server = createServer((request, response) => {
    void admitRequest(request, response, { service: 'states', credentials, ...options.access }).then(
      (admitted) => admitted && handle(options, request, admitted.body ?? Buffer.alloc(0), response),
      () => response.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    credentials,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(
  options: StepFunctionsEndpointOptions,
  request: IncomingMessage,
  raw: Buffer,
  response: ServerResponse,
): Promise<void> {
  const requestId = randomUUID();
  const target = request.headers['x-amz-target'];
  const operationName =
    typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  try {
    const operation = request.method === 'POST' && operationName !== undefined ? OPERATIONS[operationName] : undefined;
    if (!operation) {
      throw new ServiceError(
        'UnknownOperationException',
        `Unknown operation: X-Amz-Target ${JSON.stringify(target ?? null)} on ${request.method} ${request.url}`,
      );
    }
    const body = parseBody(await decodeBody(request, raw));
    const result = await operation(options.service, new RequestMembers(body));
    send(response, 200, requestId, result);
  } catch (error) {
    if (error instanceof ServiceError) {
      send(response, error.httpStatus, requestId, { __type: error.code, message: error.message }, error.code);
      return;
    }
    options.onInternalError?.(error, operationName ?? String(target));
    send(response, 500, requestId, { __type: 'InternalFailure', message: INTERNAL_FAILURE_MESSAGE }, 'InternalFailure');
  }
}

function send(response: ServerResponse, status: number, requestId: string, body: object, errorType?: string): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  });
  response.end(text);
}

/** The request body, decompressed when the client compressed it (the signature covers the bytes as sent). */
async function decodeBody(request: IncomingMessage, raw: Buffer): Promise<string> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  let stream: Readable = Readable.from([raw]);
  if (encoding === 'gzip' || encoding === 'x-gzip') stream = stream.pipe(createGunzip());
  else if (encoding === 'deflate') stream = stream.pipe(createInflate());
  else if (encoding === 'br') stream = stream.pipe(createBrotliDecompress());
  else if (encoding !== 'identity')
    throw new ServiceError('SerializationException', `Unsupported Content-Encoding ${JSON.stringify(encoding)}`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES)
        throw new ServiceError('ValidationException', `Request body is larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw new ServiceError(
      'SerializationException',
      `Request body could not be decoded as ${encoding}: ${(error as Error).message}`,
    );
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ServiceError('SerializationException', `Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ServiceError(
      'SerializationException',
      `Request body must be a JSON object. Received ${text.slice(0, 100)}`,
    );
  }
  return parsed as Record<string, unknown>;
}
