import type { Clock } from './types';

/** The real clock: `Date.now()` and `setTimeout`, abortable through the signal. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

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
