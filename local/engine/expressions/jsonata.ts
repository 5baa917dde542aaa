/**
 * The JSONata query language of Step Functions (docs: step-functions/latest/dg/transforming-data.html):
 * a string value `"{% <expression> %}"` is a JSONata expression, anywhere in a field's objects and
 * arrays; every other string is a literal. Expressions read `$states` (input, result, errorOutput,
 * context), the workflow variables and the functions Step Functions adds. Evaluation uses the
 * `jsonata` reference implementation; expressions are parsed once and cached by their text.
 */

import { createRequire } from 'node:module';
import type jsonata from 'jsonata';
import { StatesError, StatesErrors } from '../errors';
import type { Json, JsonObject } from '../types';
import { jsonForMessage, setOwn } from './json';
import { type JsonataEnvironment, stepFunctionsFunctions } from './jsonata-functions';

/** What an expression sees besides its functions: `$states` and the variables in scope. */
export interface JsonataScope {
  states: JsonObject;
  variables: Readonly<Record<string, Json>>;
  env: JsonataEnvironment;
}

/** True for a string Step Functions evaluates as JSONata: it starts with `{%` and ends with `%}`. */
export function isJsonataExpression(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 4 && value.startsWith('{%') && value.endsWith('%}');
}

const MAX_CACHED = 10_000;
const compiled = new Map<string, jsonata.Expression>();

/**
 * The jsonata library, loaded by the first expression: most definitions are JSONPath only, and
 * the library is a large part of the engine's start-up.
 */
let parseJsonata: typeof jsonata | undefined;

function compile(body: string): jsonata.Expression {
  let expression = compiled.get(body);
  if (expression === undefined) {
    parseJsonata ??= createRequire(import.meta.url)('jsonata') as typeof jsonata;
    expression = parseJsonata(body);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(body, expression);
  }
  return expression;
}

const bodyOf = (text: string): string => text.slice(2, -2);

/** An expression as Step Functions quotes it in a cause: without `{% %}` and the spaces inside them. */
const quoted = (text: string): string => bodyOf(text).trim();

/**
 * Why a string that is not an expression cannot be used: it opens with `{%` or closes with `%}`
 * (spaces aside) without being a whole expression, e.g. `" {% $x %}"` or `"{% $x"`. Step Functions
 * refuses an improperly opened or closed expression (docs: transforming-data.html, "Writing
 * JSONata expressions in JSON strings").
 */
export function jsonataDelimiterProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if ((!trimmed.startsWith('{%') && !trimmed.endsWith('%}')) || isJsonataExpression(value)) return undefined;
  return `the string ${JSON.stringify(value)} is not a JSONata expression: an expression must start with '{%' and end with '%}', with no spaces before or after them`;
}

/** The message of something jsonata threw: its code and message when it is a JSONata error. */
function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return `${code}: ${String(message)}`;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

/**
 * Why an expression cannot be used, or undefined when it parses: a syntax error, or a call of
 * `$eval`, which Step Functions does not provide.
 */
export function jsonataProblem(text: string): string | undefined {
  let ast: jsonata.ExprNode;
  try {
    ast = compile(bodyOf(text)).ast();
  } catch (error) {
    return `the JSONata expression '${text}' is not valid: ${describe(error)}`;
  }
  if (freeVariables(ast).calls.has('eval')) {
    return `the JSONata expression '${text}' calls $eval, which Step Functions does not provide (use $parse)`;
  }
  return undefined;
}

/**
 * The variables an expression reads that it does not bind itself (`:=`, lambda parameters, `@$x`,
 * `#$i`), `$states` and the functions excepted: the workflow variables it needs.
 */
export function jsonataVariables(text: string): string[] {
  const { reads, bound } = freeVariables(compile(bodyOf(text)).ast());
  return [...reads].filter((name) => !bound.has(name) && name !== 'states' && !JSONATA_FUNCTIONS.has(name));
}

/** The names of JSONata 2.0's functions and of those Step Functions adds, without the `$`. */
const JSONATA_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    'sum count max min average string substring substringBefore substringAfter lowercase uppercase length trim pad ' +
    'match contains replace split join formatNumber formatBase formatInteger parseInteger number floor ceil round ' +
    'abs sqrt power random boolean not map zip filter single reduce sift keys lookup append exists spread merge ' +
    'reverse each error assert type sort shuffle distinct base64encode base64decode encodeUrlComponent encodeUrl ' +
    'decodeUrlComponent decodeUrl eval toMillis fromMillis clone now millis ' +
    'partition range hash uuid parse'
  ).split(' '),
);

/**
 * The members of `$states` an expression reads by name (`$states.result.x` reads `result`), so the
 * definition check can refuse `result` and `errorOutput` where Step Functions does not provide them.
 */
export function jsonataStatesMembers(text: string): string[] {
  const members = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const steps = record.steps;
    if (record.type === 'path' && Array.isArray(steps) && isVariableNode(steps[0]) && steps[0].value === 'states') {
      const member = steps[1] as { type?: unknown; value?: unknown } | undefined;
      if (member?.type === 'name' && typeof member.value === 'string') members.add(member.value);
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(compile(bodyOf(text)).ast());
  return [...members];
}

interface VariableUse {
  reads: Set<string>;
  bound: Set<string>;
  calls: Set<string>;
}

function freeVariables(ast: jsonata.ExprNode): VariableUse {
  const use: VariableUse = { reads: new Set(), bound: new Set(), calls: new Set() };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown> & jsonata.ExprNode;
    if (record.type === 'variable' && typeof record.value === 'string' && record.value !== '' && record.value !== '$') {
      use.reads.add(record.value);
    }
    if ((record.type as string) === 'bind' && isVariableNode(record.lhs)) use.bound.add(record.lhs.value);
    if (record.type === 'lambda') {
      for (const argument of record.arguments ?? []) if (isVariableNode(argument)) use.bound.add(argument.value);
    }
    if (record.type === 'function' && isVariableNode(record.procedure)) use.calls.add(record.procedure.value);
    for (const key of ['focus', 'index'] as const) if (typeof record[key] === 'string') use.bound.add(record[key]);
    for (const value of Object.values(record)) visit(value);
  };
  visit(ast);
  return use;
}

const isVariableNode = (node: unknown): node is { type: 'variable'; value: string } =>
  typeof node === 'object' && node !== null && (node as jsonata.ExprNode).type === 'variable';

/**
 * A JSONata evaluation failure: `States.QueryEvaluationError` with the field it happened in, which
 * the execution history reports as the `location` of an `EvaluationFailed` event (docs:
 * apireference/API_EvaluationFailedEventDetails.html).
 */
export class JsonataEvaluationError extends StatesError {
  constructor(
    /** The field as a path joined by `/`, e.g. `Output/a`; none when the state input is at fault. */
    readonly location: string | undefined,
    cause: string,
  ) {
    super(StatesErrors.QueryEvaluationError, cause);
  }
}

/**
 * The start of every evaluation failure's cause, as Step Functions writes it: the expression
 * without its delimiters and the field as a path of keys and indexes joined by `/`, e.g.
 * `The JSONata expression '$x' specified for the field 'Arguments/FunctionName'`.
 */
export function expressionInField(text: string, field: string): string {
  return `The JSONata expression '${quoted(text)}' specified for the field '${field}'`;
}

/** A JSONata result as JSON: undefined and functions are errors, sequences become plain arrays. */
function toJson(value: unknown, text: string, field: string): Json {
  if (value === undefined)
    throw new JsonataEvaluationError(field, `${expressionInField(text, field)} returned nothing (undefined).`);
  const json = JSON.stringify(value, (_key, member: unknown) => {
    if (typeof member === 'function') {
      throw new JsonataEvaluationError(field, `${expressionInField(text, field)} returned an unsupported result type.`);
    }
    return member;
  });
  return JSON.parse(json) as Json;
}

/** The Step Functions functions of an environment, made once per environment (an execution's), not per evaluation. */
const functionsByEnvironment = new WeakMap<JsonataEnvironment, ReturnType<typeof stepFunctionsFunctions>>();
function functionsOf(env: JsonataEnvironment): ReturnType<typeof stepFunctionsFunctions> {
  let functions = functionsByEnvironment.get(env);
  if (!functions) {
    functions = stepFunctionsFunctions(env);
    functionsByEnvironment.set(env, functions);
  }
  return functions;
}

/**
 * Evaluates one `{% %}` expression; every failure is `States.QueryEvaluationError` naming the
 * expression and the field.
 * @example await evaluateJsonata('{% $states.input.n + 1 %}', 'Output', scope) // 8 when n is 7
 */
export async function evaluateJsonata(text: string, field: string, scope: JsonataScope): Promise<Json> {
  const bindings: Record<string, unknown> = {
    ...scope.variables,
    ...functionsOf(scope.env),
    states: scope.states,
  };
  let value: unknown;
  try {
    // Step Functions gives expressions no context value: state data is read through $states.
    value = await compile(bodyOf(text)).evaluate(undefined, bindings);
  } catch (error) {
    const reason = error instanceof StatesError ? error.cause : describe(error);
    throw new JsonataEvaluationError(
      field,
      `${expressionInField(text, field)} threw an error during evaluation. ${reason}`,
    );
  }
  return toJson(value, text, field);
}

/**
 * Evaluates a field whose value may hold expressions at any depth (Arguments, Output, Assign,
 * ItemSelector): each `{% %}` string is replaced by its value, everything else is kept.
 * @example await renderJsonata({ id: '{% $states.input.id %}', queue: 'high' }, 'Arguments', scope)
 */
export async function renderJsonata(template: Json, field: string, scope: JsonataScope): Promise<Json> {
  if (isJsonataExpression(template)) return evaluateJsonata(template, field, scope);
  if (Array.isArray(template)) {
    const out: Json[] = [];
    for (let i = 0; i < template.length; i++)
      out.push(await renderJsonata(template[i] as Json, `${field}/${i}`, scope));
    return out;
  }
  if (typeof template === 'object' && template !== null) {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(template)) {
      setOwn(out, key, await renderJsonata(value, `${field}/${key}`, scope));
    }
    return out;
  }
  return template;
}

/** The JSON type of a value as Step Functions names it in causes: `array`, `object`, `null`, `string`, ... */
function jsonType(value: Json): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/**
 * Reads a field that must evaluate to a value of one JSON type (e.g. Condition: boolean, Items:
 * array); otherwise the cause names the expected type, the received one and the value.
 */
export function expectKind<T extends Json>(
  value: Json,
  test: (value: Json) => value is T,
  text: string,
  field: string,
  kind: string,
): T {
  if (!test(value)) {
    throw new JsonataEvaluationError(
      field,
      `${expressionInField(text, field)} returned an unexpected result type. Expected '${kind}', but was '${jsonType(value)}' for value: ${jsonForMessage(value)}`,
    );
  }
  return value;
}
