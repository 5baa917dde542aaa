import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StatesError, StatesErrors } from '../errors';

/** Where one record sits in a {@link SpillLog}: its byte offset and byte length (newline included). */
export interface LogPosition {
  offset: number;
  length: number;
}

const NEWLINE = 0x0a;
const INITIAL_BUFFER_BYTES = 64 * 1024;

/**
 * An append-only log of single-line text records (compact JSON never holds a raw newline), kept
 * in a memory buffer of at most `memoryBytes` and appended to a temporary file whenever the
 * buffer would grow past that. Records are read back by position, so a caller keeps two numbers
 * per record instead of the record.
 *
 * The file is deleted as soon as it is opened (POSIX keeps it readable through the descriptor
 * and frees it when the process ends, even on a crash); where that is refused (Windows), it is
 * deleted at process exit.
 */
export class SpillLog {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes used in `buffer`; they follow the `flushed` bytes already in the file. */
  private used = 0;
  private flushed = 0;
  private fd: number | undefined;

  constructor(
    private readonly directory: string,
    private readonly memoryBytes: number,
  ) {}

  /** Total bytes appended. */
  get size(): number {
    return this.flushed + this.used;
  }

  /** Bytes of records held in memory (the buffer's capacity), bounded by `memoryBytes` plus one record. */
  get memoryHeld(): number {
    return this.buffer.length;
  }

  /** True once records have been written to the temporary file. */
  get spilled(): boolean {
    return this.fd !== undefined;
  }

  /** Appends one record (it must not contain a newline) and returns where it is. */
  append(text: string): LogPosition {
    const length = Buffer.byteLength(text, 'utf8') + 1;
    if (this.used > 0 && this.used + length > this.memoryBytes) this.flush();
    const offset = this.flushed + this.used;
    this.reserve(this.used + length);
    this.used += this.buffer.write(text, this.used, 'utf8');
    this.buffer[this.used++] = NEWLINE;
    if (this.used > this.memoryBytes) this.flush();
    return { offset, length };
  }

  /** The record at a position, without its newline. */
  read(position: LogPosition): string {
    return this.readBytes(position.offset, position.length).toString('utf8', 0, position.length - 1);
  }

  /** `length` raw bytes from `offset` (records with their newlines). */
  readBytes(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    if (offset < this.flushed) {
      const fromFile = Math.min(length, this.flushed - offset);
      while (filled < fromFile) {
        const read = readSync(this.fd!, out, filled, fromFile - filled, offset + filled);
        if (read === 0)
          throw new StatesError(StatesErrors.Runtime, `spill file ended at byte ${offset + filled} of ${this.flushed}`);
        filled += read;
      }
    }
    if (filled < length) {
      const start = offset + filled - this.flushed;
      this.buffer.copy(out, filled, start, start + (length - filled));
    }
    return out;
  }

  /**
   * Gives back the buffer's unused capacity once no more records are expected: records beyond
   * 64 KiB go to the file, fewer stay in a buffer of exactly their size. Appending still works.
   */
  seal(): void {
    if (this.used > INITIAL_BUFFER_BYTES) this.flush();
    if (this.buffer.length === this.used) return;
    const exact = Buffer.allocUnsafe(this.used);
    this.buffer.copy(exact, 0, 0, this.used);
    this.buffer = exact;
  }

  /** Closes the file (records can no longer be read). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.buffer = Buffer.alloc(0);
    this.used = 0;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.buffer.length) return;
    let capacity = Math.max(this.buffer.length * 2, INITIAL_BUFFER_BYTES);
    while (capacity < bytes) capacity *= 2;
    // Never keep more than the budget (or the one record that is larger) in memory.
    capacity = Math.max(bytes, Math.min(capacity, Math.max(this.memoryBytes, INITIAL_BUFFER_BYTES)));
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.fd ??= openTemporaryFile(this.directory);
    let written = 0;
    while (written < this.used)
      written += writeSync(this.fd, this.buffer, written, this.used - written, this.flushed + written);
    this.flushed += this.used;
    this.used = 0;
    // A record larger than the budget grew the buffer; give that memory back.
    if (this.buffer.length > Math.max(this.memoryBytes, INITIAL_BUFFER_BYTES)) this.buffer = Buffer.alloc(0);
  }
}

function openTemporaryFile(directory: string): number {
  const dir = mkdtempSync(join(directory, 'fanout-spill-'));
  const fd = openSync(join(dir, 'records.jsonl'), 'w+');
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    process.once('exit', () => {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
      rmSync(dir, { recursive: true, force: true });
    });
  }
  return fd;
}
