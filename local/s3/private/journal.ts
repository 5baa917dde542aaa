import { open, rename, type FileHandle } from 'node:fs/promises';

/**
 * An append-only file of JSON lines with group commit: lines appended while a write
 * is in flight are written together by the next write, so many concurrent requests
 * cost a few `write` calls. `append` resolves once its line is in the file.
 */
export class Journal {
  private handle: FileHandle | undefined;
  private queue: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  /** Lines in the file; the owner compares it with its live entry count to decide on compaction. */
  lines = 0;

  constructor(
    private readonly path: string,
    /** Produces the lines of a compacted file, or undefined when compaction is not worth it. */
    private readonly snapshot: (lines: number) => string[] | undefined,
  ) {}

  append(entry: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line: JSON.stringify(entry) + '\n', resolve, reject });
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
          this.lines += batch.length;
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
        await this.compactIfWorthIt();
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Rewrites the file from the owner's live state; runs between writes, so no line is lost. */
  async compactIfWorthIt(): Promise<void> {
    const lines = this.snapshot(this.lines);
    if (!lines) return;
    await this.handle?.close();
    this.handle = undefined;
    const tmp = `${this.path}.compact`;
    const h = await open(tmp, 'w');
    try {
      const chunk = 4096;
      for (let i = 0; i < lines.length; i += chunk) await h.write(lines.slice(i, i + chunk).join(''));
    } finally {
      await h.close();
    }
    await rename(tmp, this.path);
    this.lines = lines.length;
  }
}
