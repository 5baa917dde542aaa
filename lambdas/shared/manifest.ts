import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

/** The item ids of a manifest, in line order, streamed from S3. */
export async function* manifestItemIds(
  s3: S3Client,
  manifest: { bucket: string; key: string },
): AsyncGenerator<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: manifest.bucket, Key: manifest.key }));
  if (!response.Body) return;
  const lines = createInterface({ input: response.Body as Readable, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === '') continue;
    yield (JSON.parse(line) as { itemId: string }).itemId;
  }
}
