import type { Json } from '../../types';

/**
 * The items of a Distributed Map, pulled one at a time. The total is known up front (the
 * tolerated failure percentage divides by all items), but items are materialised lazily so a
 * large JSONL or CSV object is parsed as the children start, not all at once.
 */
export interface ItemSource {
  readonly total: number;
  /** The next item, or undefined when all items were pulled; throws States.ItemReaderFailed on a bad record. */
  next(): Json | undefined;
}
