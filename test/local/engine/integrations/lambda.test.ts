import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../../local/engine/errors';
import { createLambdaIntegration, type LambdaContext, type LambdaHandler } from '../../../../local/engine/integrations';
import type { Json } from '../../../../local/engine/types';
import { ManualClock, taskRequest } from './helpers';

const RESOURCE = 'arn:aws:states:::lambda:invoke';

class InputError extends Error {
  override name = 'InputError';
}

function invoke(
  handlers: Record<string, LambdaHandler>,
  parameters: Json,
  extra: { signal?: AbortSignal; clock?: ManualClock } = {},
) {
  const integration = createLambdaIntegration({ handlers: new Map(Object.entries(handlers)) });
  return integration.invoke(taskRequest({ resource: RESOURCE, action: 'invoke', parameters, ...extra }));
}

describe('lambda integration', () => {
  it('wraps the handler result like the optimized integration', async () => {
    const output = await invoke(
      { prepare: async (event) => ({ received: event }) },
      { FunctionName: 'prepare', Payload: { a: 1 } },
    );

    // Shape from docs: step-functions/latest/dg/connect-lambda.html
    expect(output).toMatchObject({
      ExecutedVersion: '$LATEST',
      Payload: { received: { a: 1 } },
      StatusCode: 200,
      SdkHttpMetadata: {
        HttpStatusCode: 200,
        HttpHeaders: { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' },
        AllHttpHeaders: { 'Content-Type': ['application/json'] },
      },
    });
    const record = output as {
      SdkResponseMetadata: { RequestId: string };
      SdkHttpMetadata: { HttpHeaders: Record<string, string> };
    };
    expect(record.SdkResponseMetadata.RequestId).toBe(record.SdkHttpMetadata.HttpHeaders['x-amzn-RequestId']);
    expect(record.SdkHttpMetadata.HttpHeaders['Content-Length']).toBe(String('{"received":{"a":1}}'.length));
  });

  it.each([
    ['prepare'],
    ['prepare:live'],
    ['arn:aws:lambda:eu-west-1:111122223333:function:prepare'],
    ['arn:aws:lambda:eu-west-1:111122223333:function:prepare:live'],
    ['111122223333:function:prepare'],
  ])('resolves the function reference %s to the function name', async (reference) => {
    const output = await invoke({ prepare: async () => 'ok' }, { FunctionName: reference });
    expect(output).toMatchObject({ Payload: 'ok' });
  });

  it('passes the handler a copy of the payload that it cannot use to change the parameters', async () => {
    const parameters = { FunctionName: 'mutate', Payload: { items: [1, 2] } };
    await invoke(
      {
        mutate: async (event) => {
          (event as { items: number[] }).items.push(3);
          return null;
        },
      },
      parameters,
    );
    expect(parameters.Payload.items).toEqual([1, 2]);
  });

  it('returns the result as its JSON form', async () => {
    const output = await invoke(
      {
        when: async () => ({ at: new Date('2024-05-01T00:00:00.000Z'), skipped: undefined }),
        none: async () => undefined,
      },
      { FunctionName: 'when' },
    );
    expect((output as { Payload: Json }).Payload).toEqual({ at: '2024-05-01T00:00:00.000Z' });
    await expect(invoke({ none: async () => undefined }, { FunctionName: 'none' })).resolves.toMatchObject({
      Payload: null,
    });
  });

  it('passes an empty object when the parameters have no Payload', async () => {
    const output = await invoke({ echo: async (event) => event }, { FunctionName: 'echo' });
    expect(output).toMatchObject({ Payload: {} });
  });

  it('fails with the thrown error name and Lambda error object as the cause', async () => {
    const failing = invoke(
      {
        validate: async () => {
          throw new InputError('items[3].seed must be a string');
        },
      },
      { FunctionName: 'validate' },
    );

    const error = await failing.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(StatesError);
    const statesError = error as StatesError;
    expect(statesError.error).toBe('InputError');
    const cause = JSON.parse(statesError.cause) as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause.errorType).toBe('InputError');
    expect(cause.errorMessage).toBe('items[3].seed must be a string');
    expect(cause.trace[0]).toBe('InputError: items[3].seed must be a string');
  });

  it('names a synchronous throw from the handler the same way', async () => {
    const handler = ((): Promise<unknown> => {
      throw new InputError('bad');
    }) as LambdaHandler;
    await expect(invoke({ sync: handler }, { FunctionName: 'sync' })).rejects.toMatchObject({ error: 'InputError' });
  });

  it('fails with Lambda.ResourceNotFoundException for an unknown function', async () => {
    // Error and cause wording as Step Functions reports a missing function (Lambda answers 404).
    await expect(invoke({}, { FunctionName: 'missing' })).rejects.toMatchObject({
      error: 'Lambda.ResourceNotFoundException',
      cause: expect.stringMatching(
        /^Function not found: arn:aws:lambda:eu-west-1:111122223333:function:missing:\$LATEST \(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: [0-9a-f-]{36}; Proxy: null\)$/,
      ),
    });
  });

  it('fails with States.Runtime naming the field when FunctionName is missing', async () => {
    await expect(invoke({}, { Payload: {} })).rejects.toMatchObject({
      error: 'States.Runtime',
      cause: expect.stringContaining('The field "FunctionName" is required but was missing'),
    });
  });

  it('gives the handler a Lambda context whose remaining time follows the clock', async () => {
    const clock = new ManualClock();
    let seen: { context: LambdaContext; before: number; after: number } | undefined;
    await invoke(
      {
        prepare: async (_event, context) => {
          const before = context.getRemainingTimeInMillis();
          clock.advance(1_500);
          seen = { context, before, after: context.getRemainingTimeInMillis() };
          return null;
        },
      },
      { FunctionName: 'prepare:live' },
      { clock },
    );
    expect(seen?.context).toMatchObject({
      functionName: 'prepare',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:prepare:live',
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(seen?.before).toBe(900_000);
    expect(seen?.after).toBe(898_500);
  });

  it('answers an Event invocation with 202 without waiting for the handler', async () => {
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    const output = await invoke(
      { slow: () => running.then(() => 'done') },
      { FunctionName: 'slow', InvocationType: 'Event' },
    );
    expect(output).toMatchObject({ StatusCode: 202, Payload: '' });
    release();
  });

  it('rejects with the abort reason when the task is aborted while the handler runs', async () => {
    const controller = new AbortController();
    const pending = invoke(
      { forever: () => new Promise(() => undefined) },
      { FunctionName: 'forever' },
      { signal: controller.signal },
    );
    const reason = new StatesError('States.Timeout', 'Task timed out');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
