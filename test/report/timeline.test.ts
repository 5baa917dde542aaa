import { describe, expect, it } from 'vitest';
import type { ExecutionSummary, TimelineAttempt } from '../../report';
import { densityColumns, layoutSegments, SEGMENT_GAP, segmentOf, xOf } from '../../report/timeline';
import { at, iso } from './factories';

const execution = (name: string, from: number, to: number): ExecutionSummary => ({
  name,
  kind: 'run',
  status: 'SUCCEEDED',
  startedAt: iso(from),
  stoppedAt: iso(to),
  durationSeconds: to - from,
  stateTransitions: 0,
  error: null,
});
const attempt = (from: number, to: number | null, fields: Partial<TimelineAttempt> = {}): TimelineAttempt => ({
  lane: 0,
  attempt: 1,
  startedAt: at(from),
  stoppedAt: to === null ? null : at(to),
  outcome: 'succeeded',
  ...fields,
});

describe('layoutSegments', () => {
  it('gives each execution with attempts its own stretch of the axis, leaving out the time between them', () => {
    // A run of 100 s, and its retry an hour later lasting 10 s.
    const segments = layoutSegments(
      [execution('run', 0, 100), execution('run-retry-1', 3600, 3610)],
      [attempt(5, 90), attempt(3601, 3605)],
      1000,
      at(4000),
    );
    expect(segments.map((segment) => segment.label)).toEqual(['run', 'run-retry-1']);
    const [run, retry] = segments;
    expect(run?.x).toBe(0);
    expect(retry?.x).toBeCloseTo((run?.width ?? 0) + SEGMENT_GAP);
    expect((run?.width ?? 0) + (retry?.width ?? 0) + SEGMENT_GAP).toBeCloseTo(1000);
    // 10 of 110 s is under the smallest share: the retry still gets 12 % of the shares.
    expect((retry?.width ?? 0) / ((run?.width ?? 0) + (retry?.width ?? 0))).toBeCloseTo(0.12 / (100 / 110 + 0.12), 5);
  });

  it('leaves out executions without attempts and stretches a segment over attempts outside its execution', () => {
    const segments = layoutSegments(
      [execution('run', 0, 10), execution('run-retry-1', 100, 101)],
      [attempt(1, 15)],
      500,
      at(200),
    );
    expect(segments).toEqual([{ label: 'run', from: at(0), to: at(15), x: 0, width: 500 }]);
  });

  it('draws a running attempt up to now, and nothing when no attempt started', () => {
    expect(layoutSegments([execution('run', 0, 10)], [attempt(2, null)], 100, at(30))[0]?.to).toBe(at(30));
    expect(layoutSegments([execution('run', 0, 10)], [], 100, at(30))).toEqual([]);
  });

  it('places times within their segment, clamped to it', () => {
    const [first, second] = layoutSegments(
      [execution('a', 0, 10), execution('b', 50, 60)],
      [attempt(0, 10), attempt(50, 60)],
      1000 + SEGMENT_GAP,
      at(70),
    );
    expect(segmentOf([first!, second!], at(55))).toBe(second);
    expect(xOf(first!, at(5))).toBeCloseTo(first!.width / 2);
    expect(xOf(first!, at(20))).toBeCloseTo(first!.width);
  });
});

describe('densityColumns', () => {
  it('counts, per column and outcome, the attempts running during it', () => {
    const attempts = [
      attempt(0, 10),
      attempt(0, 5, { outcome: 'failed' }),
      attempt(5, 10),
      attempt(9, null, { outcome: 'running' }),
    ];
    const segments = layoutSegments([execution('run', 0, 10)], attempts, 100, at(10));
    const columns = densityColumns(segments, attempts, 10, at(10));
    expect(columns).toHaveLength(10);
    expect(columns.map((column) => column.counts.succeeded)).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(columns.map((column) => column.counts.failed)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(columns.map((column) => column.counts.running)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('keeps the counts of one segment out of the next', () => {
    const attempts = [attempt(0, 10), attempt(100, 110, { outcome: 'failed' })];
    const segments = layoutSegments(
      [execution('run', 0, 10), execution('retry', 100, 110)],
      attempts,
      200 + SEGMENT_GAP,
      at(200),
    );
    const columns = densityColumns(segments, attempts, 50, at(200));
    expect(columns.map((column) => [column.counts.succeeded, column.counts.failed])).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
  });
});
