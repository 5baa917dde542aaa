/**
 * Workflow variables as the JSONPath expressions read them (docs:
 * step-functions/latest/dg/workflow-variables.html): a path such as `$customerName` or
 * `$order.items[0]` reads the variable `customerName` or `order` instead of the state input.
 *
 * The variables a state sees travel with its context object: the interpreter creates one
 * context object per state and binds the state's variables to it here, so paths, payload
 * templates, intrinsic functions and Choice rules read them without another parameter.
 */

import type { ContextObject, Json, JsonObject } from '../types';

/** The variables visible to a state: its own scope's, then those of the enclosing scopes. */
export interface VariableReader {
  get(name: string): Json | undefined;
}

const bound = new WeakMap<object, VariableReader>();

/** Makes `variables` what the paths evaluated with `context` read as `$name`. */
export function bindVariables(context: ContextObject | JsonObject, variables: VariableReader): void {
  bound.set(context, variables);
}

/** The value of a variable for a state whose context object is `context`; undefined when unassigned. */
export function readVariable(context: ContextObject | JsonObject | undefined, name: string): Json | undefined {
  return context === undefined ? undefined : bound.get(context)?.get(name);
}

/**
 * The variable a path reads, or undefined when it reads the input (`$`, `$.a`) or the context
 * object (`$$`): `$x.a` reads `x`. A variable name starts at the character after `$` and ends
 * before the first `.` or `[`.
 */
export function pathVariable(path: string): string | undefined {
  if (path.length < 2 || path[0] !== '$') return undefined;
  const first = path[1]!;
  if (first === '$' || first === '.' || first === '[') return undefined;
  const end = path.slice(1).search(/[.[]/);
  return end < 0 ? path.slice(1) : path.slice(1, end + 1);
}
