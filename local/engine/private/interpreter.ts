/**
 * The Amazon States Language interpreter: walks a scope state by state with Retry and Catch,
 * runs the states that need no service itself, and hands Task, Parallel and Map to their modules.
 */

import { StatesError, StatesErrors } from '../errors';
import {
  applyInputPath,
  applyOutputPath,
  applyResultPath,
  evaluateChoiceRule,
  matchesErrorEquals,
  parseTimestamp,
  renderPayloadTemplate,
} from '../expressions';
import type { Json, JsonObject } from '../types';
import { JsonText } from './history';
import { runDistributedMap } from './map/distributed-map';
import { runInlineMap } from './map/inline-map';
import { runParallel } from './parallel-state';
import {
  asFailure,
  checkPayloadSize,
  type Frame,
  Halt,
  keepCause,
  locateFailure,
  type MapItem,
  record,
  type Step,
} from './runtime';
import { contextFor, finishResult, readNumber, readString } from './state-fields';
import type { Catcher, Graph, Retrier, StateNode } from './state-graph';
import { runTask } from './task-state';

/** One year (365 days): the longest a Standard execution, hence a Wait, may last (docs: state-wait.html). */
const MAX_WAIT_MS = 365 * 24 * 3600 * 1000;

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
  const enteredEventId = frame.scope.history.length;
  if (node.retry.length === 0 && node.catch.length === 0) {
    const step = locatedAttempt(node, input, frame, item, enteredTime, 0, enteredEventId);
    return isPromise(step) ? step.then((resolved) => exited(node, resolved, frame)) : exited(node, step, frame);
  }
  return runWithErrorHandling(node, input, frame, item, enteredTime, enteredEventId);
}

/** One attempt whose own errors name the state and the event that entered it, as Step Functions words them. */
function locatedAttempt(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
  enteredEventId: number,
): Step | Promise<Step> {
  const relocate = (error: unknown): never => {
    throw locateFailure(error, node.name, enteredEventId);
  };
  try {
    const step = attempt(node, input, frame, item, enteredTime, retryCount);
    return isPromise(step) ? step.catch(relocate) : step;
  } catch (error) {
    return relocate(error);
  }
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
  enteredEventId: number,
): Promise<Step> {
  const attemptsByRetrier = new Array<number>(node.retry.length).fill(0);
  let retryCount = 0;
  for (;;) {
    let failure: StatesError;
    try {
      const step = locatedAttempt(node, input, frame, item, enteredTime, retryCount, enteredEventId);
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
function retryDelay(
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
  // A Fail state's omitted Error or Cause stays absent from the error output too.
  const details = failure.details;
  const errorOutput: JsonObject = {};
  if (details.error !== undefined) errorOutput.Error = details.error;
  if (details.cause !== undefined) errorOutput.Cause = details.cause;
  const output = applyResultPath(input, errorOutput, catcher.ResultPath === undefined ? '$' : catcher.ResultPath);
  return { output, next: catcher.Next };
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
      const random = frame.scope.env.random;
      const error =
        raw.ErrorPath !== undefined ? readString(raw.ErrorPath, input, context!, 'ErrorPath', random) : raw.Error;
      const cause =
        raw.CausePath !== undefined ? readString(raw.CausePath, input, context!, 'CausePath', random) : raw.Cause;
      throw keepCause(StatesError.fromFailState(error, cause));
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
      return runParallel(node, input, frame, item, enteredTime, retryCount, runGraph);
    case 'Map':
      return runMap(node, input, frame, item, enteredTime, retryCount);
    default:
      throw new StatesError(StatesErrors.Runtime, `state '${node.name}' has unknown Type '${String(node.type)}'`);
  }
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
    // docs: state-wait.html: RFC 3339 with an uppercase T and Z (or an offset); Step Functions
    // considers the time up to seconds and truncates milliseconds.
    const instant = parseTimestamp(timestamp);
    if (instant === undefined) {
      throw new StatesError(
        StatesErrors.Runtime,
        `The TimestampPath '${raw.TimestampPath}' of state '${node.name}' resolved to '${timestamp}', which is not an RFC 3339 timestamp with an uppercase T and a Z or a numeric offset (e.g. 2024-08-18T17:33:00Z)`,
      );
    }
    waitMs = instant.seconds * 1000 - clock.now();
  }
  // docs: state-wait.html, the maximum wait time of a Standard workflow is one year.
  if (waitMs > MAX_WAIT_MS) {
    throw new StatesError(
      StatesErrors.Runtime,
      `Wait state delay is too long: state '${node.name}' would wait ${Math.ceil(waitMs / 1000)} seconds, more than the ${MAX_WAIT_MS / 1000} seconds (one year) an execution may last`,
    );
  }
  if (waitMs > 0) await clock.sleep(waitMs, frame.signal);
  return { output: applyOutputPath(effective, raw.OutputPath, context), next: raw.Next };
}

/** Runs a Map state, inline or distributed; both run their iterations through `runGraph`. */
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
    ? await runDistributedMap(node, effective, context, frame, runGraph)
    : await runInlineMap(node, effective, context, frame, runGraph);
  return { output: finishResult(node, input, result, context), next: raw.Next };
}
