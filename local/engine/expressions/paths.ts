import { JSONPath } from 'jsonpath-plus';
import { StatesError, StatesErrors } from '../errors';
import type { ContextObject, Json, JsonObject } from '../types';
import { getOwn, isJsonObject, jsonForMessage, setOwn } from './json';
import { pathVariable, readVariable } from './variables';

/** One step of a reference path: an object key or an array index (negative counts from the end). */
type Segment = string | number;

/**
 * Where a path starts: the state input (`$`), the context object (`$$`) or a workflow variable
 * (`$name`, docs: workflow-variables.html).
 */
type Root = '$' | '$$' | 'variable';

/** A path naming at most one node: `$`, `$.a.b[0]`, `$['x y']`, `$$.Execution.Id`, `$x.a`. Read without jsonpath-plus. */
interface ReferencePath {
  readonly kind: 'reference';
  readonly text: string;
  readonly root: Root;
  /** The variable a `variable` path reads. */
  readonly variable?: string | undefined;
  readonly segments: readonly Segment[];
}

/** A path with wildcards, filters, slices, unions or recursive descent; it yields an array of matches. */
interface QueryPath {
  readonly kind: 'query';
  readonly text: string;
  readonly root: Root;
  readonly variable?: string | undefined;
  /** The path rooted at `$`, as jsonpath-plus expects it (for `$$` paths, applied to the context object). */
  readonly query: string;
}

export type CompiledPath = ReferencePath | QueryPath;

/** Path strings come from state machine definitions, so this cache stays small; the cap guards against misuse. */
const MAX_CACHED_PATHS = 10_000;
const pathCache = new Map<string, CompiledPath>();

/** Parses a path once and caches it by its text. Throws `States.Runtime` when the text is not a path. */
export function compilePath(path: string): CompiledPath {
  let compiled = pathCache.get(path);
  if (compiled === undefined) {
    compiled = parsePath(path);
    if (pathCache.size >= MAX_CACHED_PATHS) pathCache.clear();
    pathCache.set(path, compiled);
  }
  return compiled;
}

function parsePath(path: string): CompiledPath {
  if (typeof path !== 'string' || !path.startsWith('$')) {
    throw new StatesError(StatesErrors.Runtime, `Invalid path '${String(path)}': a path must start with '$'`);
  }
  const variable = pathVariable(path);
  if (variable !== undefined) {
    const start = variable.length + 1;
    const segments = parseReferenceSegments(path, start);
    if (segments !== undefined) return { kind: 'reference', text: path, root: 'variable', variable, segments };
    return { kind: 'query', text: path, root: 'variable', variable, query: `$${path.slice(start)}` };
  }
  const root = path.startsWith('$$') ? '$$' : '$';
  const segments = parseReferenceSegments(path, root.length);
  if (segments !== undefined) return { kind: 'reference', text: path, root, segments };
  return { kind: 'query', text: path, root, query: `$${path.slice(root.length)}` };
}

/**
 * Segments of a reference path, or `undefined` when the path needs a JSONPath engine
 * (wildcard, filter, slice, union, recursive descent, function) or is not one we can read.
 */
function parseReferenceSegments(path: string, start: number): Segment[] | undefined {
  const segments: Segment[] = [];
  let i = start;
  const n = path.length;
  while (i < n) {
    const c = path[i];
    if (c === '.') {
      const next = path[i + 1];
      if (next === '.' || next === undefined) return undefined;
      // AWS documents `$.abc.['def ghi']`: a dot directly followed by a bracket.
      if (next === '[') {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && path[j] !== '.' && path[j] !== '[') j++;
      const name = path.slice(i + 1, j);
      if (/[*()?@,'"\]\s]/.test(name)) return undefined;
      segments.push(name);
      i = j;
    } else if (c === '[') {
      const quote = path[i + 1];
      if (quote === "'" || quote === '"') {
        let j = i + 2;
        let name = '';
        // A backslash is an ordinary character here, as Step Functions reads it: `$['a\"b']` names `a\"b`.
        while (j < n && path[j] !== quote) {
          name += path[j];
          j++;
        }
        if (j >= n || path[j + 1] !== ']') return undefined;
        segments.push(name);
        i = j + 2;
      } else {
        const close = path.indexOf(']', i);
        if (close < 0) return undefined;
        const inner = path.slice(i + 1, close).trim();
        if (!/^-?\d+$/.test(inner)) return undefined;
        segments.push(Number(inner));
        i = close + 1;
      }
    } else {
      return undefined;
    }
  }
  return segments;
}

/** Follows reference segments; `undefined` when a step does not exist. */
function followSegments(value: Json | undefined, segments: readonly Segment[]): Json | undefined {
  let node = value;
  for (const segment of segments) {
    if (typeof segment === 'string') {
      if (!isJsonObject(node)) return undefined;
      node = getOwn(node, segment);
    } else {
      if (!Array.isArray(node)) return undefined;
      const index = segment < 0 ? node.length + segment : segment;
      if (index < 0 || index >= node.length) return undefined;
      node = node[index];
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Reads a compiled path. A reference path yields its node or `undefined` when it does not
 * exist; a query path always yields an array of matches (possibly empty), as Step Functions does.
 */
export function lookup(
  compiled: CompiledPath,
  input: Json,
  context: ContextObject | JsonObject | undefined,
): Json | undefined {
  const document =
    compiled.root === '$$'
      ? (context as unknown as Json | undefined)
      : compiled.root === 'variable'
        ? readVariable(context, compiled.variable!)
        : input;
  if (compiled.kind === 'reference') return followSegments(document, compiled.segments);
  if (document === undefined) return [];
  try {
    return JSONPath({ path: compiled.query, json: document, wrap: true, eval: 'safe' }) as Json[];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StatesError(StatesErrors.Runtime, `Invalid path '${compiled.text}': ${reason}`);
  }
}

/** The path as Step Functions prints it in "No results for path" causes: `$['a']['b'][0]`. */
function normalizedPath(compiled: CompiledPath): string {
  if (compiled.kind === 'query') return compiled.text;
  let text = compiled.root === 'variable' ? `$${compiled.variable}` : compiled.root;
  for (const segment of compiled.segments) text += typeof segment === 'number' ? `[${segment}]` : `['${segment}']`;
  return text;
}

function noResults(compiled: CompiledPath): StatesError {
  return new StatesError(
    StatesErrors.Runtime,
    `Invalid path '${compiled.text}' : No results for path: ${normalizedPath(compiled)}`,
  );
}

/**
 * Reads `path` from the state input (`$...`) or the context object (`$$...`).
 * Paths with wildcards, filters or slices return an array of matches, as AWS does.
 * A reference path that names nothing throws `States.Runtime`:
 * `Invalid path '$.a' : No results for path: $['a']`.
 *
 * @example readPath('$.jobs[0].name', input, context)
 */
export function readPath(path: string, input: Json, context: ContextObject | JsonObject): Json {
  const compiled = compilePath(path);
  const value = lookup(compiled, input, context);
  if (value === undefined) throw noResults(compiled);
  return value;
}

/**
 * Applies `InputPath`: absent keeps the input, `null` gives `{}`, a path selects part of the input.
 *
 * @example applyInputPath({ a: { b: 1 } }, '$.a', context) // { b: 1 }
 */
export function applyInputPath(
  input: Json,
  inputPath: string | null | undefined,
  context: ContextObject | JsonObject,
): Json {
  if (inputPath === undefined || inputPath === '$') return input;
  if (inputPath === null) return {};
  return readPath(inputPath, input, context);
}

/**
 * Applies `OutputPath` to the state output: absent keeps it, `null` gives `{}`, a path selects part of it.
 *
 * @example applyOutputPath({ a: 1, b: 2 }, '$.b', context) // 2
 */
export function applyOutputPath(
  output: Json,
  outputPath: string | null | undefined,
  context: ContextObject | JsonObject,
): Json {
  return applyInputPath(output, outputPath, context);
}

/**
 * Applies `ResultPath`: absent (or `$`) gives the result, `null` keeps the input, and a
 * reference path places the result inside a copy of the input, creating missing objects
 * on the way. The input is never modified: only the objects along the path are copied.
 * Throws `States.ResultPathMatchFailure` when the path cannot be applied to the input.
 *
 * @example applyResultPath({ a: 1 }, 'done', '$.status.value') // { a: 1, status: { value: 'done' } }
 */
export function applyResultPath(input: Json, result: Json, resultPath: string | null | undefined): Json {
  if (resultPath === undefined || resultPath === '$') return result;
  if (resultPath === null) return input;
  let compiled: CompiledPath;
  try {
    compiled = compilePath(resultPath);
  } catch {
    throw new StatesError(
      StatesErrors.ResultPathMatchFailure,
      `Invalid ResultPath '${String(resultPath)}': a ResultPath must start with '$'`,
    );
  }
  if (compiled.kind !== 'reference' || compiled.root !== '$') {
    throw new StatesError(
      StatesErrors.ResultPathMatchFailure,
      `Invalid ResultPath '${resultPath}': a ResultPath must be a reference path into the state input (one node, no wildcards, filters or '$$')`,
    );
  }
  return placeAt(input, compiled.segments, 0, result);
}

function placeAt(node: Json | undefined, segments: readonly Segment[], depth: number, result: Json): Json {
  if (depth === segments.length) return result;
  const segment = segments[depth] as Segment;
  if (typeof segment === 'string') {
    if (node === undefined) {
      const created: JsonObject = {};
      setOwn(created, segment, placeAt(undefined, segments, depth + 1, result));
      return created;
    }
    if (!isJsonObject(node)) throw cannotApply(segment, node);
    // Spread defines own properties, so even a `__proto__` key is copied as data.
    const copy: JsonObject = { ...node };
    setOwn(copy, segment, placeAt(getOwn(node, segment), segments, depth + 1, result));
    return copy;
  }
  if (!Array.isArray(node)) throw cannotApply(segment, node ?? null);
  const index = segment < 0 ? node.length + segment : segment;
  if (index < 0 || index >= node.length) throw cannotApply(segment, node);
  const copy = node.slice();
  copy[index] = placeAt(node[index], segments, depth + 1, result);
  return copy;
}

function cannotApply(segment: Segment, node: Json): StatesError {
  const step = typeof segment === 'number' ? `[${segment}]` : segment;
  return new StatesError(
    StatesErrors.ResultPathMatchFailure,
    `Unable to apply step "${step}" to input ${jsonForMessage(node)}`,
  );
}
