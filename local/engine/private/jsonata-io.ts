/**
 * What a JSONata state reads and writes (docs: step-functions/latest/dg/transforming-data.html):
 * `$states.input` (the state's input, whole), `$states.result` (the result of a Task, Parallel or
 * Map), `$states.errorOutput` (in a Catcher), `$states.context` (the context object), and the
 * workflow variables in scope. Fields that hold a number or an array may be an expression.
 */

import {
  evaluateJsonata,
  expectKind,
  expressionInField,
  isJsonataExpression,
  JsonataEvaluationError,
  type JsonataScope,
  renderJsonata,
} from '../expressions';
import { isJsonObject, jsonForMessage } from '../expressions/json';
import type { ContextObject, Json, JsonObject } from '../types';
import type { Frame } from './runtime';
import { objectItemsRefusal } from './state-fields';
import type { StateNode } from './state-graph';

/** `$states` without its optional members. */
interface StatesData {
  input: Json;
  result?: Json | undefined;
  errorOutput?: Json | undefined;
}

/** The scope an expression of this state is evaluated in, with the variables as they were when the state was entered. */
export function jsonataScope(frame: Frame, context: ContextObject, data: StatesData): JsonataScope {
  const states: JsonObject = { input: data.input, context: context as unknown as Json };
  if (data.result !== undefined) states.result = data.result;
  if (data.errorOutput !== undefined) states.errorOutput = data.errorOutput;
  // The engine's environment itself (it has `random` and `newUuid`): the functions bound to it are made once.
  return { states, variables: frame.variables.snapshot(), env: frame.scope.env };
}

/** What `Output` and `Assign` of a JSONata state (or Catcher, or Choice rule) produce. */
export interface JsonataOutcome {
  output: Json;
  assigned?: JsonObject | undefined;
}

/**
 * Evaluates `Output` (default: `fallback`) and `Assign`, both against the same `$states` and the
 * variables from before the state: an Assign of this state is not visible to its Output.
 */
export async function jsonataOutcome(
  fields: { Output?: Json | undefined; Assign?: JsonObject | undefined },
  scope: JsonataScope,
  fallback: Json,
): Promise<JsonataOutcome> {
  const output = fields.Output !== undefined ? await renderJsonata(fields.Output, 'Output', scope) : fallback;
  if (fields.Assign === undefined) return { output };
  const assigned = (await renderJsonata(fields.Assign, 'Assign', scope)) as JsonObject;
  return { output, assigned };
}

const isNumber = (value: Json): value is number => typeof value === 'number';

/**
 * Reads a numeric field that may be an expression (TimeoutSeconds, HeartbeatSeconds, Seconds,
 * MaxConcurrency): a value that breaks the rule is `States.QueryEvaluationError`.
 */
export async function jsonataNumber(
  value: unknown,
  field: string,
  scope: JsonataScope,
  rule: (value: number) => boolean,
  ruleText: string,
): Promise<number | undefined> {
  if (!isJsonataExpression(value)) return value as number | undefined;
  const result = expectKind(await evaluateJsonata(value, field, scope), isNumber, value, field, 'number');
  if (!rule(result)) {
    throw new JsonataEvaluationError(
      field,
      `${expressionInField(value, field)} returned ${result}, which is not ${ruleText}.`,
    );
  }
  return result;
}

const isArray = (value: Json): value is Json[] => Array.isArray(value);

/**
 * The array a JSONata Map iterates over: `Items` (an array, whose members may be expressions, or
 * an expression that must return an array), else the state input, which must then be an array.
 * A JSON object in either place is refused as not supported (see objectItemsRefusal).
 */
export async function jsonataItems(node: StateNode, scope: JsonataScope, input: Json): Promise<Json[]> {
  const items = node.raw.Items;
  if (isJsonataExpression(items)) {
    const result = await evaluateJsonata(items, 'Items', scope);
    if (isJsonObject(result)) {
      const finding = `${expressionInField(items, 'Items')} of state '${node.name}' returned a JSON object`;
      throw new JsonataEvaluationError('Items', objectItemsRefusal(finding));
    }
    return expectKind(result, isArray, items, 'Items', 'array');
  }
  // A literal Items is an array: the definition schema refuses any other JSON value.
  if (items !== undefined) return (await renderJsonata(items, 'Items', scope)) as Json[];
  if (isJsonObject(input)) {
    const finding = `Map state '${node.name}' has no field 'Items' and its input is a JSON object`;
    throw new JsonataEvaluationError(undefined, objectItemsRefusal(finding));
  }
  if (!Array.isArray(input)) {
    throw new JsonataEvaluationError(undefined, `Map state input must be an array but was: ${jsonForMessage(input)}`);
  }
  return input;
}

/** One iteration's input: `ItemSelector` with `$states.context.Map.Item` set, else the item. */
export function jsonataSelectItem(
  node: StateNode,
  frame: Frame,
  context: ContextObject,
  input: Json,
  index: number,
  value: Json,
): Promise<Json> | Json {
  const template = node.raw.ItemSelector;
  if (template === undefined) return value;
  const itemContext: ContextObject = { ...context, Map: { Item: { Index: index, Value: value } } };
  return renderJsonata(template, 'ItemSelector', jsonataScope(frame, itemContext, { input }));
}
