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
  JsonataEvaluationError,
  matchesErrorEquals,
  renderPayloadTemplate,
} from '../expressions';
import type { Json, JsonObject } from '../types';
import { JsonText } from './history';
import { runJsonataFlowState } from './jsonata-states';
import { runDistributedMap } from './map/distributed-map';
import { runInlineMap } from './map/inline-map';
import { runParallel } from './parallel-state';
import type { ResumePoint } from './redrive';
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
  waitFor,
} from './runtime';
import { contextFor, readNumber, readString } from './state-fields';
import type { Graph, Retrier, StateNode } from './state-graph';
import { assignJsonPath, caughtStep, choiceAssign, completeState } from './state-outcome';
import { runTask } from './task-state';

/** The states that need no service; their JSONata forms run in jsonata-states.ts. */
const FLOW_STATES: ReadonlySet<string> = new Set(['Pass', 'Succeed', 'Fail', 'Choice', 'Wait']);

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise;

/**
 * Runs a `{StartAt, States}` scope to its end and returns its output. States that need no waiting
 * (Pass, Choice, Succeed, Fail) run synchronously, so a scope made only of them returns a value,
 * not a promise: that is what lets a Distributed Map start thousands of trivial children per second.
 */
export function runGraph(
  graph: Graph,
  input: Json,
  frame: Frame,
  item?: MapItem,
  resume?: ResumePoint,
): Json | Promise<Json> {
  // A redriven scope continues at the state it failed in, with that state's input (redrive-executions.html).
  let name = resume?.state ?? graph.startAt;
  let data = resume?.input ?? input;
  frame.redrive = resume?.inner;
  for (;;) {
    let step: Step | Promise<Step>;
    try {
      step = runState(graph.states.get(name)!, data, frame, item);
    } catch (error) {
      throw failedAt(frame, name, data, item, error);
    } finally {
      // Only the first state entered reruns what its last attempt left undone.
      frame.redrive = undefined;
    }
    if (isPromise(step)) {
      const [failedName, failedData] = [name, data];
      return step.then(
        (resolved) => continueGraph(graph, resolved, frame, item),
        (error: unknown) => {
          throw failedAt(frame, failedName, failedData, item, error);
        },
      );
    }
    if (step.next === undefined) return step.output;
    name = step.next;
    data = step.output;
  }
}

async function continueGraph(graph: Graph, first: Step, frame: Frame, item?: MapItem): Promise<Json> {
  let step = first;
  while (step.next !== undefined) {
    const [name, data] = [step.next, step.output];
    try {
      const result = runState(graph.states.get(name)!, data, frame, item);
      step = isPromise(result) ? await result : result;
    } catch (error) {
      throw failedAt(frame, name, data, item, error);
    }
  }
  return step.output;
}

/**
 * Notes where the scope ended when a state's failure leaves it (the first note wins: an outer
 * state's rethrow is the same failure): the state, its input and the scope's variables, which is
 * where a redrive continues.
 */
function failedAt(frame: Frame, state: string, input: Json, item: MapItem | undefined, error: unknown): unknown {
  frame.failedAt ??= { state, input, variables: frame.variables, item, inner: frame.innerResume };
  return error;
}

/** Runs one state including its Retry and Catch rules. */
function runState(node: StateNode, input: Json, frame: Frame, item: MapItem | undefined): Step | Promise<Step> {
  if (frame.signal.aborted) throw frame.signal.reason;
  frame.innerResume = undefined;
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
    throw failedInState(error, node, frame, enteredEventId);
  };
  try {
    const step = attempt(node, input, frame, item, enteredTime, retryCount);
    return isPromise(step) ? step.catch(relocate) : step;
  } catch (error) {
    return relocate(error);
  }
}

/**
 * Names the state in the cause of an error it raised itself; a JSONata evaluation failure is also
 * recorded as an `EvaluationFailed` event with the field it happened in (docs:
 * apireference/API_EvaluationFailedEventDetails.html).
 */
function failedInState(error: unknown, node: StateNode, frame: Frame, enteredEventId: number): unknown {
  const located = locateFailure(error, node.name, enteredEventId);
  if (error instanceof JsonataEvaluationError && located instanceof StatesError) {
    const details: Record<string, unknown> = { cause: located.cause, error: located.error, state: node.name };
    if (error.location !== undefined) details.location = error.location;
    record(frame.scope, 'EvaluationFailed', details);
  }
  return located;
}

function exited(node: StateNode, step: Step, frame: Frame): Step {
  const details: Record<string, unknown> = {
    name: node.name,
    output: new JsonText(step.output),
    outputDetails: { truncated: false },
  };
  if (step.assigned) {
    assignVariables(step.assigned, node, frame);
    details.assignedVariables = assignedVariables(step.assigned);
    details.assignedVariablesDetails = { truncated: false };
  }
  if (node.type !== 'Fail') record(frame.scope, `${node.type}StateExited`, details);
  return step;
}

/** Sets what a state or Catcher assigned; a limit broken here fails the state, as its own error. */
function assignVariables(assigned: JsonObject, node: StateNode, frame: Frame): void {
  try {
    frame.variables.assign(assigned, node.name);
  } catch (error) {
    throw locateFailure(error, node.name, frame.scope.history.length);
  }
}

/** The `assignedVariables` of a StateExited event: each value as JSON text, as GetExecutionHistory shows them. */
function assignedVariables(assigned: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(assigned)) out[name] = JSON.stringify(value);
  return out;
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
    const context = contextFor(frame, node, enteredTime, retryCount, item);
    let step: Step;
    try {
      step = await caughtStep(node, catcher, frame, context, input, failure);
    } catch (error) {
      throw failedInState(error, node, frame, enteredEventId);
    }
    if (step.assigned) assignVariables(step.assigned, node, frame);
    return step;
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
  if (node.jsonata && FLOW_STATES.has(node.type)) {
    return runJsonataFlowState(node, input, frame, item, enteredTime, retryCount);
  }
  switch (node.type) {
    case 'Pass': {
      const needsContext =
        raw.InputPath !== undefined ||
        raw.Parameters !== undefined ||
        raw.OutputPath !== undefined ||
        raw.Assign !== undefined;
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
      // docs: workflow-variables.html, a JSONPath Assign reads the state's result as `$`.
      const assigned = context ? assignJsonPath(raw.Assign, result, context, frame.scope.env.random) : undefined;
      return { output, next: raw.Next, assigned };
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
      // The state's Assign with the matched rule's on top; both read the effective input as `$`.
      const assign = rule ? choiceAssign(raw.Assign, rule.Assign as JsonObject | undefined) : raw.Assign;
      const assigned = assignJsonPath(assign, effective, context, frame.scope.env.random);
      return { output: applyOutputPath(effective, raw.OutputPath, context), next, assigned };
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
  const seconds =
    raw.SecondsPath !== undefined
      ? readNumber(
          raw.SecondsPath,
          effective,
          context,
          'SecondsPath',
          (v) => Number.isInteger(v) && v >= 0,
          'a non-negative integer',
        )
      : raw.Seconds;
  const timestamp =
    raw.TimestampPath !== undefined
      ? readString(raw.TimestampPath, effective, context, 'TimestampPath')
      : raw.Timestamp;
  await waitFor(node, frame, seconds, timestamp);
  const assigned = assignJsonPath(raw.Assign, effective, context, frame.scope.env.random);
  return { output: applyOutputPath(effective, raw.OutputPath, context), next: raw.Next, assigned };
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
  const effective = node.jsonata ? input : applyInputPath(input, raw.InputPath, context);
  const result = node.distributed
    ? await runDistributedMap(node, effective, context, frame, runGraph)
    : await runInlineMap(node, effective, context, frame, runGraph);
  return completeState(node, frame, input, result, context);
}
