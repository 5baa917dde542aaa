import { randomUUID } from 'node:crypto';
import { StatesError } from '../errors';
import type { Json, TaskIntegration, TaskRequest } from '../types';
import { invalidParameters, parametersObject, requiredString, sdkResponseMetadata } from './private/sdk-call';
import { optimizedIntegrationCause } from './private/sdk-errors';

/** The context object a local handler receives, with the members Node.js Lambda handlers use. */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  /** Milliseconds left before the configured timeout (see `timeoutSeconds`). */
  getRemainingTimeInMillis(): number;
}

/** A Lambda handler run in-process. */
export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

export interface LambdaIntegrationOptions {
  /** Handlers by function name (the name only: no alias, no ARN). */
  readonly handlers: ReadonlyMap<string, LambdaHandler>;
  /**
   * Timeout `getRemainingTimeInMillis` counts down from. It is reported, not enforced: use the
   * Task's `TimeoutSeconds` to bound a local handler.
   * @default 900 (the Lambda maximum)
   */
  readonly timeoutSeconds?: number;
  /** Receives failures of `InvocationType: Event` invocations, which nobody awaits. @default ignored */
  readonly onAsyncError?: (functionName: string, error: unknown) => void;
}

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '123456789012';
const DEFAULT_TIMEOUT_SECONDS = 900;
const LATEST = '$LATEST';

/**
 * A function reference as Lambda's `FunctionName` accepts it: `name`, `name:alias`,
 * `123456789012:function:name[:alias]` or `arn:aws:lambda:region:account:function:name[:alias]`.
 */
const FUNCTION_REFERENCE = /^(?:arn:[\w-]+:lambda:[\w-]*:\d*:function:|\d{12}:function:)?([\w-]+)(?::([\w$-]+))?$/;

/** Splits a `FunctionName` into the function name and its qualifier (version or alias), if any. */
function parseFunctionName(reference: string): { name: string; qualifier?: string } | undefined {
  const match = FUNCTION_REFERENCE.exec(reference);
  if (!match) return undefined;
  return match[2] === undefined ? { name: match[1]! } : { name: match[1]!, qualifier: match[2] };
}

/**
 * The optimized Lambda integration (`arn:aws:states:::lambda:invoke`) over in-process handlers.
 * The output wraps the handler's result like AWS: `{ ExecutedVersion, Payload, SdkHttpMetadata,
 * SdkResponseMetadata, StatusCode }`; a thrown error fails the task with the error's `name` as
 * the error and Lambda's error object (`errorType`, `errorMessage`, `trace`) as the cause.
 * @example createLambdaIntegration({ handlers: new Map([['prepare', prepareHandler]]) })
 */
export function createLambdaIntegration(options: LambdaIntegrationOptions): TaskIntegration {
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  return {
    service: 'lambda',
    actions: ['invoke'],
    async invoke(request: TaskRequest): Promise<Json> {
      request.signal.throwIfAborted();
      const parameters = parametersObject(request.parameters);
      const reference = requiredString(parameters, 'FunctionName');
      const { region, account } = regionAndAccount(request.context.StateMachine.Id);
      const parsed = parseFunctionName(reference);
      const qualifierParameter = parameters.Qualifier;
      const qualifier = parsed?.qualifier ?? (typeof qualifierParameter === 'string' ? qualifierParameter : undefined);
      const name = parsed?.name ?? reference;
      const functionArn = `arn:aws:lambda:${region}:${account}:function:${name}`;
      const requestId = randomUUID();
      const handler = parsed ? options.handlers.get(parsed.name) : undefined;
      if (!handler) {
        // Wording of a missing function as Step Functions reports it (Lambda answers 404).
        throw new StatesError(
          'Lambda.ResourceNotFoundException',
          optimizedIntegrationCause(`Function not found: ${functionArn}:${qualifier ?? LATEST}`, {
            service: 'AWSLambda',
            statusCode: 404,
            errorCode: 'ResourceNotFoundException',
            requestId,
          }),
        );
      }

      // A JSON round trip, as over the wire: the handler can never hold or mutate engine state.
      const event: unknown = 'Payload' in parameters ? JSON.parse(JSON.stringify(parameters.Payload)) : {};
      const context = lambdaContext({
        name,
        functionArn: qualifier ? `${functionArn}:${qualifier}` : functionArn,
        requestId,
        deadline: request.clock.now() + timeoutMs,
        clock: request.clock,
      });
      const invocationType = parameters.InvocationType ?? 'RequestResponse';
      const metadata = (payloadBytes: number, statusCode: number) =>
        sdkResponseMetadata({
          requestId,
          statusCode,
          contentType: 'application/json',
          date: request.clock.now(),
          headers: { 'Content-Length': String(payloadBytes), 'X-Amz-Executed-Version': LATEST },
        });

      if (invocationType === 'Event' || invocationType === 'DryRun') {
        if (invocationType === 'Event') {
          runDetached(handler, event, context).catch((error: unknown) => options.onAsyncError?.(name, error));
        }
        // Lambda answers 202 to an accepted event and 204 to a dry run, both with an empty body.
        const statusCode = invocationType === 'Event' ? 202 : 204;
        return { Payload: '', ...metadata(0, statusCode), StatusCode: statusCode };
      }
      if (invocationType !== 'RequestResponse') {
        throw invalidParameters(
          parameters,
          `The value for the field "InvocationType" must be one of RequestResponse, Event, DryRun, received ${JSON.stringify(invocationType)}`,
        );
      }

      let result: unknown;
      try {
        result = await untilAborted(runDetached(handler, event, context), request.signal);
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason;
        const failure = functionError(error);
        throw new StatesError(failure.errorType, JSON.stringify(failure));
      }
      const payloadText = JSON.stringify(result) ?? 'null';
      return {
        ExecutedVersion: LATEST,
        Payload: JSON.parse(payloadText) as Json,
        ...metadata(Buffer.byteLength(payloadText), 200),
        StatusCode: 200,
      };
    },
  };
}

/** Lambda's error object for a Node.js function (`errorType`, `errorMessage`, `trace`). */
function functionError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: error.stack?.split('\n') ?? [] };
  }
  // The Node.js runtime reports a thrown non-Error value by its type.
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** Runs the handler on a later tick so a synchronous throw is a rejection like any other. */
async function runDetached(handler: LambdaHandler, event: unknown, context: LambdaContext): Promise<unknown> {
  await Promise.resolve();
  return handler(event, context);
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function lambdaContext(input: {
  name: string;
  functionArn: string;
  requestId: string;
  deadline: number;
  clock: TaskRequest['clock'];
}): LambdaContext {
  return {
    awsRequestId: input.requestId,
    functionName: input.name,
    functionVersion: LATEST,
    invokedFunctionArn: input.functionArn,
    memoryLimitInMB: '128',
    logGroupName: `/aws/lambda/${input.name}`,
    logStreamName: `local/[${LATEST}]${input.requestId.replaceAll('-', '')}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, input.deadline - input.clock.now()),
  };
}

/** Region and account of the calling state machine, so ARNs in outputs and causes look like its own. */
function regionAndAccount(stateMachineArn: string): { region: string; account: string } {
  const parts = stateMachineArn.split(':');
  return { region: parts[3] || DEFAULT_REGION, account: parts[4] || DEFAULT_ACCOUNT };
}
