import { open, rename } from 'node:fs/promises';
import { LineAppender } from '../../private/line-appender';

/**
 * An append-only file of JSON lines (group commit from `LineAppender`) that its owner can
 * compact: after a write, `snapshot` may return the lines of a smaller file, which then
 * replaces this one.
 */
export class Journal extends LineAppender {
  /** Lines in the file; the owner compares it with its live entry count to decide on compaction. */
  lines = 0;

  constructor(
    path: string,
    /** Produces the lines of a compacted file, or undefined when compaction is not worth it. */
    private readonly snapshot: (lines: number) => string[] | undefined,
  ) {
    super(path);
  }

  /** Appends one entry as a JSON line. */
  override append(entry: unknown): Promise<void> {
    return super.append(JSON.stringify(entry));
  }

  protected override async afterWrite(linesWritten: number): Promise<void> {
    this.lines += linesWritten;
    await this.compactIfWorthIt();
  }

  /** Rewrites the file from the owner's live state; runs between writes, so no line is lost. */
  async compactIfWorthIt(): Promise<void> {
    const lines = this.snapshot(this.lines);
    if (!lines) return;
    await this.releaseFile();
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
