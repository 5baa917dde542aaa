import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { type AslProblem, validateAsl } from '../../../../local/engine/private/asl-validation';
import { INVALID, VALID } from './asl-corpus';

const reference = new Map<object, { problems: AslProblem[]; copy: unknown }>();

/**
 * What asl-validator itself reports, called as the engine called it before the precompiled checks;
 * remembered, as each call compiles its schemas.
 */
function fromAslValidator(definition: object) {
  let known = reference.get(definition);
  if (!known) {
    const copy = structuredClone(definition);
    const result = aslValidator(copy, { checkArn: false, checkPaths: true });
    known = { problems: result.errors.map((e) => ({ 'Error code': e['Error code'], Message: e.Message })), copy };
    reference.set(definition, known);
  }
  return known;
}

function precompiled(definition: object) {
  const copy = structuredClone(definition) as Record<string, unknown>;
  return { problems: validateAsl(copy), copy };
}

describe('validateAsl (asl-validator with precompiled schemas)', () => {
  it.each(Object.entries(VALID))('accepts %s, as asl-validator does', (_name, definition) => {
    expect(fromAslValidator(definition).problems).toEqual([]);
    expect(precompiled(definition).problems).toEqual([]);
  });

  it.each(Object.entries(INVALID))('reports %s exactly as asl-validator does', (_name, definition) => {
    const expected = fromAslValidator(definition).problems;
    expect(expected).not.toEqual([]);
    expect(precompiled(definition).problems).toEqual(expected);
  });

  it('writes the same default QueryLanguage into the states as asl-validator', () => {
    for (const definition of [...Object.values(VALID), ...Object.values(INVALID)]) {
      expect(precompiled(definition).copy).toEqual(fromAslValidator(definition).copy);
    }
  });

  // MAP_ITEMS_ERROR (Items with ItemsPath) cannot be reported: asl-validator's Map schema refuses
  // that pair first, as a schema error.
  it('covers every error code asl-validator reports (the corpus exercises each of its checks)', () => {
    const reported = new Set(
      Object.values(INVALID).flatMap((definition) => precompiled(definition).problems.map((p) => p['Error code'])),
    );
    expect([...reported].sort()).toEqual([
      'BRANCH_OUTBOUND_TRANSITION_TARGET',
      'DUPLICATE_FIELD_NAME',
      'DUPLICATE_STATE_NAMES',
      'FAIL_CAUSE_PROPERTY',
      'FAIL_ERROR_PROPERTY',
      'MAP_CONCURRENCY_ERROR',
      'MAP_ITEMREADER_MAXITEM',
      'MAP_ITEM_BATCHER',
      'MAP_ITEM_PROCESSOR',
      'MAP_ITEM_SELECTOR',
      'MAP_OUTBOUND_TRANSITION_TARGET',
      'MAP_TOLERATED_FAILURE',
      'MISSING_TERMINAL_STATE',
      'MISSING_TRANSITION_TARGET',
      'SCHEMA_VALIDATION_FAILED',
      'TASK_HEARTBEAT',
      'TASK_TIMEOUT',
      'TERMINAL_STATE_WITH_NEXT',
      'WAIT_DURATION',
    ]);
  });
});
