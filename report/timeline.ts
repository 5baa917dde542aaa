import type { AttemptOutcome, ExecutionSummary, TimelineAttempt } from './model';

/**
 * Above this many attempts the timeline shows how many attempts ran at each moment, by
 * outcome, instead of one bar per attempt: a browser draws a few thousand SVG rectangles
 * at once without trouble, tens of thousands make the page slow and the bars sub-pixel.
 */
export const TIMELINE_BAR_LIMIT = 2000;

/** The outcomes in the order they are stacked and listed. */
export const OUTCOMES: readonly AttemptOutcome[] = ['succeeded', 'failed', 'aborted', 'running'];

/** A stretch of the time axis: one execution of the run, drawn from `x` over `width` pixels. */
export interface TimelineSegment {
  label: string;
  /** Epoch milliseconds. */
  from: number;
  to: number;
  x: number;
  width: number;
}

/** Pixels between two segments: the time between executions is left out of the axis. */
export const SEGMENT_GAP = 14;
/** The smallest share of the width a segment gets, so a short retry stays readable. */
const MIN_SEGMENT_SHARE = 0.12;

/**
 * Lays the time axis out as one segment per execution that ran attempts (the idle time
 * between a run and its retry, hours maybe, is left out), each as wide as its share of the
 * time, at least {@link MIN_SEGMENT_SHARE}. Attempts belong to the last execution that started
 * before them; a segment spans its execution and its attempts.
 */
export function layoutSegments(
  executions: readonly ExecutionSummary[],
  attempts: readonly TimelineAttempt[],
  width: number,
  now: number,
): TimelineSegment[] {
  const spans = executions.map((execution) => ({
    label: execution.name,
    from: Date.parse(execution.startedAt),
    to: execution.stoppedAt ? Date.parse(execution.stoppedAt) : now,
    attempts: 0,
  }));
  if (spans.length === 0)
    spans.push({ label: 'run', from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY, attempts: 0 });
  for (const attempt of attempts) {
    const span = spans[spanIndexOf(spans, attempt.startedAt)] as (typeof spans)[number];
    span.attempts += 1;
    span.from = Math.min(span.from, attempt.startedAt);
    span.to = Math.max(span.to, attempt.stoppedAt ?? now);
  }
  const drawn = spans.filter((span) => span.attempts > 0 && Number.isFinite(span.from));
  if (drawn.length === 0) return [];
  const durations = drawn.map((span) => Math.max(span.to - span.from, 1));
  const total = durations.reduce((a, b) => a + b, 0);
  const shares = durations.map((duration) => Math.max(duration / total, MIN_SEGMENT_SHARE));
  const shareSum = shares.reduce((a, b) => a + b, 0);
  const usable = width - SEGMENT_GAP * (drawn.length - 1);
  let x = 0;
  return drawn.map((span, index) => {
    const segmentWidth = (usable * (shares[index] as number)) / shareSum;
    const segment = {
      label: span.label,
      from: span.from,
      to: Math.max(span.to, span.from + 1),
      x,
      width: segmentWidth,
    };
    x += segmentWidth + SEGMENT_GAP;
    return segment;
  });
}

/** The last span that starts at or before `time` (the first when none does). */
function spanIndexOf(spans: readonly { from: number }[], time: number): number {
  let found = 0;
  spans.forEach((span, index) => {
    if (Number.isFinite(span.from) && span.from <= time) found = index;
  });
  return found;
}

/** The segment a time belongs to: the last starting at or before it. */
export function segmentOf(segments: readonly TimelineSegment[], time: number): TimelineSegment | undefined {
  let found = segments[0];
  for (const segment of segments) if (segment.from <= time) found = segment;
  return found;
}

/** The x of a time within its segment, clamped to it. */
export function xOf(segment: TimelineSegment, time: number): number {
  const share = (Math.min(Math.max(time, segment.from), segment.to) - segment.from) / (segment.to - segment.from);
  return segment.x + share * segment.width;
}

/** One column of the aggregated timeline: how many attempts ran during it, by outcome. */
export interface DensityColumn {
  x: number;
  width: number;
  counts: Record<AttemptOutcome, number>;
}

/**
 * Splits each segment into columns of about `columnWidth` pixels and counts, per column and
 * outcome, the attempts running at some time in it. O(attempts + columns): each attempt
 * marks where it starts and ends, a running sum fills the columns between.
 */
export function densityColumns(
  segments: readonly TimelineSegment[],
  attempts: readonly TimelineAttempt[],
  columnWidth: number,
  now: number,
): DensityColumn[] {
  const columns: DensityColumn[] = [];
  const firstColumn = new Map<TimelineSegment, number>();
  for (const segment of segments) {
    firstColumn.set(segment, columns.length);
    const count = Math.max(1, Math.round(segment.width / columnWidth));
    for (let index = 0; index < count; index += 1) {
      columns.push({
        x: segment.x + (segment.width * index) / count,
        width: segment.width / count,
        counts: { succeeded: 0, failed: 0, aborted: 0, running: 0 },
      });
    }
  }
  const deltas = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, new Int32Array(columns.length + 1)])) as Record<
    AttemptOutcome,
    Int32Array
  >;
  for (const attempt of attempts) {
    const segment = segmentOf(segments, attempt.startedAt);
    if (!segment) continue;
    const first = firstColumn.get(segment) as number;
    const count = Math.max(1, Math.round(segment.width / columnWidth));
    const columnAt = (time: number) =>
      first + Math.min(count - 1, Math.floor(((xOf(segment, time) - segment.x) / segment.width) * count));
    const delta = deltas[attempt.outcome];
    delta[columnAt(attempt.startedAt)] = (delta[columnAt(attempt.startedAt)] as number) + 1;
    const end = columnAt(attempt.stoppedAt ?? now) + 1;
    delta[end] = (delta[end] as number) - 1;
  }
  for (const outcome of OUTCOMES) {
    const delta = deltas[outcome];
    let running = 0;
    columns.forEach((column, index) => {
      running += delta[index] as number;
      column.counts[outcome] = running;
    });
  }
  return columns;
}
