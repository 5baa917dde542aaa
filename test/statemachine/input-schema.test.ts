import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderExecutionInputJsonSchema } from '../../lambdas/shared/input';

const committedPath = resolve(import.meta.dirname, '..', '..', 'statemachine', 'input.schema.json');

describe('statemachine/input.schema.json', () => {
  it('is what the zod schema generates (regenerate with: npx tsx scripts/generate-schema.ts)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(renderExecutionInputJsonSchema());
  });

  it('rejects unknown keys, requires exactly one item source (or retryOf, or resumeOf) and documents the defaults', () => {
    const schema = JSON.parse(readFileSync(committedPath, 'utf8'));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.oneOf).toEqual([
      { required: ['items'] },
      { required: ['grid'] },
      { required: ['replicas'] },
      { required: ['source'] },
      { required: ['retryOf'] },
      { required: ['resumeOf'] },
    ]);
    expect(schema.properties.failFast.default).toBe(false);
    expect(schema.properties.retryOf.pattern).toBeDefined();
    expect(schema.properties.resumeOf.pattern).toBe(schema.properties.retryOf.pattern);
    expect(schema.properties.maxConcurrency).toMatchObject({ default: 1000, minimum: 0, maximum: 10000 });
    expect(schema.properties.jobQueue.default).toBe('fanout-high');
    expect(schema.properties.retry.default).toEqual({ rounds: 1, maxAttempts: 3 });
  });

  it('requires a shareIdentifier with a schedulingPriority, as Prepare does', () => {
    const schema = JSON.parse(readFileSync(committedPath, 'utf8'));
    expect(schema.dependentRequired).toEqual({ schedulingPriority: ['shareIdentifier'] });
  });
});
