import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admitRequest, type EndpointAccess } from '../../private/request-gate.mjs';
import type { LocalCredentials } from '../../private/sigv4.mjs';
import { BatchError } from '../errors';
import type { LocalBatch } from '../local-batch';

/** Bodies above this are refused before parsing; SubmitJob's own 30 KiB limit is checked by the service. */
const maxBodyBytes = 1024 * 1024;

type Operation = (service: LocalBatch, body: unknown, bytes: number) => unknown;

/** Batch's REST-JSON routes: every operation is `POST /v1/<name in lower case>`. */
const operations: Record<string, Operation> = {
  '/v1/submitjob': (service, body, bytes) => service.submitJob(body, bytes),
  '/v1/describejobs': (service, body) => service.describeJobs(body),
  '/v1/listjobs': (service, body) => service.listJobs(body),
  '/v1/terminatejob': (service, body) => service.terminateJob(body),
  '/v1/canceljob': (service, body) => service.cancelJob(body),
  '/v1/describejobqueues': (service, body) => service.describeJobQueues(body),
  '/v1/describejobdefinitions': (service, body) => service.describeJobDefinitions(body),
  '/v1/describecomputeenvironments': (service, body) => service.describeComputeEnvironments(body),
  '/v1/createcomputeenvironment': (service, body) => service.createComputeEnvironment(body),
  '/v1/updatecomputeenvironment': (service, body) => service.updateComputeEnvironment(body),
  '/v1/deletecomputeenvironment': (service, body) => service.deleteComputeEnvironment(body),
  '/v1/createjobqueue': (service, body) => service.createJobQueue(body),
  '/v1/updatejobqueue': (service, body) => service.updateJobQueue(body),
  '/v1/deletejobqueue': (service, body) => service.deleteJobQueue(body),
  '/v1/createschedulingpolicy': (service, body) => service.createSchedulingPolicy(body),
  '/v1/updateschedulingpolicy': (service, body) => service.updateSchedulingPolicy(body),
  '/v1/deleteschedulingpolicy': (service, body) => service.deleteSchedulingPolicy(body),
  '/v1/describeschedulingpolicies': (service, body) => service.describeSchedulingPolicies(body),
  '/v1/listschedulingpolicies': (service) => service.listSchedulingPolicies(),
};

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
  };
  // The SDK reads the error code from this header (REST-JSON); the body carries Batch's message.
  if (errorType) headers['x-amzn-errortype'] = errorType;
  response.writeHead(status, headers);
  response.end(payload);
}

function handle(service: LocalBatch, request: IncomingMessage, raw: Buffer, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0] as string;
  const operation = operations[path.toLowerCase()];
  if (request.method !== 'POST' || !operation) {
    send(
      response,
      404,
      { message: `${request.method} ${path} is not an AWS Batch operation served locally` },
      'UnknownOperationException',
    );
    return;
  }
  let body: unknown = {};
  if (raw.length > maxBodyBytes) {
    send(response, 400, { message: `request body exceeds ${maxBodyBytes} bytes` }, 'ClientException');
    return;
  }
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      send(response, 400, { message: 'request body is not valid JSON' }, 'ClientException');
      return;
    }
  }
  try {
    send(response, 200, operation(service, body, raw.length) ?? {});
  } catch (error) {
    if (error instanceof BatchError) send(response, error.httpStatus, { message: error.message }, error.code);
    else send(response, 500, { message: `internal error: ${(error as Error).message}` }, 'ServerException');
  }
}

/**
 * Serves `service` over Batch's REST-JSON protocol on 127.0.0.1:`port` (0 = any free port),
 * to requests signed with `credentials` only.
 */
export async function serveBatch(
  service: LocalBatch,
  port: number,
  credentials: LocalCredentials,
  access?: EndpointAccess,
): Promise<{ url: string; close(): Promise<void> }> {
  // One byte over the limit is enough to refuse the body with Batch's own message.
  const gate = { service: 'batch', credentials, maxBodyBytes: maxBodyBytes + 1, ...access } as const;
  const server = createServer((request, response) => {
    admitRequest(request, response, gate)
      .then((admitted) => admitted && handle(service, request, admitted.body ?? Buffer.alloc(0), response))
      .catch((error: unknown) => {
        if (!response.headersSent)
          send(response, 500, { message: `internal error: ${(error as Error).message}` }, 'ServerException');
        else response.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
