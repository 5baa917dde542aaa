import { renderPayloadTemplate } from '../../expressions';
import type { ContextObject, Json, JsonObject } from '../../types';
import { PAYLOAD_LIMIT_BYTES } from '../runtime';
import { readLimit } from '../state-fields';
import type { StateNode } from '../state-graph';
import type { ItemSource } from './item-source';

/** An ItemBatcher's limits, read once per Map Run (docs: input-output-itembatcher.html). */
export interface BatchConfig {
  maxItems: number;
  maxBytes: number;
  batchInput?: Json | undefined;
}

/** Reads the ItemBatcher of a JSONPath state, if it has one. */
export function readBatchConfig(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  random: () => number,
): BatchConfig | undefined {
  const batcher = node.raw.ItemBatcher;
  if (!batcher) return undefined;
  const maxItems = readLimit(
    batcher.MaxItemsPerBatch as number | undefined,
    batcher.MaxItemsPerBatchPath,
    'MaxItemsPerBatch',
    effective,
    context,
  );
  const maxBytes = readLimit(
    batcher.MaxInputBytesPerBatch as number | undefined,
    batcher.MaxInputBytesPerBatchPath,
    'MaxInputBytesPerBatch',
    effective,
    context,
  );
  const batchInput =
    batcher.BatchInput !== undefined
      ? renderPayloadTemplate(batcher.BatchInput, effective, context, 'BatchInput', random)
      : undefined;
  return {
    maxItems: maxItems || Number.POSITIVE_INFINITY,
    // A batch is a child's input, so it can never exceed the 256 KiB payload quota.
    maxBytes: Math.min(maxBytes || Number.POSITIVE_INFINITY, PAYLOAD_LIMIT_BYTES),
    batchInput,
  };
}

/** One child's input and the number of items it carries. */
export interface ChildInput {
  input: Json;
  items: number;
}

/**
 * How an item becomes (part of) a child's input, given its index (`Map.Item.Index`) and value:
 * ItemSelector, or the item unchanged. A JSONPath ItemSelector is rendered at once; a JSONata
 * one is evaluated asynchronously, so its items are selected ahead of the children.
 */
export type ItemSelection =
  | { kind: 'sync'; select: (index: number, value: Json) => Json }
  | { kind: 'async'; select: (index: number, value: Json) => Promise<Json> };

/** Items selected ahead of the children by an asynchronous ItemSelector, at least. */
const SELECT_AHEAD = 64;

/**
 * The inputs of a Map Run's children, pulled from its item source one child at a time: one
 * selected item (ItemSelector applied), or with an ItemBatcher a batch `{BatchInput?, Items}`
 * cut at MaxItemsPerBatch items or MaxInputBytesPerBatch bytes.
 */
export class ChildInputs {
  private nextItem = 0;
  private exhausted = false;
  /**
   * Items selected but in no child yet, in item order: the item that did not fit a batch (it
   * opens the next one) and, with an asynchronous selection, the items selected ahead.
   */
  private readonly ahead = new SelectedQueue();
  /** The size of `{"BatchInput":...,"Items":[]}`, before any item. */
  private readonly batchBase: number;
  private selecting: Promise<void> | undefined;
  private selectionFailure: { error: unknown } | undefined;

  constructor(
    private readonly source: ItemSource,
    private readonly selection: ItemSelection,
    private readonly batch: BatchConfig | undefined,
  ) {
    const batchInput = batch?.batchInput;
    this.batchBase = batchInput !== undefined ? byteSize({ BatchInput: batchInput, Items: [] }) : '{"Items":[]}'.length;
  }

  /** Passes over the first `count` items (those a redriven Map Run started before), keeping their indexes. */
  skip(count: number): void {
    for (let skipped = 0; skipped < count && !this.exhausted; skipped++) {
      if (this.source.next() === undefined) this.exhausted = true;
      else this.nextItem++;
    }
  }

  /**
   * The next child's input, or undefined when every item was pulled; throws what the source or
   * ItemSelector throws. With an asynchronous selection, a promise instead when the next input is
   * not selected yet: call again once it settles.
   */
  next(): ChildInput | undefined | Promise<void> {
    if (this.selectionFailure) {
      const { error } = this.selectionFailure;
      this.selectionFailure = undefined;
      throw error;
    }
    if (this.selection.kind === 'async' && !this.selectedEnough()) return this.selectAhead();
    const batch = this.batch;
    if (!batch) {
      const selected = this.pullSelected();
      return selected === undefined ? undefined : { input: selected.value, items: 1 };
    }
    const items: Json[] = [];
    let bytes = this.batchBase;
    while (items.length < batch.maxItems) {
      const selected = this.pullSelected();
      if (selected === undefined) break;
      const size = selected.size + (items.length > 0 ? 1 : 0);
      if (items.length > 0 && bytes + size > batch.maxBytes) {
        this.ahead.unshift(selected.value, selected.size);
        break;
      }
      items.push(selected.value);
      bytes += size;
    }
    if (items.length === 0) return undefined;
    const input: JsonObject =
      batch.batchInput !== undefined ? { BatchInput: batch.batchInput, Items: items } : { Items: items };
    return { input, items: items.length };
  }

  /**
   * The inputs of the items never started (PENDING_n.json when the Map Run fails), one per item:
   * the items selected ahead, then the rest of the source, each selected with its own
   * `Map.Item.Index`. JSONPath inputs are selected as the file is written; JSONata ones are
   * selected first, as their selection is asynchronous.
   */
  async pending(): Promise<Iterator<Json>> {
    if (this.selection.kind === 'sync') return this.pendingInputs(this.selection.select);
    await this.selecting;
    const all: Json[] = [...this.ahead];
    for (;;) {
      const value = this.pullPending();
      if (value === undefined) break;
      try {
        all.push(await this.selection.select(this.nextItem++, value));
      } catch {
        break;
      }
    }
    return all[Symbol.iterator]();
  }

  private *pendingInputs(select: (index: number, value: Json) => Json): Generator<Json> {
    yield* this.ahead;
    for (;;) {
      const value = this.pullPending();
      if (value === undefined) return;
      yield select(this.nextItem++, value);
    }
  }

  /** The next raw item for PENDING; a record that cannot be read ends the list, the Map Run has failed already. */
  private pullPending(): Json | undefined {
    try {
      return this.exhausted ? undefined : this.source.next();
    } catch {
      return undefined;
    }
  }

  /** True when `ahead` holds the whole next child's input, or the source has no more items. */
  private selectedEnough(): boolean {
    if (this.exhausted) return true;
    const batch = this.batch;
    if (!batch) return this.ahead.length > 0;
    return this.ahead.length >= batch.maxItems || this.batchBase + this.ahead.bytes > batch.maxBytes;
  }

  /** Selects items ahead (asynchronous selection) until the next child's input is whole and SELECT_AHEAD are waiting. */
  private selectAhead(): Promise<void> {
    this.selecting ??= (async () => {
      try {
        const select = this.selection.select;
        while (!this.exhausted && (!this.selectedEnough() || this.ahead.length < SELECT_AHEAD)) {
          const value = this.source.next();
          if (value === undefined) {
            this.exhausted = true;
            break;
          }
          const selected = await select(this.nextItem++, value);
          this.ahead.push(selected, this.sizeOf(selected));
        }
      } catch (error) {
        this.selectionFailure = { error };
      } finally {
        this.selecting = undefined;
      }
    })();
    return this.selecting;
  }

  /** A selected item's UTF-8 size, which only batches need. */
  private sizeOf(selected: Json): number {
    return this.batch ? byteSize(selected) : 0;
  }

  private pullSelected(): { value: Json; size: number } | undefined {
    const waiting = this.ahead.shift();
    if (waiting) return waiting;
    if (this.exhausted || this.selection.kind === 'async') return undefined;
    const value = this.source.next();
    if (value === undefined) {
      this.exhausted = true;
      return undefined;
    }
    const selected = this.selection.select(this.nextItem++, value);
    return { value: selected, size: this.sizeOf(selected) };
  }
}

const byteSize = (value: Json): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Selected items waiting for a child, in item order, with their sizes and the bytes they add to a
 * batch (a comma each). Taken from the front by an index, so a batch of many small items costs
 * no copying per item.
 */
class SelectedQueue {
  private values: Json[] = [];
  private sizes: number[] = [];
  private head = 0;
  bytes = 0;

  get length(): number {
    return this.values.length - this.head;
  }

  push(value: Json, size: number): void {
    this.values.push(value);
    this.sizes.push(size);
    this.bytes += size + 1;
  }

  unshift(value: Json, size: number): void {
    if (this.head > 0) {
      this.head--;
      this.values[this.head] = value;
      this.sizes[this.head] = size;
    } else {
      this.values.unshift(value);
      this.sizes.unshift(size);
    }
    this.bytes += size + 1;
  }

  shift(): { value: Json; size: number } | undefined {
    if (this.length === 0) return undefined;
    const value = this.values[this.head]!;
    const size = this.sizes[this.head]!;
    this.head++;
    this.bytes -= size + 1;
    if (this.head === this.values.length) {
      this.values = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.values.length) {
      this.values = this.values.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return { value, size };
  }

  *[Symbol.iterator](): Generator<Json> {
    for (let i = this.head; i < this.values.length; i++) yield this.values[i]!;
  }
}
