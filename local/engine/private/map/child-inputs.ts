import { renderPayloadTemplate } from '../../expressions';
import type { ContextObject, Json, JsonObject } from '../../types';
import { PAYLOAD_LIMIT_BYTES } from '../runtime';
import { readLimit, selectItem } from '../state-fields';
import type { StateNode } from '../state-graph';
import type { ItemSource } from './item-reader';

/** An ItemBatcher's limits, read once per Map Run (docs: input-output-itembatcher.html). */
interface BatchConfig {
  maxItems: number;
  maxBytes: number;
  batchInput?: Json | undefined;
}

/** Reads the state's ItemBatcher, if it has one. */
export function readBatchConfig(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  random: () => number,
): BatchConfig | undefined {
  const batcher = node.raw.ItemBatcher;
  if (!batcher) return undefined;
  const maxItems = readLimit(
    batcher.MaxItemsPerBatch,
    batcher.MaxItemsPerBatchPath,
    'MaxItemsPerBatch',
    effective,
    context,
  );
  const maxBytes = readLimit(
    batcher.MaxInputBytesPerBatch,
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
 * The inputs of a Map Run's children, pulled from its item source one child at a time: one
 * selected item (ItemSelector applied), or with an ItemBatcher a batch `{BatchInput?, Items}`
 * cut at MaxItemsPerBatch items or MaxInputBytesPerBatch bytes.
 */
export class ChildInputs {
  private nextItem = 0;
  private exhausted = false;
  /** An item pulled for a batch that would not fit it; it opens the next batch. */
  private lookahead: Json | undefined;

  constructor(
    private readonly node: StateNode,
    private readonly source: ItemSource,
    private readonly effective: Json,
    private readonly context: ContextObject,
    private readonly random: () => number,
    private readonly batch: BatchConfig | undefined,
  ) {}

  /** Passes over the first `count` items (those a redriven Map Run started before), keeping their indexes. */
  skip(count: number): void {
    for (let skipped = 0; skipped < count && !this.exhausted; skipped++) {
      if (this.source.next() === undefined) this.exhausted = true;
      else this.nextItem++;
    }
  }

  /** The next child's input, or undefined when every item was pulled; throws what the source or ItemSelector throws. */
  next(): ChildInput | undefined {
    const batch = this.batch;
    if (!batch) {
      const selected = this.pullSelected();
      return selected === undefined ? undefined : { input: selected, items: 1 };
    }
    const items: Json[] = [];
    const base =
      batch.batchInput !== undefined
        ? JSON.stringify({ BatchInput: batch.batchInput, Items: [] }).length
        : '{"Items":[]}'.length;
    let bytes = base;
    while (items.length < batch.maxItems) {
      let selected = this.lookahead;
      this.lookahead = undefined;
      if (selected === undefined) {
        selected = this.pullSelected();
        if (selected === undefined) break;
      }
      const size = Buffer.byteLength(JSON.stringify(selected), 'utf8') + (items.length > 0 ? 1 : 0);
      if (items.length > 0 && bytes + size > batch.maxBytes) {
        this.lookahead = selected;
        break;
      }
      items.push(selected);
      bytes += size;
    }
    if (items.length === 0) return undefined;
    const input: JsonObject =
      batch.batchInput !== undefined ? { BatchInput: batch.batchInput, Items: items } : { Items: items };
    return { input, items: items.length };
  }

  /**
   * The inputs of the items never started (PENDING_n.json when the Map Run fails): the item held
   * for the next batch, if any, then the rest of the source, pulled one at a time as the file is
   * written. `firstIndex` is the `$$.Map.Item.Index` of the first one.
   */
  *pending(firstIndex: number): Generator<Json> {
    let index = firstIndex;
    if (this.lookahead !== undefined) {
      yield this.lookahead;
      index++;
    }
    for (;;) {
      let value: Json | undefined;
      try {
        value = this.source.next();
      } catch {
        // A record that cannot be read is left out of PENDING; the Map Run has failed already.
        return;
      }
      if (value === undefined) return;
      yield selectItem(this.node, this.effective, this.context, index++, value, this.random);
    }
  }

  private pullSelected(): Json | undefined {
    if (this.exhausted) return undefined;
    const value = this.source.next();
    if (value === undefined) {
      this.exhausted = true;
      return undefined;
    }
    const index = this.nextItem++;
    return selectItem(this.node, this.effective, this.context, index, value, this.random);
  }
}
