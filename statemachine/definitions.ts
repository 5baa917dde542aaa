import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The state machine definitions: the ONLY copies. The CDK app passes the same placeholder
 * values as `definitionSubstitutions`; the local cloud substitutes them with `substituteDefinition`.
 */

/** Path of the map path's definition. */
export const mapDefinitionPath = resolve(import.meta.dirname, 'map.asl.json');

/** Placeholders `map.asl.json` contains, each written `${Name}`. */
export const MAP_PLACEHOLDERS = [
  'PrepareFunctionArn',
  'RetryFunctionArn',
  'SummarizeFunctionArn',
  'NotifyFunctionArn',
  'LedgerTableName',
  'DataBucket',
] as const;
export type MapPlaceholder = (typeof MAP_PLACEHOLDERS)[number];

/** Path of the array path's definition. */
export const arrayDefinitionPath = resolve(import.meta.dirname, 'array.asl.json');

/** Placeholders `array.asl.json` contains, each written `${Name}`. */
export const ARRAY_PLACEHOLDERS = [
  'PrepareFunctionArn',
  'CollectFunctionArn',
  'NotifyFunctionArn',
  'RetryFunctionArn',
  'LedgerTableName',
  'DataBucket',
] as const;
export type ArrayPlaceholder = (typeof ARRAY_PLACEHOLDERS)[number];

/** A definition still holds a `${Name}` placeholder after substitution. */
export class DefinitionSubstitutionError extends Error {
  override readonly name = 'DefinitionSubstitutionError';
}

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/**
 * Replaces every `${Name}` placeholder of a definition with its value (escaped for a JSON
 * string, since placeholders sit inside strings).
 * @throws DefinitionSubstitutionError naming every placeholder left without a value.
 * @example substituteDefinition(readFileSync(mapDefinitionPath, 'utf8'), { DataBucket: 'fanout-data', ... })
 */
export function substituteDefinition(text: string, values: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const result = text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    return JSON.stringify(value).slice(1, -1);
  });
  if (missing.size > 0) {
    throw new DefinitionSubstitutionError(
      `definition placeholders without a value: ${[...missing].map((name) => `\${${name}}`).join(', ')}`,
    );
  }
  return result;
}

/** The map definition with its placeholders substituted. */
export function loadMapDefinition(values: Readonly<Record<MapPlaceholder, string>>): string {
  return substituteDefinition(readFileSync(mapDefinitionPath, 'utf8'), values);
}

/**
 * The array definition with its placeholders substituted. `RetryFunctionArn`, `LedgerTableName`
 * and `DataBucket` are accepted (the stack passes the same set to both definitions) even where the
 * definition does not use them yet.
 */
export function loadArrayDefinition(values: Readonly<Record<ArrayPlaceholder, string>>): string {
  return substituteDefinition(readFileSync(arrayDefinitionPath, 'utf8'), values);
}
