import { createHash, randomUUID } from 'node:crypto';
import type { Json, JsonObject } from '../types';
import { describeType, isJsonObject, jsonEquals, setOwn } from './json';

/** An argument a function cannot accept; the evaluator turns it into `States.IntrinsicFailure`. */
export class IntrinsicArgumentError extends Error {
  override readonly name = 'IntrinsicArgumentError';
}

export interface IntrinsicEnvironment {
  /** Uniform in [0, 1); injected so tests and replays are deterministic. */
  readonly random: (() => number) | undefined;
  /** For States.Format with a literal template: the template split at its unescaped `{}`. */
  readonly templatePieces: readonly string[] | undefined;
}

interface IntrinsicSpec {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** How the argument count reads in messages, e.g. "takes exactly 2 arguments". */
  readonly arity: string;
  readonly apply: (args: readonly Json[], env: IntrinsicEnvironment) => Json;
}

/** AWS: Base64Encode, Base64Decode and Hash take at most 10,000 characters (intrinsic-functions.html). */
const MAX_ENCODED_CHARACTERS = 10_000;
/** AWS: "The new array can contain up to 1000 elements" (intrinsic-functions.html, States.ArrayRange). */
const MAX_RANGE_ELEMENTS = 1000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const HASH_ALGORITHMS = new Map([
  ['MD5', 'md5'],
  ['SHA-1', 'sha1'],
  ['SHA-256', 'sha256'],
  ['SHA-384', 'sha384'],
  ['SHA-512', 'sha512'],
]);

function fail(message: string): never {
  throw new IntrinsicArgumentError(message);
}

function show(value: Json | undefined): string {
  return value === undefined ? 'nothing' : `${describeType(value)} (${JSON.stringify(value)?.slice(0, 100)})`;
}

function arrayArg(fn: string, position: string, value: Json | undefined): Json[] {
  if (!Array.isArray(value)) fail(`${fn} requires an array as its ${position} argument; received ${show(value)}`);
  return value;
}

function stringArg(fn: string, position: string, value: Json | undefined): string {
  if (typeof value !== 'string') fail(`${fn} requires a string as its ${position} argument; received ${show(value)}`);
  return value;
}

/** AWS rounds non-integer numbers to the nearest integer for the integer arguments it documents. */
function integerArg(fn: string, position: string, value: Json | undefined): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(`${fn} requires an integer as its ${position} argument; received ${show(value)}`);
  }
  return Math.round(value);
}

function limitLength(fn: string, text: string): string {
  if (text.length > MAX_ENCODED_CHARACTERS) {
    fail(`${fn} accepts at most ${MAX_ENCODED_CHARACTERS} characters; received ${text.length}`);
  }
  return text;
}

/** JSON text with object keys sorted, so equal values get equal keys in a Set. */
function canonicalJson(value: Json): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`).join(',')}}`;
}

/** A small seeded generator (mulberry32): the same seed gives the same numbers, as AWS promises for MathRandom. */
export function seededRandom(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * A States.Format value as Step Functions writes it: strings as they are, objects as
 * `{Arg1=1, Arg2=[]}` and arrays as `[a, b]` (members rendered the same way, strings unquoted),
 * other values as their JSON text.
 */
function formatValue(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .map((key) => `${key}=${formatValue(value[key] as Json)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function uuidFrom(random: () => number): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256) & 0xff;
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function spec(minArgs: number, maxArgs: number, apply: IntrinsicSpec['apply']): IntrinsicSpec {
  const arity =
    maxArgs === Number.POSITIVE_INFINITY
      ? `takes at least ${minArgs} argument${minArgs === 1 ? '' : 's'}`
      : minArgs === maxArgs
        ? `takes exactly ${minArgs} argument${minArgs === 1 ? '' : 's'}`
        : `takes ${minArgs} to ${maxArgs} arguments`;
  return { minArgs, maxArgs, arity, apply };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every intrinsic function of the JSONPath query language, by name. */
export const INTRINSIC_FUNCTIONS: ReadonlyMap<string, IntrinsicSpec> = new Map<string, IntrinsicSpec>([
  [
    'States.Format',
    spec(1, Number.POSITIVE_INFINITY, (args, env) => {
      const fn = 'States.Format';
      const pieces = env.templatePieces ?? stringArg(fn, 'first', args[0]).split('{}');
      const values = args.slice(1);
      if (pieces.length - 1 !== values.length) {
        fail(`${fn} has ${pieces.length - 1} '{}' placeholder(s) but received ${values.length} value(s) to insert`);
      }
      let text = pieces[0] as string;
      for (let i = 0; i < values.length; i++) text += formatValue(values[i] as Json) + (pieces[i + 1] as string);
      return text;
    }),
  ],
  [
    'States.StringToJson',
    spec(1, 1, (args) => {
      const text = stringArg('States.StringToJson', 'first', args[0]);
      // An empty or blank string parses to null, as on Step Functions.
      if (text.trim() === '') return null;
      try {
        return JSON.parse(text) as Json;
      } catch (error) {
        return fail(`States.StringToJson could not parse its argument as JSON: ${(error as Error).message}`);
      }
    }),
  ],
  ['States.JsonToString', spec(1, 1, (args) => JSON.stringify(args[0]))],
  ['States.Array', spec(0, Number.POSITIVE_INFINITY, (args) => args.slice())],
  [
    'States.ArrayPartition',
    spec(2, 2, (args) => {
      const fn = 'States.ArrayPartition';
      const array = arrayArg(fn, 'first', args[0]);
      const size = integerArg(fn, 'second', args[1]);
      if (size < 1) fail(`${fn} requires a positive chunk size; received ${JSON.stringify(args[1])}`);
      const chunks: Json[] = [];
      for (let i = 0; i < array.length; i += size) chunks.push(array.slice(i, i + size));
      return chunks;
    }),
  ],
  [
    'States.ArrayContains',
    spec(2, 2, (args) => {
      const array = arrayArg('States.ArrayContains', 'first', args[0]);
      const wanted = args[1] as Json;
      return array.some((item) => jsonEquals(item, wanted));
    }),
  ],
  [
    'States.ArrayRange',
    spec(3, 3, (args) => {
      const fn = 'States.ArrayRange';
      const start = integerArg(fn, 'first', args[0]);
      const end = integerArg(fn, 'second', args[1]);
      const step = integerArg(fn, 'third', args[2]);
      if (step === 0) fail(`${fn} requires a non-zero step as its third argument`);
      const count = (end - start) / step < 0 ? 0 : Math.floor((end - start) / step) + 1;
      if (count > MAX_RANGE_ELEMENTS) {
        fail(
          `${fn} can create at most ${MAX_RANGE_ELEMENTS} elements; (${start}, ${end}, ${step}) would create ${count}`,
        );
      }
      const range: number[] = new Array(count);
      for (let i = 0; i < count; i++) range[i] = start + i * step;
      return range;
    }),
  ],
  [
    'States.ArrayGetItem',
    spec(2, 2, (args) => {
      const fn = 'States.ArrayGetItem';
      const array = arrayArg(fn, 'first', args[0]);
      const index = args[1];
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
        fail(`${fn} requires a non-negative integer index as its second argument; received ${show(index)}`);
      }
      if (index >= array.length) fail(`${fn} index ${index} is out of bounds for an array of length ${array.length}`);
      return array[index] as Json;
    }),
  ],
  ['States.ArrayLength', spec(1, 1, (args) => arrayArg('States.ArrayLength', 'first', args[0]).length)],
  [
    'States.ArrayUnique',
    spec(1, 1, (args) => {
      const array = arrayArg('States.ArrayUnique', 'first', args[0]);
      const seen = new Set<string>();
      const unique: Json[] = [];
      for (const item of array) {
        const key = canonicalJson(item);
        if (!seen.has(key)) {
          seen.add(key);
          unique.push(item);
        }
      }
      return unique;
    }),
  ],
  [
    'States.Base64Encode',
    spec(1, 1, (args) => {
      const fn = 'States.Base64Encode';
      return Buffer.from(limitLength(fn, stringArg(fn, 'first', args[0])), 'utf8').toString('base64');
    }),
  ],
  [
    'States.Base64Decode',
    spec(1, 1, (args) => {
      const fn = 'States.Base64Decode';
      // MIME Base64 allows line breaks between groups.
      const encoded = limitLength(fn, stringArg(fn, 'first', args[0])).replace(/\r?\n/g, '');
      if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) fail(`${fn} received a string that is not valid Base64`);
      return Buffer.from(encoded, 'base64').toString('utf8');
    }),
  ],
  [
    'States.Hash',
    spec(2, 2, (args) => {
      const fn = 'States.Hash';
      const data = args[0] as Json;
      const text = limitLength(fn, typeof data === 'string' ? data : JSON.stringify(data));
      const algorithm = stringArg(fn, 'second', args[1]);
      const nodeName = HASH_ALGORITHMS.get(algorithm);
      if (nodeName === undefined) {
        fail(`${fn} supports the algorithms ${[...HASH_ALGORITHMS.keys()].join(', ')}; received '${algorithm}'`);
      }
      return createHash(nodeName).update(text, 'utf8').digest('hex');
    }),
  ],
  [
    'States.JsonMerge',
    spec(3, 3, (args) => {
      const fn = 'States.JsonMerge';
      const [first, second, deep] = args;
      if (!isJsonObject(first)) fail(`${fn} requires a JSON object as its first argument; received ${show(first)}`);
      if (!isJsonObject(second)) fail(`${fn} requires a JSON object as its second argument; received ${show(second)}`);
      if (typeof deep !== 'boolean')
        fail(`${fn} requires the boolean false as its third argument; received ${show(deep)}`);
      if (deep) fail(`${fn} supports only shallow merging: its third argument must be false`);
      const merged: JsonObject = { ...first };
      for (const key of Object.keys(second)) setOwn(merged, key, second[key] as Json);
      return merged;
    }),
  ],
  [
    'States.MathRandom',
    spec(2, 3, (args, env) => {
      const fn = 'States.MathRandom';
      const start = integerArg(fn, 'first', args[0]);
      const end = integerArg(fn, 'second', args[1]);
      if (end <= start) fail(`${fn} requires the end (${end}) to be greater than the start (${start})`);
      const draw = args.length === 3 ? seededRandom(integerArg(fn, 'third', args[2])) : (env.random ?? Math.random)();
      return start + Math.floor(draw * (end - start));
    }),
  ],
  [
    'States.MathAdd',
    spec(2, 2, (args) => {
      const fn = 'States.MathAdd';
      const a = integerArg(fn, 'first', args[0]);
      const b = integerArg(fn, 'second', args[1]);
      for (const [value, position] of [
        [a, 'first'],
        [b, 'second'],
      ] as const) {
        if (value < INT32_MIN || value > INT32_MAX) {
          fail(`${fn} requires integers between ${INT32_MIN} and ${INT32_MAX}; its ${position} argument is ${value}`);
        }
      }
      return a + b;
    }),
  ],
  [
    'States.StringSplit',
    spec(2, 2, (args) => {
      const fn = 'States.StringSplit';
      const text = stringArg(fn, 'first', args[0]);
      const delimiters = new Set(stringArg(fn, 'second', args[1]));
      const parts: string[] = [];
      let current = '';
      for (const char of text) {
        if (delimiters.has(char)) {
          if (current !== '') parts.push(current);
          current = '';
        } else {
          current += char;
        }
      }
      if (current !== '') parts.push(current);
      return parts;
    }),
  ],
  ['States.UUID', spec(0, 0, (_args, env) => (env.random === undefined ? randomUUID() : uuidFrom(env.random)))],
]);
