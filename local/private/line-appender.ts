import { type FileHandle, open } from 'node:fs/promises';

/**
 * Appends lines to one file with group commit: lines that arrive while a write is in
 * flight go out together in the next write, so many concurrent requests cost a few
 * `write` calls. `append` resolves once its line is in the file, in arrival order.
 */
export class LineAppender {
  private handle: FileHandle | undefined;
  private queue: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;

  constructor(protected readonly path: string) {}

  /** Appends one line (the newline is added). */
  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line: `${line}\n`, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.releaseFile();
  }

  /** Runs after each group write and before the next, so a subclass may rewrite the file here. */
  protected async afterWrite(_linesWritten: number): Promise<void> {}

  /** Closes the file; the next write opens it again (needed after the file was replaced). */
  protected async releaseFile(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        let written = 0;
        try {
          this.handle ??= await open(this.path, 'a');
          await this.handle.write(batch.map((b) => b.line).join(''));
          written = batch.length;
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
        await this.afterWrite(written);
      }
    } finally {
      this.writing = undefined;
    }
  }
}
