import { StatesError, StatesErrors } from '../../errors';
import type { JsonObject } from '../../types';
import type { ReaderConfig } from '../state-graph';
import type { ItemSource } from './item-source';

const DELIMITERS: Record<NonNullable<ReaderConfig['CSVDelimiter']>, string> = {
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  SPACE: ' ',
  TAB: '\t',
};

/**
 * A streaming record reader following the rules of example-csv-parse-dist-map.html: quoted fields
 * may hold delimiters and newlines; a doubled quote ("") is one quote, inside quotes or not; a
 * backslash keeps the backslash, quote or delimiter after it as text and is dropped before any
 * other character.
 */
class CsvCursor {
  position = 0;
  constructor(
    private readonly text: string,
    private readonly delimiter: string,
  ) {}

  /** The next record's fields, or undefined at the end; blank lines are skipped. */
  nextRecord(): string[] | undefined {
    const text = this.text;
    while (this.position < text.length) {
      const fields: string[] = [];
      let field = '';
      let quoted = false;
      let i = this.position;
      for (; i < text.length; i++) {
        const c = text[i]!;
        if (c === '\\') {
          const escaped = text[i + 1];
          if (escaped === '\\' || escaped === '"' || escaped === this.delimiter) {
            field += escaped;
            i++;
          }
          continue;
        }
        if (quoted) {
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i++;
            } else quoted = false;
          } else field += c;
        } else if (c === '"' && field === '') quoted = true;
        else if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === this.delimiter) {
          fields.push(field);
          field = '';
        } else if (c === '\n' || c === '\r') break;
        else field += c;
      }
      fields.push(field);
      // Consume the line break (\n, \r\n or \r).
      if (text[i] === '\r' && text[i + 1] === '\n') i++;
      this.position = i + 1;
      if (fields.length === 1 && fields[0] === '') continue;
      return fields;
    }
    return undefined;
  }
}

/** The rows of a delimited text as items, keyed by the headers (first row or `CSVHeaders`). */
export function csvSource(body: string, config: ReaderConfig, maxItems: number): ItemSource {
  const delimiter = DELIMITERS[config.CSVDelimiter ?? 'COMMA'];
  const counter = new CsvCursor(body, delimiter);
  let headers: string[];
  if (config.CSVHeaderLocation === 'FIRST_ROW') {
    const first = counter.nextRecord();
    if (!first) return { total: 0, next: () => undefined };
    headers = first;
  } else {
    headers = config.CSVHeaders ?? [];
  }
  if (new Set(headers).size !== headers.length) {
    throw new StatesError(StatesErrors.ItemReaderFailed, 'CSV headers cannot contain duplicates.');
  }
  const dataStart = counter.position;
  let total = 0;
  while (total < maxItems && counter.nextRecord()) total++;
  const cursor = new CsvCursor(body, delimiter);
  cursor.position = dataStart;
  let pulled = 0;
  return {
    total,
    next() {
      if (pulled >= total) return undefined;
      const fields = cursor.nextRecord();
      if (!fields) return undefined;
      pulled++;
      // A row with more fields than headers loses the extra ones; one with fewer gets "" for the
      // missing ones; an empty header cell is the key "".
      const item: JsonObject = {};
      for (let i = 0; i < headers.length; i++) {
        // defineProperty keeps a `__proto__` header an ordinary key.
        Object.defineProperty(item, headers[i]!, {
          value: fields[i] ?? '',
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return item;
    },
  };
}
