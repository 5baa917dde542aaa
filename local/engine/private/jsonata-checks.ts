/**
 * Where a JSONata state may read `$states.result` and `$states.errorOutput` (docs:
 * step-functions/latest/dg/transforming-data.html, "Reserved variable : $states"): the result of a
 * Task, Parallel or Map state in its `Output` and `Assign`, the error output in a Catcher's `Output`
 * and `Assign`. Reading either anywhere else is refused when the definition is created, as Step
 * Functions refuses it at creation, update or validation of the state machine.
 */

import { InvalidDefinitionError } from '../errors';
import { isJsonataExpression, jsonataStatesMembers } from '../expressions';
import type { RawState } from './state-graph';

const RESULT_STATES: ReadonlySet<string> = new Set(['Task', 'Parallel', 'Map']);
const OUTCOME_FIELDS: ReadonlySet<string> = new Set(['Output', 'Assign']);

/** Throws InvalidDefinitionError naming the state and field that reads a member of `$states` it cannot. */
export function checkStatesMembers(where: string, raw: RawState): void {
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'Branches' || key === 'ItemProcessor' || key === 'Iterator') continue;
    if (key === 'Catch' && Array.isArray(value)) {
      for (const [index, catcher] of value.entries()) {
        for (const [field, member] of Object.entries(catcher ?? {})) {
          const readable = OUTCOME_FIELDS.has(field) ? ['errorOutput'] : [];
          visit(where, `Catch[${index}].${field}`, member, readable);
        }
      }
      continue;
    }
    const readable = OUTCOME_FIELDS.has(key) && RESULT_STATES.has(raw.Type) ? ['result'] : [];
    visit(where, key, value, readable);
  }
}

const WHERE_READABLE: Record<string, string> = {
  result: 'the Output and Assign of a Task, Parallel or Map state',
  errorOutput: 'the Output and Assign of a Catcher',
};

function visit(where: string, field: string, value: unknown, readable: readonly string[]): void {
  if (isJsonataExpression(value)) {
    for (const member of jsonataStatesMembers(value)) {
      const allowedIn = WHERE_READABLE[member];
      if (allowedIn !== undefined && !readable.includes(member)) {
        throw new InvalidDefinitionError(
          `${where}: field ${field}: the JSONata expression '${value}' reads $states.${member}, which is only available in ${allowedIn}`,
        );
      }
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, member] of Object.entries(value)) {
    visit(where, Array.isArray(value) ? `${field}[${key}]` : `${field}.${key}`, member, readable);
  }
}
