import { encodeManifestIndex } from '../../job/manifest-index';
import type { PreparedItem } from './input';

/**
 * One JSONL manifest line per item, `{itemId, jobName, kwargs, idempotent}`: the format the
 * Distributed Map's ItemReader reads, written by Prepare and by Retry alike. The kwargs are
 * spliced in as already-serialised JSON, so no item is parsed again.
 * @example manifestLine({ itemId: '0', jobName: 'sweep-0', kwargsJson: '{"seed":1}', idempotent: true })
 */
export function manifestLine(item: Pick<PreparedItem, 'itemId' | 'jobName' | 'kwargsJson' | 'idempotent'>): string {
  return `{"itemId":${JSON.stringify(item.itemId)},"jobName":${JSON.stringify(item.jobName)},"kwargs":${item.kwargsJson},"idempotent":${item.idempotent}}`;
}

/**
 * A manifest body and its offset index (see job/manifest-index.ts), for the array path: child
 * i of an array reads line i with two ranged GETs instead of the whole manifest.
 * @example const { body, index } = indexedManifest([manifestLine(item0), manifestLine(item1)])
 */
export function indexedManifest(lines: readonly string[]): { body: string; index: Buffer } {
  return {
    body: lines.length === 0 ? '' : `${lines.join('\n')}\n`,
    index: encodeManifestIndex(lines.map((line) => Buffer.byteLength(line, 'utf8'))),
  };
}

/** The index object of a manifest: its key with `.jsonl` replaced by `.idx`. */
export function manifestIndexKey(manifestKey: string): string {
  return `${manifestKey.replace(/\.jsonl$/, '')}.idx`;
}
