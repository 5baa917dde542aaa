import type { AttemptOutcome, TimelineAttempt } from './model';

/** Durations of finished attempts in bins of equal width, by outcome. */
export interface DurationHistogram {
  /** Width of a bin in milliseconds: 1, 2 or 5 times a power of ten. */
  binMs: number;
  /** Bin i holds durations in [i × binMs, (i + 1) × binMs). */
  bins: Array<Record<Exclude<AttemptOutcome, 'running'>, number>>;
  /** The largest bin's total. */
  tallest: number;
  /** Attempts counted (finished ones). */
  count: number;
}

/** The smallest 1-2-5 step that covers `span` in at most `steps` steps. */
export function niceStep(span: number, steps: number): number {
  const raw = Math.max(span / steps, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= raw) return factor * power;
  return 10 * power;
}

/**
 * Bins the durations of finished attempts (running ones have none yet) into at most
 * `maxBins` bins of a round width.
 * @example durationHistogram(model.attempts).bins.length
 */
export function durationHistogram(attempts: readonly TimelineAttempt[], maxBins = 24): DurationHistogram {
  let longest = 0;
  let count = 0;
  for (const attempt of attempts) {
    if (attempt.stoppedAt === null || attempt.outcome === 'running') continue;
    count += 1;
    longest = Math.max(longest, attempt.stoppedAt - attempt.startedAt);
  }
  const binMs = niceStep(longest + 1, maxBins);
  const bins = Array.from({ length: count === 0 ? 0 : Math.floor(longest / binMs) + 1 }, () => ({
    succeeded: 0,
    failed: 0,
    aborted: 0,
  }));
  for (const attempt of attempts) {
    if (attempt.stoppedAt === null || attempt.outcome === 'running') continue;
    const bin = bins[Math.floor(Math.max(attempt.stoppedAt - attempt.startedAt, 0) / binMs)];
    if (bin) bin[attempt.outcome] += 1;
  }
  const tallest = bins.reduce((max, bin) => Math.max(max, bin.succeeded + bin.failed + bin.aborted), 0);
  return { binMs, bins, tallest, count };
}
