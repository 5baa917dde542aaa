import { StatesError, StatesErrors } from '../errors';
import { applyInputPath, renderPayloadTemplate } from '../expressions';
import type { ContextObject, Json } from '../types';
import { JsonText } from './history';
import { asFailure, checkPayloadSize, type Frame, Halt, keepCause, type MapItem, record, type Step } from './runtime';
import { contextFor, finishResult, readNumber } from './state-fields';
import type { StateNode } from './state-graph';

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
  const effective = applyInputPath(input, raw.InputPath, context);
  const parameters =
    raw.Parameters !== undefined
      ? renderPayloadTemplate(raw.Parameters, effective, context, 'Parameters', scope.env.random)
      : effective;
  let timeoutSeconds = raw.TimeoutSeconds;
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
  if (raw.HeartbeatSeconds !== undefined) scheduled.heartbeatInSeconds = raw.HeartbeatSeconds;
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
  return { output: finishResult(node, input, result, context), next: raw.Next };
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
