import type { Json } from '../../types';
import { PAYLOAD_LIMIT_BYTES } from '../runtime';

/**
 * The Map's result when there is no ResultWriter: each child's output, or a failed child's whole
 * execution entry, as JSON text at its position. AWS's 256 KiB payload quota applies to that array, so collecting
 * stops, and the Map Run fails, as soon as it is exceeded.
 */
export class OutputCollector {
  private texts: string[] = [];
  /** UTF-8 bytes of `[...]` so far. */
  private bytes = 1;

  /** Adds one child's output; false once the array is over the payload quota. */
  add(index: number, text: string): boolean {
    this.bytes += Buffer.byteLength(text, 'utf8') + 1;
    if (this.bytes > PAYLOAD_LIMIT_BYTES) {
      this.texts = [];
      return false;
    }
    this.texts[index] = text;
    return true;
  }

  result(): Json {
    return JSON.parse(`[${this.texts.join(',')}]`) as Json;
  }
}
