/** The per-child bookkeeping of a Map Run: status counts, typed columns, recent-history ring. */
export interface Counts {
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
}

export const zeroCounts = (): Counts => ({ running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0 });

/** Remembers the most recent `limit` indexes pushed; returns the one that falls out, or -1. */
export class RecentIndexes {
  private readonly ring: Int32Array;
  private count = 0;
  private next = 0;

  constructor(readonly limit: number) {
    this.ring = new Int32Array(Math.max(limit, 0));
  }

  push(index: number): number {
    if (this.limit <= 0) return index;
    let evicted = -1;
    if (this.count === this.limit) evicted = this.ring[this.next]!;
    else this.count++;
    this.ring[this.next] = index;
    this.next = (this.next + 1) % this.limit;
    return evicted;
  }
}

/** A growable typed column. */
export function grow<T extends Float64Array | Uint32Array | Uint8Array>(column: T, capacity: number): T {
  const bigger = new (column.constructor as new (length: number) => T)(capacity);
  bigger.set(column);
  return bigger;
}
