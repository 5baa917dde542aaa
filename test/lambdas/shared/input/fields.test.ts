import { describe, expect, it } from 'vitest';
import { parseExecutionInput } from '../../../../lambdas/shared/input/parse';
import { validateInput } from '../../../../lambdas/shared/input/plan';
import { inputError } from './helpers';

/** Batch's job name rule (batch/latest/APIReference/API_SubmitJob.html, jobName). */
const BATCH_JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

describe('the reserved id and idempotent, wherever an entry gets them', () => {
  // Each row: an input, the field path the error must name, a fragment of the rule, the received value.
  it.each([
    [
      'a grid of non-boolean idempotent values',
      { grid: { idempotent: [true, 'no'] } },
      'grid.idempotent.1',
      'idempotent must be a boolean (true or false)',
      '"no"',
    ],
    ['a grid of numeric idempotent values', { grid: { idempotent: [0, 1] } }, 'grid.idempotent.0', 'boolean', '0'],
    ['a grid id with a space', { grid: { id: ['a b'] } }, 'grid.id.0', 'an item id must be 1-100 letters', '"a b"'],
    ['a grid id with a slash', { grid: { id: ['ok', 'a/b'] } }, 'grid.id.1', 'an item id must be', '"a/b"'],
    ['a negative grid id', { grid: { id: [-1] } }, 'grid.id.0', 'a non-negative integer', '-1'],
    [
      'a replicas idempotent kwarg that is a string',
      { replicas: { count: 2, kwargs: { idempotent: 'true' } } },
      'replicas.kwargs.idempotent',
      'it becomes every replica\'s "idempotent", so idempotent must be a boolean',
      '"true"',
    ],
    [
      'a replicas id kwarg with a space',
      { replicas: { count: 1, kwargs: { id: 'x y' } } },
      'replicas.kwargs.id',
      'an item id must be 1-100 letters',
      '"x y"',
    ],
    [
      'replicas indexed into idempotent',
      { replicas: { count: 2, indexKey: 'idempotent' } },
      'replicas.indexKey',
      'indexKey must not be "idempotent"',
      '"idempotent"',
    ],
    [
      'an item idempotent that is a string',
      { items: [{ idempotent: 'yes' }] },
      'items.0.idempotent',
      'boolean',
      '"yes"',
    ],
    ['an item id with a space', { items: [{ id: 'a b' }] }, 'items.0.id', 'an item id must be', '"a b"'],
    [
      'a run-level idempotent that is a string',
      { items: [{}], idempotent: 'false' },
      'idempotent',
      'boolean',
      '"false"',
    ],
    ['a failFast that is a number', { items: [{}], failFast: 1 }, 'failFast', 'expected boolean', '1'],
  ])('refuses %s', (_what, input, path, rule, received) => {
    const error = inputError(() => parseExecutionInput(input));
    const issue = error.issues.find((candidate) => candidate.path === path);
    expect(issue, error.message).toBeDefined();
    expect(issue?.message).toContain(rule);
    expect(issue?.received).toBe(received);
  });

  it("takes boolean idempotent values of a grid as each item's flag", () => {
    const plan = validateInput({ grid: { idempotent: [true, false], n: [1] } }, { executionName: 'sweep' });
    expect(plan.items?.map((item) => item.idempotent)).toEqual([true, false]);
    expect(plan.items?.map((item) => item.kwargsJson)).toEqual(['{"n":1}', '{"n":1}']);
  });

  it('takes replicas indexed into id as item ids', () => {
    const plan = validateInput({ replicas: { count: 3, indexKey: 'id' } }, { executionName: 'sweep' });
    expect(plan.items?.map((item) => item.itemId)).toEqual(['0', '1', '2']);
  });

  it('refuses one replicas id shared by several replicas as a duplicate', () => {
    const error = inputError(() =>
      validateInput({ replicas: { count: 2, kwargs: { id: 'same' } } }, { executionName: 'sweep' }),
    );
    expect(error.message).toContain('duplicate item id, already used by replicas (replica 0)');
  });

  it('gives every accepted item a job name Batch accepts', () => {
    const inputs = [
      { items: [{ id: 'a.b-c_d' }, { id: 7 }, { id: 'Z'.repeat(100) }] },
      { grid: { id: ['x.1', 'y-2', 9_007_199_254_740_991] } },
      { replicas: { count: 12, indexKey: 'id' } },
    ];
    for (const input of inputs) {
      const plan = validateInput(input, { executionName: 'r'.repeat(64) });
      for (const item of plan.items ?? []) expect(item.jobName).toMatch(BATCH_JOB_NAME);
    }
  });
});

describe('command arguments', () => {
  it.each([
    ['an empty command argument', { items: [{}], command: ['echo', ''] }, 'command.1', 'must not be empty', '""'],
    [
      'a NUL byte in a command argument',
      { items: [{}], command: ['echo', 'a\u0000b'] },
      'command.1',
      'must not contain a NUL byte',
      '"a\\u0000b"',
    ],
    [
      'an empty aggregate command argument',
      { items: [{}], aggregate: { command: ['', 'x'] } },
      'aggregate.command.0',
      'an argument of aggregate.command must not be empty',
      '""',
    ],
    [
      'a NUL byte in an environment value',
      { items: [{}], environment: { MODE: '\u0000' } },
      'environment.MODE',
      'must not contain a NUL byte',
      '"\\u0000"',
    ],
  ])('refuses %s', (_what, input, path, rule, received) => {
    const error = inputError(() => parseExecutionInput(input));
    expect(error.issues).toEqual([{ path, message: expect.stringContaining(rule), received }]);
  });

  it('still accepts an empty environment value and a placeholder that may resolve to an empty string', () => {
    const plan = validateInput(
      { items: [{ text: '' }], command: ['echo', '{text}'], environment: { EMPTY: '' } },
      { executionName: 'r' },
    );
    expect(plan.items).toHaveLength(1);
  });
});
