import { JSONPath } from 'jsonpath-plus';
import { expect } from 'vitest';
import { evaluateChoiceRule } from '../../local/engine/expressions';

/** Reading the ASL files of statemachine/ in tests: templates, Choice states, nested scopes. */

// biome-ignore lint/suspicious/noExplicitAny: an ASL state is read as an untyped JSON document
export type State = Record<string, any>;
export type Machine = { StartAt: string; States: Record<string, State> };

/** A state with the scope (top level, a Map's item processor) it lives in. */
export interface ScopedState {
  name: string;
  state: State;
  scope: Machine;
}

/** Every state of a machine, those inside Map item processors and Parallel branches included. */
export function allStates(machine: Machine): ScopedState[] {
  const found: ScopedState[] = [];
  for (const [name, state] of Object.entries(machine.States)) {
    found.push({ name, state, scope: machine });
    const processor = (state.ItemProcessor ?? state.Iterator) as Machine | undefined;
    if (processor) found.push(...allStates(processor));
    for (const branch of (state.Branches ?? []) as Machine[]) found.push(...allStates(branch));
  }
  return found;
}

/** The states a state can go to: Next, every Choice rule and Default, every Catch. */
export function successors(state: State): string[] {
  const next: string[] = [];
  if (state.Next) next.push(state.Next);
  for (const rule of state.Choices ?? []) next.push(rule.Next);
  if (state.Default) next.push(state.Default);
  for (const catcher of state.Catch ?? []) next.push(catcher.Next);
  return next;
}

/** The Choice's target for this input: its first matching rule, else its Default. */
export function choiceTarget(choice: State, input: unknown): string {
  const rule = (choice.Choices as State[]).find((candidate) =>
    evaluateChoiceRule(candidate as never, input as never, {} as never),
  );
  return rule ? rule.Next : choice.Default;
}

/**
 * Applies a JSONPath payload template the way Step Functions does for plain paths (`$.a`,
 * `$$.Map.Item.Value.b`); intrinsic functions are checked for their path arguments only.
 * Fails the test when a path selects nothing, which on AWS is a States.Runtime failure.
 */
export function applyTemplate(template: unknown, data: unknown, context: unknown): unknown {
  if (Array.isArray(template)) return template.map((entry) => applyTemplate(entry, data, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      out[key] = applyTemplate(value, data, context);
      continue;
    }
    const expression = String(value);
    const paths = expression.startsWith('States.')
      ? (expression.match(/\$\$?(?:\.[A-Za-z0-9_]+)+/g) ?? [])
      : [expression];
    const resolved = paths.map((path) => {
      const [json, query] = path.startsWith('$$') ? [context, path.slice(1)] : [data, path];
      const found = JSONPath({ path: query, json: json as object, wrap: true }) as unknown[];
      expect(found, `${key}: ${path} selects nothing`).toHaveLength(1);
      return found[0];
    });
    out[key.slice(0, -2)] = expression.startsWith('States.') ? `<${expression}>` : resolved[0];
  }
  return out;
}
