import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../../../local/engine/errors';
import { ChildInputs, readBatchConfig } from '../../../../../local/engine/private/map/child-inputs';
import type { ItemSource } from '../../../../../local/engine/private/map/item-reader';
import type { RawState, StateNode } from '../../../../../local/engine/private/state-graph';
import type { Json } from '../../../../../local/engine/types';
import { contextObject } from '../../expressions/fixtures';

const { Task: _task, ...context } = contextObject();
const random = (): number => 0;

function mapNode(fields: Partial<RawState> = {}): StateNode {
  return { name: 'Fan', type: 'Map', raw: { Type: 'Map', ...fields }, retry: [], catch: [] };
}

function arraySource(items: Json[], failAt?: number): ItemSource & { pulled: () => number } {
  let index = 0;
  return {
    total: items.length,
    pulled: () => index,
    next() {
      if (index === failAt) throw new StatesError('States.ItemReaderFailed', `bad record ${index}`);
      return index < items.length ? items[index++] : undefined;
    },
  };
}

/** Every input `next()` gives until it gives none. */
function drain(inputs: ChildInputs): { input: Json; items: number }[] {
  const all: { input: Json; items: number }[] = [];
  for (let next = inputs.next(); next; next = inputs.next()) all.push(next);
  return all;
}

describe('ChildInputs without an ItemBatcher', () => {
  it('gives one input per item, with ItemSelector rendered for the item and its index', () => {
    const node = mapNode({ ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' } });
    const inputs = new ChildInputs(node, arraySource(['a', 'b']), {}, context, random, undefined);
    expect(drain(inputs)).toEqual([
      { input: { value: 'a', index: 0 }, items: 1 },
      { input: { value: 'b', index: 1 }, items: 1 },
    ]);
  });

  it('pulls items lazily, one per call, and stops pulling once the source is exhausted', () => {
    const source = arraySource([1, 2, 3]);
    const inputs = new ChildInputs(mapNode(), source, {}, context, random, undefined);
    expect(inputs.next()).toEqual({ input: 1, items: 1 });
    expect(source.pulled()).toBe(1);
    drain(inputs);
    expect(inputs.next()).toBeUndefined();
  });

  it('lets an unreadable record throw to the caller', () => {
    const inputs = new ChildInputs(mapNode(), arraySource([1, 2], 1), {}, context, random, undefined);
    expect(inputs.next()).toEqual({ input: 1, items: 1 });
    expect(() => inputs.next()).toThrow('bad record 1');
  });
});

describe('ChildInputs with an ItemBatcher', () => {
  it('cuts batches at MaxItemsPerBatch, with BatchInput in each', () => {
    const batch = { maxItems: 2, maxBytes: Number.POSITIVE_INFINITY, batchInput: { run: 'r1' } };
    const inputs = new ChildInputs(mapNode(), arraySource([1, 2, 3, 4, 5]), {}, context, random, batch);
    expect(drain(inputs)).toEqual([
      { input: { BatchInput: { run: 'r1' }, Items: [1, 2] }, items: 2 },
      { input: { BatchInput: { run: 'r1' }, Items: [3, 4] }, items: 2 },
      { input: { BatchInput: { run: 'r1' }, Items: [5] }, items: 1 },
    ]);
  });

  it('starts a new batch before MaxInputBytesPerBatch would be exceeded, and sends a larger item alone', () => {
    // {"Items":[]} is 12 bytes; "aaaa" 6; each further item 1 more for its comma.
    const batch = { maxItems: Number.POSITIVE_INFINITY, maxBytes: 25 };
    const items = ['aaaa', 'bbbb', 'cccc', 'x'.repeat(30), 'dd'];
    const inputs = new ChildInputs(mapNode(), arraySource(items), {}, context, random, batch);
    expect(drain(inputs).map(({ input }) => (input as { Items: Json[] }).Items)).toEqual([
      ['aaaa', 'bbbb'],
      ['cccc'],
      ['x'.repeat(30)],
      ['dd'],
    ]);
  });

  it('gives the item held for the next batch first among the pending inputs, then the rest with their indexes', () => {
    const batch = { maxItems: Number.POSITIVE_INFINITY, maxBytes: 25 };
    const node = mapNode({ ItemSelector: { 'v.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' } });
    const inputs = new ChildInputs(node, arraySource(['a', 'b', 'c', 'd', 'e']), {}, context, random, batch);
    const first = inputs.next()!;
    expect(first.items).toBe(1);
    // The first batch started (1 item); item 1 was pulled and held because it would not fit.
    expect([...inputs.pending(first.items)]).toEqual([
      { v: 'b', i: 1 },
      { v: 'c', i: 2 },
      { v: 'd', i: 3 },
      { v: 'e', i: 4 },
    ]);
  });
});

describe('ChildInputs.pending', () => {
  it('leaves out an unreadable record and what follows it', () => {
    const inputs = new ChildInputs(mapNode(), arraySource([1, 2, 3, 4], 2), {}, context, random, undefined);
    inputs.next();
    expect([...inputs.pending(1)]).toEqual([2]);
  });
});

describe('readBatchConfig', () => {
  it('is undefined without an ItemBatcher', () => {
    expect(readBatchConfig(mapNode(), {}, context, random)).toBeUndefined();
  });

  it('reads the limits and their Path twins, caps the bytes at 256 KiB and renders BatchInput', () => {
    const node = mapNode({
      ItemBatcher: { MaxItemsPerBatchPath: '$.size', MaxInputBytesPerBatch: 1_000_000, BatchInput: { 'id.$': '$.id' } },
    });
    expect(readBatchConfig(node, { size: 3, id: 'x' }, context, random)).toEqual({
      maxItems: 3,
      maxBytes: 262_144,
      batchInput: { id: 'x' },
    });
  });

  it('treats an unset limit as no limit', () => {
    const node = mapNode({ ItemBatcher: { MaxInputBytesPerBatch: 100 } });
    expect(readBatchConfig(node, {}, context, random)).toEqual({
      maxItems: Number.POSITIVE_INFINITY,
      maxBytes: 100,
      batchInput: undefined,
    });
  });

  it('refuses a Path that does not resolve to a non-negative integer', () => {
    const node = mapNode({ ItemBatcher: { MaxItemsPerBatchPath: '$.size' } });
    expect(() => readBatchConfig(node, { size: -1 }, context, random)).toThrow(
      "The field MaxItemsPerBatchPath '$.size' must resolve to a non-negative integer (received -1)",
    );
  });
});
