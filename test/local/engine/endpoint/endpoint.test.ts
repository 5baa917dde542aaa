import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  ResourceNotFound,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StepFunctionsEndpoint, startStepFunctionsEndpoint } from '../../../../local/engine/endpoint';
import { signedFetch, signedHeaders } from '../../signed-request';
import { FakeStepFunctions } from './fake-service';

const DEFINITION = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
const ROLE = 'arn:aws:iam::123456789012:role/fanout';

let service: FakeStepFunctions;
let endpoint: StepFunctionsEndpoint;
let sfn: SFNClient;
let internalErrors: unknown[];

beforeEach(async () => {
  service = new FakeStepFunctions();
  internalErrors = [];
  endpoint = await startStepFunctionsEndpoint({
    service,
    port: 0,
    onInternalError: (error) => internalErrors.push(error),
  });
  sfn = new SFNClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: endpoint.credentials,
    maxAttempts: 1,
  });
});

afterEach(async () => {
  sfn.destroy();
  await endpoint.close();
});

async function createMachine(name = 'fanout-map') {
  return sfn.send(new CreateStateMachineCommand({ name, definition: DEFINITION, roleArn: ROLE }));
}

/** Posts a raw request, for what the SDK would never send. */
async function post(target: string | undefined, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await signedFetch(endpoint.url, {
    service: 'states',
    credentials: endpoint.credentials,
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      ...(target ? { 'x-amz-target': target } : {}),
      ...headers,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Step Functions endpoint', () => {
  it('creates, describes, lists and deletes state machines', async () => {
    const created = await createMachine();
    expect(created.stateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:fanout-map');
    expect(created.creationDate).toEqual(new Date(service.time));

    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    expect(described).toMatchObject({
      name: 'fanout-map',
      definition: DEFINITION,
      roleArn: ROLE,
      type: 'STANDARD',
      status: 'ACTIVE',
    });
    expect(described.creationDate).toEqual(new Date(service.time));

    const listed = await sfn.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines).toEqual([
      {
        stateMachineArn: created.stateMachineArn,
        name: 'fanout-map',
        type: 'STANDARD',
        creationDate: new Date(service.time),
      },
    ]);

    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
  });

  it('passes maxResults and nextToken through list operations', async () => {
    for (const name of ['a', 'b', 'c']) await createMachine(name);
    const first = await sfn.send(new ListStateMachinesCommand({ maxResults: 2 }));
    expect(first.stateMachines?.map((machine) => machine.name)).toEqual(['a', 'b']);
    const second = await sfn.send(new ListStateMachinesCommand({ maxResults: 2, nextToken: first.nextToken }));
    expect(second.stateMachines?.map((machine) => machine.name)).toEqual(['c']);
    expect(second.nextToken).toBeUndefined();
  });

  it('starts, describes, lists and stops executions', async () => {
    const { stateMachineArn } = await createMachine();
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'run-1', input: '{"items":[1,2]}' }),
    );
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:fanout-map:run-1');
    expect(started.startDate).toEqual(new Date(service.time));

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({
      name: 'run-1',
      status: 'RUNNING',
      input: '{"items":[1,2]}',
      inputDetails: { included: true },
      stateMachineArn,
    });
    expect(described.startDate).toEqual(started.startDate);

    const stopped = await sfn.send(
      new StopExecutionCommand({
        executionArn: started.executionArn,
        error: 'User.Cancelled',
        cause: 'no longer needed',
      }),
    );
    expect(stopped.stopDate).toEqual(new Date(service.time));
    const after = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(after).toMatchObject({ status: 'ABORTED', error: 'User.Cancelled', cause: 'no longer needed' });
    expect(after.stopDate).toEqual(stopped.stopDate);

    const aborted = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'ABORTED' }));
    expect(aborted.executions).toEqual([
      {
        executionArn: started.executionArn,
        stateMachineArn,
        name: 'run-1',
        status: 'ABORTED',
        startDate: started.startDate,
        stopDate: stopped.stopDate,
      },
    ]);
    expect(
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }))).executions,
    ).toEqual([]);
  });

  it('returns history events with their details member', async () => {
    const { stateMachineArn } = await createMachine();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1' }));

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: true }));

    const started = service.history.get(executionArn ?? '')?.[0]?.timestamp ?? 0;
    expect(history.events).toEqual([
      {
        id: 1,
        previousEventId: 0,
        timestamp: new Date(started),
        type: 'ExecutionStarted',
        executionStartedEventDetails: { input: '{}', roleArn: ROLE },
      },
      // Bare details get the member AWS uses for the type: TaskStateEntered -> stateEnteredEventDetails.
      {
        id: 2,
        previousEventId: 1,
        timestamp: new Date(started + 5),
        type: 'TaskStateEntered',
        stateEnteredEventDetails: { name: 'FanOut', input: '{}' },
      },
    ]);
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    expect(reversed.events?.map((event) => event.id)).toEqual([2]);
    expect(reversed.nextToken).toBe('1');
  });

  it('describes and lists Map Runs', async () => {
    const { stateMachineArn } = await createMachine();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1' }));
    const mapRunArn = 'arn:aws:states:us-east-1:123456789012:mapRun:fanout-map/FanOut:run-1-run';

    const listed = await sfn.send(new ListMapRunsCommand({ executionArn }));
    const run = service.mapRuns.get(mapRunArn);
    expect(listed.mapRuns).toEqual([
      {
        executionArn,
        mapRunArn,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:fanout-map/FanOut',
        startDate: new Date(run?.startDate ?? 0),
      },
    ]);

    const described = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(described).toMatchObject({
      mapRunArn,
      executionArn,
      status: 'RUNNING',
      maxConcurrency: 40,
      toleratedFailurePercentage: 12.5,
      toleratedFailureCount: 3,
      itemCounts: {
        running: 2,
        pending: 8,
        total: 10,
        succeeded: 0,
        failed: 0,
        timedOut: 0,
        aborted: 0,
        resultsWritten: 0,
      },
      executionCounts: { running: 2, total: 2 },
      redriveCount: 0,
    });
    expect(described.startDate).toEqual(new Date(run?.startDate ?? 0));
  });

  it('raises the SDK typed exceptions for service errors', async () => {
    const { stateMachineArn } = await createMachine();
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1' }));
    const missing = 'arn:aws:states:us-east-1:123456789012:execution:fanout-map:nope';

    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: missing }))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: missing }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${missing}'`,
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1' }))).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-gone` })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(sfn.send(new DescribeMapRunCommand({ mapRunArn: `${stateMachineArn}:x` }))).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
  });

  it('rejects an unknown status filter with a ValidationException naming the member and value', async () => {
    const { stateMachineArn } = await createMachine();
    const failing = sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'DONE' as never }));
    await expect(failing).rejects.toBeInstanceOf(ValidationException);
    await expect(
      sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'DONE' as never })),
    ).rejects.toThrow("Value 'DONE' at 'statusFilter' failed to satisfy constraint");
  });

  it('answers a missing required member with a ValidationException naming it', async () => {
    const response = await post('AWSStepFunctions.DescribeExecution', '{}');
    expect(response).toEqual({
      status: 400,
      body: {
        __type: 'ValidationException',
        message:
          "1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null",
      },
    });
  });

  it('answers a member of the wrong type with a SerializationException', async () => {
    const response = await post('AWSStepFunctions.ListStateMachines', '{"maxResults":"ten"}');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      __type: 'SerializationException',
      message: 'Member \'maxResults\' must be an integer. Received "ten"',
    });
  });

  it('answers malformed JSON with a SerializationException', async () => {
    const response = await post('AWSStepFunctions.ListStateMachines', '{"maxResults":');
    expect(response.status).toBe(400);
    expect(response.body.__type).toBe('SerializationException');
  });

  it('answers an unknown or missing target with UnknownOperationException', async () => {
    expect((await post('AWSStepFunctions.SendTaskSuccess', '{}')).body.__type).toBe('UnknownOperationException');
    expect((await post(undefined, '{}')).body.__type).toBe('UnknownOperationException');
    expect((await post('AWSStepFunctions.ListStateMachines', '{}')).status).toBe(200);
  });

  it('answers an unexpected failure with a 500 InternalFailure that reveals nothing', async () => {
    service.failNext = new TypeError('secret internal detail');
    const response = await post(
      'AWSStepFunctions.CreateStateMachine',
      JSON.stringify({ name: 'x', definition: DEFINITION, roleArn: ROLE }),
    );
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      __type: 'InternalFailure',
      message: 'The request processing has failed because of an unknown error, exception or failure.',
    });
    expect(internalErrors).toHaveLength(1);
  });

  it('accepts gzip-encoded request bodies', async () => {
    await createMachine();
    const response = await post('AWSStepFunctions.ListStateMachines', gzipSync('{"maxResults":1}'), {
      'Content-Encoding': 'gzip',
    });
    expect(response.status).toBe(200);
    expect(response.body.stateMachines).toHaveLength(1);
  });

  it('accepts chunked request bodies', async () => {
    await createMachine();
    const headers = await signedHeaders(endpoint.url, {
      service: 'states',
      credentials: endpoint.credentials,
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.ListStateMachines', 'transfer-encoding': 'chunked' },
      body: '{"maxResults":5}',
    });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(
        endpoint.url,
        {
          method: 'POST',
          headers,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.write('{"maxRes');
      request.end('ults":5}');
    });
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ stateMachines: [{ name: 'fanout-map' }] });
  });
});
