import { describe, expect, it } from 'vitest';
import { evaluateChoiceRule } from '../../../../local/engine/expressions/index';
import type { Json, JsonObject } from '../../../../local/engine/types';
import { contextObject, statesErrorFrom } from './fixtures';

// Operators and examples: docs step-functions/latest/dg/state-choice.html (Choice Rules, JSONPath)
const context = contextObject();
const check = (rule: JsonObject, input: Json) => evaluateChoiceRule(rule, input, context);

describe('evaluateChoiceRule: comparison operators', () => {
  it.each([
    ['StringEquals', 'MyString', 'MyString', true],
    ['StringEquals', 'MyString', 'mystring', false],
    ['StringLessThan', 'abc', 'abd', true],
    ['StringLessThan', 'abc', 'abc', false],
    ['StringGreaterThan', 'MyStringABD', 'MyStringABC', true],
    ['StringGreaterThan', 'MyStringABC', 'MyStringABC', false],
    ['StringLessThanEquals', 'abc', 'abc', true],
    ['StringLessThanEquals', 'abd', 'abc', false],
    ['StringGreaterThanEquals', 'abc', 'abc', true],
    ['StringGreaterThanEquals', 'abb', 'abc', false],
    // Java compareTo order is by UTF-16 code unit: uppercase sorts before lowercase.
    ['StringLessThan', 'Z', 'a', true],
    ['NumericEquals', 1, 1, true],
    ['NumericEquals', 1.5, 1, false],
    ['NumericLessThan', 19, 20, true],
    ['NumericLessThan', 20, 20, false],
    ['NumericGreaterThan', 101, 100, true],
    ['NumericGreaterThan', 100, 100, false],
    ['NumericLessThanEquals', 20, 20, true],
    ['NumericLessThanEquals', 21, 20, false],
    ['NumericGreaterThanEquals', 20, 20, true],
    ['NumericGreaterThanEquals', 19.99, 20, false],
    ['BooleanEquals', true, true, true],
    ['BooleanEquals', false, true, false],
    ['TimestampEquals', '2001-01-01T12:00:00Z', '2001-01-01T12:00:00Z', true],
    ['TimestampEquals', '2001-01-01T07:00:00-05:00', '2001-01-01T12:00:00Z', true],
    ['TimestampEquals', '2001-01-01T12:00:00.001Z', '2001-01-01T12:00:00Z', false],
    ['TimestampLessThan', '2016-08-18T17:33:00Z', '2016-08-18T17:33:01Z', true],
    ['TimestampLessThan', '2016-08-18T17:33:00.000000001Z', '2016-08-18T17:33:00.000000002Z', true],
    ['TimestampLessThan', '2016-08-18T17:33:00Z', '2016-08-18T17:33:00Z', false],
    ['TimestampGreaterThan', '2016-08-19T00:00:00Z', '2016-08-18T23:59:59.999Z', true],
    ['TimestampGreaterThan', '2016-08-18T17:33:00Z', '2016-08-18T17:33:00Z', false],
    ['TimestampLessThanEquals', '2016-08-18T17:33:00Z', '2016-08-18T17:33:00Z', true],
    ['TimestampLessThanEquals', '2016-08-18T17:33:01Z', '2016-08-18T17:33:00Z', false],
    ['TimestampGreaterThanEquals', '2016-08-18T17:33:00Z', '2016-08-18T17:33:00Z', true],
    ['TimestampGreaterThanEquals', '2016-08-18T17:32:59Z', '2016-08-18T17:33:00Z', false],
  ] as const)('%s: %j against %j is %s', (operator, variable, operand, expected) => {
    expect(check({ Variable: '$.foo', [operator]: operand }, { foo: variable })).toBe(expected);
    // The ...Path variant compares with a value read from the input instead.
    expect(check({ Variable: '$.foo', [`${operator}Path`]: '$.bar' }, { foo: variable, bar: operand })).toBe(expected);
  });

  it('compares with a value from the input, as the documented StringEqualsPath example does', () => {
    expect(check({ Variable: '$.foo', StringEqualsPath: '$.bar' }, { foo: 'same', bar: 'same' })).toBe(true);
  });

  it('compares the context object through $$', () => {
    expect(check({ Variable: '$$.State.RetryCount', NumericGreaterThanEquals: 3 }, {})).toBe(true);
  });
});

describe('evaluateChoiceRule: type mismatches evaluate false', () => {
  // docs: "Step Functions doesn't attempt to match a numeric field to a string value."
  it.each([
    [{ NumericEquals: 1 }, '1'],
    [{ NumericLessThan: 5 }, null],
    [{ StringEquals: '1' }, 1],
    [{ StringGreaterThan: 'a' }, ['b']],
    [{ BooleanEquals: true }, 'true'],
    [{ TimestampEquals: '2001-01-01T12:00:00Z' }, 978350400],
    [{ TimestampLessThan: '2001-01-01T12:00:00Z' }, 'not-a-timestamp'],
    [{ StringMatches: '*' }, 5],
  ] as const)('%j on %j', (operator, value) => {
    expect(check({ Variable: '$.foo', ...operator }, { foo: value as Json })).toBe(false);
  });

  it('evaluates a ...Path comparison false when the other value has the wrong type', () => {
    expect(check({ Variable: '$.n', NumericEqualsPath: '$.s' }, { n: 1, s: '1' })).toBe(false);
    expect(
      check({ Variable: '$.t', TimestampEqualsPath: '$.bad' }, { t: '2001-01-01T12:00:00Z', bad: 'yesterday' }),
    ).toBe(false);
  });

  it('lets StringEquals compare a timestamp as a string', () => {
    // docs: "it's possible that a field considered to be a timestamp can be matched by a StringEquals comparator"
    expect(check({ Variable: '$.t', StringEquals: '2001-01-01T12:00:00Z' }, { t: '2001-01-01T12:00:00Z' })).toBe(true);
  });
});

describe('evaluateChoiceRule: timestamps', () => {
  // docs: timestamps conform to RFC3339 with an uppercase T and an uppercase Z (or a numeric offset)
  it.each([
    '2016-08-18t17:33:00Z',
    '2016-08-18T17:33:00z',
    '2016-08-18 17:33:00Z',
    '2016-08-18T17:33:00',
    '2016-02-30T00:00:00Z',
    '2016-08-18T24:00:00Z',
  ])('does not treat %s as a timestamp', (text) => {
    expect(check({ Variable: '$.t', IsTimestamp: true }, { t: text })).toBe(false);
  });

  it('accepts leap days, fractions and offsets', () => {
    for (const text of ['2024-02-29T00:00:00Z', '2016-08-18T17:33:00.123456789Z', '2016-08-18T17:33:00+05:30']) {
      expect(check({ Variable: '$.t', IsTimestamp: true }, { t: text })).toBe(true);
    }
  });

  it('rejects a rule whose timestamp operand is not a timestamp', () => {
    expect(
      statesErrorFrom(() => check({ Variable: '$.t', TimestampEquals: 'soon' }, { t: '2001-01-01T12:00:00Z' })).error,
    ).toBe('States.Runtime');
  });
});

describe('evaluateChoiceRule: type tests', () => {
  it.each([
    ['IsNull', null, true],
    ['IsNull', 0, false],
    ['IsPresent', null, true],
    ['IsNumeric', 1.5, true],
    ['IsNumeric', '1', false],
    ['IsString', '', true],
    ['IsString', 1, false],
    ['IsBoolean', false, true],
    ['IsBoolean', 'false', false],
    ['IsTimestamp', '2001-01-01T12:00:00Z', true],
    ['IsTimestamp', '2001-01-01', false],
  ] as const)('%s on %j is %s', (operator, value, expected) => {
    expect(check({ Variable: '$.v', [operator]: true }, { v: value })).toBe(expected);
    expect(check({ Variable: '$.v', [operator]: false }, { v: value })).toBe(!expected);
  });

  it('checks null with IsNull, as the documented example does', () => {
    expect(check({ Variable: '$.possiblyNullValue', IsNull: true }, { possiblyNullValue: null })).toBe(true);
  });

  it.each(['IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp', 'IsPresent'])(
    '%s sees a missing variable as absent instead of failing',
    (operator) => {
      expect(check({ Variable: '$.missing', [operator]: true }, {})).toBe(false);
      expect(check({ Variable: '$.missing', [operator]: false }, {})).toBe(true);
    },
  );
});

describe('evaluateChoiceRule: StringMatches', () => {
  it('matches a wildcard pattern, as the documented example does', () => {
    expect(check({ Variable: '$.foo', StringMatches: 'log-*.txt' }, { foo: 'log-2024-01-01.txt' })).toBe(true);
    expect(check({ Variable: '$.foo', StringMatches: 'log-*.txt' }, { foo: 'log-.txt' })).toBe(true);
    expect(check({ Variable: '$.foo', StringMatches: 'log-*.txt' }, { foo: 'log-1.txt.gz' })).toBe(false);
  });

  it('matches across several wildcards and gives no other character a special meaning', () => {
    // docs: "No characters other than "*" have any special meaning during matching."
    expect(check({ Variable: '$.f', StringMatches: '*a*c*' }, { f: 'xxaYYcZ' })).toBe(true);
    expect(check({ Variable: '$.f', StringMatches: 'a.c' }, { f: 'abc' })).toBe(false);
    expect(check({ Variable: '$.f', StringMatches: '(a)+[b]?' }, { f: '(a)+[b]?' })).toBe(true);
    expect(check({ Variable: '$.f', StringMatches: '*' }, { f: 'line1\nline2' })).toBe(true);
  });

  it('treats an escaped star as a literal star', () => {
    // docs: "The wildcard character is escaped by using the standard \\ (Ex: "\\*")"; the JSON text "\\*" is the pattern \*
    expect(check({ Variable: '$.f', StringMatches: 'a\\*b' }, { f: 'a*b' })).toBe(true);
    expect(check({ Variable: '$.f', StringMatches: 'a\\*b' }, { f: 'axxb' })).toBe(false);
    expect(check({ Variable: '$.f', StringMatches: '\\**' }, { f: '*anything' })).toBe(true);
  });

  it('treats an escaped backslash as a literal backslash', () => {
    expect(check({ Variable: '$.f', StringMatches: 'C:\\\\*' }, { f: 'C:\\temp' })).toBe(true);
  });
});

describe('evaluateChoiceRule: And, Or, Not', () => {
  // docs: the Choice state example: Not StringEquals "Private"; And NumericGreaterThanEquals 20, NumericLessThan 30
  const notPrivate = { Not: { Variable: '$.type', StringEquals: 'Private' } };
  const inTwenties: JsonObject = {
    And: [
      { Variable: '$.value', NumericGreaterThanEquals: 20 },
      { Variable: '$.value', NumericLessThan: 30 },
    ],
  };

  it('routes the documented input {"type":"Private","value":22} to the twenties rule', () => {
    const input = { type: 'Private', value: 22 };
    expect(check(notPrivate, input)).toBe(false);
    expect(check({ Variable: '$.value', NumericEquals: 0 }, input)).toBe(false);
    expect(check(inTwenties, input)).toBe(true);
  });

  it('evaluates And false when any rule is false', () => {
    expect(check(inTwenties, { value: 30 })).toBe(false);
  });

  it('evaluates Or true when any rule is true', () => {
    const rule: JsonObject = {
      Or: [
        { Variable: '$.a', IsNull: true },
        { Variable: '$.b', StringEquals: 'x' },
      ],
    };
    expect(check(rule, { a: 1, b: 'x' })).toBe(true);
    expect(check(rule, { a: 1, b: 'y' })).toBe(false);
  });

  it('nests Not inside Or inside And', () => {
    const rule: JsonObject = {
      And: [
        { Or: [{ Not: { Variable: '$.n', NumericLessThan: 0 } }, { Variable: '$.force', BooleanEquals: true }] },
        { Variable: '$.s', IsString: true },
      ],
    };
    expect(check(rule, { n: 1, force: false, s: 'x' })).toBe(true);
    expect(check(rule, { n: -1, force: false, s: 'x' })).toBe(false);
    expect(check(rule, { n: -1, force: true, s: 'x' })).toBe(true);
  });

  it('guards a comparison with IsPresent, as the documented example does', () => {
    const rule: JsonObject = {
      And: [
        { Variable: '$.keyThatMightNotExist', IsPresent: true },
        { Variable: '$.keyThatMightNotExist', StringEquals: 'foo' },
      ],
    };
    expect(check(rule, {})).toBe(false);
    expect(check(rule, { keyThatMightNotExist: 'foo' })).toBe(true);
  });

  it('ignores Next and Comment on a top-level rule', () => {
    expect(check({ Variable: '$.foo', NumericEquals: 1, Next: 'FirstMatchState', Comment: 'x' }, { foo: 1 })).toBe(
      true,
    );
  });
});

describe('evaluateChoiceRule: errors', () => {
  it('fails with States.Runtime when the Variable names nothing', () => {
    // docs (2023 Choice page): "If the state input doesn't contain the $.type field, the execution fails";
    // AWS cause: "Invalid path '$.type': The choice state's condition path references an invalid value."
    const error = statesErrorFrom(() => check({ Variable: '$.type', StringEquals: 'Buy' }, {}));
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toBe("Invalid path '$.type': The choice state's condition path references an invalid value.");
  });

  it('fails with States.Runtime when the ...Path operand names nothing', () => {
    const error = statesErrorFrom(() => check({ Variable: '$.left', NumericLessThanPath: '$.right' }, { left: 1 }));
    expect(error.cause).toBe("Invalid path '$.right': The choice state's condition path references an invalid value.");
  });

  it('fails for StringMatches on a missing variable', () => {
    expect(statesErrorFrom(() => check({ Variable: '$.f', StringMatches: '*' }, {})).error).toBe('States.Runtime');
  });

  it('rejects a rule without an operator or with a wrongly typed operand', () => {
    expect(statesErrorFrom(() => check({ Variable: '$.a' }, { a: 1 })).cause).toContain('no comparison operator');
    expect(statesErrorFrom(() => check({ Variable: '$.a', NumericEquals: '1' }, { a: 1 })).cause).toContain(
      'NumericEquals must be a number',
    );
    expect(statesErrorFrom(() => check({ Variable: '$.a', IsNull: 'yes' }, { a: 1 })).cause).toContain(
      'IsNull must be true or false',
    );
    expect(statesErrorFrom(() => check({ And: [] }, {})).cause).toContain('And must be a non-empty array');
    expect(statesErrorFrom(() => check({ NumericEquals: 1 }, {})).cause).toContain('Variable');
  });
});
