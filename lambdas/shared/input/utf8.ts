import { isUtf8 } from 'node:buffer';
import { FanoutInputError } from '../errors';

/**
 * Strict UTF-8 decoding of an input document or a source object: a byte sequence that is not
 * UTF-8 is refused with its byte offset, never replaced with U+FFFD as Node's decoders do.
 */

/**
 * Checks UTF-8 chunk by chunk, so a streamed object (a `.jsonl` source) is checked as it is read.
 * Follows the Unicode standard's well-formed sequences (table 3-7): no overlong forms, no
 * surrogates, nothing above U+10FFFF, no sequence cut short.
 * @example const check = new Utf8Check(); check.push(chunk); check.end(); // offset of the first bad sequence, or undefined
 */
export class Utf8Check {
  private offset = 0;
  /** Continuation bytes the current sequence still needs. */
  private needed = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private sequenceStart = 0;
  private firstBad: number | undefined;

  /** The byte offset of the first sequence that is not UTF-8, once one was seen. */
  get badOffset(): number | undefined {
    return this.firstBad;
  }

  /** Checks the next bytes; returns the offset of the first bad sequence so far, if any. */
  push(bytes: Uint8Array): number | undefined {
    if (this.firstBad !== undefined) return this.firstBad;
    if (this.needed === 0 && isUtf8(bytes)) {
      this.offset += bytes.length;
      return undefined;
    }
    for (const byte of bytes) {
      if (!this.next(byte)) {
        this.firstBad = this.sequenceStart;
        return this.firstBad;
      }
      this.offset += 1;
    }
    return undefined;
  }

  /** Ends the input: a sequence cut short by the end is bad too. */
  end(): number | undefined {
    if (this.firstBad === undefined && this.needed > 0) this.firstBad = this.sequenceStart;
    return this.firstBad;
  }

  private next(byte: number): boolean {
    if (this.needed > 0) {
      if (byte < this.lower || byte > this.upper) return false;
      this.needed -= 1;
      this.lower = 0x80;
      this.upper = 0xbf;
      return true;
    }
    this.sequenceStart = this.offset;
    if (byte <= 0x7f) return true;
    if (byte >= 0xc2 && byte <= 0xdf) return this.expect(1, 0x80, 0xbf);
    if (byte === 0xe0) return this.expect(2, 0xa0, 0xbf);
    if (byte === 0xed) return this.expect(2, 0x80, 0x9f);
    if (byte >= 0xe1 && byte <= 0xef) return this.expect(2, 0x80, 0xbf);
    if (byte === 0xf0) return this.expect(3, 0x90, 0xbf);
    if (byte === 0xf4) return this.expect(3, 0x80, 0x8f);
    if (byte >= 0xf1 && byte <= 0xf3) return this.expect(3, 0x80, 0xbf);
    return false;
  }

  private expect(needed: number, lower: number, upper: number): boolean {
    this.needed = needed;
    this.lower = lower;
    this.upper = upper;
    return true;
  }
}

/** The bytes at a bad offset, as `0xC3 0x28`, for the message. */
function bytesAt(bytes: Uint8Array, offset: number): string {
  return [...bytes.subarray(offset, offset + 4)]
    .map((byte) => `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    .join(' ');
}

/** The issue for bytes that are not UTF-8 at `offset` of `where`. */
export function notUtf8Error(where: string, offset: number, bytes?: Uint8Array): FanoutInputError {
  return FanoutInputError.of(
    where,
    `must be UTF-8 text, but the bytes at byte offset ${offset} are not UTF-8 (an invalid, overlong or cut-short sequence); save the file as UTF-8`,
    bytes ? bytesAt(bytes, offset) : undefined,
  );
}

/**
 * Decodes UTF-8 text, refusing bytes that are not UTF-8 instead of replacing them.
 * @throws FanoutInputError naming `where`, the byte offset and the bytes found there.
 * @example decodeUtf8(readFileSync('input.json'), '(root)')
 */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  const check = new Utf8Check();
  check.push(bytes);
  const bad = check.end();
  if (bad !== undefined) throw notUtf8Error(where, bad, bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
