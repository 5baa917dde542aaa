import { describe, expect, it } from 'vitest';
import { decodeUtf8, Utf8Check } from '../../../../lambdas/shared/input/utf8';
import { inputError } from './helpers';

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

describe('decodeUtf8', () => {
  it('decodes UTF-8 text, multi-byte characters included', () => {
    expect(decodeUtf8(bytes('{"x":"héllo ✓ 𝄞"}'), 'input')).toBe('{"x":"héllo ✓ 𝄞"}');
  });

  // Each row: the bytes after `{"x":"` (offset 6), and the offset the error must name.
  it.each([
    ['a byte that starts no character (0xFF)', [0xff], 6, '0xFF'],
    ['a stray continuation byte', [0x80], 6, '0x80'],
    ['a two-byte sequence cut short', [0xc3, 0x28], 6, '0xC3 0x28'],
    ['an overlong encoding of "/"', [0xc0, 0xaf], 6, '0xC0 0xAF'],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf], 6, '0xE0 0x80 0xAF'],
    ['a UTF-16 surrogate (U+D800)', [0xed, 0xa0, 0x80], 6, '0xED 0xA0 0x80'],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 6, '0xF4 0x90 0x80 0x80'],
    ['valid text before the bad byte', [0x61, 0xc3, 0xa9, 0xfe], 9, '0xFE'],
  ])('refuses %s, naming its byte offset', (_what, bad, offset, shown) => {
    const error = inputError(() => decodeUtf8(bytes('{"x":"', bad, '"}'), 'input'));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('input');
    expect(error.issues[0]?.message).toContain(
      `must be UTF-8 text, but the bytes at byte offset ${offset} are not UTF-8`,
    );
    expect(error.issues[0]?.received).toContain(shown);
  });

  it('refuses a sequence cut short by the end of the text', () => {
    const error = inputError(() => decodeUtf8(bytes('ab', [0xe2, 0x9c]), 'input'));
    expect(error.issues[0]?.message).toContain('byte offset 2');
  });
});

describe('Utf8Check', () => {
  it('accepts a character split across chunks', () => {
    const check = new Utf8Check();
    expect(check.push(bytes('a', [0xe2]))).toBeUndefined();
    expect(check.push(bytes([0x9c, 0x93], 'b'))).toBeUndefined();
    expect(check.end()).toBeUndefined();
  });

  it('names the offset in the whole stream, not in the chunk', () => {
    const check = new Utf8Check();
    expect(check.push(bytes('0123456789'))).toBeUndefined();
    expect(check.push(bytes('ab', [0xe2]))).toBeUndefined();
    // The sequence that started at offset 12 is broken by the next chunk's first byte.
    expect(check.push(bytes('c'))).toBe(12);
    expect(check.end()).toBe(12);
  });

  it('refuses a stream that ends inside a character', () => {
    const check = new Utf8Check();
    expect(check.push(bytes('abc', [0xf0, 0x9f]))).toBeUndefined();
    expect(check.end()).toBe(3);
  });
});
