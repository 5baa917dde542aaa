import { describe, expect, it } from 'vitest';
import { describeValue } from '../../../../lambdas/shared/errors';
import {
  entryNestingIssues,
  inputNestingIssues,
  MAX_NESTING,
  nestingDepth,
} from '../../../../lambdas/shared/input/nesting';
import { parseExecutionInput } from '../../../../lambdas/shared/input/parse';
import { inputError } from './helpers';

/** `levels` arrays around a scalar, built from text as a user's file would be (no recursion). */
function nested(levels: number, open = '[', close = ']'): unknown {
  return JSON.parse(`${open.repeat(levels)}1${close.repeat(levels)}`);
}

describe('nestingDepth', () => {
  it('counts the levels of arrays and objects: a scalar none, [1] one, {"a":[1]} two', () => {
    expect(nestingDepth(1)).toBe(0);
    expect(nestingDepth('text')).toBe(0);
    expect(nestingDepth([1])).toBe(1);
    expect(nestingDepth({ a: [1] })).toBe(2);
    expect(nestingDepth({ a: 1, b: { c: { d: [] } } })).toBe(4);
  });

  it('stops counting one level past the limit, so a value 100,000 levels deep costs no more than the limit', () => {
    expect(nestingDepth(nested(100_000), 32)).toBe(33);
  });
});

describe('inputNestingIssues', () => {
  it(`accepts kwarg values of exactly ${MAX_NESTING} levels and refuses ${MAX_NESTING + 1}`, () => {
    expect(inputNestingIssues({ items: [{ x: nested(MAX_NESTING) }] })).toEqual([]);
    const [issue, ...others] = inputNestingIssues({ items: [{ seed: 1 }, { x: nested(MAX_NESTING + 1) }] });
    expect(others).toEqual([]);
    expect(issue?.path).toBe('items.1.x');
    expect(issue?.message).toBe(
      "must nest arrays and objects at most 32 levels deep (DynamoDB's limit for one attribute), but nests deeper",
    );
    expect(issue?.received).toMatch(/^\[{33}1\]{33}$/);
  });

  // Levels count from the kwarg value, wherever the input puts kwargs.
  const deep = nested(MAX_NESTING + 1, '{"a":', '}');
  it.each([
    ['an item kwarg', { items: [{ config: deep }] }, 'items.0.config'],
    ['a grid value', { grid: { seed: [1, deep] } }, 'grid.seed.1'],
    ['a grid whose value list is itself too deep', { grid: { seed: deep } }, 'grid.seed'],
    ['a replicas kwarg', { replicas: { count: 2, kwargs: { config: deep } } }, 'replicas.kwargs.config'],
    ['an aggregate kwarg', { aggregate: { command: ['x'], kwargs: { config: deep } } }, 'aggregate.kwargs.config'],
    ['any other field', { items: [{}], environment: deep }, 'environment'],
    ['an unknown field', { items: [{}], extra: deep }, 'extra'],
  ])('names %s by its path', (_what, input, path) => {
    expect(inputNestingIssues(input).map((issue) => issue.path)).toEqual([path]);
  });

  it('leaves the structure of the input itself out of the count', () => {
    const atLimit = nested(MAX_NESTING);
    expect(
      inputNestingIssues({
        grid: { a: [atLimit] },
        replicas: { count: 1, kwargs: { a: atLimit } },
        aggregate: { command: ['x'], kwargs: { a: atLimit } },
      }),
    ).toEqual([]);
  });
});

describe('entryNestingIssues', () => {
  it('names a source entry kwarg after the entry', () => {
    expect(entryNestingIssues({ n: 1, x: nested(40) }, 'source line 4').map((issue) => issue.path)).toEqual([
      'source line 4.x',
    ]);
    expect(entryNestingIssues(nested(40), 'source line 5').map((issue) => issue.path)).toEqual(['source line 5']);
    expect(entryNestingIssues({ n: nested(MAX_NESTING) }, 'source line 6')).toEqual([]);
  });
});

describe('parseExecutionInput with a deeply nested value', () => {
  it('refuses 5,000 levels with the field path instead of overflowing the stack', () => {
    const error = inputError(() => parseExecutionInput({ items: [{ x: nested(5000) }], command: ['true'] }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['items.0.x']);
    expect(error.message).toContain('items.0.x: must nest arrays and objects at most 32 levels deep');
    expect(error.message).toContain('(received [[[[');
  });
});

describe('describeValue', () => {
  it('previews a value too deep for JSON.stringify without recursing', () => {
    const text = describeValue(nested(200_000));
    expect(text).toMatch(/^\[{80}…$/);
  });
});
