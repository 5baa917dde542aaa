/** One unit of work a pump runs: an inline Map iteration or a Distributed Map child. */
export interface PumpJob<T> {
  /** Starts the work: its result when it finished at once, else a promise of it. */
  run(): T | Promise<T>;
  /** Takes the result; called once, as soon as it is known. */
  succeeded(value: T): void;
  /** Takes what `run` threw or its promise rejected with; called once. */
  failed(error: unknown): void;
}

interface PumpOptions<T> {
  /** Most jobs in flight at once. */
  limit: number;
  /**
   * The next job, or undefined when none is left, or a promise when the next job is not ready
   * yet (the pump calls again once it settles). Called only when a job may start (a slot is
   * free and `halted()` is false), so pulling an item and starting it are one step. Must not throw.
   */
  next(): PumpJob<T> | undefined | Promise<void>;
  /** True once no further job may start (a failure, a stop); the pump then waits for the jobs in flight. */
  halted(): boolean;
  /**
   * Yields to the event loop after this many jobs started in one go, so that jobs finishing
   * synchronously do not hold it for the whole run. @default never
   */
  yieldEvery?: number | undefined;
}

/**
 * Keeps at most `limit` jobs running: starts jobs lazily as slots free (no promise exists for a
 * job not yet started), and lets jobs that finish synchronously free their slot within the same
 * loop. Each job hears its own outcome; the pump resolves once no job is in flight and either
 * none is left or `halted()` is true.
 * @example
 * const results: number[] = [];
 * let index = 0;
 * await runPump<number>({
 *   limit: 2,
 *   halted: () => false,
 *   next: () => {
 *     if (index === items.length) return undefined;
 *     const at = index++;
 *     return { run: () => work(items[at]), succeeded: (value) => (results[at] = value), failed: () => undefined };
 *   },
 * });
 */
export function runPump<T>(options: PumpOptions<T>): Promise<void> {
  const { limit, next, halted } = options;
  const yieldEvery = options.yieldEvery ?? Number.POSITIVE_INFINITY;
  let running = 0;
  let startedInTurn = 0;
  let yielding = false;
  let waiting = false;

  return new Promise<void>((resolve) => {
    const settle = (outcome: () => void): void => {
      running--;
      outcome();
      pump();
    };
    const resume = (): void => {
      yielding = false;
      pump();
    };
    const pump = (): void => {
      while (!halted() && running < limit && !waiting) {
        if (++startedInTurn % yieldEvery === 0) {
          if (!yielding) {
            yielding = true;
            setImmediate(resume);
          }
          return;
        }
        const job = next();
        if (!job) break;
        if (job instanceof Promise) {
          waiting = true;
          // A rejection is the caller's to report (through a later `next`); either way, carry on.
          const wake = (): void => {
            waiting = false;
            pump();
          };
          void job.then(wake, wake);
          return;
        }
        let outcome: T | Promise<T>;
        try {
          outcome = job.run();
        } catch (error) {
          job.failed(error);
          continue;
        }
        if (outcome instanceof Promise) {
          running++;
          outcome.then(
            (value) => settle(() => job.succeeded(value)),
            (error: unknown) => settle(() => job.failed(error)),
          );
        } else {
          job.succeeded(outcome);
        }
      }
      if (running > 0 || yielding || waiting) return;
      resolve();
    };
    pump();
  });
}
