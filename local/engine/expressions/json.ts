import type { Json, JsonObject } from '../types';

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an own property only, so keys such as `constructor` or `__proto__` never reach the prototype. */
export function getOwn(object: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Sets an own data property, also for the key `__proto__` (plain assignment would replace the prototype). */
export function setOwn(object: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** Structural equality of two JSON values (object key order ignored). */
export function jsonEquals(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!jsonEquals(a[i] as Json, b[i] as Json)) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key)) return false;
    if (!jsonEquals(a[key] as Json, b[key] as Json)) return false;
  }
  return true;
}

const MAX_QUOTED_JSON = 4096;

/**
 * JSON text of a value for an error cause, cut at a few KiB: causes are stored in
 * history and ledger rows, and a 256 KiB input must not be copied into each of them.
 */
export function jsonForMessage(value: Json | undefined): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > MAX_QUOTED_JSON ? `${text.slice(0, MAX_QUOTED_JSON)}...` : text;
}

/** A short description of a value's JSON type, for messages ("a string", "an array", ...). */
export function describeType(value: Json | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'string') return 'a string';
  return 'a boolean';
}
