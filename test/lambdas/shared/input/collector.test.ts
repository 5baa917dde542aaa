import { describe, expect, it } from 'vitest';
import { jobNameFor } from '../../../../lambdas/shared/input/collector';

describe('jobNameFor', () => {
  it('joins run id and item id and maps dots to underscores', () => {
    expect(jobNameFor('sweep', 'v1.2')).toBe('sweep-v1_2');
  });

  it('keeps names within the 128 characters Batch allows, distinct per item', () => {
    const runId = 'r'.repeat(64);
    const a = jobNameFor(runId, `${'a'.repeat(99)}1`);
    const b = jobNameFor(runId, `${'a'.repeat(99)}2`);
    expect(a).toHaveLength(128);
    expect(a).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    expect(a).not.toBe(b);
  });
});
