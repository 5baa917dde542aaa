import { describe, expect, it } from 'vitest';
import { WritePool } from '../../../lambdas/shared/write-pool';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WritePool', () => {
  it('keeps at most `limit` writes in flight and runs every one', async () => {
    const pool = new WritePool(3);
    let inFlight = 0;
    let most = 0;
    let done = 0;
    for (let n = 0; n < 20; n++) {
      await pool.add(async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await tick();
        inFlight--;
        done++;
      });
    }
    await pool.drain();
    expect({ most, done }).toEqual({ most: 3, done: 20 });
  });

  it('rethrows the first failure from drain, and refuses new work once a write failed', async () => {
    const pool = new WritePool(2);
    let ranAfterFailure = false;
    await pool.add(async () => {
      await tick();
      throw new TypeError('first');
    });
    await pool.add(async () => {
      await tick();
      await tick();
      throw new TypeError('second');
    });
    await expect(pool.drain()).rejects.toThrow('first');
    await expect(
      pool.add(async () => {
        ranAfterFailure = true;
      }),
    ).rejects.toThrow('first');
    expect(ranAfterFailure).toBe(false);
  });
});
