/**
 * Readers of a state's fields, paths and parameters, shared by the interpreter and the Map
 * states. A leaf: it imports neither of them.
 */

import { StatesError, StatesErrors } from '../errors';
import {
  applyOutputPath,
  applyResultPath,
  bindVariables,
  evaluateIntrinsic,
  isIntrinsic,
  readPath,
  renderPayloadTemplate,
} from '../expressions';
import { isJsonObject } from '../expressions/json';
import type { ContextObject, Json } from '../types';
import { checkPayloadSize, type Frame, isoDate, type MapItem } from './runtime';
import type { StateNode } from './state-graph';

const RETRYING_TYPES: ReadonlySet<string> = new Set(['Task', 'Parallel', 'Map']);

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
    State: { Name: node.name, EnteredTime: isoDate(enteredTime) },
    StateMachine: { Id: scope.stateMachineArn, Name: scope.stateMachineName },
  };
  // Only the states that can retry have a retry count (docs: input-output-contextobject.html).
  if (RETRYING_TYPES.has(node.type)) context.State.RetryCount = retryCount;
  if (item) context.Map = item;
  bindVariables(context, frame.variables);
  return context;
}

/**
 * Reads a `...Path` field that must resolve to a string (e.g. ErrorPath, TimestampPath). Given
 * `random`, the field may also be an intrinsic function call, as ErrorPath and CausePath may be
 * (docs: step-functions/latest/dg/state-fail.html).
 */
export function readString(
  path: string,
  input: Json,
  context: ContextObject,
  field: string,
  random?: () => number,
): string {
  const value =
    random !== undefined && isIntrinsic(path)
      ? evaluateIntrinsic(path, input, context, random)
      : readPath(path, input, context);
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

/** Reads a non-negative integer field or its `...Path` twin (e.g. MaxItemsPerBatch, ToleratedFailureCount). */
export function readLimit(
  value: number | undefined,
  path: string | undefined,
  field: string,
  effective: Json,
  context: ContextObject,
): number | undefined {
  if (path !== undefined) {
    return readNumber(
      path,
      effective,
      context,
      `${field}Path`,
      (v) => Number.isInteger(v) && v >= 0,
      'a non-negative integer',
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

/**
 * Ends the cause of a Map refused because its items are a JSON object. Step Functions runs one
 * iteration per key-value pair of an object (input-output-itemspath.html), but the shape in which
 * a pair reaches its iteration, and what `$$.Map.Item` holds then, could not be established from
 * AWS's own text; a guessed shape could pass here and differ on AWS, so the object is refused.
 */
export function objectItemsRefusal(finding: string): string {
  return `${finding}: iterating over a JSON object's key-value pairs (input-output-itemspath.html) is not supported by the local engine, which needs a JSON array.`;
}

/** Reads the array a Map iterates over (ItemsPath, default `$`). */
export function readItems(node: StateNode, effective: Json, context: ContextObject): Json[] {
  const path = node.raw.ItemsPath ?? '$';
  const items = node.raw.ItemsPath === undefined ? effective : readPath(path, effective, context);
  if (isJsonObject(items)) {
    throw new StatesError(
      StatesErrors.Runtime,
      objectItemsRefusal(`The ItemsPath '${path}' of state '${node.name}' selects a JSON object`),
    );
  }
  if (!Array.isArray(items)) {
    throw new StatesError(
      StatesErrors.Runtime,
      `The ItemsPath '${path}' of state '${node.name}' must resolve to a JSON array (received ${items === null ? 'null' : typeof items})`,
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
