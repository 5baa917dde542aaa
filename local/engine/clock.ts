import type { Clock } from './types';

/** The timer functions a clock sleeps with: Node's, or a test's. */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Node's timers fire at once for a delay above 2^31 - 1 ms (about 24.8 days); longer sleeps are
 * chained from timers of at most this length.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A clock on the given timers, abortable through the signal. A sleep longer than Node's timer
 * range is a chain of timers, so a Wait of 30 days waits 30 days.
 * @example const clock = timerClock({ now: Date.now, setTimeout, clearTimeout });
 */
export function timerClock(timers: Timers): Clock {
  return {
    now: () => timers.now(),
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let remaining = ms;
        let handle: unknown;
        const onAbort = (): void => {
          timers.clearTimeout(handle);
          reject(signal?.reason);
        };
        const arm = (): void => {
          const step = Math.min(remaining, MAX_TIMER_MS);
          remaining -= step;
          handle = timers.setTimeout(() => {
            if (remaining > 0) return arm();
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }, step);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        arm();
      });
    },
  };
}

/** The real clock: `Date.now()` and `setTimeout`, abortable through the signal. */
export const systemClock: Clock = timerClock({
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
});

interface Sleeper {
  due: number;
  seq: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal | undefined;
  onAbort?: () => void;
}

/** Lets every pending promise continuation (and the I/O callbacks they queue) run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A manual clock for tests: time moves only through `advance`, and sleepers wake in order of
 * their due time (ties in the order they started sleeping), each followed by a flush of the
 * continuations it triggers, so a retry loop that sleeps again wakes within the same `advance`.
 * @example const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z')); await clock.advance(2_000);
 */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;
  /** Every `sleep(ms)` requested so far, in order (useful to assert retry back-off). */
  readonly sleeps: number[] = [];

  constructor(start = Date.parse('2024-01-01T00:00:00.000Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = { due: this.current + Math.max(0, ms), seq: this.seq++, resolve, reject, signal };
      if (signal) {
        sleeper.onAbort = () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        };
        signal.addEventListener('abort', sleeper.onAbort, { once: true });
      }
      this.sleepers.push(sleeper);
    });
  }

  /** Number of sleeps not yet woken. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking every sleeper due on the way in order. */
  async advance(ms: number): Promise<void> {
    await flush();
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.wake(next);
      await flush();
    }
    this.current = target;
    await flush();
  }

  /** Wakes sleepers one after the other (jumping time to each) until none is left; returns the time moved. */
  async runAll(maxWakes = 100_000): Promise<number> {
    const start = this.current;
    await flush();
    for (let i = 0; i < maxWakes; i++) {
      const next = this.earliest();
      if (!next) break;
      this.wake(next);
      await flush();
      await flush();
    }
    return this.current - start;
  }

  private earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    }
    return best;
  }

  private wake(sleeper: Sleeper): void {
    this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    if (sleeper.due > this.current) this.current = sleeper.due;
    if (sleeper.onAbort) sleeper.signal?.removeEventListener('abort', sleeper.onAbort);
    sleeper.resolve();
  }
}
