import { StatesError, StatesErrors } from '../errors';
import { applyInputPath, renderJsonata, renderPayloadTemplate } from '../expressions';
import type { ContextObject, Json } from '../types';
import { JsonText } from './history';
import { jsonataNumber, jsonataScope } from './jsonata-io';
import { asFailure, checkPayloadSize, type Frame, Halt, keepCause, type MapItem, record, type Step } from './runtime';
import { contextFor, readNumber } from './state-fields';
import type { StateNode } from './state-graph';
import { completeState } from './state-outcome';

/** Runs a Task state: Parameters, TimeoutSeconds(Path), the integration call and its history events. */
export async function runTask(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
): Promise<Step> {
  const raw = node.raw;
  const task = node.task!;
  const scope = frame.scope;
  const context = contextFor(frame, node, enteredTime, retryCount, item);
  let parameters: Json;
  let timeoutSeconds = raw.TimeoutSeconds;
  let heartbeatSeconds = raw.HeartbeatSeconds;
  const effective = node.jsonata ? input : applyInputPath(input, raw.InputPath, context);
  if (node.jsonata) {
    // docs: transforming-data.html, Arguments replaces InputPath and Parameters; TimeoutSeconds and
    // HeartbeatSeconds may be expressions.
    const expressions = jsonataScope(frame, context, { input });
    parameters = raw.Arguments !== undefined ? await renderJsonata(raw.Arguments, 'Arguments', expressions) : input;
    const positive = (v: number): boolean => Number.isInteger(v) && v > 0;
    timeoutSeconds = await jsonataNumber(
      raw.TimeoutSeconds,
      'TimeoutSeconds',
      expressions,
      positive,
      'a positive integer',
    );
    heartbeatSeconds = await jsonataNumber(
      raw.HeartbeatSeconds,
      'HeartbeatSeconds',
      expressions,
      positive,
      'a positive integer',
    );
  } else {
    parameters =
      raw.Parameters !== undefined
        ? renderPayloadTemplate(raw.Parameters, effective, context, 'Parameters', scope.env.random)
        : effective;
  }
  if (raw.TimeoutSecondsPath !== undefined) {
    timeoutSeconds = readNumber(
      raw.TimeoutSecondsPath,
      effective,
      context,
      'TimeoutSecondsPath',
      (v) => Number.isInteger(v) && v > 0,
      'a positive integer',
    );
  }
  const resourceType = task.service;
  const resource = task.action;
  const scheduled: Record<string, unknown> = {
    resourceType,
    resource,
    region: scope.env.region,
    parameters: new JsonText(parameters),
  };
  if (timeoutSeconds !== undefined) scheduled.timeoutInSeconds = timeoutSeconds;
  if (heartbeatSeconds !== undefined) scheduled.heartbeatInSeconds = heartbeatSeconds;
  record(scope, 'TaskScheduled', scheduled);
  record(scope, 'TaskStarted', { resourceType, resource });
  let result: Json;
  try {
    try {
      result = await invokeWithTimeout(node, parameters, context, frame, timeoutSeconds);
    } catch (error) {
      // A service's error reaches the execution with the cause the service gave.
      throw keepCause(asFailure(error, StatesErrors.TaskFailed));
    }
    checkPayloadSize(result, `result returned by the task of state '${node.name}'`);
  } catch (error) {
    const failure = asFailure(error, StatesErrors.TaskFailed);
    if (failure instanceof Halt) throw failure;
    const type = failure.error === StatesErrors.Timeout ? 'TaskTimedOut' : 'TaskFailed';
    record(scope, type, { resourceType, resource, error: failure.error, cause: failure.cause });
    throw failure;
  }
  record(scope, 'TaskSucceeded', {
    resourceType,
    resource,
    output: new JsonText(result),
    outputDetails: { truncated: false },
  });
  return completeState(node, frame, input, result, context);
}

/**
 * Invokes the integration; the request's signal aborts when the execution (or branch) stops or
 * the task times out, and the wait ends then even if the integration ignores its signal.
 */
function invokeWithTimeout(
  node: StateNode,
  parameters: Json,
  context: ContextObject,
  frame: Frame,
  timeoutSeconds: number | undefined,
): Promise<Json> {
  const task = node.task!;
  const clock = frame.scope.env.clock;
  const controller = new AbortController();
  const timer = timeoutSeconds !== undefined ? new AbortController() : undefined;
  return new Promise<Json>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      frame.signal.removeEventListener('abort', onStop);
      timer?.abort();
      outcome();
    };
    const onStop = (): void => {
      controller.abort(frame.signal.reason);
      finish(() => reject(frame.signal.reason));
    };
    if (frame.signal.aborted) return onStop();
    frame.signal.addEventListener('abort', onStop, { once: true });
    if (timer) {
      clock.sleep(timeoutSeconds! * 1000, timer.signal).then(
        () => {
          const timeout = new StatesError(StatesErrors.Timeout, `Task timed out after ${timeoutSeconds} seconds`);
          controller.abort(timeout);
          finish(() => reject(timeout));
        },
        () => undefined,
      );
    }
    let invocation: Promise<Json>;
    try {
      invocation = task.integration.invoke({
        resource: task.resource,
        action: task.action,
        parameters,
        signal: controller.signal,
        context,
        clock,
      });
    } catch (error) {
      return finish(() => reject(error));
    }
    invocation.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
