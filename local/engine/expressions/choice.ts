import { StatesError, StatesErrors } from '../errors';
import type { ContextObject, Json, JsonObject } from '../types';
import { describeType, getOwn, isJsonObject, jsonForMessage } from './json';
import { compilePath, lookup } from './paths';
import { compareInstants, type Instant, parseTimestamp } from './timestamps';

type Context = ContextObject | JsonObject;
type Test = (input: Json, context: Context) => boolean;

type ValueKind = 'String' | 'Numeric' | 'Boolean' | 'Timestamp';
const ORDERINGS = {
  Equals: (c: number) => c === 0,
  LessThan: (c: number) => c < 0,
  GreaterThan: (c: number) => c > 0,
  LessThanEquals: (c: number) => c <= 0,
  GreaterThanEquals: (c: number) => c >= 0,
} as const;

interface Comparison {
  readonly kind: ValueKind;
  readonly accept: (order: number) => boolean;
  readonly againstPath: boolean;
}

/** Every comparison operator: `StringEquals`, `NumericLessThanPath`, `TimestampGreaterThanEquals`, ... */
const COMPARISONS = new Map<string, Comparison>();
for (const kind of ['String', 'Numeric', 'Boolean', 'Timestamp'] as const) {
  for (const [name, accept] of Object.entries(ORDERINGS)) {
    if (kind === 'Boolean' && name !== 'Equals') continue;
    COMPARISONS.set(`${kind}${name}`, { kind, accept, againstPath: false });
    COMPARISONS.set(`${kind}${name}Path`, { kind, accept, againstPath: true });
  }
}

/** Type tests; on a missing Variable every one but IsPresent sees "not of that type". */
const TYPE_TESTS: Record<string, (value: Json | undefined) => boolean> = {
  IsPresent: (value) => value !== undefined,
  IsNull: (value) => value === null,
  IsNumeric: (value) => typeof value === 'number',
  IsString: (value) => typeof value === 'string',
  IsBoolean: (value) => typeof value === 'boolean',
  IsTimestamp: (value) => typeof value === 'string' && parseTimestamp(value) !== undefined,
};

const compiledRules = new WeakMap<object, Test>();

/**
 * Evaluates one Choice rule (JSONPath query language): a comparison of `Variable` with a
 * value or, for the `...Path` operators, with another path; `And` / `Or` / `Not` nest rules.
 * A value of the wrong type makes a comparison false. A `Variable` (or `...Path`) that names
 * nothing throws `States.Runtime` (`Invalid path '$.x': The choice state's condition path
 * references an invalid value.`), except for the type tests `IsPresent`, `IsNull`,
 * `IsNumeric`, `IsString`, `IsBoolean` and `IsTimestamp`, which see a missing value as absent.
 * Rules are compiled once and cached by object identity.
 *
 * @example evaluateChoiceRule({ Variable: '$.n', NumericGreaterThan: 3 }, { n: 5 }, context) // true
 */
export function evaluateChoiceRule(rule: JsonObject, input: Json, context: Context): boolean {
  return compileRule(rule)(input, context);
}

function compileRule(rule: Json): Test {
  if (!isJsonObject(rule)) throw invalidRule(`a Choice rule must be an object; received ${describeType(rule)}`);
  let test = compiledRules.get(rule);
  if (test === undefined) {
    test = buildRule(rule);
    compiledRules.set(rule, test);
  }
  return test;
}

function buildRule(rule: JsonObject): Test {
  const and = getOwn(rule, 'And');
  if (and !== undefined) {
    const tests = ruleList('And', and);
    return (input, context) => tests.every((test) => test(input, context));
  }
  const or = getOwn(rule, 'Or');
  if (or !== undefined) {
    const tests = ruleList('Or', or);
    return (input, context) => tests.some((test) => test(input, context));
  }
  const not = getOwn(rule, 'Not');
  if (not !== undefined) {
    const test = compileRule(not);
    return (input, context) => !test(input, context);
  }

  const variableText = getOwn(rule, 'Variable');
  if (typeof variableText !== 'string') {
    throw invalidRule(`a Choice rule needs And, Or, Not or a string Variable; received ${jsonForMessage(rule)}`);
  }
  const variable = compilePath(variableText);

  for (const [name, typeTest] of Object.entries(TYPE_TESTS)) {
    const expected = getOwn(rule, name);
    if (expected === undefined) continue;
    if (typeof expected !== 'boolean')
      throw invalidRule(`${name} must be true or false; received ${jsonForMessage(expected)}`);
    return (input, context) => typeTest(lookup(variable, input, context)) === expected;
  }

  const pattern = getOwn(rule, 'StringMatches');
  if (pattern !== undefined) {
    if (typeof pattern !== 'string')
      throw invalidRule(`StringMatches must be a string; received ${jsonForMessage(pattern)}`);
    const regex = wildcardPattern(pattern);
    return (input, context) => {
      const value = required(variable.text, lookup(variable, input, context));
      return typeof value === 'string' && regex.test(value);
    };
  }

  for (const key of Object.keys(rule)) {
    const comparison = COMPARISONS.get(key);
    if (comparison === undefined) continue;
    const operand = rule[key] as Json;
    if (comparison.againstPath) {
      if (typeof operand !== 'string')
        throw invalidRule(`${key} must be a path string; received ${jsonForMessage(operand)}`);
      const other = compilePath(operand);
      return (input, context) => {
        const left = required(variable.text, lookup(variable, input, context));
        const right = required(other.text, lookup(other, input, context));
        return compare(comparison, left, right);
      };
    }
    checkOperand(key, comparison.kind, operand);
    return (input, context) => compare(comparison, required(variable.text, lookup(variable, input, context)), operand);
  }
  throw invalidRule(`no comparison operator found in ${jsonForMessage(rule)}`);
}

function ruleList(operator: string, rules: Json): Test[] {
  if (!Array.isArray(rules) || rules.length === 0) {
    throw invalidRule(`${operator} must be a non-empty array of Choice rules; received ${jsonForMessage(rules)}`);
  }
  return rules.map(compileRule);
}

function checkOperand(operator: string, kind: ValueKind, operand: Json): void {
  const ok =
    kind === 'String'
      ? typeof operand === 'string'
      : kind === 'Numeric'
        ? typeof operand === 'number'
        : kind === 'Boolean'
          ? typeof operand === 'boolean'
          : typeof operand === 'string' && parseTimestamp(operand) !== undefined;
  if (!ok) {
    const wanted = {
      String: 'a string',
      Numeric: 'a number',
      Boolean: 'a boolean',
      Timestamp: 'an RFC 3339 timestamp',
    }[kind];
    throw invalidRule(`${operator} must be ${wanted}; received ${jsonForMessage(operand)}`);
  }
}

/** Compares two values of the operator's kind; any other type makes the rule false. */
function compare(comparison: Comparison, left: Json, right: Json): boolean {
  switch (comparison.kind) {
    case 'String':
      // UTF-16 code unit order, the order of Java's String.compareTo that AWS documents.
      return (
        typeof left === 'string' &&
        typeof right === 'string' &&
        comparison.accept(left < right ? -1 : left > right ? 1 : 0)
      );
    case 'Numeric':
      return (
        typeof left === 'number' &&
        typeof right === 'number' &&
        comparison.accept(left < right ? -1 : left > right ? 1 : 0)
      );
    case 'Boolean':
      return typeof left === 'boolean' && typeof right === 'boolean' && left === right;
    case 'Timestamp': {
      const a = typeof left === 'string' ? parseTimestamp(left) : undefined;
      const b = typeof right === 'string' ? parseTimestamp(right) : undefined;
      return (
        a !== undefined && b !== undefined && comparison.accept(Math.sign(compareInstants(a as Instant, b as Instant)))
      );
    }
  }
}

function required(path: string, value: Json | undefined): Json {
  if (value === undefined) {
    throw new StatesError(
      StatesErrors.Runtime,
      `Invalid path '${path}': The choice state's condition path references an invalid value.`,
    );
  }
  return value;
}

function invalidRule(reason: string): StatesError {
  return new StatesError(StatesErrors.Runtime, `Invalid Choice rule: ${reason}`);
}

const patternCache = new Map<string, RegExp>();

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardPattern(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (regex === undefined) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i] as string;
      const next = pattern[i + 1];
      if (c === '\\' && (next === '*' || next === '\\')) {
        source += `\\${next}`;
        i++;
      } else if (c === '*') {
        source += '[\\s\\S]*';
      } else {
        source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      }
    }
    regex = new RegExp(`^${source}$`, 'u');
    if (patternCache.size >= 10_000) patternCache.clear();
    patternCache.set(pattern, regex);
  }
  return regex;
}
