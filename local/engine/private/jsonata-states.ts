/**
 * The JSONata forms of the states that need no service (docs: step-functions/latest/dg/state-pass.html,
 * state-succeed.html, state-fail.html, state-choice.html, state-wait.html): Pass and Succeed end
 * with `Output` (default: the input); Fail's `Error` and `Cause` may be expressions; a Choice rule
 * is a `Condition`; the matched rule's `Output` (else the state's) applies, and the state's `Assign`
 * with the rule's on top of it; Wait's `Seconds` and `Timestamp` may be expressions.
 */

import { StatesError, StatesErrors } from '../errors';
import {
  evaluateJsonata,
  expectKind,
  isJsonataExpression,
  JsonataEvaluationError,
  type JsonataScope,
} from '../expressions';
import type { Json, JsonObject } from '../types';
import { jsonataNumber, jsonataOutcome, jsonataScope } from './jsonata-io';
import { type Frame, keepCause, type MapItem, type Step, waitFor } from './runtime';
import { contextFor } from './state-fields';
import type { StateNode } from './state-graph';
import { choiceAssign } from './state-outcome';

const isString = (value: Json): value is string => typeof value === 'string';
const isBoolean = (value: Json): value is boolean => typeof value === 'boolean';

/** Runs one attempt of a JSONata Pass, Succeed, Fail, Choice or Wait state. */
export async function runJsonataFlowState(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
): Promise<Step> {
  const raw = node.raw;
  const context = contextFor(frame, node, enteredTime, retryCount, item);
  const scope = jsonataScope(frame, context, { input });
  switch (node.type) {
    case 'Pass':
    case 'Succeed': {
      const outcome = await jsonataOutcome(raw, scope, input);
      return { output: outcome.output, next: raw.Next, assigned: outcome.assigned };
    }
    case 'Fail': {
      const error = await optionalString(raw.Error, 'Error', scope);
      const cause = await optionalString(raw.Cause, 'Cause', scope);
      throw keepCause(StatesError.fromFailState(error, cause));
    }
    case 'Choice': {
      for (const [index, rule] of (raw.Choices ?? []).entries()) {
        if (await condition(rule.Condition, `Choices/${index}/Condition`, scope)) {
          const fields = {
            Output: rule.Output ?? raw.Output,
            Assign: choiceAssign(raw.Assign, rule.Assign as JsonObject | undefined),
          };
          const outcome = await jsonataOutcome(fields, scope, input);
          return { output: outcome.output, next: String(rule.Next), assigned: outcome.assigned };
        }
      }
      if (raw.Default === undefined) {
        throw new StatesError(
          StatesErrors.NoChoiceMatched,
          `No Matches! (state '${node.name}', no choice rule matched and there is no Default)`,
        );
      }
      const outcome = await jsonataOutcome(raw, scope, input);
      return { output: outcome.output, next: raw.Default, assigned: outcome.assigned };
    }
    case 'Wait': {
      const seconds = await jsonataNumber(
        raw.Seconds,
        'Seconds',
        scope,
        (v) => Number.isInteger(v) && v >= 0,
        'a non-negative integer',
      );
      const timestamp = await optionalString(raw.Timestamp, 'Timestamp', scope);
      await waitFor(node, frame, seconds, timestamp);
      const outcome = await jsonataOutcome(raw, scope, input);
      return { output: outcome.output, next: raw.Next, assigned: outcome.assigned };
    }
    default:
      throw new StatesError(StatesErrors.Runtime, `state '${node.name}' of Type '${node.type}' is not a flow state`);
  }
}

async function optionalString(value: unknown, field: string, scope: JsonataScope): Promise<string | undefined> {
  if (!isJsonataExpression(value)) return value as string | undefined;
  return expectKind(await evaluateJsonata(value, field, scope), isString, value, field, 'string');
}

async function condition(value: unknown, field: string, scope: JsonataScope): Promise<boolean> {
  if (typeof value === 'boolean') return value;
  if (!isJsonataExpression(value)) {
    throw new JsonataEvaluationError(field, `The field '${field}' must be a boolean or a JSONata expression`);
  }
  return expectKind(await evaluateJsonata(value, field, scope), isBoolean, value, field, 'boolean');
}
