import type { Json, JsonObject } from '../../types';
import { sdkOutputToJson } from './sdk-call';

/**
 * Members whose value is a user-keyed map (`parameters`, `tags`, Kubernetes `labels`, log
 * driver `options`, ...): their keys are data, not member names, so they keep their case.
 * Everything else differs between the API's camelCase and Step Functions' PascalCase only in
 * the first letter, because Step Functions derives its names from the Java SDK getters
 * (`getVcpus` -> `Vcpus`, `getEksPropertiesOverride` -> `EksPropertiesOverride`).
 */
const USER_KEYED_MAPS = new Set([
  'annotations',
  'capacityTags',
  'labels',
  'limits',
  'options',
  'parameters',
  'quotaShares',
  'requests',
  'statusSummary',
  'tags',
]);

const lowerFirst = (key: string): string => (key ? key[0]!.toLowerCase() + key.slice(1) : key);
const upperFirst = (key: string): string => (key ? key[0]!.toUpperCase() + key.slice(1) : key);

/**
 * Step Functions' PascalCase parameters to the SDK's camelCase input, e.g.
 * `{ JobName, ContainerOverrides: { Environment: [{ Name, Value }] }, Parameters: { seed } }` to
 * `{ jobName, containerOverrides: { environment: [{ name, value }] }, parameters: { seed } }`.
 */
export function toCamelCaseKeys(value: Json): unknown {
  if (Array.isArray(value)) return value.map(toCamelCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const name = lowerFirst(key);
    result[name] = USER_KEYED_MAPS.has(name) ? copyJson(member) : toCamelCaseKeys(member);
  }
  return result;
}

/** The SDK's camelCase output to Step Functions' PascalCase, converting SDK values to JSON on the way. */
export function toPascalCaseKeys(value: unknown): Json {
  if (Array.isArray(value)) return value.map(toPascalCaseKeys);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date)
    return sdkOutputToJson(value);
  const result: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || key === '$metadata') continue;
    result[upperFirst(key)] = USER_KEYED_MAPS.has(key) ? sdkOutputToJson(member) : toPascalCaseKeys(member);
  }
  return result;
}

function copyJson(value: Json): Json {
  return value === null || typeof value !== 'object' ? value : (JSON.parse(JSON.stringify(value)) as Json);
}
