import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The item source of a run in a few words. Neither the ledger nor the run record keeps the
 * execution input, so the process that starts a run keeps this beside its report.
 */
export interface SourceSummary {
  kind: 'items' | 'grid' | 'replicas' | 'source';
  /** For people: `grid: alpha (3) × depth (2)`, `source: s3://bucket/runs.jsonl`. */
  description: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Describes the item source of an execution input, or undefined when it has none (a retry or
 * resume input, or something that is not an input).
 * @example describeSource({ grid: { a: [1, 2], b: [3] } }) // { kind: 'grid', description: 'grid: a (2) × b (1)' }
 */
export function describeSource(input: unknown): SourceSummary | undefined {
  if (!isRecord(input)) return undefined;
  if (Array.isArray(input.items))
    return { kind: 'items', description: `items: an inline list of ${input.items.length}` };
  if (isRecord(input.grid)) {
    const axes = Object.entries(input.grid).map(
      ([name, values]) => `${name} (${Array.isArray(values) ? values.length : '?'})`,
    );
    return { kind: 'grid', description: `grid: ${axes.join(' × ')}` };
  }
  if (isRecord(input.replicas)) {
    const { count, indexKey } = input.replicas;
    return {
      kind: 'replicas',
      description: `replicas: ${String(count)} copies, index in "${typeof indexKey === 'string' ? indexKey : 'index'}"`,
    };
  }
  if (typeof input.source === 'string') return { kind: 'source', description: `source: ${input.source}` };
  return undefined;
}

const summaryPath = (dir: string, runId: string) => join(dir, 'reports', `${runId}.input.json`);

/** Keeps a run's source summary for later reports: `<dir>/reports/<runId>.input.json`. */
export function saveSourceSummary(dir: string, runId: string, summary: SourceSummary): void {
  mkdirSync(join(dir, 'reports'), { recursive: true });
  writeFileSync(summaryPath(dir, runId), `${JSON.stringify(summary)}\n`);
}

/** The source summary kept for a run, or undefined when none was (a run started elsewhere). */
export function readSourceSummary(dir: string, runId: string): SourceSummary | undefined {
  try {
    return JSON.parse(readFileSync(summaryPath(dir, runId), 'utf8')) as SourceSummary;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
