/**
 * Writes statemachine/input.schema.json from the execution input's zod schema, so console
 * users validate against exactly what the Prepare Lambda accepts.
 *   npx tsx scripts/generate-schema.ts
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderExecutionInputJsonSchema } from '../lambdas/shared';

const target = resolve(import.meta.dirname, '..', 'statemachine', 'input.schema.json');
writeFileSync(target, renderExecutionInputJsonSchema());
process.stdout.write(`wrote ${target}\n`);
