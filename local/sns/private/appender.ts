import { open, type FileHandle } from 'node:fs/promises';

/**
 * Appends lines to one file with group commit: lines that arrive while a write is in
 * flight go out together in the next write. `append` resolves once its line is in the
 * file, in arrival order.
 */
export class LineAppender {
  private handle: FileHandle | undefined;
  private queue: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;

  constructor(private readonly path: string) {}

  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line: line + '\n', resolve, reject });
      this.writing ??= this.drain();
    });
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          this.handle ??= await open(this.path, 'a');
          await this.handle.write(batch.map((b) => b.line).join(''));
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
