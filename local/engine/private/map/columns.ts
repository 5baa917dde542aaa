/** The per-child bookkeeping of a Map Run: status counts, typed columns, recent-history ring. */
import type { MapRunCounts } from '../../types';

export interface Counts {
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
}

/** Counts as DescribeMapRun reports them (API_MapRunExecutionCounts.html, API_MapRunItemCounts.html). */
export function mapRunCounts(
  counts: Counts,
  total: number,
  pending: number,
  written: number,
  pendingRedrive: number,
): MapRunCounts {
  return {
    pending,
    running: counts.running,
    succeeded: counts.succeeded,
    failed: counts.failed,
    timedOut: counts.timedOut,
    aborted: counts.aborted,
    total,
    resultsWritten: written,
    // Every unsuccessful child stays redrivable while its parent is (redrive-map-run.html).
    failuresNotRedrivable: 0,
    pendingRedrive,
  };
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

/**
 * The typed columns of a Map Run's children, indexed by child number; `count` rows are in use.
 * A fixed handful of numbers per child, so that 100,000 children cost a few megabytes.
 */
export class ChildColumns {
  count = 0;
  /** A status code of ./child-status. */
  status = new Uint8Array(64);
  startDate = new Float64Array(64);
  stopDate = new Float64Array(64);
  transitions = new Uint32Array(64);
  items = new Uint32Array(64);
  /** Where the child's entry is in the Map Run's log. */
  logOffset = new Float64Array(64);
  logLength = new Uint32Array(64);
  /** Length of the child's resume point in the log, right after its entry; 0 when it reruns from the start. */
  resumeLength = new Uint32Array(64);
  /** How many times each child was redriven, and when last: allocated at the first child redrive. */
  redriveCount: Uint32Array | undefined;
  redriveDate: Float64Array | undefined;

  /** Adds a row; returns its index. */
  add(): number {
    if (this.count === this.status.length) this.resize(this.count * 2);
    return this.count++;
  }

  /** Counts one more redrive of a child, at `date`. */
  redriven(index: number, date: number): void {
    this.redriveCount ??= new Uint32Array(this.status.length);
    this.redriveDate ??= new Float64Array(this.status.length);
    this.redriveCount[index]!++;
    this.redriveDate[index] = date;
  }

  private resize(capacity: number): void {
    this.status = grow(this.status, capacity);
    this.startDate = grow(this.startDate, capacity);
    this.stopDate = grow(this.stopDate, capacity);
    this.transitions = grow(this.transitions, capacity);
    this.items = grow(this.items, capacity);
    this.logOffset = grow(this.logOffset, capacity);
    this.logLength = grow(this.logLength, capacity);
    this.resumeLength = grow(this.resumeLength, capacity);
    if (this.redriveCount) this.redriveCount = grow(this.redriveCount, capacity);
    if (this.redriveDate) this.redriveDate = grow(this.redriveDate, capacity);
  }
}

/** A growable typed column. */
function grow<T extends Float64Array | Uint32Array | Uint8Array>(column: T, capacity: number): T {
  const bigger = new (column.constructor as new (length: number) => T)(capacity);
  bigger.set(column);
  return bigger;
}
