import type { Json } from '../../types';
import { PAYLOAD_LIMIT_BYTES } from '../runtime';
import type { WriterConfig } from '../state-graph';
import { flattenOutput } from './result-writer';

/**
 * The Map's result when it is not exported to Amazon S3, as JSON text at each child's position,
 * shaped by the Transformation (docs: input-output-resultwriter.html): COMPACT (the default without
 * a ResultWriter) keeps a successful child's output, FLATTEN spreads an array output into the
 * result, NONE keeps the child's whole execution entry. A failed child always contributes its
 * execution entry unchanged, as NONE would ("If a child workflow execution fails, Step Functions
 * returns its execution result unchanged"). AWS's 256 KiB payload quota applies to that array, so
 * collecting stops, and the Map Run fails, as soon as it is exceeded.
 */
export class OutputCollector {
  private texts: string[] = [];
  /** UTF-8 bytes of `[...]` so far. */
  private bytes = 1;

  constructor(private readonly transformation: NonNullable<WriterConfig['Transformation']> = 'COMPACT') {}

  /**
   * Adds one child's contribution: its output text when it succeeded (undefined otherwise) and its
   * execution entry. False once the array is over the payload quota.
   */
  add(index: number, outputText: string | undefined, entry: string): boolean {
    let text = entry;
    if (outputText !== undefined && this.transformation !== 'NONE') {
      text = this.transformation === 'FLATTEN' ? flattenOutput(outputText) : outputText;
    }
    if (text !== '') this.bytes += Buffer.byteLength(text, 'utf8') + 1;
    if (this.bytes > PAYLOAD_LIMIT_BYTES) {
      this.texts = [];
      return false;
    }
    this.texts[index] = text;
    return true;
  }

  result(): Json {
    // An empty array flattened contributes nothing; `filter` also skips them.
    return JSON.parse(`[${this.texts.filter((text) => text !== '').join(',')}]`) as Json;
  }
}
