/**
 * Field values the definition checks before asl-validator runs (docs: concepts-error-handling.html,
 * state-map-distributed.html, input-output-itembatcher.html), reported with the JSON Pointer of the field.
 */

import { isJsonataExpression } from '../expressions';

/** A documented range for one numeric field; `integer` false admits fractions. */
export interface NumberRule {
  integer: boolean;
  min: number;
  max?: number;
  /** The rule as the message states it. */
  text: string;
}

/**
 * Retrier fields (docs: step-functions/latest/dg/concepts-error-handling.html, "Retrying after an
 * error"): IntervalSeconds and MaxAttempts have a maximum value of 99999999; MaxDelaySeconds must be
 * greater than 0 and less than 31622401; BackoffRate must be greater than or equal to 1.0.
 */
const RETRIER_RULES: Record<string, NumberRule> = {
  IntervalSeconds: { integer: true, min: 1, max: 99_999_999, text: 'must be a positive integer of at most 99999999' },
  MaxAttempts: { integer: true, min: 0, max: 99_999_999, text: 'must be a non-negative integer of at most 99999999' },
  BackoffRate: { integer: false, min: 1, text: 'must be a number greater than or equal to 1.0' },
  MaxDelaySeconds: { integer: true, min: 1, max: 31_622_400, text: 'must be a positive integer less than 31622401' },
};

const JITTER_STRATEGIES = ['FULL', 'NONE'];

/**
 * Map fields (docs: step-functions/latest/dg/state-map-distributed.html, input-output-itembatcher.html;
 * apireference/API_UpdateMapRun.html gives the same ranges: maxConcurrency integer ≥ 0,
 * toleratedFailureCount ≥ 0, toleratedFailurePercentage 0 to 100).
 */
export const MAP_RULES = {
  MaxConcurrency: { integer: true, min: 0, text: 'must be a non-negative integer' },
  ToleratedFailurePercentage: { integer: false, min: 0, max: 100, text: 'must be a number from 0 to 100' },
  ToleratedFailureCount: { integer: true, min: 0, text: 'must be a non-negative integer' },
} satisfies Record<string, NumberRule>;

export const BATCHER_RULES = {
  MaxItemsPerBatch: { integer: true, min: 1, text: 'must be a positive integer' },
  MaxInputBytesPerBatch: {
    integer: true,
    min: 1,
    max: 256 * 1024,
    text: 'must be a positive integer of at most 262144 (256 KiB)',
  },
} satisfies Record<string, NumberRule>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON Pointer (RFC 6901) token: `~` and `/` escaped. */
const pointerToken = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** True when `value` is a number the rule admits. */
export function fitsRule(value: unknown, rule: NumberRule): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    value >= rule.min &&
    (rule.max === undefined || value <= rule.max)
  );
}

function checkNumber(pointer: string, value: unknown, rule: NumberRule): string {
  // In a JSONata state the value may be an expression, checked when it is evaluated.
  if (value === undefined || isJsonataExpression(value)) return '';
  return fitsRule(value, rule) ? '' : `${pointer} ${rule.text} (received ${JSON.stringify(value)})`;
}

/**
 * The value checks asl-validator leaves out or reports without the value: Retrier and Catcher
 * fields and the Map limits, in every scope (Parallel branches and Map item processors too).
 * Runs before asl-validator, so it walks whatever shape it is given and leaves shape errors to it.
 * Returns the first problem, as `<JSON pointer> <rule> (received <value>)`, or ''.
 */
export function checkFieldValues(machine: unknown, base: string): string {
  if (!isObject(machine) || !isObject(machine.States)) return '';
  const names = machine.States;
  for (const [name, state] of Object.entries(names)) {
    if (!isObject(state)) continue;
    const at = `${base}/States/${pointerToken(name)}`;
    const problem = checkStateValues(state, at, names);
    if (problem) return problem;
  }
  return '';
}

function checkStateValues(state: Record<string, unknown>, at: string, scope: Record<string, unknown>): string {
  if (Array.isArray(state.Retry)) {
    for (const [index, retrier] of state.Retry.entries()) {
      if (!isObject(retrier)) continue;
      for (const [field, rule] of Object.entries(RETRIER_RULES)) {
        const problem = checkNumber(`${at}/Retry/${index}/${field}`, retrier[field], rule);
        if (problem) return problem;
      }
      const jitter = retrier.JitterStrategy;
      if (jitter !== undefined && !JITTER_STRATEGIES.includes(jitter as string)) {
        return `${at}/Retry/${index}/JitterStrategy must be FULL or NONE (received ${JSON.stringify(jitter)})`;
      }
    }
  }
  if (Array.isArray(state.Catch)) {
    for (const [index, catcher] of state.Catch.entries()) {
      if (!isObject(catcher) || catcher.Next === undefined) continue;
      const next = catcher.Next;
      if (typeof next !== 'string' || !Object.hasOwn(scope, next)) {
        return `${at}/Catch/${index}/Next must name a state of the same States object (received ${JSON.stringify(next)})`;
      }
    }
  }
  if (state.Type === 'Map') {
    for (const [field, rule] of Object.entries(MAP_RULES)) {
      const problem = checkNumber(`${at}/${field}`, state[field], rule);
      if (problem) return problem;
    }
    if (isObject(state.ItemBatcher)) {
      for (const [field, rule] of Object.entries(BATCHER_RULES)) {
        const problem = checkNumber(`${at}/ItemBatcher/${field}`, state.ItemBatcher[field], rule);
        if (problem) return problem;
      }
    }
    const processorField = state.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
    const problem = checkFieldValues(state[processorField], `${at}/${processorField}`);
    if (problem) return problem;
  }
  if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
    for (const [index, branch] of state.Branches.entries()) {
      const problem = checkFieldValues(branch, `${at}/Branches/${index}`);
      if (problem) return problem;
    }
  }
  return '';
}

/**
 * Adjusts a copy of a definition (in place) for asl-validator, whose schema is narrower than Step
 * Functions in four documented places: `ToleratedFailurePercentage` is a number from 0 to 100, not
 * only an integer (maprun-fail-threshold.html), `ReaderConfig.MaxItems` 0 means no limit
 * (input-output-itemreader.html), a ResultWriter may have no `Resource` (input-output-resultwriter.html),
 * and a JSONata `Output` may be any JSON value, `"Output": true` or `42` (transforming-data.html,
 * "Arguments and Output Fields"). The values themselves were checked by `checkFieldValues`, the
 * ResultWriter by the compiler, the expressions of `Output` by the query-language checks.
 */
export function relaxForSchema(machine: unknown): void {
  if (!isObject(machine) || !isObject(machine.States)) return;
  for (const state of Object.values(machine.States)) {
    if (!isObject(state)) continue;
    if (state.Output !== undefined && !isObject(state.Output)) state.Output = {};
    if (state.Type === 'Map') {
      const percentage = state.ToleratedFailurePercentage;
      if (typeof percentage === 'number' && !Number.isInteger(percentage)) {
        state.ToleratedFailurePercentage = Math.floor(percentage);
      }
      const reader = state.ItemReader;
      if (isObject(reader) && isObject(reader.ReaderConfig) && reader.ReaderConfig.MaxItems === 0) {
        delete reader.ReaderConfig.MaxItems;
      }
      // A ResultWriter with only WriterConfig needs no Resource (input-output-resultwriter.html,
      // "Required field combinations"); the engine checks the combinations itself.
      const writer = state.ResultWriter;
      if (isObject(writer) && writer.Resource === undefined) writer.Resource = 'arn:aws:states:::s3:putObject';
      relaxForSchema(state.ItemProcessor ?? state.Iterator);
    }
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) relaxForSchema(branch);
    }
  }
}
