import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../local/engine';

/** `count` chunks of `size` bytes, each filled with its own letter. */
function* chunks(count: number, size: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, 97 + (i % 26));
}

describe('MemoryObjectStore.putObjectStream', () => {
  it('stores the chunks joined', async () => {
    const store = new MemoryObjectStore();
    await store.putObjectStream('b', 'k', chunks(2, 3));
    expect(store.readText('b', 'k')).toBe('aaabbb');
  });
});
