/**
 * The string formats asl-validator's schemas name, as asl-validator registers them with ajv when
 * the engine calls it with `{ checkPaths: true, checkArn: false }`. scripts/generate-asl-validator.ts
 * compiles the schemas with these functions, and the generated validator (asl-schema.generated.ts)
 * calls them from `aslFormats`.
 *
 * Each package comes from where asl-validator resolves it (its ajv-formats, asl-path-validator and
 * jsonata), so the formats are its own and not whatever copy npm hoisted for fanout.
 */
import { createRequire } from 'node:module';

const fromAslValidator = createRequire(createRequire(import.meta.url).resolve('asl-validator/package.json'));

type PathContext = 'path' | 'reference_path' | 'result_path' | 'payload_template';
const { validatePath } = fromAslValidator('asl-path-validator') as {
  validatePath(path: string, context: PathContext): { isValid: boolean };
};
const { fullFormats } = fromAslValidator('ajv-formats/dist/formats') as { fullFormats: Record<string, unknown> };

/** jsonata is loaded by the first JSONata expression, so a JSONPath definition never pays for it. */
let parseJsonata: ((expression: string) => unknown) | undefined;

/** Whether `value`, without its `{%` `%}` delimiters, parses as JSONata. */
function isJsonataString(value: string): boolean {
  parseJsonata ??= fromAslValidator('jsonata') as (expression: string) => unknown;
  let expression = value.trim();
  if (expression.startsWith('{%')) expression = expression.slice(2);
  if (expression.endsWith('%}')) expression = expression.slice(0, -2);
  try {
    parseJsonata(expression);
    return true;
  } catch {
    return false;
  }
}

const pathFormat = (context: PathContext) => (path: string) => validatePath(path, context).isValid;

export const aslFormats = {
  'date-time': fullFormats['date-time'],
  jsonata_string: isJsonataString,
  /** A string that looks like a JSONata expression must be one; any other string is a literal. */
  maybe_jsonata_string: (value: string) => {
    const trimmed = value.trim();
    return trimmed.startsWith('{%') || trimmed.endsWith('%}') ? isJsonataString(trimmed) : true;
  },
  asl_path: pathFormat('path'),
  asl_ref_path: pathFormat('reference_path'),
  asl_payload_template: pathFormat('payload_template'),
  asl_result_path: pathFormat('result_path'),
  // The engine resolves every Resource to an integration itself (checkArn: false).
  asl_arn: () => true,
};
