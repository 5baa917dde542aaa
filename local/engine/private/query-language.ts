/**
 * The query language of each state (docs: step-functions/latest/dg/query-language.html): the
 * top-level `QueryLanguage` (default JSONPath) applies to every state that sets none; a state may
 * switch a JSONPath machine to JSONata, not a JSONata machine back to JSONPath. Each language has
 * fields of its own (docs: transforming-data.html): a JSONata state has `Arguments` and `Output`
 * instead of the five JSONPath fields, and no `...Path` field; a JSONPath state has no `Arguments`,
 * `Output`, `Items` or `Condition`. Checked when the definition is created, naming state and field.
 */

import { InvalidDefinitionError } from '../errors';
import { isJsonataExpression, jsonataDelimiterProblem, jsonataProblem } from '../expressions';
import type { RawMachine, RawState } from './state-graph';

export type QueryLanguage = 'JSONPath' | 'JSONata';

/** JSONPath fields a JSONata state refuses. */
const JSONPATH_ONLY_FIELDS = [
  'InputPath',
  'OutputPath',
  'Parameters',
  'ResultSelector',
  'ResultPath',
  'Result',
  'ItemsPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'SecondsPath',
  'TimestampPath',
  'ErrorPath',
  'CausePath',
  'MaxConcurrencyPath',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCountPath',
] as const;

/**
 * Distributed Map fields inside ItemReader, ItemBatcher and ResultWriter that belong to one
 * language (docs: input-output-itemreader.html, input-output-itembatcher.html,
 * input-output-resultwriter.html): JSONata replaces `Parameters` with `Arguments` and the
 * `...Path` fields with expressions in the fields themselves.
 */
const JSONPATH_ONLY_NESTED_FIELDS = [
  ['ItemReader', 'ReaderConfig', 'MaxItemsPath'],
  ['ItemBatcher', 'MaxItemsPerBatchPath'],
  ['ItemBatcher', 'MaxInputBytesPerBatchPath'],
] as const;
const JSONATA_ONLY_NESTED_FIELDS = [
  ['ItemReader', 'Arguments'],
  ['ResultWriter', 'Arguments'],
] as const;

/** JSONata fields a JSONPath state refuses. */
const JSONATA_ONLY_FIELDS = ['Arguments', 'Output', 'Items'] as const;

/** The fields of a JSONata state whose objects are templates of expressions, where a `.$` key means nothing. */
const JSONATA_TEMPLATE_FIELDS = ['Arguments', 'Output', 'Assign', 'ItemSelector'] as const;

/** Reads a `QueryLanguage` value; anything but the two languages is an invalid definition. */
export function readQueryLanguage(value: unknown, where: string): QueryLanguage | undefined {
  if (value === undefined || value === 'JSONPath' || value === 'JSONata') return value;
  throw new InvalidDefinitionError(
    `${where}: field QueryLanguage must be JSONPath or JSONata (received ${JSON.stringify(value)})`,
  );
}

/** The language a state uses: its own, else the machine's. */
export function stateLanguage(where: string, raw: RawState, top: QueryLanguage): QueryLanguage {
  const own = readQueryLanguage(raw.QueryLanguage, where);
  if (top === 'JSONata' && own === 'JSONPath') {
    throw new InvalidDefinitionError(
      `${where}: field QueryLanguage cannot be JSONPath when the state machine's QueryLanguage is JSONata (a state may only switch from JSONPath to JSONata)`,
    );
  }
  return own ?? top;
}

/**
 * Checks the language of every state, branches and item processors included, before the schema
 * check, so that a field of the other language is reported with its state and field.
 */
export function checkQueryLanguages(machine: RawMachine): void {
  const top = readQueryLanguage(machine.QueryLanguage, 'the state machine') ?? 'JSONPath';
  const walk = (graph: RawMachine, path: string): void => {
    if (typeof graph !== 'object' || graph === null || typeof graph.States !== 'object' || graph.States === null)
      return;
    for (const [name, raw] of Object.entries(graph.States)) {
      if (typeof raw !== 'object' || raw === null) continue;
      const where = `state "${path}${name}"`;
      checkLanguageFields(where, raw, stateLanguage(where, raw, top));
      for (const [index, branch] of (raw.Branches ?? []).entries()) walk(branch, `${path}${name}.Branches[${index}].`);
      const processor = raw.ItemProcessor ?? raw.Iterator;
      if (processor) walk(processor, `${path}${name}.ItemProcessor.`);
    }
  };
  walk(machine, '');
}

/** Refuses the fields of the other language, JSONata syntax errors and what the local engine does not run. */
export function checkLanguageFields(where: string, raw: RawState, language: QueryLanguage): void {
  // docs: workflow-variables.html, Assign exists in Pass, Task, Map, Parallel, Choice and Wait states.
  if (raw.Assign !== undefined && (raw.Type === 'Succeed' || raw.Type === 'Fail')) {
    throw new InvalidDefinitionError(`${where}: field Assign is not valid in a ${raw.Type} state`);
  }
  if (language === 'JSONPath') {
    refuse(where, raw, JSONATA_ONLY_FIELDS, 'JSONata');
    for (const [index, rule] of (raw.Choices ?? []).entries()) {
      if (rule.Condition !== undefined) {
        throw new InvalidDefinitionError(
          `${where}: field Choices[${index}].Condition is only valid in a state whose QueryLanguage is JSONata`,
        );
      }
    }
    refuseNested(where, raw, JSONATA_ONLY_NESTED_FIELDS, 'JSONata');
    for (const [index, catcher] of (raw.Catch ?? []).entries()) {
      if ((catcher as { Output?: unknown }).Output !== undefined) {
        throw new InvalidDefinitionError(
          `${where}: field Catch[${index}].Output is only valid in a state whose QueryLanguage is JSONata`,
        );
      }
    }
    return;
  }
  refuse(where, raw, JSONPATH_ONLY_FIELDS, 'JSONPath');
  refuseNested(where, raw, JSONPATH_ONLY_NESTED_FIELDS, 'JSONPath');
  for (const [index, catcher] of (raw.Catch ?? []).entries()) {
    if (catcher.ResultPath !== undefined) {
      throw new InvalidDefinitionError(
        `${where}: field Catch[${index}].ResultPath is only valid in a state whose QueryLanguage is JSONPath (use Output)`,
      );
    }
  }
  for (const [index, rule] of (raw.Choices ?? []).entries()) {
    if (rule.Condition === undefined) {
      throw new InvalidDefinitionError(
        `${where}: field Choices[${index}] of a JSONata state needs Condition (Variable, comparison operators, And, Or and Not are JSONPath)`,
      );
    }
  }
  if (raw.ItemReader?.Parameters !== undefined || raw.ResultWriter?.Parameters !== undefined) {
    throw new InvalidDefinitionError(
      `${where}: field ${raw.ItemReader?.Parameters !== undefined ? 'ItemReader' : 'ResultWriter'}.Parameters is only valid in a JSONPath state (use Arguments)`,
    );
  }
  for (const field of JSONATA_TEMPLATE_FIELDS) refuseDollarKeys(where, field, raw[field]);
  refuseDollarKeys(where, 'ItemReader.Arguments', raw.ItemReader?.Arguments);
  refuseDollarKeys(where, 'ItemBatcher.BatchInput', raw.ItemBatcher?.BatchInput);
  refuseDollarKeys(where, 'ResultWriter.Arguments', raw.ResultWriter?.Arguments);
  checkExpressions(where, '', raw);
}

function refuse(where: string, raw: RawState, fields: readonly string[], language: QueryLanguage): void {
  for (const field of fields) {
    if (raw[field] !== undefined) {
      throw new InvalidDefinitionError(
        `${where}: field ${field} is only valid in a state whose QueryLanguage is ${language}`,
      );
    }
  }
}

function refuseNested(
  where: string,
  raw: RawState,
  paths: readonly (readonly string[])[],
  language: QueryLanguage,
): void {
  for (const path of paths) {
    let value: unknown = raw;
    for (const key of path)
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    if (value !== undefined) {
      throw new InvalidDefinitionError(
        `${where}: field ${path.join('.')} is only valid in a state whose QueryLanguage is ${language}`,
      );
    }
  }
}

function refuseDollarKeys(where: string, field: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, member] of Object.entries(value)) {
    if (key.endsWith('.$') && !Array.isArray(value)) {
      throw new InvalidDefinitionError(
        `${where}: field ${field}.${key}: a JSONata state does not use '.$' keys; write the value as "{% expression %}"`,
      );
    }
    refuseDollarKeys(where, Array.isArray(value) ? `${field}[${key}]` : `${field}.${key}`, member);
  }
}

/** Every `{% %}` string of the state (its branches and item processor aside) must parse; no other string may look like one. */
function checkExpressions(where: string, field: string, value: unknown): void {
  if (typeof value === 'string') {
    const problem = isJsonataExpression(value) ? jsonataProblem(value) : jsonataDelimiterProblem(value);
    if (problem) throw new InvalidDefinitionError(`${where}: field ${field}: ${problem}`);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, member] of Object.entries(value)) {
    if (field === '' && (key === 'Branches' || key === 'ItemProcessor' || key === 'Iterator')) continue;
    checkExpressions(where, field === '' ? key : Array.isArray(value) ? `${field}[${key}]` : `${field}.${key}`, member);
  }
}
