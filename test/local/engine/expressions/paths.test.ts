import { describe, expect, it } from 'vitest';
import { applyInputPath, applyOutputPath, applyResultPath, readPath } from '../../../../local/engine/expressions/index';
import type { Json } from '../../../../local/engine/types';
import { contextObject, statesErrorFrom } from './fixtures';

const context = contextObject();

describe('readPath', () => {
  // docs: step-functions/latest/dg/amazon-states-language-paths.html (Reference Paths)
  const pathsInput = {
    foo: 123,
    bar: ['a', 'b', 'c'],
    car: { cdr: true },
    jar: [{ a: 1 }, { a: 5 }, { a: 2 }, { a: 7 }, { a: 3 }],
  };

  it('reads the reference paths of the documented example', () => {
    expect(readPath('$.foo', pathsInput, context)).toBe(123);
    expect(readPath('$.bar', pathsInput, context)).toEqual(['a', 'b', 'c']);
    expect(readPath('$.car.cdr', pathsInput, context)).toBe(true);
  });

  it('returns the array of matches for a filter, as the documented example does', () => {
    // docs: amazon-states-language-paths.html: $.jar[?(@.a >= 5)] => [{"a": 5}, {"a": 7}]
    expect(readPath('$.jar[?(@.a >= 5)]', pathsInput, context)).toEqual([{ a: 5 }, { a: 7 }]);
  });

  it('returns the array a slice selects', () => {
    // docs: input-output-inputpath-params.html: $.a[0:2] on { "a": [1, 2, 3, 4] } gives [1, 2]
    expect(readPath('$.a[0:2]', { a: [1, 2, 3, 4] }, context)).toEqual([1, 2]);
  });

  it('returns an array for wildcards and recursive descent', () => {
    expect(readPath('$.jar[*].a', pathsInput, context)).toEqual([1, 5, 2, 7, 3]);
    expect(readPath('$..cdr', pathsInput, context)).toEqual([true]);
  });

  it('returns an empty array when a filter matches nothing', () => {
    expect(readPath('$.jar[?(@.a > 100)]', pathsInput, context)).toEqual([]);
  });

  it('reads the whole input with $', () => {
    expect(readPath('$', pathsInput, context)).toBe(pathsInput);
  });

  it('reads array elements by index, negative indexes counting from the end', () => {
    expect(readPath('$.bar[0]', pathsInput, context)).toBe('a');
    expect(readPath('$.jar[3].a', pathsInput, context)).toBe(7);
    expect(readPath('$.bar[-1]', pathsInput, context)).toBe('c');
  });

  it('reads keys that need bracket notation', () => {
    const input = { 'x y': { 'a.b': 1, "it's": 2 }, abc: { 'def ghi': 3 } };
    expect(readPath("$['x y']['a.b']", input, context)).toBe(1);
    expect(readPath('$["x y"]["it\'s"]', input, context)).toBe(2);
    // docs: intrinsic-functions.html shows the form $.abc.['def ghi']
    expect(readPath("$.abc.['def ghi']", input, context)).toBe(3);
  });

  it('reads the context object with $$', () => {
    expect(readPath('$$.Execution.Id', {}, context)).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:stateMachineName:executionName',
    );
    expect(readPath('$$.State.RetryCount', {}, context)).toBe(3);
    expect(readPath('$$', {}, context)).toBe(context);
  });

  it('reads Map item data from the context object', () => {
    const mapContext = contextObject({ Map: { Item: { Index: 2, Value: { who: 'joe' } } } });
    expect(readPath('$$.Map.Item.Value.who', {}, mapContext)).toBe('joe');
    expect(readPath('$$.Map.Item.Index', {}, mapContext)).toBe(2);
  });

  it('does not read inherited properties such as constructor', () => {
    const error = statesErrorFrom(() => readPath('$.constructor', {}, context));
    expect(error.error).toBe('States.Runtime');
  });

  it('throws States.Runtime naming the path when it selects nothing', () => {
    // AWS cause for a missing path, e.g. "Invalid path '$.Payload' : No results for path: $['Payload']"
    const error = statesErrorFrom(() => readPath('$.Payload', { other: 1 }, context));
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toBe("Invalid path '$.Payload' : No results for path: $['Payload']");
  });

  it('names every step of a nested missing path', () => {
    const error = statesErrorFrom(() => readPath('$.a.items[2]', { a: { items: [1] } }, context));
    expect(error.cause).toBe("Invalid path '$.a.items[2]' : No results for path: $['a']['items'][2]");
  });

  it('treats an index into an object and a key into an array as missing', () => {
    expect(statesErrorFrom(() => readPath('$.a[0]', { a: { 0: 1 } }, context)).error).toBe('States.Runtime');
    expect(statesErrorFrom(() => readPath('$.a.b', { a: [1] }, context)).error).toBe('States.Runtime');
  });

  it('rejects a path that does not start with $', () => {
    const error = statesErrorFrom(() => readPath('foo.bar', {}, context));
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toContain("'foo.bar'");
  });
});

describe('applyInputPath', () => {
  // docs: step-functions/latest/dg/input-output-inputpath-params.html (InputPath)
  const input = {
    comment: 'Example for InputPath.',
    dataset1: { val1: 1, val2: 2, val3: 3 },
    dataset2: { val1: 'a', val2: 'b', val3: 'c' },
  };

  it('selects part of the input, as the documented example does', () => {
    expect(applyInputPath(input, '$.dataset2', context)).toEqual({ val1: 'a', val2: 'b', val3: 'c' });
  });

  it('keeps the whole input when InputPath is absent or $', () => {
    expect(applyInputPath(input, undefined, context)).toBe(input);
    expect(applyInputPath(input, '$', context)).toBe(input);
  });

  it('gives an empty object when InputPath is null', () => {
    // spec: states-language.net/spec.html (Filters): a null InputPath makes the effective input {}
    expect(applyInputPath(input, null, context)).toEqual({});
  });

  it('throws States.Runtime when the path selects nothing', () => {
    const error = statesErrorFrom(() => applyInputPath(input, '$.dataset3', context));
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toBe("Invalid path '$.dataset3' : No results for path: $['dataset3']");
  });
});

describe('applyOutputPath', () => {
  // docs: step-functions/latest/dg/input-output-example.html
  const stateOutput = {
    comment: 'An input comment.',
    data: { val1: 23, val2: 17, lambdaresult: 'Hello, AWS Step Functions!' },
    extra: 'foo',
    lambda: { who: 'AWS Step Functions' },
  };

  it('filters the output to the data node, as the documented example does', () => {
    expect(applyOutputPath(stateOutput, '$.data', context)).toEqual({
      val1: 23,
      val2: 17,
      lambdaresult: 'Hello, AWS Step Functions!',
    });
  });

  it('passes the output through when OutputPath is absent, and gives {} when it is null', () => {
    // spec: states-language.net/spec.html (Filters): a null OutputPath sends {} to the next state
    expect(applyOutputPath(stateOutput, undefined, context)).toBe(stateOutput);
    expect(applyOutputPath(stateOutput, null, context)).toEqual({});
  });

  it('throws States.Runtime when the path selects nothing', () => {
    expect(statesErrorFrom(() => applyOutputPath(stateOutput, '$.missing', context)).error).toBe('States.Runtime');
  });
});

describe('applyResultPath', () => {
  // docs: step-functions/latest/dg/input-output-resultpath.html
  const lambdaInput = {
    comment: 'This is a test of the input and output of a Task state.',
    details: 'Default example',
    who: 'AWS Step Functions',
  };
  const result = 'Hello, AWS Step Functions!';

  it('replaces the input with the result when ResultPath is absent or $', () => {
    expect(applyResultPath(lambdaInput, result, undefined)).toBe(result);
    expect(applyResultPath(lambdaInput, result, '$')).toBe(result);
  });

  it('keeps the input and discards the result when ResultPath is null', () => {
    expect(applyResultPath(lambdaInput, result, null)).toBe(lambdaInput);
  });

  it('adds the result under a new key', () => {
    expect(applyResultPath(lambdaInput, result, '$.taskresult')).toEqual({ ...lambdaInput, taskresult: result });
  });

  it('inserts the result as a child of an existing node', () => {
    const input = {
      comment: 'An input comment.',
      strings: { string1: 'foo', string2: 'bar', string3: 'baz' },
      who: 'AWS Step Functions',
    };
    expect(applyResultPath(input, result, '$.strings.lambdaresult')).toEqual({
      comment: 'An input comment.',
      strings: { string1: 'foo', string2: 'bar', string3: 'baz', lambdaresult: result },
      who: 'AWS Step Functions',
    });
  });

  it('overwrites an existing node', () => {
    expect(applyResultPath(lambdaInput, result, '$.comment')).toEqual({ ...lambdaInput, comment: result });
  });

  it('includes a caught error with the input', () => {
    expect(applyResultPath({ foo: 'bar' }, { Error: 'Error here' }, '$.error')).toEqual({
      foo: 'bar',
      error: { Error: 'Error here' },
    });
  });

  it('combines InputPath, ResultPath and OutputPath as the documented Task example does', () => {
    // docs: input-output-example.html
    const input = {
      comment: 'An input comment.',
      data: { val1: 23, val2: 17 },
      extra: 'foo',
      lambda: { who: 'AWS Step Functions' },
    };
    expect(applyInputPath(input, '$.lambda', context)).toEqual({ who: 'AWS Step Functions' });
    const combined = applyResultPath(input, result, '$.data.lambdaresult');
    expect(applyOutputPath(combined, '$.data', context)).toEqual({ val1: 23, val2: 17, lambdaresult: result });
  });

  it('creates the missing objects along the path', () => {
    expect(applyResultPath({ a: 1 }, 'done', '$.status.detail.value')).toEqual({
      a: 1,
      status: { detail: { value: 'done' } },
    });
  });

  it('replaces an array element in place', () => {
    expect(applyResultPath({ list: [1, 2, 3] }, 'two', '$.list[1]')).toEqual({ list: [1, 'two', 3] });
  });

  it('writes keys that need bracket notation', () => {
    expect(applyResultPath({}, 1, "$['x y']")).toEqual({ 'x y': 1 });
  });

  it('never modifies the input and copies only the objects along the path', () => {
    const input = { keep: { big: [1, 2, 3] }, target: { old: true }, list: [0, 1] };
    const snapshot = structuredClone(input);
    const output = applyResultPath(input, 'new', '$.target.value') as { keep: Json; target: Json };
    applyResultPath(input, 'x', '$.list[0]');
    expect(input).toEqual(snapshot);
    expect(output.keep).toBe(input.keep);
    expect(output.target).not.toBe(input.target);
  });

  it('stores a __proto__ key as data without changing any prototype', () => {
    const output = applyResultPath({}, { polluted: true }, "$['__proto__']") as Record<string, unknown>;
    expect(Object.hasOwn(output, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('throws States.ResultPathMatchFailure when a step is not an object', () => {
    const error = statesErrorFrom(() => applyResultPath({ a: 'text' }, 1, '$.a.b'));
    expect(error.error).toBe('States.ResultPathMatchFailure');
    expect(error.cause).toBe('Unable to apply step "b" to input "text"');
  });

  it('throws States.ResultPathMatchFailure when the input is not an object', () => {
    expect(statesErrorFrom(() => applyResultPath('plain string', 1, '$.a')).error).toBe(
      'States.ResultPathMatchFailure',
    );
    expect(statesErrorFrom(() => applyResultPath([1, 2], 1, '$.a')).error).toBe('States.ResultPathMatchFailure');
  });

  it('throws States.ResultPathMatchFailure for an index outside the array', () => {
    expect(statesErrorFrom(() => applyResultPath({ list: [1] }, 1, '$.list[5]')).error).toBe(
      'States.ResultPathMatchFailure',
    );
  });

  it('rejects a ResultPath that is not a reference path into the input', () => {
    expect(statesErrorFrom(() => applyResultPath({}, 1, '$.items[*]')).error).toBe('States.ResultPathMatchFailure');
    expect(statesErrorFrom(() => applyResultPath({}, 1, '$$.Execution')).error).toBe('States.ResultPathMatchFailure');
    expect(statesErrorFrom(() => applyResultPath({}, 1, 'result')).error).toBe('States.ResultPathMatchFailure');
  });
});
