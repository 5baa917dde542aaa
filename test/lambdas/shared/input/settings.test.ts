import { describe, expect, it } from 'vitest';
import { effectiveThresholds } from '../../../../lambdas/shared/input/settings';

describe('effectiveThresholds', () => {
  // AWS fails a Map Run when either threshold is exceeded (step-functions/latest/dg/maprun-fail-threshold.html),
  // and the definition always sets both paths: an option left out must never be the one that trips.
  it('tolerates no failure when neither option is set', () => {
    expect(effectiveThresholds({}, 10)).toEqual({ toleratedFailurePercentage: 0, toleratedFailureCount: 0 });
  });

  it('applies only the count when only the count is set', () => {
    expect(effectiveThresholds({ toleratedFailureCount: 2 }, 10)).toEqual({
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 2,
    });
  });

  it('applies only the percentage when only the percentage is set', () => {
    expect(effectiveThresholds({ toleratedFailurePercentage: 5 }, 10)).toEqual({
      toleratedFailurePercentage: 5,
      toleratedFailureCount: 10,
    });
  });

  it('keeps both when both are set', () => {
    expect(effectiveThresholds({ toleratedFailurePercentage: 5, toleratedFailureCount: 0 }, 10)).toEqual({
      toleratedFailurePercentage: 5,
      toleratedFailureCount: 0,
    });
  });
});
