import { describe, expect, it } from 'vitest';
import { InvocationError } from '../../job/invocation';
import {
  encodeManifestIndex,
  indexedItemCount,
  ManifestReader,
  type ObjectLocation,
  parseObjectUri,
} from '../../job/manifest-index';
import { indexedManifest, manifestLine } from '../../lambdas/shared/manifest';

const manifestAt: ObjectLocation = { bucket: 'fanout-data', key: 'runs/r/manifest.jsonl' };
const indexAt: ObjectLocation = { bucket: 'fanout-data', key: 'runs/r/manifest.idx' };

/** An in-memory bucket whose reads are recorded, with S3's ranged-GET behaviour (end clamped, start past the end refused). */
function objectStore(objects: Record<string, Uint8Array>) {
  const reads: Array<{ key: string; bytes: number }> = [];
  const read = async (location: ObjectLocation, start: number, endInclusive: number): Promise<Uint8Array> => {
    const object = objects[location.key];
    if (!object) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    if (start >= object.length)
      throw Object.assign(new Error('The requested range is not satisfiable'), { name: 'InvalidRange' });
    const bytes = object.subarray(start, Math.min(endInclusive + 1, object.length));
    reads.push({ key: location.key, bytes: bytes.length });
    return bytes;
  };
  return { read, reads };
}

function manifestOf(count: number, kwargs: (n: number) => Record<string, unknown> = (n) => ({ n })) {
  const lines = Array.from({ length: count }, (_, n) =>
    manifestLine({
      itemId: `item-${n}`,
      jobName: `r-item-${n}`,
      kwargsJson: JSON.stringify(kwargs(n)),
      idempotent: true,
    }),
  );
  const { body, index } = indexedManifest(lines);
  return { lines, store: objectStore({ [manifestAt.key]: Buffer.from(body), [indexAt.key]: index }) };
}

describe('encodeManifestIndex', () => {
  it('holds N + 1 big-endian 64-bit offsets: where each line starts, then the length', () => {
    const index = encodeManifestIndex([10, 0, 3]);
    expect([0, 1, 2, 3].map((i) => Number(index.readBigUInt64BE(8 * i)))).toEqual([0, 11, 12, 16]);
    expect(indexedItemCount(index.length)).toBe(3);
  });

  it('counts bytes, not characters', () => {
    const { body, index } = indexedManifest(['{"é":1}', '{}']);
    expect(Number(index.readBigUInt64BE(8))).toBe(Buffer.byteLength('{"é":1}\n'));
    expect(Number(index.readBigUInt64BE(16))).toBe(Buffer.byteLength(body));
  });
});

describe('ManifestReader', () => {
  it('reads every line of the manifest, multi-byte text included', async () => {
    const { lines, store } = manifestOf(300, (n) => ({ n, word: n % 7 === 0 ? 'naïve ☃' : 'plain' }));
    const reader = new ManifestReader(store.read);
    for (const position of [0, 1, 150, 298, 299, 7])
      expect(await reader.line(manifestAt, indexAt, position)).toBe(lines[position]);
  });

  it('reads one line with two small ranged reads, however large the manifest', async () => {
    for (const count of [10, 100_000]) {
      const { lines, store } = manifestOf(count);
      const reader = new ManifestReader(store.read, { indexBlockEntries: 1, lineBlockLines: 0 });
      expect(await reader.line(manifestAt, indexAt, count - 1)).toBe(lines[count - 1]);
      expect(store.reads).toEqual([
        { key: indexAt.key, bytes: 16 },
        { key: manifestAt.key, bytes: Buffer.byteLength(lines[count - 1] as string) + 1 },
      ]);
    }
  });

  it('reads consecutive lines a block at a time, with blocks of a fixed size', async () => {
    const { lines, store } = manifestOf(1000);
    const reader = new ManifestReader(store.read, { indexBlockEntries: 512, lineBlockLines: 64 });
    for (let position = 0; position < 1000; position++)
      expect(await reader.line(manifestAt, indexAt, position)).toBe(lines[position]);
    const indexReads = store.reads.filter((read) => read.key === indexAt.key);
    const lineReads = store.reads.filter((read) => read.key === manifestAt.key);
    expect(indexReads.length).toBeLessThanOrEqual(3);
    expect(lineReads.length).toBeLessThanOrEqual(Math.ceil(1000 / 64) + 2);
    expect(Math.max(...indexReads.map((read) => read.bytes))).toBeLessThanOrEqual(8 * 513);
  });

  it('reads a line longer than a block on its own', async () => {
    const { lines, store } = manifestOf(3, (n) => ({ n, big: 'x'.repeat(n === 1 ? 100_000 : 10) }));
    const reader = new ManifestReader(store.read, { lineBlockBytes: 1024 });
    expect(await reader.line(manifestAt, indexAt, 1)).toBe(lines[1]);
    expect(await reader.line(manifestAt, indexAt, 2)).toBe(lines[2]);
  });

  it('refuses a position outside the manifest with an InvocationError naming it', async () => {
    const { store } = manifestOf(5);
    const reader = new ManifestReader(store.read);
    await expect(reader.line(manifestAt, indexAt, 5)).rejects.toThrow(InvocationError);
    await expect(reader.line(manifestAt, indexAt, 5)).rejects.toThrow(
      'item position 5 is outside the manifest indexed by s3://fanout-data/runs/r/manifest.idx',
    );
    await expect(reader.line(manifestAt, indexAt, 900)).rejects.toThrow('item position 900 is outside the manifest');
  });
});

describe('parseObjectUri', () => {
  it('splits an S3 URI and names the variable of a bad one', () => {
    expect(parseObjectUri('s3://b/a/b.jsonl', 'FANOUT_MANIFEST')).toEqual({ bucket: 'b', key: 'a/b.jsonl' });
    expect(() => parseObjectUri('/tmp/x', 'FANOUT_MANIFEST')).toThrow(
      'FANOUT_MANIFEST must be an S3 URI s3://<bucket>/<key>; received /tmp/x',
    );
  });
});
