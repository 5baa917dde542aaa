/**
 * The checks of workflow variables made when the definition is created (docs:
 * step-functions/latest/dg/workflow-variables.html):
 * - a variable name follows the Unicode identifier rules (ID_Start, then ID_Continue), is at most
 *   80 characters long, and is not the reserved `states`;
 * - a variable exists in a scope when a state of that scope assigns it (its Assign, a Choice rule's
 *   or a Catcher's); a state may read the variables of its scope and of the scopes around it, except
 *   inside a Distributed Map, whose children read none of the parent's;
 * - a Parallel branch or Map iteration cannot assign a variable an enclosing scope assigns.
 */

import { InvalidDefinitionError } from '../errors';
import { isIntrinsic, isJsonataExpression, jsonataVariables, pathVariable } from '../expressions';
import { type QueryLanguage, stateLanguage } from './query-language';
import type { RawMachine, RawState } from './state-graph';

const MAX_NAME_LENGTH = 80;
const NAME = /^[\p{ID_Start}][\p{ID_Continue}]*$/u;

/** Throws InvalidDefinitionError naming the state and field of the first variable rule broken. */
export function checkVariables(machine: RawMachine, top: QueryLanguage): void {
  checkScope(machine, top, '', new Set(), new Set());
}

function checkScope(
  graph: RawMachine,
  top: QueryLanguage,
  path: string,
  readable: ReadonlySet<string>,
  outerAssigned: ReadonlySet<string>,
): void {
  const assigned = new Set<string>();
  for (const [name, raw] of Object.entries(graph.States)) {
    const where = `state "${path}${name}"`;
    const language = stateLanguage(where, raw, top);
    for (const [field, assign] of assignFields(where, raw)) {
      for (const key of Object.keys(assign)) {
        const variable = language === 'JSONPath' && key.endsWith('.$') ? key.slice(0, -2) : key;
        checkName(where, `${field}.${key}`, variable);
        if (outerAssigned.has(variable)) {
          throw new InvalidDefinitionError(
            `${where}: field ${field}.${key} assigns the variable $${variable}, which an enclosing scope assigns; a Parallel branch or Map iteration cannot assign a variable of an outer scope`,
          );
        }
        assigned.add(variable);
      }
    }
  }
  const visible = new Set([...readable, ...assigned]);
  for (const [name, raw] of Object.entries(graph.States)) {
    const where = `state "${path}${name}"`;
    const language = stateLanguage(where, raw, top);
    for (const { field, variable } of references(raw, language)) {
      if (!visible.has(variable)) {
        throw new InvalidDefinitionError(
          `${where}: field ${field} references the variable $${variable}, which no state of its scope or of an enclosing scope assigns`,
        );
      }
    }
    const inner = new Set([...outerAssigned, ...assigned]);
    (raw.Branches ?? []).forEach((branch, index) => {
      checkScope(branch, top, `${path}${name}.Branches[${index}].`, visible, inner);
    });
    const processor = raw.ItemProcessor ?? raw.Iterator;
    if (processor) {
      // A Distributed Map child is an execution of its own: it reads none of the parent's variables.
      const distributed = raw.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
      checkScope(
        processor,
        top,
        `${path}${name}.ItemProcessor.`,
        distributed ? new Set() : visible,
        distributed ? new Set() : inner,
      );
    }
  }
}

function checkName(where: string, field: string, name: string): void {
  if (!NAME.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new InvalidDefinitionError(
      `${where}: field ${field}: a variable name must start with a Unicode ID_Start character, continue with ID_Continue characters and be at most ${MAX_NAME_LENGTH} characters long (received ${JSON.stringify(name)})`,
    );
  }
  if (name === 'states') {
    throw new InvalidDefinitionError(`${where}: field ${field}: $states is reserved by Step Functions`);
  }
}

/** The state's Assign objects: its own, its Choice rules' and its Catchers'. */
function assignFields(where: string, raw: RawState): [string, Record<string, unknown>][] {
  const fields: [string, Record<string, unknown>][] = [];
  const add = (field: string, value: unknown): void => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      fields.push([field, value as Record<string, unknown>]);
    } else if (value !== undefined) {
      throw new InvalidDefinitionError(`${where}: field ${field} must be a JSON object of variable names and values`);
    }
  };
  add('Assign', raw.Assign);
  for (const [index, rule] of (raw.Choices ?? []).entries()) add(`Choices[${index}].Assign`, rule.Assign);
  for (const [index, catcher] of (raw.Catch ?? []).entries()) add(`Catch[${index}].Assign`, catcher.Assign);
  return fields;
}

interface Reference {
  field: string;
  variable: string;
}

/** A quoted literal of an intrinsic call or a bracket path: what it holds is text, not a variable. */
const QUOTED = /'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g;
const VARIABLE_IN_CALL = /(?<![\p{ID_Continue}$])\$([\p{ID_Start}][\p{ID_Continue}]*)/gu;

/** The variables a state's fields read (its branches and item processor aside). */
function references(raw: RawState, language: QueryLanguage): Reference[] {
  const found: Reference[] = [];
  const visit = (field: string, key: string, value: unknown): void => {
    if (typeof value === 'string') {
      if (language === 'JSONata') {
        if (isJsonataExpression(value)) for (const variable of jsonataVariables(value)) found.push({ field, variable });
      } else if (key.endsWith('.$') || key.endsWith('Path') || key === 'Variable') {
        for (const variable of jsonPathVariables(value)) found.push({ field, variable });
      }
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [memberKey, member] of Object.entries(value)) {
      if (field === '' && (memberKey === 'Branches' || memberKey === 'ItemProcessor' || memberKey === 'Iterator')) {
        continue;
      }
      const memberField =
        field === '' ? memberKey : Array.isArray(value) ? `${field}[${memberKey}]` : `${field}.${memberKey}`;
      visit(memberField, Array.isArray(value) ? key : memberKey, member);
    }
  };
  visit('', '', raw);
  return found;
}

function jsonPathVariables(text: string): string[] {
  if (isIntrinsic(text)) {
    return [...text.replace(QUOTED, "''").matchAll(VARIABLE_IN_CALL)].map((match) => match[1]!);
  }
  const variable = pathVariable(text);
  return variable === undefined ? [] : [variable];
}
