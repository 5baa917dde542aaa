import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** "Did you mean" for names a user types: run ids, item ids. */

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const d: number[] = new Array(rows * columns).fill(0);
  const at = (i: number, j: number) => d[i * columns + j] as number;
  for (let i = 0; i < rows; i++) d[i * columns] = i;
  for (let j = 0; j < columns; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * columns + j] = best;
    }
  }
  return at(rows - 1, columns - 1);
}

/**
 * The candidate closest to `typed`, when it is close enough to be what was meant: at most a third
 * of the typed name's characters differ (and at least one may), or the typed name is the start
 * of exactly one candidate (an abbreviated run id).
 * @example closestMatch('run-2026-a1b2c', ['run-2026-a1b2c3', 'run-2025-ffffff']) // 'run-2026-a1b2c3'
 */
export function closestMatch(typed: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const prefixed: string[] = [];
  for (const candidate of candidates) {
    if (candidate === typed) return candidate;
    if (typed.length >= 3 && candidate.startsWith(typed)) prefixed.push(candidate);
    const distance = editDistance(typed, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (bestDistance <= Math.max(1, Math.floor(typed.length / 3))) return best;
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** ` (did you mean X?)` when a candidate is close, else the empty string: appended to a "not found" message. */
export function didYouMean(typed: string, candidates: Iterable<string>): string {
  const match = closestMatch(typed, candidates);
  return match === undefined ? '' : ` (did you mean ${match}?)`;
}

/** The executions with a record in a local state directory (`<dir>/runs/<name>.json`), for suggestions. */
export function runNamesIn(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'runs'))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}
