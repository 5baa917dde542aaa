import { StatesError, StatesErrors } from '../errors';
import type { ContextObject, Json, JsonObject } from '../types';
import { isIntrinsic, parseIntrinsic } from './intrinsic-parser';
import { evaluateIntrinsic } from './intrinsics';
import { describeType, jsonForMessage, setOwn } from './json';
import { compilePath, lookup } from './paths';

type Context = ContextObject | JsonObject;
type Render = (input: Json, context: Context, field: string, random: (() => number) | undefined) => Json;

/**
 * Templates are parts of a state machine definition: the same object is rendered for
 * every Map child, so it is compiled once into closures and cached by identity.
 */
const compiledTemplates = new WeakMap<object, Render>();

/**
 * Renders a payload template (`Parameters`, `ItemSelector`, `ResultSelector`, `Arguments`):
 * a key ending in `.$` takes the value of its path (`$...` from the input, `$$...` from the
 * context object) or of its intrinsic function call, and loses the `.$` suffix; every other
 * value is copied, nested objects and arrays rendered the same way. The template and the input
 * are never modified; the result is a fresh object tree that may share nested values with
 * the input, so treat it as immutable.
 *
 * A path that names nothing throws `States.Runtime` with AWS's cause
 * `The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '...'`.
 *
 * @example renderPayloadTemplate({ 'id.$': '$.id', queue: 'high' }, { id: 7 }, context, 'Parameters')
 *   // { id: 7, queue: 'high' }
 */
export function renderPayloadTemplate(
  template: Json,
  input: Json,
  context: Context,
  field: 'Parameters' | 'ItemSelector' | 'ResultSelector' | 'Arguments' | string,
  random?: () => number,
): Json {
  if (typeof template !== 'object' || template === null) return template;
  let render = compiledTemplates.get(template);
  if (render === undefined) {
    render = compileNode(template, field);
    compiledTemplates.set(template, render);
  }
  return render(input, context, field, random);
}

function compileNode(node: Json, field: string): Render {
  if (typeof node !== 'object' || node === null) return () => node;
  if (Array.isArray(node)) {
    const items = node.map((item) => compileNode(item, field));
    return (input, context, fieldName, random) => {
      const out: Json[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) out[i] = (items[i] as Render)(input, context, fieldName, random);
      return out;
    };
  }
  const keys: string[] = [];
  const renders: Render[] = [];
  for (const key of Object.keys(node)) {
    const value = node[key] as Json;
    if (key.length > 2 && key.endsWith('.$')) {
      keys.push(key.slice(0, -2));
      renders.push(compileDynamic(key, value, field));
    } else {
      keys.push(key);
      renders.push(compileNode(value, field));
    }
  }
  return (input, context, fieldName, random) => {
    const out: JsonObject = {};
    for (let i = 0; i < keys.length; i++) {
      setOwn(out, keys[i] as string, (renders[i] as Render)(input, context, fieldName, random));
    }
    return out;
  };
}

function compileDynamic(key: string, expression: Json, field: string): Render {
  if (typeof expression !== 'string') {
    throw new StatesError(
      StatesErrors.Runtime,
      `The value for the field '${key}' in ${field} must be a JSONPath or an intrinsic function call; received ${describeType(expression)} ${jsonForMessage(expression)}`,
    );
  }
  if (isIntrinsic(expression)) {
    // Parse now so a malformed call fails on the first render, not after some children ran.
    parseIntrinsic(expression);
    return (input, context, _field, random) => evaluateIntrinsic(expression, input, context, random);
  }
  if (!expression.startsWith('$')) {
    throw new StatesError(
      StatesErrors.Runtime,
      `The value for the field '${key}' in ${field} must be a JSONPath (starting with '$') or an intrinsic function call; received '${expression}'`,
    );
  }
  const path = compilePath(expression);
  return (input, context) => {
    const value = lookup(path, input, context);
    if (value === undefined) {
      const searched = path.root === '$$' ? (context as unknown as Json) : input;
      throw new StatesError(
        StatesErrors.Runtime,
        `The JSONPath '${expression}' specified for the field '${key}' could not be found in the input '${jsonForMessage(searched)}'`,
      );
    }
    return value;
  };
}
