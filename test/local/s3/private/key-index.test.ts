import { describe, expect, it } from 'vitest';
import { compareUtf8, KeyIndex } from '../../../../local/s3/private/key-index';

function liveKeys(index: KeyIndex<number>): string[] {
  const { keys, value } = index.ordered();
  return keys.filter((k) => value(k) !== undefined);
}

describe('compareUtf8', () => {
  it('orders strings by their UTF-8 bytes', () => {
    const keys = ['\u{1F600}', '\uFFFD', 'b', 'a', 'ab', '\u00E9', ''];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareUtf8)).toEqual(byBytes);
  });
});

describe('KeyIndex', () => {
  it('keeps keys ordered whether they arrive in order or not', () => {
    const index = new KeyIndex<number>();
    for (const k of ['b', 'd', 'a', 'c', 'e']) index.set(k, 1);
    expect(liveKeys(index)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(index.size).toBe(5);
  });

  it('hides deleted keys and revives a key written again, without duplicates', () => {
    const index = new KeyIndex<number>();
    for (const k of ['a', 'b', 'c']) index.set(k, 1);
    liveKeys(index);
    index.delete('b');
    expect(liveKeys(index)).toEqual(['a', 'c']);
    index.set('b', 2);
    index.set('0', 3);
    index.delete('0');
    index.set('0', 4);
    expect(liveKeys(index)).toEqual(['0', 'a', 'b', 'c']);
    expect(index.ordered().keys.filter((k) => k === 'b')).toHaveLength(1);
    expect(index.ordered().keys.filter((k) => k === '0')).toHaveLength(1);
  });

  it('drops tombstones once they outnumber live keys', () => {
    const index = new KeyIndex<number>();
    for (let i = 0; i < 3000; i++) index.set(String(i).padStart(4, '0'), i);
    for (let i = 0; i < 2000; i++) index.delete(String(i).padStart(4, '0'));
    expect(index.ordered().keys).toHaveLength(1000);
  });

  it('finds the bounds of a key and of a prefix block', () => {
    const index = new KeyIndex<number>();
    for (const k of ['a/1', 'a/2', 'a/3', 'b', 'c/1']) index.set(k, 1);
    expect(index.lowerBound('a/2')).toBe(1);
    expect(index.lowerBound('a/2', true)).toBe(2);
    expect(index.endOfPrefix('a/', 0)).toBe(3);
    expect(index.endOfPrefix('c/', 4)).toBe(5);
  });
});
