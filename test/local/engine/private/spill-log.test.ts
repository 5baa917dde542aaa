import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpillLog } from '../../../../local/engine/private/spill-log';

const dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'spill-log-test-'));
  dirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('SpillLog', () => {
  it('reads back every record by position, from memory and from the file', () => {
    const log = new SpillLog(scratch(), 100);
    const records = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, text: `ünïcödé-${'x'.repeat(i)}` }));
    const positions = records.map((record) => log.append(record));
    expect(log.spilled).toBe(true);
    for (const [i, record] of records.entries()) expect(log.read(positions[i]!)).toBe(record);
    expect(log.size).toBe(records.reduce((sum, record) => sum + Buffer.byteLength(record) + 1, 0));
  });

  it('returns raw bytes across the file and the memory buffer, records ending in a newline', () => {
    const log = new SpillLog(scratch(), 25);
    const first = log.append('"aaaaaaaaaaaaaaaaaaaa"');
    const second = log.append('"bb"');
    const third = log.append('"cc"');
    // The first record went to the file once the second did not fit in the 25-byte budget; the others are in memory.
    expect(log.spilled).toBe(true);
    const all = log.readBytes(first.offset, third.offset + third.length - first.offset).toString('utf8');
    expect(all).toBe('"aaaaaaaaaaaaaaaaaaaa"\n"bb"\n"cc"\n');
    expect(log.read(second)).toBe('"bb"');
  });

  it('never creates a file while the records fit in the budget', () => {
    const dir = scratch();
    const log = new SpillLog(dir, Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1000; i++) log.append(`{"i":${i}}`);
    expect(log.spilled).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('holds at most the budget in memory however many records are appended', () => {
    const log = new SpillLog(scratch(), 64 * 1024);
    const record = JSON.stringify({ pad: 'p'.repeat(1000) });
    let last = { offset: 0, length: 0 };
    for (let i = 0; i < 5000; i++) last = log.append(record);
    expect(log.size).toBeGreaterThan(5_000_000);
    expect(log.memoryHeld).toBeLessThanOrEqual(64 * 1024);
    expect(log.read(last)).toBe(record);
  });

  it('gives back its buffer when sealed, records still readable', () => {
    const log = new SpillLog(scratch(), 1024 * 1024);
    const positions = Array.from({ length: 200 }, (_, i) => log.append(JSON.stringify({ i, pad: 'q'.repeat(1000) })));
    expect(log.memoryHeld).toBeGreaterThan(200_000);
    log.seal();
    expect(log.memoryHeld).toBe(0);
    expect(JSON.parse(log.read(positions[123]!))).toEqual({ i: 123, pad: 'q'.repeat(1000) });
    const small = new SpillLog(scratch(), 1024 * 1024);
    const only = small.append('{"small":true}');
    small.seal();
    expect(small.memoryHeld).toBe(15);
    expect(small.spilled).toBe(false);
    expect(small.read(only)).toBe('{"small":true}');
  });

  it('leaves no file behind in its directory (the spill file is unlinked once open)', () => {
    const dir = scratch();
    const log = new SpillLog(dir, 0);
    const position = log.append('{"kept":"readable"}');
    expect(readdirSync(dir)).toEqual([]);
    expect(log.read(position)).toBe('{"kept":"readable"}');
    log.close();
  });
});
