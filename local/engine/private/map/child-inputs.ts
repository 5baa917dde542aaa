import { renderPayloadTemplate } from '../../expressions';
import type { ContextObject, Json, JsonObject } from '../../types';
import { PAYLOAD_LIMIT_BYTES } from '../runtime';
import { readLimit } from '../state-fields';
import type { StateNode } from '../state-graph';
import type { ItemSource } from './item-reader';

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
  private ahead: Json[] = [];
  /** The UTF-8 bytes `ahead` adds to a batch's input, separators included. */
  private aheadBytes = 0;
  private selecting: Promise<void> | undefined;
  private selectionFailure: { error: unknown } | undefined;

  constructor(
    private readonly source: ItemSource,
    private readonly selection: ItemSelection,
    private readonly batch: BatchConfig | undefined,
  ) {}

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
      return selected === undefined ? undefined : { input: selected, items: 1 };
    }
    const items: Json[] = [];
    let bytes = this.batchBase();
    while (items.length < batch.maxItems) {
      const selected = this.pullSelected();
      if (selected === undefined) break;
      const size = byteSize(selected) + (items.length > 0 ? 1 : 0);
      if (items.length > 0 && bytes + size > batch.maxBytes) {
        this.putBack(selected);
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

  private batchBase(): number {
    const batchInput = this.batch?.batchInput;
    return batchInput !== undefined
      ? JSON.stringify({ BatchInput: batchInput, Items: [] }).length
      : '{"Items":[]}'.length;
  }

  /** True when `ahead` holds the whole next child's input, or the source has no more items. */
  private selectedEnough(): boolean {
    if (this.exhausted) return true;
    const batch = this.batch;
    if (!batch) return this.ahead.length > 0;
    return this.ahead.length >= batch.maxItems || this.batchBase() + this.aheadBytes > batch.maxBytes;
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
          this.ahead.push(selected);
          this.aheadBytes += byteSize(selected) + 1;
        }
      } catch (error) {
        this.selectionFailure = { error };
      } finally {
        this.selecting = undefined;
      }
    })();
    return this.selecting;
  }

  private putBack(selected: Json): void {
    this.ahead.unshift(selected);
    this.aheadBytes += byteSize(selected) + 1;
  }

  private pullSelected(): Json | undefined {
    if (this.ahead.length > 0) {
      const selected = this.ahead.shift()!;
      this.aheadBytes -= byteSize(selected) + 1;
      return selected;
    }
    if (this.exhausted || this.selection.kind === 'async') return undefined;
    const value = this.source.next();
    if (value === undefined) {
      this.exhausted = true;
      return undefined;
    }
    return this.selection.select(this.nextItem++, value);
  }
}

const byteSize = (value: Json): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
