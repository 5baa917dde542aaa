import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDetail } from '@aws-sdk/client-batch';
import { BatchServerError } from '../errors';

/** Where one job's detail lies in a {@link JobDetailFile}. */
export interface DetailPosition {
  readonly offset: number;
  readonly length: number;
}

/**
 * An append-only file of finished jobs' `JobDetail`s, one JSON document a line, so the
 * service keeps only a small entry per finished job in memory. The file is unlinked as
 * soon as it is opened: it lives as long as the service's descriptor, and no crash leaves
 * it behind.
 * @example const file = new JobDetailFile('.fanout/batch'); const [at] = file.append([detail]) ?? []; file.read(at);
 */
export class JobDetailFile {
  private fd: number | undefined;
  private size = 0;
  private unusable = false;
  private closed = false;

  constructor(private readonly directory: string) {}

  /**
   * Appends the details in one write. Returns their positions, or `undefined` when the file
   * cannot be created or written (the caller then keeps the details in memory).
   */
  append(details: readonly JobDetail[]): DetailPosition[] | undefined {
    const fd = this.open();
    if (fd === undefined) return undefined;
    const lines = details.map((detail) => JSON.stringify(detail));
    const positions: DetailPosition[] = [];
    let offset = this.size;
    for (const line of lines) {
      const length = Buffer.byteLength(line, 'utf8');
      positions.push({ offset, length });
      offset += length + 1;
    }
    const buffer = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    try {
      for (let written = 0; written < buffer.length; ) {
        written += writeSync(fd, buffer, written, buffer.length - written, this.size + written);
      }
    } catch (error) {
      this.giveUp(error);
      return undefined;
    }
    this.size += buffer.length;
    return positions;
  }

  /** Reads back one detail written by {@link append}. */
  read(position: DetailPosition): JobDetail {
    if (this.fd === undefined) {
      throw new BatchServerError(
        `the detail of a finished job is not available: the local Batch service is ${this.closed ? 'closed' : 'not spilling'}`,
      );
    }
    const buffer = Buffer.allocUnsafe(position.length);
    let read = 0;
    while (read < position.length) {
      const count = readSync(this.fd, buffer, read, position.length - read, position.offset + read);
      if (count === 0)
        throw new BatchServerError(`the finished-jobs file ends before offset ${position.offset + position.length}`);
      read += count;
    }
    return JSON.parse(buffer.toString('utf8')) as JobDetail;
  }

  /** Closes the descriptor, which frees the file. */
  close(): void {
    this.closed = true;
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number | undefined {
    if (this.unusable || this.closed) return undefined;
    if (this.fd !== undefined) return this.fd;
    try {
      mkdirSync(this.directory, { recursive: true });
      const path = join(this.directory, `finished-jobs-${process.pid}-${randomUUID()}.jsonl`);
      this.fd = openSync(path, 'w+');
      unlinkSync(path);
    } catch (error) {
      this.giveUp(error);
    }
    return this.fd;
  }

  private giveUp(error: unknown): void {
    this.unusable = true;
    // Details already written stay readable; new ones stay in memory.
    process.emitWarning(
      `local Batch service: finished jobs stay in memory, the file under ${this.directory} failed: ${(error as Error).message}`,
    );
  }
}
