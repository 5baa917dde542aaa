import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../../../local/engine/errors';
import { ChildInputs, type ItemSelection, readBatchConfig } from '../../../../../local/engine/private/map/child-inputs';
import type { ItemSource } from '../../../../../local/engine/private/map/item-reader';
import { selectItem } from '../../../../../local/engine/private/state-fields';
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

/** A JSONPath ItemSelector (or none) of `node`, rendered at once. */
function jsonPathSelection(node: StateNode): ItemSelection {
  return { kind: 'sync', select: (index, value) => selectItem(node, {}, context, index, value, random) };
}

/** Every input `next()` gives until it gives none, waiting whenever it is still selecting. */
async function drainAsync(inputs: ChildInputs): Promise<{ input: Json; items: number }[]> {
  const all: { input: Json; items: number }[] = [];
  for (;;) {
    const next = inputs.next();
    if (next instanceof Promise) {
      await next;
      continue;
    }
    if (!next) return all;
    all.push(next);
  }
}

const listed = (iterator: Iterator<Json>): Json[] => [...{ [Symbol.iterator]: () => iterator }];

/** Every input a synchronous selection gives until it gives none. */
function drain(inputs: ChildInputs): { input: Json; items: number }[] {
  const all: { input: Json; items: number }[] = [];
  for (let next = inputs.next(); next; next = inputs.next()) {
    if (next instanceof Promise) throw new Error('a synchronous selection never waits');
    all.push(next);
  }
  return all;
}

describe('ChildInputs without an ItemBatcher', () => {
  it('gives one input per item, with ItemSelector rendered for the item and its index', () => {
    const node = mapNode({ ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' } });
    const inputs = new ChildInputs(arraySource(['a', 'b']), jsonPathSelection(node), undefined);
    expect(drain(inputs)).toEqual([
      { input: { value: 'a', index: 0 }, items: 1 },
      { input: { value: 'b', index: 1 }, items: 1 },
    ]);
  });

  it('pulls items lazily, one per call, and stops pulling once the source is exhausted', () => {
    const source = arraySource([1, 2, 3]);
    const inputs = new ChildInputs(source, jsonPathSelection(mapNode()), undefined);
    expect(inputs.next()).toEqual({ input: 1, items: 1 });
    expect(source.pulled()).toBe(1);
    drain(inputs);
    expect(inputs.next()).toBeUndefined();
  });

  it('lets an unreadable record throw to the caller', () => {
    const inputs = new ChildInputs(arraySource([1, 2], 1), jsonPathSelection(mapNode()), undefined);
    expect(inputs.next()).toEqual({ input: 1, items: 1 });
    expect(() => inputs.next()).toThrow('bad record 1');
  });
});

describe('ChildInputs with an ItemBatcher', () => {
  it('cuts batches at MaxItemsPerBatch, with BatchInput in each', () => {
    const batch = { maxItems: 2, maxBytes: Number.POSITIVE_INFINITY, batchInput: { run: 'r1' } };
    const inputs = new ChildInputs(arraySource([1, 2, 3, 4, 5]), jsonPathSelection(mapNode()), batch);
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
    const inputs = new ChildInputs(arraySource(items), jsonPathSelection(mapNode()), batch);
    expect(drain(inputs).map(({ input }) => (input as { Items: Json[] }).Items)).toEqual([
      ['aaaa', 'bbbb'],
      ['cccc'],
      ['x'.repeat(30)],
      ['dd'],
    ]);
  });

  it('gives the item held for the next batch first among the pending inputs, then the rest with their indexes', async () => {
    const batch = { maxItems: Number.POSITIVE_INFINITY, maxBytes: 25 };
    const node = mapNode({ ItemSelector: { 'v.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' } });
    const inputs = new ChildInputs(arraySource(['a', 'b', 'c', 'd', 'e']), jsonPathSelection(node), batch);
    const first = inputs.next() as { items: number };
    expect(first.items).toBe(1);
    // The first batch started (1 item); item 1 was pulled and held because it would not fit.
    expect(listed(await inputs.pending())).toEqual([
      { v: 'b', i: 1 },
      { v: 'c', i: 2 },
      { v: 'd', i: 3 },
      { v: 'e', i: 4 },
    ]);
  });
});

describe('ChildInputs.pending', () => {
  it('leaves out an unreadable record and what follows it', async () => {
    const inputs = new ChildInputs(arraySource([1, 2, 3, 4], 2), jsonPathSelection(mapNode()), undefined);
    expect(inputs.next()).toEqual({ input: 1, items: 1 });
    expect(listed(await inputs.pending())).toEqual([2]);
  });
});

describe('ChildInputs with an asynchronous selection (a JSONata ItemSelector)', () => {
  const tagged: ItemSelection = { kind: 'async', select: async (index, value) => ({ index, value }) };

  it('asks the caller to wait until the next input is selected, then gives the inputs in item order', async () => {
    const inputs = new ChildInputs(arraySource(['a', 'b', 'c']), tagged, undefined);
    expect(inputs.next()).toBeInstanceOf(Promise);
    expect(await drainAsync(inputs)).toEqual([
      { input: { index: 0, value: 'a' }, items: 1 },
      { input: { index: 1, value: 'b' }, items: 1 },
      { input: { index: 2, value: 'c' }, items: 1 },
    ]);
  });

  it('selects a whole batch before cutting it, at MaxItemsPerBatch or MaxInputBytesPerBatch', async () => {
    const byCount = new ChildInputs(arraySource([1, 2, 3]), tagged, { maxItems: 2, maxBytes: 262_144 });
    expect((await drainAsync(byCount)).map(({ items }) => items)).toEqual([2, 1]);
    // {"Items":[]} is 12 bytes, {"index":0,"value":1} 21: two do not fit in 40.
    const byBytes = new ChildInputs(arraySource([1, 2, 3]), tagged, { maxItems: Infinity, maxBytes: 40 });
    expect((await drainAsync(byBytes)).map(({ items }) => items)).toEqual([1, 1, 1]);
  });

  it('selects no more than a bounded number of items ahead of the children', async () => {
    const source = arraySource(Array.from({ length: 1000 }, (_, i) => i));
    const inputs = new ChildInputs(source, tagged, undefined);
    await inputs.next();
    expect(source.pulled()).toBeLessThan(100);
  });

  it('throws a selection error from the next call, as the source would', async () => {
    const failing: ItemSelection = {
      kind: 'async',
      select: async (index) => {
        if (index === 1) throw new StatesError('States.QueryEvaluationError', 'bad item 1');
        return index;
      },
    };
    const inputs = new ChildInputs(arraySource(['a', 'b']), failing, undefined);
    await inputs.next();
    expect(() => inputs.next()).toThrow('bad item 1');
  });

  it('lists the items selected ahead among the pending inputs, then selects the rest', async () => {
    const inputs = new ChildInputs(arraySource(['a', 'b', 'c']), tagged, { maxItems: 1, maxBytes: 262_144 });
    await inputs.next();
    expect(inputs.next()).toEqual({ input: { Items: [{ index: 0, value: 'a' }] }, items: 1 });
    expect(listed(await inputs.pending())).toEqual([
      { index: 1, value: 'b' },
      { index: 2, value: 'c' },
    ]);
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
