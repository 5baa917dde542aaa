/**
 * The keys of one bucket in S3 list order (UTF-8 binary order), kept in memory so a
 * listing costs O(log n + page) instead of a directory walk.
 *
 * New keys that sort after every existing key (the common case: generated, increasing
 * names) are appended in O(1); others wait in `pending` and are merged in one sort
 * the next time the order is needed. Deleted keys stay in `sorted` as tombstones
 * (absent from the live map) until they outnumber the live keys.
 */
export class KeyIndex<V> {
  private readonly live = new Map<string, V>();
  private sorted: string[] = [];
  private pending: string[] = [];
  private tombstones = 0;

  get size(): number {
    return this.live.size;
  }

  get(key: string): V | undefined {
    return this.live.get(key);
  }

  values(): IterableIterator<V> {
    return this.live.values();
  }

  set(key: string, value: V): void {
    if (!this.live.has(key)) this.placeNewKey(key);
    this.live.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.live.delete(key)) return false;
    this.tombstones++;
    return true;
  }

  /** The ordered key array (tombstones included: check `value`) and a live lookup. */
  ordered(): { keys: readonly string[]; value: (key: string) => V | undefined } {
    this.settle();
    return { keys: this.sorted, value: (k) => this.live.get(k) };
  }

  /** Index of the first key >= `key` (or > `key` when `exclusive`). */
  lowerBound(key: string, exclusive = false): number {
    this.settle();
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareUtf8(this.sorted[mid]!, key);
      if (c < 0 || (exclusive && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first key at or after `from` that does not start with `prefix`. */
  endOfPrefix(prefix: string, from: number): number {
    let lo = from;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.sorted[mid]!;
      if (k.startsWith(prefix) || compareUtf8(k, prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private placeNewKey(key: string): void {
    const last = this.sorted[this.sorted.length - 1];
    if (this.pending.length === 0 && (last === undefined || compareUtf8(last, key) < 0)) {
      this.sorted.push(key);
      return;
    }
    if (this.pending.length === 0) {
      // A key deleted earlier is still in `sorted` as a tombstone: revive it in place.
      const i = this.lowerBound(key);
      if (this.sorted[i] === key) {
        this.tombstones--;
        return;
      }
    }
    this.pending.push(key);
  }

  private settle(): void {
    if (this.pending.length > 0) {
      const add = this.pending.sort(compareUtf8);
      this.pending = [];
      const merged: string[] = [];
      let i = 0;
      let j = 0;
      let prev: string | undefined;
      const sorted = this.sorted;
      while (i < sorted.length || j < add.length) {
        let next: string;
        if (j >= add.length || (i < sorted.length && compareUtf8(sorted[i]!, add[j]!) <= 0)) next = sorted[i++]!;
        else next = add[j++]!;
        if (next === prev) {
          this.tombstones--;
          continue;
        }
        merged.push(next);
        prev = next;
      }
      this.sorted = merged;
    }
    if (this.tombstones > 1024 && this.tombstones > this.live.size) {
      this.sorted = this.sorted.filter((k) => this.live.has(k));
      this.tombstones = 0;
    }
  }
}

/**
 * Compares two strings by their UTF-8 bytes, the order S3 lists keys in. JavaScript's
 * `<` compares UTF-16 code units, which misorders characters above U+FFFF against
 * U+E000..U+FFFF; remapping code units at the first difference fixes exactly that.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
      y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}
