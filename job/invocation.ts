/**
 * How the job container turns an item's kwargs into the command it runs. Pure, so the local
 * Batch executor calls the very same code before it spawns a job.
 *
 * - kwargs come from `FANOUT_KWARGS` (a JSON object); absent or empty means no kwargs.
 * - Every command argument may hold `{name}` placeholders, replaced by the kwarg's value
 *   (strings as-is, any other JSON value as JSON text). `{{` and `}}` stand for literal
 *   braces. `${...}` is left to the shell, and braces that do not enclose a placeholder name
 *   (`{print $1}`, `{}`) are kept as written. A placeholder naming no kwarg is an error.
 * - Every kwarg whose name is a valid environment variable name (`[A-Za-z_][A-Za-z0-9_]*`)
 *   is also exported under that exact name, with the same value text. Other names are only
 *   reachable through placeholders and `FANOUT_KWARGS`.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What the container was asked to run. */
export interface Invocation {
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string | undefined>>;
}

/** What to spawn: the command with placeholders substituted, and the full environment. */
export interface ResolvedInvocation {
  command: string[];
  environment: Record<string, string>;
}

/** The kwargs or the command cannot be resolved; the message names the variable or argument. */
export class InvocationError extends Error {
  override readonly name = 'InvocationError';
}

export const KWARGS_VARIABLE = 'FANOUT_KWARGS';
/** The run's declared environment (the input's `environment`) as a JSON object; expanded, then removed. */
export const ENVIRONMENT_VARIABLE = 'FANOUT_ENVIRONMENT';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const RESERVED_PREFIXES = ['AWS_BATCH', 'FANOUT_'];

/**
 * Parses `FANOUT_KWARGS`: a JSON object, or nothing.
 * @throws InvocationError when it is not JSON or not an object.
 */
export function parseKwargs(text: string | undefined): Record<string, JsonValue> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvocationError(
      `${KWARGS_VARIABLE} is not valid JSON (${(error as Error).message}): ${text.slice(0, 80)}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvocationError(`${KWARGS_VARIABLE} must be a JSON object of kwargs, received ${text.slice(0, 80)}`);
  }
  return value as Record<string, JsonValue>;
}

/**
 * Parses `FANOUT_ENVIRONMENT`: a JSON object of string values, or nothing.
 * @throws InvocationError when it is not such an object.
 */
export function parseDeclaredEnvironment(text: string | undefined): Record<string, string> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvocationError(`${ENVIRONMENT_VARIABLE} is not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvocationError(
      `${ENVIRONMENT_VARIABLE} must be a JSON object of variables, received ${text.slice(0, 80)}`,
    );
  }
  for (const [name, variable] of Object.entries(value)) {
    if (typeof variable !== 'string' || !ENV_NAME.test(name)) {
      throw new InvocationError(
        `${ENVIRONMENT_VARIABLE} variable ${JSON.stringify(name)} must have a valid name and a string value`,
      );
    }
  }
  return value as Record<string, string>;
}

/** The text a kwarg value takes in a command argument or an environment variable. */
export function kwargText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

type ArgumentPart = { text: string } | { placeholder: string };

/** Splits one command argument into literal text and `{name}` placeholders (`{{`/`}}` escape braces). */
function argumentParts(argument: string): ArgumentPart[] {
  const parts: ArgumentPart[] = [];
  let text = '';
  let index = 0;
  while (index < argument.length) {
    const char = argument[index] as string;
    const next = argument[index + 1];
    if ((char === '{' && next === '{') || (char === '}' && next === '}')) {
      text += char;
      index += 2;
      continue;
    }
    if (char === '{' && argument[index - 1] !== '$') {
      const close = argument.indexOf('}', index + 1);
      const name = close === -1 ? '' : argument.slice(index + 1, close);
      if (PLACEHOLDER_NAME.test(name)) {
        parts.push({ text }, { placeholder: name });
        text = '';
        index = close + 1;
        continue;
      }
    }
    text += char;
    index += 1;
  }
  parts.push({ text });
  return parts;
}

/**
 * The kwarg names an argument's placeholders refer to, in order.
 * @example placeholderNames('s3://bucket/{name}/{seed}.json') // ['name', 'seed']
 */
export function placeholderNames(argument: string): string[] {
  return argumentParts(argument).flatMap((part) => ('placeholder' in part ? [part.placeholder] : []));
}

/**
 * Substitutes `{name}` placeholders in one argument.
 * @throws InvocationError naming the placeholder and the argument when no kwarg has that name.
 * @example substitutePlaceholders('--seed={seed}', { seed: 7 }, 1) // '--seed=7'
 */
export function substitutePlaceholders(
  argument: string,
  kwargs: Readonly<Record<string, JsonValue>>,
  position: number,
): string {
  let out = '';
  for (const part of argumentParts(argument)) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const name = part.placeholder;
    if (!Object.hasOwn(kwargs, name)) {
      const known = Object.keys(kwargs);
      throw new InvocationError(
        `command argument ${position} ("${argument.slice(0, 80)}") uses placeholder {${name}}, but no kwarg is named "${name}" (kwargs: ${known.length > 0 ? known.join(', ') : 'none'}); write {{${name}}} for literal braces`,
      );
    }
    out += kwargText(kwargs[name] as JsonValue);
  }
  return out;
}

/**
 * The environment variables a set of kwargs exports.
 * @throws InvocationError for a name Batch or fanout reserve (`AWS_BATCH*`, `FANOUT_*`).
 */
export function kwargEnvironment(kwargs: Readonly<Record<string, JsonValue>>): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(kwargs)) {
    const upper = name.toUpperCase();
    const reserved = RESERVED_PREFIXES.find((prefix) => upper.startsWith(prefix));
    if (reserved !== undefined) {
      throw new InvocationError(`kwarg "${name}" cannot be exported: names starting with ${reserved} are reserved`);
    }
    if (ENV_NAME.test(name)) environment[name] = kwargText(value);
  }
  return environment;
}

/**
 * Resolves what to spawn from the container's command and environment.
 * @throws InvocationError for an empty command, unreadable kwargs, or an unknown placeholder.
 * @example resolveInvocation({ command: ['echo', '{name}'], environment: { FANOUT_KWARGS: '{"name":"ada"}' } })
 *   // { command: ['echo', 'ada'], environment: { FANOUT_KWARGS: '...', name: 'ada' } }
 */
export function resolveInvocation(invocation: Invocation): ResolvedInvocation {
  if (invocation.command.length === 0) {
    throw new InvocationError(
      'no command to run: give one in the execution input, the job definition, or as arguments of the entrypoint',
    );
  }
  const kwargs = parseKwargs(invocation.environment[KWARGS_VARIABLE]);
  const command = invocation.command.map((argument, position) => substitutePlaceholders(argument, kwargs, position));
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(invocation.environment)) {
    if (value !== undefined && name !== ENVIRONMENT_VARIABLE) environment[name] = value;
  }
  // The run's declared variables are the user's explicit choice: they win over the image's and
  // the job definition's (docs/job-contract.md).
  Object.assign(environment, parseDeclaredEnvironment(invocation.environment[ENVIRONMENT_VARIABLE]));
  // The job's own environment (job definition, overrides, Batch's variables) wins over a kwarg
  // of the same name: an item must not be able to replace PATH or the job's credentials. The
  // value still reaches the command through FANOUT_KWARGS and the `{name}` placeholders.
  for (const [name, value] of Object.entries(kwargEnvironment(kwargs))) {
    if (!(name in environment)) environment[name] = value;
  }
  return { command, environment };
}
