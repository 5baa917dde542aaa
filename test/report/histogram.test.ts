import { describe, expect, it } from 'vitest';
import type { TimelineAttempt } from '../../report';
import { durationHistogram, niceStep } from '../../report/histogram';

const attempt = (ms: number | null, outcome: TimelineAttempt['outcome'] = 'succeeded'): TimelineAttempt => ({
  lane: 0,
  attempt: 1,
  startedAt: 1_000,
  stoppedAt: ms === null ? null : 1_000 + ms,
  outcome,
});

describe('niceStep', () => {
  it('rounds a step up to 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(100, 10)).toBe(10);
    expect(niceStep(130, 10)).toBe(20);
    expect(niceStep(41_000, 24)).toBe(2_000);
    expect(niceStep(3, 24)).toBe(1);
  });
});

describe('durationHistogram', () => {
  it('bins finished attempts by duration and outcome, leaving running ones out', () => {
    const histogram = durationHistogram(
      [attempt(500), attempt(1_500), attempt(1_900, 'failed'), attempt(9_999, 'aborted'), attempt(null, 'running')],
      10,
    );
    expect(histogram.binMs).toBe(1_000);
    expect(histogram.count).toBe(4);
    expect(histogram.bins).toHaveLength(10);
    expect(histogram.bins[0]).toEqual({ succeeded: 1, failed: 0, aborted: 0 });
    expect(histogram.bins[1]).toEqual({ succeeded: 1, failed: 1, aborted: 0 });
    expect(histogram.bins[9]).toEqual({ succeeded: 0, failed: 0, aborted: 1 });
    expect(histogram.tallest).toBe(2);
  });

  it('has no bins without a finished attempt', () => {
    expect(durationHistogram([attempt(null, 'running')])).toMatchObject({ bins: [], count: 0, tallest: 0 });
  });
});
