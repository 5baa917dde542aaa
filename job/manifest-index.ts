import { InvocationError } from './invocation';

/**
 * How a child of an array job finds its item without reading the whole manifest.
 *
 * The manifest is JSONL, one item per line (`{itemId, jobName, kwargs, idempotent}`). Its index
 * is a separate object of N + 1 fixed-width entries: entry i is the byte offset where line i
 * starts, entry N the manifest's length, each an unsigned 64-bit big-endian integer. Item i is
 * therefore two ranged GETs away whatever N is: bytes `[8i, 8i + 15]` of the index give the line's
 * start and end, then those bytes of the manifest give the line.
 *
 * A reader caches one block of index entries and one block of lines per object, so a process
 * that resolves consecutive items (the local Batch service resolves every child of an array)
 * needs one GET per block instead of two per item; the blocks have a fixed size, so a read
 * still costs O(1) in N.
 */

/** Bytes per index entry. */
export const INDEX_ENTRY_BYTES = 8;

/** Where the job finds its manifest, its index, and the position of its array's first item. */
export const MANIFEST_VARIABLE = 'FANOUT_MANIFEST';
export const MANIFEST_INDEX_VARIABLE = 'FANOUT_MANIFEST_INDEX';
export const ARRAY_OFFSET_VARIABLE = 'FANOUT_ARRAY_OFFSET';
/** Set by Batch in each child of an array job (absent in a plain job). */
export const ARRAY_INDEX_VARIABLE = 'AWS_BATCH_JOB_ARRAY_INDEX';

/**
 * The index of a manifest whose lines (each followed by one `\n`) have these byte lengths.
 * @example encodeManifestIndex([10, 12]) // 24 bytes: offsets 0, 11, 24
 */
export function encodeManifestIndex(lineByteLengths: readonly number[]): Buffer {
  const index = Buffer.alloc((lineByteLengths.length + 1) * INDEX_ENTRY_BYTES);
  let offset = 0;
  lineByteLengths.forEach((length, position) => {
    index.writeBigUInt64BE(BigInt(offset), position * INDEX_ENTRY_BYTES);
    offset += length + 1;
  });
  index.writeBigUInt64BE(BigInt(offset), lineByteLengths.length * INDEX_ENTRY_BYTES);
  return index;
}

/** Number of items an index describes. */
export function indexedItemCount(indexByteLength: number): number {
  return Math.max(0, indexByteLength / INDEX_ENTRY_BYTES - 1);
}

/** An S3 object. */
export interface ObjectLocation {
  bucket: string;
  key: string;
}

/**
 * Reads `[start, endInclusive]` of an object; fewer bytes come back when the object is shorter.
 * A start past the end rejects (S3: InvalidRange).
 */
export type ReadRange = (location: ObjectLocation, start: number, endInclusive: number) => Promise<Uint8Array>;

/** Parses `s3://bucket/key`. */
export function parseObjectUri(uri: string, variable: string): ObjectLocation {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match)
    throw new InvocationError(`${variable} must be an S3 URI s3://<bucket>/<key>; received ${uri.slice(0, 200)}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** Item and block sizes of a {@link ManifestReader}. */
export interface ManifestReaderOptions {
  /** Index entries read per GET. @default 512 (4 KiB) */
  indexBlockEntries?: number;
  /** Manifest lines read per GET at most. @default 64 */
  lineBlockLines?: number;
  /** Manifest bytes read per GET at most (a longer line is read alone). @default 65536 */
  lineBlockBytes?: number;
}

interface IndexBlock {
  first: number;
  offsets: number[];
}

interface LineBlock {
  start: number;
  bytes: Uint8Array;
}

const decoder = new TextDecoder();

/**
 * Reads single lines of an indexed JSONL manifest with ranged reads.
 * @example const line = await new ManifestReader(read).line(manifest, index, 41)
 */
export class ManifestReader {
  private readonly indexBlockEntries: number;
  private readonly lineBlockLines: number;
  private readonly lineBlockBytes: number;
  private readonly indexBlocks = new Map<string, IndexBlock>();
  private readonly lineBlocks = new Map<string, LineBlock>();

  constructor(
    private readonly read: ReadRange,
    options: ManifestReaderOptions = {},
  ) {
    this.indexBlockEntries = options.indexBlockEntries ?? 512;
    this.lineBlockLines = options.lineBlockLines ?? 64;
    this.lineBlockBytes = options.lineBlockBytes ?? 65_536;
  }

  /**
   * The text of line `position` (0-based), without its newline.
   * @throws InvocationError when the position is outside the manifest.
   */
  async line(manifest: ObjectLocation, index: ObjectLocation, position: number): Promise<string> {
    const offsets = await this.offsets(index, position);
    const [start, end] = offsets;
    const lineEnd = end - 1; // the newline is not part of the line
    const key = `${manifest.bucket}/${manifest.key}`;
    let block = this.lineBlocks.get(key);
    if (!block || start < block.start || lineEnd > block.start + block.bytes.length) {
      // Read ahead up to lineBlockLines lines, as far as the cached index block says they reach.
      const blockEnd = Math.max(end, this.readAheadEnd(index, position, start));
      block = { start, bytes: await this.read(manifest, start, blockEnd - 1) };
      this.remember(this.lineBlocks, key, block);
    }
    const from = start - block.start;
    return decoder.decode(block.bytes.subarray(from, from + (lineEnd - start)));
  }

  /** Start and end offsets of line `position`. */
  private async offsets(index: ObjectLocation, position: number): Promise<[number, number]> {
    const key = `${index.bucket}/${index.key}`;
    let block = this.indexBlocks.get(key);
    if (!block || position < block.first || position + 1 >= block.first + block.offsets.length) {
      const first = position;
      const start = first * INDEX_ENTRY_BYTES;
      let bytes: Uint8Array;
      try {
        bytes = await this.read(index, start, start + (this.indexBlockEntries + 1) * INDEX_ENTRY_BYTES - 1);
      } catch (error) {
        if ((error as { name?: string }).name === 'InvalidRange') throw outside(position, index);
        throw error;
      }
      const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const offsets: number[] = [];
      for (let at = 0; at + INDEX_ENTRY_BYTES <= view.length; at += INDEX_ENTRY_BYTES)
        offsets.push(Number(view.readBigUInt64BE(at)));
      block = { first, offsets };
      this.remember(this.indexBlocks, key, block);
    }
    const start = block.offsets[position - block.first];
    const end = block.offsets[position - block.first + 1];
    if (start === undefined || end === undefined) throw outside(position, index);
    return [start, end];
  }

  private readAheadEnd(index: ObjectLocation, position: number, start: number): number {
    const block = this.indexBlocks.get(`${index.bucket}/${index.key}`) as IndexBlock;
    let end = start;
    const last = Math.min(position + this.lineBlockLines, block.first + block.offsets.length - 1);
    for (let next = position + 1; next <= last; next++) {
      const offset = block.offsets[next - block.first] as number;
      if (offset - start > this.lineBlockBytes) break;
      end = offset;
    }
    return end;
  }

  /** Keeps a few objects' blocks: enough for the arrays of one run, bounded whatever runs come. */
  private remember<T>(cache: Map<string, T>, key: string, value: T): void {
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > 8) cache.delete(cache.keys().next().value as string);
  }
}

function outside(position: number, index: ObjectLocation): InvocationError {
  return new InvocationError(
    `item position ${position} is outside the manifest indexed by s3://${index.bucket}/${index.key}`,
  );
}
