/**
 * How a state that produced a result, or a Catcher that caught an error, ends: its output and the
 * variables it assigns, in either query language (docs: step-functions/latest/dg/workflow-variables.html).
 * - JSONPath: Assign reads the raw result as `$`, beside ResultSelector, not after it; then
 *   ResultPath and OutputPath; a Catcher's Assign reads the error output `{Error, Cause}`.
 * - JSONata: Output (default: the result) and Assign, both with `$states.result`; a Catcher's with
 *   `$states.errorOutput` (its Output defaults to the error output).
 */

import type { StatesError } from '../errors';
import { applyResultPath, renderPayloadTemplate } from '../expressions';
import { setOwn } from '../expressions/json';
import type { ContextObject, Json, JsonObject } from '../types';
import { jsonataOutcome, jsonataScope } from './jsonata-io';
import { checkPayloadSize, type Frame, type Step } from './runtime';
import { finishResult } from './state-fields';
import type { Catcher, StateNode } from './state-graph';

/** Renders a JSONPath Assign against `data` (`$`), or nothing when the state assigns nothing. */
export function assignJsonPath(
  assign: JsonObject | undefined,
  data: Json,
  context: ContextObject,
  random: () => number,
): JsonObject | undefined {
  return assign === undefined
    ? undefined
    : (renderPayloadTemplate(assign, data, context, 'Assign', random) as JsonObject);
}

/** The variable an Assign key names: `x` for `x`, and for a JSONPath `x.$`. */
const variableOf = (key: string): string => (key.endsWith('.$') ? key.slice(0, -2) : key);

/**
 * What a Choice state assigns when a rule matches: the state's Assign, which applies whichever rule
 * matches, with the matched rule's own Assign on top of it (docs: state-choice.html, the Assign
 * field of a Choice Rule). A variable both name takes the rule's value.
 */
export function choiceAssign(state: JsonObject | undefined, rule: JsonObject | undefined): JsonObject | undefined {
  if (rule === undefined || state === undefined) return rule ?? state;
  const ruled = new Set(Object.keys(rule).map(variableOf));
  const merged: JsonObject = {};
  for (const [key, value] of Object.entries(state)) if (!ruled.has(variableOf(key))) setOwn(merged, key, value);
  for (const [key, value] of Object.entries(rule)) setOwn(merged, key, value);
  return merged;
}

/** The step of a Task, Parallel or Map state once its result is in. */
export async function completeState(
  node: StateNode,
  frame: Frame,
  input: Json,
  result: Json,
  context: ContextObject,
): Promise<Step> {
  const raw = node.raw;
  if (node.jsonata) {
    const outcome = await jsonataOutcome(raw, jsonataScope(frame, context, { input, result }), result);
    checkPayloadSize(outcome.output, `output of state '${node.name}'`);
    return { output: outcome.output, next: raw.Next, assigned: outcome.assigned };
  }
  // docs: workflow-variables.html, "Using variables in JSONPath states": in a Task, Map or Parallel
  // state `$` is the API or sub-workflow result, and Assign runs at the same time as ResultSelector.
  const output = finishResult(node, input, result, context);
  return { output, next: raw.Next, assigned: assignJsonPath(raw.Assign, result, context, frame.scope.env.random) };
}

/** The step a Catcher leads to: its Next, the output built from the error, and its Assign. */
export async function caughtStep(
  node: StateNode,
  catcher: Catcher,
  frame: Frame,
  context: ContextObject,
  input: Json,
  failure: StatesError,
): Promise<Step> {
  // A Fail state's omitted Error or Cause stays absent from the error output too.
  const details = failure.details;
  const errorOutput: JsonObject = {};
  if (details.error !== undefined) errorOutput.Error = details.error;
  if (details.cause !== undefined) errorOutput.Cause = details.cause;
  if (node.jsonata) {
    const outcome = await jsonataOutcome(catcher, jsonataScope(frame, context, { input, errorOutput }), errorOutput);
    return { output: outcome.output, next: catcher.Next, assigned: outcome.assigned };
  }
  const output = applyResultPath(input, errorOutput, catcher.ResultPath === undefined ? '$' : catcher.ResultPath);
  const assigned = assignJsonPath(catcher.Assign, errorOutput, context, frame.scope.env.random);
  return { output, next: catcher.Next, assigned };
}
