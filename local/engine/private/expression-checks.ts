/**
 * Checks of the expressions a state spells out, made when the definition is created, as Step
 * Functions makes them at CreateStateMachine: every intrinsic function call must parse, and a
 * literal Wait `Timestamp` must be an RFC 3339 timestamp.
 */

import { InvalidDefinitionError } from '../errors';
import { intrinsicProblem, isIntrinsic, parseTimestamp } from '../expressions';
import type { Json } from '../types';
import type { RawState } from './state-graph';

/** The payload templates of a state whose `.$` values may call intrinsic functions. */
const TEMPLATE_FIELDS = ['Parameters', 'ResultSelector', 'ItemSelector'] as const;

/** Throws InvalidDefinitionError naming the state and field when an expression of the state is invalid. */
export function checkStateExpressions(where: string, raw: RawState): void {
  for (const field of TEMPLATE_FIELDS) checkTemplate(where, field, raw[field]);
  checkTemplate(where, 'ItemReader.Parameters', raw.ItemReader?.Parameters);
  checkTemplate(where, 'ItemBatcher.BatchInput', raw.ItemBatcher?.BatchInput);
  checkTemplate(where, 'ResultWriter.Parameters', raw.ResultWriter?.Parameters);
  // ErrorPath and CausePath may be intrinsic functions (docs: step-functions/latest/dg/state-fail.html).
  for (const field of ['ErrorPath', 'CausePath'] as const) {
    const value = raw[field];
    if (typeof value === 'string' && isIntrinsic(value)) checkIntrinsic(where, field, value);
  }
  // docs: step-functions/latest/dg/state-wait.html, "Timestamps must conform to the RFC3339 profile
  // of ISO 8601, with the further restrictions that an uppercase T must separate the date and time
  // portions, and an uppercase Z must denote that a numeric time zone offset is not present".
  if (raw.Type === 'Wait' && raw.Timestamp !== undefined) {
    if (typeof raw.Timestamp !== 'string' || parseTimestamp(raw.Timestamp) === undefined) {
      throw new InvalidDefinitionError(
        `${where}: field Timestamp must be an RFC 3339 timestamp with an uppercase T and a Z or a numeric offset, e.g. 2024-08-18T17:33:00Z (received ${JSON.stringify(raw.Timestamp)})`,
      );
    }
  }
}

function checkTemplate(where: string, field: string, template: Json | undefined): void {
  if (typeof template !== 'object' || template === null) return;
  if (Array.isArray(template)) {
    for (const item of template) checkTemplate(where, field, item);
    return;
  }
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string' && isIntrinsic(value)) {
      checkIntrinsic(where, `${field}.${key}`, value);
    } else {
      checkTemplate(where, field, value);
    }
  }
}

function checkIntrinsic(where: string, field: string, expression: string): void {
  const problem = intrinsicProblem(expression);
  if (problem !== undefined) throw new InvalidDefinitionError(`${where}: field ${field}: ${problem}`);
}
