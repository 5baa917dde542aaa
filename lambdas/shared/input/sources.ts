import { FanoutInputError } from '../errors';
import { type ExecutionInput, S3_URI_PATTERN } from './schema';

/**
 * The item source of a parsed input: inline entries expanded lazily from items, the grid's
 * cartesian product or replicas; the location of an S3 source, which Prepare reads; or the
 * earlier run a retry or resume re-runs.
 */

/** Where a run's items come from, once the input is parsed. */
export type ItemSource =
  | { kind: 'inline'; entries: Iterable<{ entry: unknown; where: string }>; count: number }
  | { kind: 'retry'; runId: string }
  | { kind: 's3'; uri: string; bucket: string; key: string; format: 'json' | 'jsonl' | 'prefix' };

/** Splits an `s3://bucket/key` URI; the key keeps its trailing `/` for prefixes. */
function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = S3_URI_PATTERN.exec(uri);
  if (!match) throw FanoutInputError.of('source', 'source must be an S3 URI s3://<bucket>/<key>', uri);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** The item source of a parsed input: inline entries (items, grid, replicas) or an S3 location. */
export function itemSourceOf(input: ExecutionInput): ItemSource {
  if (input.retryOf !== undefined) return { kind: 'retry', runId: input.retryOf };
  if (input.resumeOf !== undefined) return { kind: 'retry', runId: input.resumeOf };
  if (input.items) {
    const items = input.items;
    return {
      kind: 'inline',
      entries: items.map((entry, index) => ({ entry, where: `items.${index}` })),
      count: items.length,
    };
  }
  if (input.grid) {
    const grid = input.grid;
    let count = 1;
    for (const values of Object.values(grid)) count *= values.length;
    return { kind: 'inline', entries: gridEntries(grid), count };
  }
  if (input.replicas) {
    const { count, kwargs, indexKey } = input.replicas;
    return { kind: 'inline', entries: replicaEntries(count, kwargs, indexKey), count };
  }
  const uri = input.source as string;
  const { bucket, key } = parseS3Uri(uri);
  const format = key.endsWith('/') ? 'prefix' : key.endsWith('.jsonl') ? 'jsonl' : 'json';
  return { kind: 's3', uri, bucket, key, format };
}

function* gridEntries(grid: NonNullable<ExecutionInput['grid']>): Generator<{ entry: unknown; where: string }> {
  const names = Object.keys(grid);
  const lists = names.map((name) => grid[name] as unknown[]);
  const position = names.map(() => 0);
  for (let index = 0; ; index += 1) {
    const kwargs: Record<string, unknown> = {};
    names.forEach((name, n) => {
      kwargs[name] = (lists[n] as unknown[])[position[n] as number];
    });
    yield { entry: kwargs, where: `grid (combination ${index})` };
    // Odometer: the last name varies fastest, so the first key is the outermost loop.
    let digit = names.length - 1;
    while (digit >= 0) {
      position[digit] = (position[digit] as number) + 1;
      if ((position[digit] as number) < (lists[digit] as unknown[]).length) break;
      position[digit] = 0;
      digit -= 1;
    }
    if (digit < 0) return;
  }
}

function* replicaEntries(
  count: number,
  kwargs: Record<string, unknown>,
  indexKey: string,
): Generator<{ entry: unknown; where: string }> {
  for (let index = 0; index < count; index += 1) {
    yield { entry: { ...kwargs, [indexKey]: index }, where: `replicas (replica ${index})` };
  }
}
