import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineAppender } from '../../../local/private/line-appender';

class CountingAppender extends LineAppender {
  readonly batches: number[] = [];
  protected override async afterWrite(linesWritten: number): Promise<void> {
    this.batches.push(linesWritten);
  }
}

describe('LineAppender', () => {
  it('writes concurrent appends in arrival order, grouping those that wait into one write', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'appender-')), 'lines.txt');
    const appender = new CountingAppender(path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => appender.append(`line ${i}`)));
    await appender.close();
    expect(readFileSync(path, 'utf8')).toBe(Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
    // The first line goes out alone while the other 49 queue behind it.
    expect(appender.batches).toEqual([1, 49]);
  });

  it('rejects the appends of a write that fails, and reports nothing written', async () => {
    const appender = new CountingAppender(join(tmpdir(), 'no-such-dir-for-appender', 'x', 'lines.txt'));
    await expect(appender.append('lost')).rejects.toThrow(/ENOENT/);
    expect(appender.batches).toEqual([0]);
  });
});
