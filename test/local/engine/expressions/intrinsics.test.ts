import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { evaluateIntrinsic, isIntrinsic } from '../../../../local/engine/expressions/index';
import type { Json } from '../../../../local/engine/types';
import { contextObject, sequence, statesErrorFrom } from './fixtures';

// Unless noted otherwise, examples come from docs: step-functions/latest/dg/intrinsic-functions.html
const context = contextObject();
const run = (expression: string, input: Json = {}, random?: () => number) =>
  evaluateIntrinsic(expression, input, context, random);
const failure = (expression: string, input: Json = {}) => statesErrorFrom(() => run(expression, input));

describe('isIntrinsic', () => {
  it('recognises intrinsic function calls and not paths', () => {
    expect(isIntrinsic("States.Format('x')")).toBe(true);
    expect(isIntrinsic('States.UUID()')).toBe(true);
    expect(isIntrinsic('$.States.Format')).toBe(false);
    expect(isIntrinsic('$$.Execution.Id')).toBe(false);
    expect(isIntrinsic('States.Format')).toBe(false);
  });
});

describe('States.Format', () => {
  it('inserts values into a literal template', () => {
    expect(run("States.Format('Hello, my name is {}.', $.name)", { name: 'Arnav' })).toBe('Hello, my name is Arnav.');
  });

  it('takes the template from a path', () => {
    expect(run('States.Format($.template, $.name)', { name: 'Arnav', template: 'Hello, my name is {}.' })).toBe(
      'Hello, my name is Arnav.',
    );
  });

  it('writes numbers, booleans and null as JSON text', () => {
    expect(run("States.Format('{} {} {} {}', 42, 1.5, true, null)")).toBe('42 1.5 true null');
  });

  it('writes objects as {key=value, ...} and arrays as [a, b], as Step Functions does', () => {
    expect(run("States.Format('{}|{}', $.o, $.a)", { o: { k: 'v' }, a: [1, 2] })).toBe('{k=v}|[1, 2]');
  });

  it('treats escaped braces, quotes and backslashes as literal text', () => {
    // docs: "Reserved characters in intrinsic functions": \' \{ \} \\ (written \\' \\{ \\} \\\\ in JSON)
    expect(run("States.Format('\\{\\} is literal, {} is not', 'this')")).toBe('{} is literal, this is not');
    expect(run("States.Format('it\\'s {}', 'here')")).toBe("it's here");
    expect(run("States.Format('C:\\\\{}', 'dir')")).toBe('C:\\dir');
  });

  it('evaluates nine nested intrinsics in one field', () => {
    // docs: the myArn example nests nine intrinsic functions. Its template '{}.{}.{}' has three
    // placeholders for two values, which the placeholder rule on the same page rejects, so
    // this test uses '{}.{}' and also checks that the verbatim example fails.
    const input = { ImageRecipe: { Arn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.2.3' } };
    const part = (i: number) =>
      `States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), ${i})`;
    expect(run(`States.Format('{}.{}', ${part(0)}, ${part(1)})`, input)).toBe('1.2');
    expect(failure(`States.Format('{}.{}.{}', ${part(0)}, ${part(1)})`, input).error).toBe('States.IntrinsicFailure');
  });

  it('fails with States.IntrinsicFailure when placeholders and values differ in number', () => {
    const error = failure("States.Format('{} and {}', 'one')");
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('States.Format');
    expect(error.cause).toContain("The function 'States.Format('{} and {}', 'one')' had the following error:");
  });

  it('fails when the template is not a string', () => {
    expect(failure('States.Format($.n)', { n: 1 }).error).toBe('States.IntrinsicFailure');
  });
});

describe('States.StringToJson and States.JsonToString', () => {
  it('parses an escaped JSON string', () => {
    expect(run('States.StringToJson($.escapedJsonString)', { escapedJsonString: '{"foo": "bar"}' })).toEqual({
      foo: 'bar',
    });
  });

  it('serialises JSON data as compact text', () => {
    expect(run('States.JsonToString($.unescapedJson)', { unescapedJson: { foo: 'bar' } })).toBe('{"foo":"bar"}');
  });

  it('fails on text that is not JSON', () => {
    const error = failure('States.StringToJson($.s)', { s: '{not json' });
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('States.StringToJson');
  });

  it('fails when StringToJson receives a non-string', () => {
    expect(failure('States.StringToJson($.o)', { o: {} }).error).toBe('States.IntrinsicFailure');
  });
});

describe('States.Array', () => {
  it('collects literals and path values in order', () => {
    expect(
      run("States.Array('Foo', 2022, $.someJson, null)", { someJson: { random: 'abcdefg' }, zebra: 'stripe' }),
    ).toEqual(['Foo', 2022, { random: 'abcdefg' }, null]);
    expect(run('States.Array($.Id)', { Id: 123456 })).toEqual([123456]);
  });

  it('returns an empty array without arguments', () => {
    expect(run('States.Array()')).toEqual([]);
  });

  it('reads context object paths and booleans', () => {
    expect(run('States.Array($$.Execution.Name, true, false)')).toEqual(['executionName', true, false]);
  });
});

describe('States.ArrayPartition', () => {
  it('splits an array into chunks with a shorter last chunk', () => {
    expect(run('States.ArrayPartition($.inputArray,4)', { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9],
    ]);
  });

  it('rounds a non-integer chunk size to the nearest integer', () => {
    expect(run('States.ArrayPartition($.a, 1.6)', { a: [1, 2, 3] })).toEqual([[1, 2], [3]]);
  });

  it('fails for a chunk size that is not positive', () => {
    const error = failure('States.ArrayPartition($.a, 0)', { a: [1] });
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('States.ArrayPartition');
  });

  it('fails when the first argument is not an array', () => {
    expect(failure("States.ArrayPartition('abc', 2)").error).toBe('States.IntrinsicFailure');
  });
});

describe('States.ArrayContains', () => {
  it('finds a value in an array', () => {
    expect(
      run('States.ArrayContains($.inputArray, $.lookingFor)', {
        inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        lookingFor: 5,
      }),
    ).toBe(true);
  });

  it('compares objects by value', () => {
    expect(run('States.ArrayContains($.a, $.v)', { a: [{ x: 1, y: [2] }], v: { y: [2], x: 1 } })).toBe(true);
    expect(run('States.ArrayContains($.a, 10)', { a: [1, 2] })).toBe(false);
  });

  it('fails when the first argument is not an array', () => {
    expect(failure('States.ArrayContains($.o, 1)', { o: { a: 1 } }).error).toBe('States.IntrinsicFailure');
  });
});

describe('States.ArrayRange', () => {
  it('creates a range with a step', () => {
    expect(run('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
  });

  it('counts down with a negative step and gives [] when the step points away from the end', () => {
    expect(run('States.ArrayRange(5, 1, -2)')).toEqual([5, 3, 1]);
    expect(run('States.ArrayRange(1, 5, -1)')).toEqual([]);
  });

  it('creates up to 1000 elements', () => {
    expect(run('States.ArrayRange(1, 1000, 1)')).toHaveLength(1000);
  });

  it('fails above 1000 elements', () => {
    const error = failure('States.ArrayRange(1, 1001, 1)');
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('1000');
  });

  it('fails for a zero step', () => {
    expect(failure('States.ArrayRange(1, 9, 0)').error).toBe('States.IntrinsicFailure');
  });

  it('fails for a non-numeric argument', () => {
    expect(failure("States.ArrayRange('1', 9, 1)").error).toBe('States.IntrinsicFailure');
  });
});

describe('States.ArrayGetItem', () => {
  it('returns the value at an index', () => {
    expect(
      run('States.ArrayGetItem($.inputArray, $.index)', { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9], index: 5 }),
    ).toBe(6);
  });

  it('fails for an index past the end', () => {
    const error = failure('States.ArrayGetItem($.a, 3)', { a: [1, 2, 3] });
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('out of bounds');
  });

  it('fails for a negative or fractional index', () => {
    expect(failure('States.ArrayGetItem($.a, -1)', { a: [1] }).error).toBe('States.IntrinsicFailure');
    expect(failure('States.ArrayGetItem($.a, 0.5)', { a: [1] }).error).toBe('States.IntrinsicFailure');
  });
});

describe('States.ArrayLength', () => {
  it('returns the length of an array', () => {
    expect(run('States.ArrayLength($.inputArray)', { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toBe(9);
  });

  it('fails for a string', () => {
    expect(failure("States.ArrayLength('abc')").error).toBe('States.IntrinsicFailure');
  });
});

describe('States.ArrayUnique', () => {
  it('removes duplicate values, keeping the first occurrence', () => {
    expect(run('States.ArrayUnique($.inputArray)', { inputArray: [1, 2, 3, 3, 3, 3, 3, 3, 4] })).toEqual([1, 2, 3, 4]);
  });

  it('treats equal objects as duplicates and different types as distinct', () => {
    expect(run('States.ArrayUnique($.a)', { a: [{ a: 1, b: 2 }, { b: 2, a: 1 }, '1', 1] })).toEqual([
      { a: 1, b: 2 },
      '1',
      1,
    ]);
  });

  it('fails for a non-array', () => {
    expect(failure('States.ArrayUnique(null)').error).toBe('States.IntrinsicFailure');
  });
});

describe('States.Base64Encode and States.Base64Decode', () => {
  it('encodes a string', () => {
    expect(run('States.Base64Encode($.input)', { input: 'Data to encode' })).toBe('RGF0YSB0byBlbmNvZGU=');
  });

  it('decodes a string', () => {
    // The docs page shows "Decoded data" as the output of this example; the Base64 text
    // actually encodes "Data to encode", the input of the Base64Encode example above it.
    expect(run('States.Base64Decode($.base64)', { base64: 'RGF0YSB0byBlbmNvZGU=' })).toBe('Data to encode');
  });

  it('round-trips non-ASCII text as UTF-8', () => {
    expect(run('States.Base64Decode(States.Base64Encode($.s))', { s: 'héllo ✓' })).toBe('héllo ✓');
  });

  it('accepts 10,000 characters and rejects 10,001', () => {
    expect(run('States.Base64Encode($.s)', { s: 'a'.repeat(10_000) })).toBe(
      Buffer.from('a'.repeat(10_000)).toString('base64'),
    );
    const error = failure('States.Base64Encode($.s)', { s: 'a'.repeat(10_001) });
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('10000');
  });

  it('rejects Base64 text longer than 10,000 characters', () => {
    expect(failure('States.Base64Decode($.s)', { s: 'QUFB'.repeat(2501) }).error).toBe('States.IntrinsicFailure');
  });

  it('rejects text that is not Base64', () => {
    expect(failure("States.Base64Decode('not base64!')").error).toBe('States.IntrinsicFailure');
  });
});

describe('States.Hash', () => {
  it('computes the SHA-1 of the documented example', () => {
    // The docs page prints "aaff4a450a104cd177d28d18d7485e8cae074b7": 39 hex digits, one lost
    // in the page. The full SHA-1 of "input data" is below (also computed with node:crypto).
    expect(run('States.Hash($.Data, $.Algorithm)', { Data: 'input data', Algorithm: 'SHA-1' })).toBe(
      'aaff4a450a104cd177d28d18d74485e8cae074b7',
    );
  });

  it.each([
    ['MD5', 'md5'],
    ['SHA-1', 'sha1'],
    ['SHA-256', 'sha256'],
    ['SHA-384', 'sha384'],
    ['SHA-512', 'sha512'],
  ])('computes %s', (algorithm, nodeName) => {
    expect(run(`States.Hash('fanout', '${algorithm}')`)).toBe(createHash(nodeName).update('fanout').digest('hex'));
  });

  it('rejects an algorithm outside the documented list', () => {
    const error = failure("States.Hash('x', 'SHA-3')");
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain("'SHA-3'");
  });

  it('rejects data longer than 10,000 characters', () => {
    expect(failure("States.Hash($.s, 'MD5')", { s: 'a'.repeat(10_001) }).error).toBe('States.IntrinsicFailure');
  });
});

describe('States.JsonMerge', () => {
  it('merges shallowly, the second object winning', () => {
    const input = { json1: { a: { a1: 1, a2: 2 }, b: 2 }, json2: { a: { a3: 1, a4: 2 }, c: 3 } };
    expect(run('States.JsonMerge($.json1, $.json2, false)', input)).toEqual({ a: { a3: 1, a4: 2 }, b: 2, c: 3 });
  });

  it('rejects deep merging, which AWS does not support', () => {
    const error = failure('States.JsonMerge($.a, $.b, true)', { a: {}, b: {} });
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('must be false');
  });

  it('rejects arguments that are not objects', () => {
    expect(failure('States.JsonMerge($.a, $.b, false)', { a: [1], b: {} }).error).toBe('States.IntrinsicFailure');
  });

  it('never modifies its inputs', () => {
    const input = { a: { x: 1 }, b: { y: 2 } };
    run('States.JsonMerge($.a, $.b, false)', input);
    expect(input).toEqual({ a: { x: 1 }, b: { y: 2 } });
  });
});

describe('States.MathRandom', () => {
  it('returns start (inclusive) up to end (exclusive)', () => {
    expect(run('States.MathRandom($.start, $.end)', { start: 1, end: 999 }, sequence(0))).toBe(1);
    expect(run('States.MathRandom($.start, $.end)', { start: 1, end: 999 }, sequence(0.999999))).toBe(998);
  });

  it('returns identical numbers for identical seeds', () => {
    const first = run('States.MathRandom(1, 1000, 42)', {}, sequence(0));
    const second = run('States.MathRandom(1, 1000, 42)', {}, sequence(0.9));
    expect(first).toBe(second);
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThan(1000);
  });

  it('rounds non-integer bounds to the nearest integer', () => {
    expect(run('States.MathRandom(0.6, 2.4)', {}, sequence(0))).toBe(1);
  });

  it('fails when the end is not above the start', () => {
    expect(failure('States.MathRandom(5, 5)').error).toBe('States.IntrinsicFailure');
  });

  it('fails for a non-numeric bound', () => {
    expect(failure("States.MathRandom('a', 5)").error).toBe('States.IntrinsicFailure');
  });
});

describe('States.MathAdd', () => {
  it('adds a negative step', () => {
    expect(run('States.MathAdd($.value1, $.step)', { value1: 111, step: -1 })).toBe(110);
  });

  it('rounds non-integer arguments to the nearest integer', () => {
    expect(run('States.MathAdd(1.6, 1)')).toBe(3);
  });

  it('rejects arguments outside the 32-bit integer range', () => {
    const error = failure('States.MathAdd(2147483648, 1)');
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('2147483647');
  });

  it('rejects a string argument', () => {
    expect(failure("States.MathAdd('1', 1)").error).toBe('States.IntrinsicFailure');
  });
});

describe('States.StringSplit', () => {
  it('splits on a single delimiter', () => {
    expect(run('States.StringSplit($.inputString, $.splitter)', { inputString: '1,2,3,4,5', splitter: ',' })).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
  });

  it('treats every character of the second argument as a delimiter', () => {
    expect(
      run('States.StringSplit($.inputString, $.splitter)', { inputString: 'This.is+a,test=string', splitter: '.+,=' }),
    ).toEqual(['This', 'is', 'a', 'test', 'string']);
  });

  it('drops empty pieces between adjacent delimiters', () => {
    expect(run("States.StringSplit('a,,b,', ',')")).toEqual(['a', 'b']);
  });

  it('fails for a non-string argument', () => {
    expect(failure("States.StringSplit(1, ',')").error).toBe('States.IntrinsicFailure');
  });
});

describe('States.UUID', () => {
  it('returns a version 4 UUID', () => {
    expect(run('States.UUID()')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('derives the UUID from injected randomness', () => {
    const a = run('States.UUID()', {}, sequence(0.1, 0.7, 0.3));
    expect(a).toBe(run('States.UUID()', {}, sequence(0.1, 0.7, 0.3)));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('rejects arguments', () => {
    const error = failure("States.UUID('x')");
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('States.UUID takes exactly 0 arguments');
  });
});

describe('intrinsic function syntax', () => {
  it('accepts spaces around arguments and bracket paths', () => {
    // docs: a path whose field name has characters outside member-name-shorthand uses brackets
    expect(run("States.Array( $.abc.['def ghi'] , $['x,y'] )", { abc: { 'def ghi': 1 }, 'x,y': 2 })).toEqual([1, 2]);
  });

  it('accepts a filter path whose brackets hold commas and parentheses', () => {
    expect(run('States.ArrayLength($.items[?(@.n > 1)])', { items: [{ n: 1 }, { n: 2 }, { n: 3 }] })).toBe(2);
  });

  it('parses negative and fractional numbers', () => {
    expect(run('States.Array(-3, 2.5, 1e3)')).toEqual([-3, 2.5, 1000]);
  });

  it('fails with States.Runtime when a path argument selects nothing', () => {
    // AWS cause observed in execution histories for a missing intrinsic path argument
    const error = failure("States.Format('{}', $.nope)", { other: 1 });
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toBe(
      "The function 'States.Format('{}', $.nope)' had the following error: The JsonPath argument for the field '$.nope' could not be found in the input '{\"other\":1}'",
    );
  });

  it('rejects an open escape backslash', () => {
    // docs: "If an open escape backslash \ is found in the intrinsic invocation string, the interpreter will return a runtime error"
    const error = failure("States.Format('a\\b')");
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('open escape');
  });

  it('rejects an unknown function', () => {
    const error = failure('States.Reverse($.a)', { a: [] });
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain("unknown intrinsic function 'States.Reverse'");
  });

  it('rejects a wrong argument count, naming the function', () => {
    const error = failure('States.ArrayLength($.a, $.b)', { a: [], b: [] });
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('States.ArrayLength takes exactly 1 argument');
  });

  it('rejects malformed expressions', () => {
    expect(failure("States.Format('unterminated)").error).toBe('States.IntrinsicFailure');
    expect(failure('States.Array(1,').error).toBe('States.IntrinsicFailure');
    expect(failure('States.Array(1) trailing').error).toBe('States.IntrinsicFailure');
    expect(failure('States.Array(undefined)').error).toBe('States.IntrinsicFailure');
  });

  it('rejects more than 10 intrinsic functions in one field', () => {
    // docs: "You can nest up to 10 intrinsic functions within a field"
    const ten = 'States.Array('.repeat(10) + ')'.repeat(10);
    expect(run(ten)).toEqual([[[[[[[[[[]]]]]]]]]]);
    const eleven = 'States.Array('.repeat(11) + ')'.repeat(11);
    expect(failure(eleven).error).toBe('States.IntrinsicFailure');
  });
});
