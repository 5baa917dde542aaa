import { randomUUID } from 'node:crypto';
import { ServiceError, StatesError, StatesErrors } from '../errors';
import type {
  ExecutionDescription,
  Json,
  JsonObject,
  StepFunctionsService,
  TaskIntegration,
  TaskRequest,
} from '../types';
import {
  parametersObject,
  requiredString,
  sdkResponseMetadata,
  unsupportedAction,
  wrongParameterType,
} from './private/sdk-call';
import { optimizedIntegrationCause, taskFailedFrom, withExceptionSuffix } from './private/sdk-errors';

export interface StatesIntegrationOptions {
  /** The engine itself; a function because the engine is built with its integrations. */
  readonly service: () => StepFunctionsService;
}

const ACTIONS = ['startExecution', 'startExecution.sync', 'startExecution.sync:2'] as const;

/**
 * The optimized Step Functions integration: starts a child execution
 * (`arn:aws:states:::states:startExecution`), or starts it and waits (`.sync` returns the
 * DescribeExecution response in PascalCase with `Output` as a string, `.sync:2` with `Input` and
 * `Output` parsed). A child that does not succeed fails the task with `States.TaskFailed` whose
 * cause is that response as JSON; an aborted task stops the child.
 * @example createStatesIntegration({ service: () => engine })
 */
export function createStatesIntegration(options: StatesIntegrationOptions): TaskIntegration {
  return {
    service: 'states',
    actions: ACTIONS,
    async invoke(request: TaskRequest): Promise<Json> {
      const { signal, action } = request;
      if (!(ACTIONS as readonly string[]).includes(action)) throw unsupportedAction('states', action, ACTIONS);
      signal.throwIfAborted();
      const parameters = parametersObject(request.parameters);
      const stateMachineArn = requiredString(parameters, 'StateMachineArn');
      const name = parameters.Name;
      if (name !== undefined && typeof name !== 'string') throw wrongParameterType(parameters, 'Name', 'STRING');
      const service = options.service();
      let started: { executionArn: string; startDate: number };
      try {
        started = service.startExecution({ stateMachineArn, name, input: executionInput(parameters.Input) });
      } catch (error) {
        throw stepFunctionsError(error);
      }
      if (action === 'startExecution') {
        return {
          ExecutionArn: started.executionArn,
          StartDate: started.startDate,
          ...sdkResponseMetadata({ contentType: 'application/x-amz-json-1.0', date: request.clock.now() }),
        };
      }

      const finished = await untilDoneOrAborted(service, started.executionArn, signal);
      const output = describeExecutionOutput(finished, action === 'startExecution.sync:2');
      if (finished.status !== 'SUCCEEDED') throw new StatesError(StatesErrors.TaskFailed, JSON.stringify(output));
      return output;
    },
  };
}

/** StartExecution takes the input as a string; Step Functions serializes any other JSON value (absent means `{}`). */
function executionInput(input: Json | undefined): string {
  if (input === undefined) return '{}';
  return typeof input === 'string' ? input : JSON.stringify(input);
}

async function untilDoneOrAborted(
  service: StepFunctionsService,
  executionArn: string,
  signal: AbortSignal,
): Promise<ExecutionDescription> {
  const done = service.waitForExecution(executionArn);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      try {
        service.stopExecution(executionArn);
      } catch {
        // The child may have finished meanwhile; stopping is best effort, as on AWS.
      }
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // Whichever loses the race must not surface as an unhandled rejection.
  done.catch(() => undefined);
  aborted.catch(() => undefined);
  try {
    return await Promise.race([done, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** DescribeExecution as the `.sync` integrations return it: PascalCase keys, dates as epoch milliseconds. */
function describeExecutionOutput(execution: ExecutionDescription, parseData: boolean): JsonObject {
  const data = (text: string): Json => (parseData ? parseJsonOr(text) : text);
  const output: JsonObject = {
    ExecutionArn: execution.executionArn,
    Input: data(execution.input),
    InputDetails: { Included: true },
    Name: execution.name,
  };
  if (execution.output !== undefined) {
    output.Output = data(execution.output);
    output.OutputDetails = { Included: true };
  }
  output.StartDate = execution.startDate;
  output.StateMachineArn = execution.stateMachineArn;
  output.Status = execution.status;
  if (execution.stopDate !== undefined) output.StopDate = execution.stopDate;
  if (execution.error !== undefined) output.Error = execution.error;
  if (execution.cause !== undefined) output.Cause = execution.cause;
  if (execution.mapRunArn !== undefined) output.MapRunArn = execution.mapRunArn;
  return output;
}

function parseJsonOr(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** `StepFunctions.<Code>Exception` with the Java SDK cause, e.g. `StepFunctions.StateMachineDoesNotExistException`. */
function stepFunctionsError(error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  if (!(error instanceof ServiceError)) return taskFailedFrom(error);
  return new StatesError(
    `StepFunctions.${withExceptionSuffix(error.code)}`,
    optimizedIntegrationCause(error.message, {
      service: 'AWSStepFunctions',
      statusCode: error.httpStatus,
      errorCode: error.code,
      requestId: randomUUID(),
    }),
  );
}
