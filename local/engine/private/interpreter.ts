import type { Catcher, Graph, Retrier, StateNode } from '../definition';
import { StatesError, StatesErrors } from '../errors';
import {
  applyInputPath,
  applyOutputPath,
  applyResultPath,
  evaluateChoiceRule,
  matchesErrorEquals,
  readPath,
  renderPayloadTemplate,
} from '../expressions';
import type { ContextObject, Json, JsonObject } from '../types';
import { JsonText } from './history';
import { runDistributedMap } from './map/distributed-map';
import { asFailure, checkPayloadSize, type Frame, Halt, isoDate, record } from './runtime';

/** The result of one state: its output and the state to run next (none when the scope ends). */
interface Step {
  output: Json;
  next?: string;
}

/** `$$.Map.Item` of an inline Map iteration (Distributed Map children see none). */
type MapItem = ContextObject['Map'];

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise;

/**
 * Runs a `{StartAt, States}` scope to its end and returns its output. States that need no waiting
 * (Pass, Choice, Succeed, Fail) run synchronously, so a scope made only of them returns a value,
 * not a promise: that is what lets a Distributed Map start thousands of trivial children per second.
 */
export function runGraph(graph: Graph, input: Json, frame: Frame, item?: MapItem): Json | Promise<Json> {
  let name = graph.startAt;
  let data = input;
  for (;;) {
    const step = runState(graph.states.get(name)!, data, frame, item);
    if (isPromise(step)) return step.then((resolved) => continueGraph(graph, resolved, frame, item));
    if (step.next === undefined) return step.output;
    name = step.next;
    data = step.output;
  }
}

async function continueGraph(graph: Graph, first: Step, frame: Frame, item?: MapItem): Promise<Json> {
  let step = first;
  while (step.next !== undefined) {
    const result = runState(graph.states.get(step.next)!, step.output, frame, item);
    step = isPromise(result) ? await result : result;
  }
  return step.output;
}

/** Runs one state including its Retry and Catch rules. */
function runState(node: StateNode, input: Json, frame: Frame, item: MapItem | undefined): Step | Promise<Step> {
  if (frame.signal.aborted) throw frame.signal.reason;
  frame.scope.transitions++;
  const enteredTime = frame.scope.env.clock.now();
  record(frame.scope, `${node.type}StateEntered`, {
    name: node.name,
    input: new JsonText(input),
    inputDetails: { truncated: false },
  });
  if (node.retry.length === 0 && node.catch.length === 0) {
    const step = attempt(node, input, frame, item, enteredTime, 0);
    return isPromise(step) ? step.then((resolved) => exited(node, resolved, frame)) : exited(node, step, frame);
  }
  return runWithErrorHandling(node, input, frame, item, enteredTime);
}

function exited(node: StateNode, step: Step, frame: Frame): Step {
  if (node.type !== 'Fail') {
    record(frame.scope, `${node.type}StateExited`, {
      name: node.name,
      output: new JsonText(step.output),
      outputDetails: { truncated: false },
    });
  }
  return step;
}

async function runWithErrorHandling(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
): Promise<Step> {
  const attemptsByRetrier = new Array<number>(node.retry.length).fill(0);
  let retryCount = 0;
  for (;;) {
    let failure: StatesError;
    try {
      const step = attempt(node, input, frame, item, enteredTime, retryCount);
      return exited(node, isPromise(step) ? await step : step, frame);
    } catch (error) {
      const narrowed = asFailure(error);
      if (narrowed instanceof Halt) throw narrowed;
      failure = narrowed;
    }
    const delayMs = retryDelay(node.retry, attemptsByRetrier, failure, frame.scope.env.random);
    if (delayMs !== undefined) {
      await frame.scope.env.clock.sleep(delayMs, frame.signal);
      if (frame.signal.aborted) throw frame.signal.reason;
      // Each retry is billed as a state transition.
      frame.scope.transitions++;
      retryCount++;
      continue;
    }
    const catcher = node.catch.find((candidate) => matches(candidate.ErrorEquals, failure.error));
    if (!catcher) throw failure;
    return caught(catcher, input, failure);
  }
}

/**
 * Picks the first retrier whose ErrorEquals matches; returns the delay before the next attempt,
 * or undefined when that retrier is exhausted (later retriers are not consulted, as AWS does).
 */
export function retryDelay(
  retriers: readonly Retrier[],
  attempts: number[],
  failure: StatesError,
  random: () => number,
): number | undefined {
  const index = retriers.findIndex((retrier) => matches(retrier.ErrorEquals, failure.error));
  if (index < 0) return undefined;
  const retrier = retriers[index]!;
  const maxAttempts = retrier.MaxAttempts ?? 3;
  const done = attempts[index]!;
  if (done >= maxAttempts) return undefined;
  attempts[index] = done + 1;
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  let seconds = interval * backoff ** done;
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') seconds = random() * seconds;
  return Math.round(seconds * 1000);
}

function matches(errorEquals: readonly string[], error: string): boolean {
  return matchesErrorEquals(errorEquals, error);
}

function caught(catcher: Catcher, input: Json, failure: StatesError): Step {
  const errorOutput: JsonObject = { Error: failure.error, Cause: failure.cause };
  const output = applyResultPath(input, errorOutput, catcher.ResultPath === undefined ? '$' : catcher.ResultPath);
  return { output, next: catcher.Next };
}

/** Builds `$$` for a state; `Task.Token` is never set (callback tasks are not supported). */
export function contextFor(
  frame: Frame,
  node: StateNode,
  enteredTime: number,
  retryCount: number,
  item: MapItem | undefined,
): ContextObject {
  const scope = frame.scope;
  const context: ContextObject = {
    Execution: scope.execution,
    State: { Name: node.name, EnteredTime: isoDate(enteredTime), RetryCount: retryCount },
    StateMachine: { Id: scope.stateMachineArn, Name: scope.stateMachineName },
  };
  if (item) context.Map = item;
  return context;
}

/** One attempt of a state, without Retry/Catch. */
function attempt(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
): Step | Promise<Step> {
  const raw = node.raw;
  switch (node.type) {
    case 'Pass': {
      const needsContext = raw.InputPath !== undefined || raw.Parameters !== undefined || raw.OutputPath !== undefined;
      const context = needsContext ? contextFor(frame, node, enteredTime, retryCount, item) : undefined;
      let result: Json;
      if (raw.Result !== undefined) {
        result = raw.Result;
      } else {
        const effective = context ? applyInputPath(input, raw.InputPath, context) : input;
        result =
          raw.Parameters !== undefined
            ? renderPayloadTemplate(raw.Parameters, effective, context!, 'Parameters', frame.scope.env.random)
            : effective;
      }
      let output = applyResultPath(input, result, raw.ResultPath);
      if (context) output = applyOutputPath(output, raw.OutputPath, context);
      if (output !== input) checkPayloadSize(output, `output of state '${node.name}'`);
      return { output, next: raw.Next };
    }
    case 'Succeed': {
      if (raw.InputPath === undefined && raw.OutputPath === undefined) return { output: input };
      const context = contextFor(frame, node, enteredTime, retryCount, item);
      return { output: applyOutputPath(applyInputPath(input, raw.InputPath, context), raw.OutputPath, context) };
    }
    case 'Fail': {
      const context =
        raw.ErrorPath !== undefined || raw.CausePath !== undefined
          ? contextFor(frame, node, enteredTime, retryCount, item)
          : undefined;
      const error =
        raw.ErrorPath !== undefined ? readString(raw.ErrorPath, input, context!, 'ErrorPath') : (raw.Error ?? '');
      const cause =
        raw.CausePath !== undefined ? readString(raw.CausePath, input, context!, 'CausePath') : (raw.Cause ?? '');
      throw new StatesError(error, cause);
    }
    case 'Choice': {
      const context = contextFor(frame, node, enteredTime, retryCount, item);
      const effective = applyInputPath(input, raw.InputPath, context);
      const rule = (raw.Choices ?? []).find((candidate) => evaluateChoiceRule(candidate, effective, context));
      const next = rule ? String(rule.Next) : raw.Default;
      if (next === undefined) {
        throw new StatesError(
          StatesErrors.NoChoiceMatched,
          `No Matches! (state '${node.name}', no choice rule matched and there is no Default)`,
        );
      }
      return { output: applyOutputPath(effective, raw.OutputPath, context), next };
    }
    case 'Wait':
      return runWait(node, input, frame, item, enteredTime, retryCount);
    case 'Task':
      return runTask(node, input, frame, item, enteredTime, retryCount);
    case 'Parallel':
      return runParallel(node, input, frame, item, enteredTime, retryCount);
    case 'Map':
      return runMap(node, input, frame, item, enteredTime, retryCount);
    default:
      throw new StatesError(StatesErrors.Runtime, `state '${node.name}' has unknown Type '${String(node.type)}'`);
  }
}

function readString(path: string, input: Json, context: ContextObject, field: string): string {
  const value = readPath(path, input, context);
  if (typeof value !== 'string') {
    throw new StatesError(
      StatesErrors.Runtime,
      `The ${field} '${path}' must resolve to a string (received ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** Reads a `...Path` field that must resolve to a number (e.g. TimeoutSecondsPath, MaxConcurrencyPath). */
export function readNumber(
  path: string,
  input: Json,
  context: ContextObject,
  field: string,
  rule: (value: number) => boolean,
  ruleText: string,
): number {
  const value = readPath(path, input, context);
  if (typeof value !== 'number' || !rule(value)) {
    throw new StatesError(
      StatesErrors.Runtime,
      `The field ${field} '${path}' must resolve to ${ruleText} (received ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** Applies ResultSelector, ResultPath and OutputPath to a state's raw result, in AWS's order. */
export function finishResult(node: StateNode, input: Json, result: Json, context: ContextObject): Json {
  const raw = node.raw;
  const selected =
    raw.ResultSelector !== undefined
      ? renderPayloadTemplate(raw.ResultSelector, result, context, 'ResultSelector')
      : result;
  const placed = applyResultPath(input, selected, raw.ResultPath);
  const output = applyOutputPath(placed, raw.OutputPath, context);
  checkPayloadSize(output, `output of state '${node.name}'`);
  return output;
}

async function runWait(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
): Promise<Step> {
  const raw = node.raw;
  const context = contextFor(frame, node, enteredTime, retryCount, item);
  const effective = applyInputPath(input, raw.InputPath, context);
  const clock = frame.scope.env.clock;
  let waitMs: number;
  if (raw.Seconds !== undefined) waitMs = raw.Seconds * 1000;
  else if (raw.SecondsPath !== undefined) {
    waitMs =
      readNumber(
        raw.SecondsPath,
        effective,
        context,
        'SecondsPath',
        (v) => Number.isInteger(v) && v >= 0,
        'a non-negative integer',
      ) * 1000;
  } else {
    const timestamp = raw.Timestamp ?? readString(raw.TimestampPath!, effective, context, 'TimestampPath');
    const target = Date.parse(timestamp);
    if (Number.isNaN(target)) {
      throw new StatesError(
        StatesErrors.Runtime,
        `The Timestamp '${timestamp}' of state '${node.name}' is not an ISO-8601 timestamp`,
      );
    }
    waitMs = target - clock.now();
  }
  if (waitMs > 0) await clock.sleep(waitMs, frame.signal);
  return { output: applyOutputPath(effective, raw.OutputPath, context), next: raw.Next };
}

async function runTask(
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
    result = await invokeWithTimeout(node, parameters, context, frame, timeoutSeconds);
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

/** A sub-signal for branches or iterations: aborts with the parent, and on its own when a sibling fails. */
function childController(frame: Frame): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(frame.signal.reason);
  if (frame.signal.aborted) onParent();
  else frame.signal.addEventListener('abort', onParent, { once: true });
  return { controller, release: () => frame.signal.removeEventListener('abort', onParent) };
}

async function runParallel(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
): Promise<Step> {
  const raw = node.raw;
  const scope = frame.scope;
  const context = contextFor(frame, node, enteredTime, retryCount, item);
  const effective = applyInputPath(input, raw.InputPath, context);
  const branchInput =
    raw.Parameters !== undefined
      ? renderPayloadTemplate(raw.Parameters, effective, context, 'Parameters', scope.env.random)
      : effective;
  record(scope, 'ParallelStateStarted');
  const { controller, release } = childController(frame);
  const branchFrame: Frame = { scope, signal: controller.signal };
  let firstFailure: StatesError | Halt | undefined;
  const results = await Promise.all(
    node.branches!.map(async (branch) => {
      try {
        return await runGraph(branch, branchInput, branchFrame);
      } catch (error) {
        const failure = asFailure(error);
        if (!firstFailure) {
          firstFailure = failure;
          controller.abort(new Halt('ABORTED', StatesErrors.BranchFailed, 'another branch failed'));
        }
        return null;
      }
    }),
  ).finally(release);
  if (firstFailure) {
    if (firstFailure instanceof Halt && frame.signal.aborted) throw frame.signal.reason;
    record(scope, 'ParallelStateFailed');
    throw firstFailure;
  }
  record(scope, 'ParallelStateSucceeded');
  return { output: finishResult(node, input, results, context), next: raw.Next };
}

async function runMap(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
): Promise<Step> {
  const raw = node.raw;
  const context = contextFor(frame, node, enteredTime, retryCount, item);
  const effective = applyInputPath(input, raw.InputPath, context);
  const result = node.distributed
    ? await runDistributedMap(node, effective, context, frame)
    : await runInlineMap(node, effective, context, frame);
  return { output: finishResult(node, input, result, context), next: raw.Next };
}

/** Reads the array a Map iterates over (ItemsPath, default `$`). */
export function readItems(node: StateNode, effective: Json, context: ContextObject): Json[] {
  const items = node.raw.ItemsPath === undefined ? effective : readPath(node.raw.ItemsPath, effective, context);
  if (!Array.isArray(items)) {
    throw new StatesError(
      StatesErrors.Runtime,
      `The ItemsPath '${node.raw.ItemsPath ?? '$'}' of state '${node.name}' must resolve to a JSON array (received ${items === null ? 'null' : typeof items})`,
    );
  }
  return items;
}

/** Renders ItemSelector (or the legacy Parameters) for one item, with `$$.Map.Item` set. */
export function selectItem(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  index: number,
  value: Json,
  random: () => number,
): Json {
  const template = node.raw.ItemSelector ?? node.raw.Parameters;
  if (template === undefined) return value;
  const itemContext: ContextObject = { ...context, Map: { Item: { Index: index, Value: value } } };
  return renderPayloadTemplate(
    template,
    effective,
    itemContext,
    node.raw.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters',
    random,
  );
}

/** Reads MaxConcurrency(Path); 0 means no limit. */
export function readMaxConcurrency(node: StateNode, effective: Json, context: ContextObject): number {
  const raw = node.raw;
  if (raw.MaxConcurrencyPath !== undefined) {
    return readNumber(
      raw.MaxConcurrencyPath,
      effective,
      context,
      'MaxConcurrencyPath',
      (v) => Number.isInteger(v) && v >= 0,
      'a non-negative integer',
    );
  }
  return raw.MaxConcurrency ?? 0;
}

async function runInlineMap(node: StateNode, effective: Json, context: ContextObject, frame: Frame): Promise<Json> {
  const scope = frame.scope;
  const items = readItems(node, effective, context);
  const declared = readMaxConcurrency(node, effective, context);
  const limit = declared === 0 ? scope.env.maxInlineConcurrency : declared;
  record(scope, 'MapStateStarted', { length: items.length });
  const results = new Array<Json>(items.length);
  const { controller, release } = childController(frame);
  const iterationFrame: Frame = { scope, signal: controller.signal };
  const processor = node.processor!;
  let nextIndex = 0;
  let running = 0;
  let failure: StatesError | Halt | undefined;

  await new Promise<void>((resolve) => {
    const fail = (index: number, error: unknown): void => {
      const narrowed = asFailure(error);
      if (!failure) {
        failure = narrowed;
        if (!(narrowed instanceof Halt)) record(scope, 'MapIterationFailed', { name: node.name, index });
        controller.abort(new Halt('ABORTED', StatesErrors.BranchFailed, 'another iteration failed'));
      }
    };
    const succeed = (index: number, output: Json): void => {
      results[index] = output;
      record(scope, 'MapIterationSucceeded', { name: node.name, index });
    };
    // Starts iterations while slots are free; iterations that finish synchronously free their slot at once.
    const pump = (): void => {
      while (!failure && running < limit && nextIndex < items.length) {
        const index = nextIndex++;
        running++;
        let outcome: Json | Promise<Json>;
        try {
          record(scope, 'MapIterationStarted', { name: node.name, index });
          const value = items[index]!;
          const iterationInput = selectItem(node, effective, context, index, value, scope.env.random);
          outcome = runGraph(processor, iterationInput, iterationFrame, { Item: { Index: index, Value: value } });
        } catch (error) {
          running--;
          fail(index, error);
          continue;
        }
        if (isPromise(outcome)) {
          outcome.then(
            (output) => {
              running--;
              if (!failure) succeed(index, output);
              pump();
            },
            (error: unknown) => {
              running--;
              fail(index, error);
              pump();
            },
          );
        } else {
          running--;
          succeed(index, outcome);
        }
      }
      if (running === 0 && (failure || nextIndex >= items.length)) resolve();
    };
    pump();
  }).finally(release);

  if (failure) {
    if (failure instanceof Halt && frame.signal.aborted) throw frame.signal.reason;
    record(scope, 'MapStateFailed');
    throw failure;
  }
  record(scope, 'MapStateSucceeded');
  return results;
}
