import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSource, readSourceSummary, saveSourceSummary } from '../../report';
import { tempDir } from '../e2e/helpers';

describe('describeSource', () => {
  it('names each item source with its size', () => {
    expect(describeSource({ items: [{}, {}] })).toEqual({ kind: 'items', description: 'items: an inline list of 2' });
    expect(describeSource({ grid: { alpha: [1, 2, 3], depth: [2, 4] } })).toEqual({
      kind: 'grid',
      description: 'grid: alpha (3) × depth (2)',
    });
    expect(describeSource({ replicas: { count: 100, indexKey: 'seed' } })).toEqual({
      kind: 'replicas',
      description: 'replicas: 100 copies, index in "seed"',
    });
    expect(describeSource({ source: 's3://data/runs.jsonl' })).toEqual({
      kind: 'source',
      description: 'source: s3://data/runs.jsonl',
    });
  });

  it('has nothing to say of a retry input or of something that is not an input', () => {
    expect(describeSource({ retryOf: 'sweep' })).toBeUndefined();
    expect(describeSource('items')).toBeUndefined();
  });
});

describe('source summaries', () => {
  it('are kept per run under reports/', () => {
    const dir = tempDir('fanout-report-source-');
    expect(readSourceSummary(dir, 'sweep')).toBeUndefined();
    saveSourceSummary(dir, 'sweep', { kind: 'grid', description: 'grid: a (2)' });
    expect(readSourceSummary(dir, 'sweep')).toEqual({ kind: 'grid', description: 'grid: a (2)' });
    expect(readSourceSummary(join(dir), 'other')).toBeUndefined();
  });
});
