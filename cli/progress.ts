import type { CliIo } from './io';

/**
 * Item counts of the running fan-out (docs/run-status.md): `running` items have a Batch job
 * STARTING or RUNNING, `queued` ones wait (no job yet, or SUBMITTED, PENDING, RUNNABLE).
 */
export interface ProgressCounts {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
  queued: number;
}

/**
 * Formats one progress line: counts by status, completion rate and ETA, after `label` (the
 * round, once a run has more than one) when given.
 */
export function formatProgress(counts: ProgressCounts, elapsedSeconds: number, label?: string): string {
  const done = counts.succeeded + counts.failed;
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const remaining = Math.max(counts.total - done, 0);
  const eta = rate > 0 ? `${Math.ceil(remaining / rate)}s` : '?';
  return (
    `${label ? `${label}: ` : ''}${done}/${counts.total} done · ${counts.succeeded} succeeded · ${counts.failed} failed · ` +
    `${counts.running} running · ${counts.queued} queued · ${rate.toFixed(1)}/s · ETA ${eta}`
  );
}

/**
 * Shows progress: redrawn in place on a terminal, otherwise a plain line at most
 * every `plainIntervalMs` (so logs stay readable) and whenever the counts change
 * after that interval.
 */
export class ProgressReporter {
  private lastPlain = Number.NEGATIVE_INFINITY;
  private lastLine = '';

  constructor(
    private readonly io: CliIo,
    private readonly now: () => number = Date.now,
    private readonly plainIntervalMs = 5_000,
  ) {}

  /** `elapsedSeconds` since the counted items began (the round's start), for the rate and ETA. */
  update(counts: ProgressCounts, elapsedSeconds: number, label?: string): void {
    const line = formatProgress(counts, elapsedSeconds, label);
    if (this.io.isTTY) {
      this.io.status(line);
      this.lastLine = line;
      return;
    }
    const now = this.now();
    if (line !== this.lastLine && now - this.lastPlain >= this.plainIntervalMs) {
      this.io.out(line);
      this.lastPlain = now;
      this.lastLine = line;
    }
  }

  /** Ends the in-place line so the next output starts on a fresh one. */
  finish(): void {
    if (this.io.isTTY && this.lastLine) this.io.status(`${this.lastLine}\n`);
  }
}
