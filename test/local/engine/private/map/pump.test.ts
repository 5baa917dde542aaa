import { describe, expect, it } from 'vitest';
import { type PumpJob, runPump } from '../../../../../local/engine/private/map/pump';

/** A promise and the functions that settle it, for jobs the test finishes by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `count` jobs whose work is `work(index)`, collecting each result at its index and each
 * failure; `halted` turns true on the first failure when `stopOnFailure` is set.
 */
function pumpJobs(options: {
  count: number;
  limit: number;
  work: (index: number) => number | Promise<number>;
  stopOnFailure?: boolean;
  yieldEvery?: number;
}) {
  const results: number[] = [];
  const failures: { index: number; error: unknown }[] = [];
  const started: number[] = [];
  let running = 0;
  let maxRunning = 0;
  let next = 0;
  const done = runPump<number>({
    limit: options.limit,
    yieldEvery: options.yieldEvery,
    halted: () => options.stopOnFailure === true && failures.length > 0,
    next: (): PumpJob<number> | undefined => {
      if (next >= options.count) return undefined;
      const index = next++;
      return {
        run: () => {
          started.push(index);
          const outcome = options.work(index);
          if (outcome instanceof Promise) {
            running++;
            maxRunning = Math.max(maxRunning, running);
            return outcome.finally(() => running--);
          }
          return outcome;
        },
        succeeded: (value) => {
          results[index] = value;
        },
        failed: (error) => failures.push({ index, error }),
      };
    },
  });
  return { done, results, failures, started, maxRunning: () => maxRunning, running: () => running };
}

describe('runPump', () => {
  it('never has more than `limit` jobs in flight, and starts the next one as soon as a slot frees', async () => {
    const pending = Array.from({ length: 10 }, () => deferred<number>());
    const run = pumpJobs({ count: 10, limit: 3, work: (index) => pending[index]!.promise });
    expect(run.started).toEqual([0, 1, 2]);

    pending[1]!.resolve(1);
    await flush();
    expect(run.started).toEqual([0, 1, 2, 3]);
    expect(run.running()).toBe(3);

    for (const [index, job] of pending.entries()) job.resolve(index);
    await run.done;
    expect(run.maxRunning()).toBe(3);
    expect(run.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('hands every job its own result, so results land in item order whatever order jobs finish in', async () => {
    const pending = Array.from({ length: 5 }, () => deferred<number>());
    const run = pumpJobs({ count: 5, limit: 5, work: (index) => pending[index]!.promise });
    for (const index of [4, 2, 0, 3, 1]) {
      pending[index]!.resolve(index * 10);
      await flush();
    }
    await run.done;
    expect(run.results).toEqual([0, 10, 20, 30, 40]);
  });

  it('frees the slot of a job that finishes synchronously within the same loop', async () => {
    const run = pumpJobs({ count: 1000, limit: 1, work: (index) => index + 1 });
    // Everything ran before runPump returned: no job needed a promise.
    expect(run.results).toHaveLength(1000);
    await run.done;
    expect(run.results[999]).toBe(1000);
    expect(run.maxRunning()).toBe(0);
  });

  it('mixes synchronous and asynchronous jobs, collecting both', async () => {
    const run = pumpJobs({
      count: 6,
      limit: 2,
      work: (index) => (index % 2 === 0 ? index : Promise.resolve(index)),
    });
    await run.done;
    expect(run.results).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reports a synchronous throw and a rejection as failures of their own job', async () => {
    const run = pumpJobs({
      count: 4,
      limit: 4,
      work: (index) => {
        if (index === 1) throw new Error('sync failure');
        if (index === 2) return Promise.reject(new Error('async failure'));
        return index;
      },
    });
    await run.done;
    expect(run.failures.map(({ index, error }) => [index, (error as Error).message])).toEqual([
      [1, 'sync failure'],
      [2, 'async failure'],
    ]);
    expect(run.results).toEqual([0, undefined, undefined, 3]);
  });

  it('starts no job once halted, and resolves only after the jobs in flight have settled', async () => {
    const pending = Array.from({ length: 10 }, () => deferred<number>());
    const run = pumpJobs({ count: 10, limit: 3, work: (index) => pending[index]!.promise, stopOnFailure: true });
    let resolved = false;
    void run.done.then(() => {
      resolved = true;
    });

    pending[0]!.reject(new Error('boom'));
    await flush();
    expect(run.failures.map(({ index }) => index)).toEqual([0]);
    expect(run.started).toEqual([0, 1, 2]);
    expect(resolved).toBe(false);

    pending[1]!.resolve(1);
    await flush();
    expect(resolved).toBe(false);
    pending[2]!.resolve(2);
    await run.done;
    expect(run.started).toEqual([0, 1, 2]);
    expect(run.results).toEqual([undefined, 1, 2]);
  });

  it('stops at the first synchronous failure when halted by it', async () => {
    const run = pumpJobs({
      count: 10,
      limit: 1,
      stopOnFailure: true,
      work: (index) => {
        if (index === 3) throw new Error('sync failure');
        return index;
      },
    });
    await run.done;
    expect(run.started).toEqual([0, 1, 2, 3]);
    expect(run.results).toEqual([0, 1, 2]);
  });

  it('resolves at once when there is no job', async () => {
    const run = pumpJobs({ count: 0, limit: 4, work: (index) => index });
    await run.done;
    expect(run.started).toEqual([]);
  });

  it('yields to the event loop every `yieldEvery` starts, then carries on', async () => {
    const run = pumpJobs({ count: 25, limit: 100, work: (index) => index, yieldEvery: 10 });
    // The 10th loop turn yields before it starts a job.
    expect(run.started).toHaveLength(9);
    await run.done;
    expect(run.results).toEqual(Array.from({ length: 25 }, (_, index) => index));
  });

  it('waits while `next` gives a promise, calls it again once the promise settles, and resolves only after', async () => {
    const ready = deferred<void>();
    let isReady = false;
    void ready.promise.then(() => {
      isReady = true;
    });
    const started: number[] = [];
    let nextIndex = 0;
    let finished = false;
    const done = runPump<number>({
      limit: 4,
      halted: () => false,
      next: () => {
        if (nextIndex === 1 && !isReady) return ready.promise;
        if (nextIndex >= 3) return undefined;
        const index = nextIndex++;
        return { run: () => started.push(index), succeeded: () => undefined, failed: () => undefined };
      },
    }).then(() => {
      finished = true;
    });
    await flush();
    expect(started).toEqual([0]);
    expect(finished).toBe(false);
    ready.resolve();
    await done;
    expect(started).toEqual([0, 1, 2]);
  });
});
