import { StatesError, StatesErrors } from '../../errors';
import { readPath, renderPayloadTemplate } from '../../expressions';
import type { ObjectStore, ObjectSummary } from '../../object-store';
import type { ContextObject, Json, JsonObject } from '../../types';
import { readItems } from '../state-fields';
import type { ReaderConfig, StateNode } from '../state-graph';

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

/** Opens the item source of a Map state: ItemReader when present, else ItemsPath over the state input. */
export async function openItemSource(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  store: ObjectStore,
): Promise<ItemSource> {
  const reader = node.raw.ItemReader;
  if (!reader) return arraySource(readItems(node, effective, context), Number.POSITIVE_INFINITY);
  const parameters =
    reader.Parameters !== undefined
      ? renderPayloadTemplate(reader.Parameters, effective, context, 'ItemReader.Parameters')
      : {};
  const { Bucket: bucket, Key: key, Prefix: prefix } = (parameters ?? {}) as JsonObject;
  if (typeof bucket !== 'string' || bucket === '') {
    throw new StatesError(
      StatesErrors.ItemReaderFailed,
      `ItemReader.Parameters.Bucket of state '${node.name}' must be a non-empty string (received ${JSON.stringify(bucket)})`,
    );
  }
  const maxItems = readMaxItems(node, reader.ReaderConfig, effective, context);
  try {
    if (reader.Resource === 'arn:aws:states:::s3:listObjectsV2') {
      return await listSource(store, bucket, typeof prefix === 'string' ? prefix : '', maxItems);
    }
    if (typeof key !== 'string' || key === '') {
      throw new StatesError(
        StatesErrors.ItemReaderFailed,
        `ItemReader.Parameters.Key of state '${node.name}' must be a non-empty string (received ${JSON.stringify(key)})`,
      );
    }
    const bytes = await store.getObject(bucket, key);
    const config = reader.ReaderConfig ?? {};
    switch (config.InputType) {
      case 'JSON': {
        let parsed: Json;
        try {
          parsed = JSON.parse(bytes.toString('utf8')) as Json;
        } catch (error) {
          throw new StatesError(
            StatesErrors.ItemReaderFailed,
            `s3://${bucket}/${key} is not valid JSON: ${(error as Error).message}`,
          );
        }
        if (!Array.isArray(parsed))
          throw new StatesError(StatesErrors.ItemReaderFailed, `s3://${bucket}/${key} must hold a JSON array of items`);
        return arraySource(parsed, maxItems);
      }
      case 'JSONL':
        // Lines are decoded from the object's bytes one at a time: no copy of the whole object as text.
        return jsonLinesSource(bytes, `s3://${bucket}/${key}`, maxItems);
      case 'CSV':
        return csvSource(bytes.toString('utf8'), config, maxItems);
      default:
        throw new StatesError(
          StatesErrors.ItemReaderFailed,
          `ReaderConfig.InputType ${String(config.InputType)} is not supported`,
        );
    }
  } catch (error) {
    if (error instanceof StatesError && error.error === StatesErrors.ItemReaderFailed) throw error;
    const reason =
      error instanceof StatesError ? `${error.error}: ${error.cause}` : String((error as Error).message ?? error);
    throw new StatesError(StatesErrors.ItemReaderFailed, `State '${node.name}' could not read its items: ${reason}`);
  }
}

/**
 * ReaderConfig.MaxItems(Path): 0 or absent reads every item; a larger value than the data holds
 * reads every item too (values above 100,000,000 included); a negative MaxItemsPath value fails
 * the Map with States.ItemReaderFailed.
 */
function readMaxItems(
  node: StateNode,
  config: ReaderConfig | undefined,
  effective: Json,
  context: ContextObject,
): number {
  if (config?.MaxItemsPath !== undefined) {
    const value = readPath(config.MaxItemsPath, effective, context);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new StatesError(
        StatesErrors.Runtime,
        `ReaderConfig.MaxItemsPath '${config.MaxItemsPath}' of state '${node.name}' must resolve to an integer (received ${JSON.stringify(value)})`,
      );
    }
    if (value < 0) throw new StatesError(StatesErrors.ItemReaderFailed, 'field MaxItems must be positive');
    return value === 0 ? Number.POSITIVE_INFINITY : value;
  }
  return config?.MaxItems ? config.MaxItems : Number.POSITIVE_INFINITY;
}

function arraySource(items: readonly Json[], maxItems: number): ItemSource {
  const total = Math.min(items.length, maxItems);
  let index = 0;
  return { total, next: () => (index < total ? items[index++] : undefined) };
}

function jsonLinesSource(body: Buffer, where: string, maxItems: number): ItemSource {
  // Count non-blank lines first (a byte scan), then decode and parse one line per pulled item.
  let total = 0;
  let start = 0;
  while (start < body.length && total < maxItems) {
    let end = body.indexOf(NEWLINE, start);
    if (end < 0) end = body.length;
    if (!isBlank(body, start, end)) total++;
    start = end + 1;
  }
  let position = 0;
  let pulled = 0;
  let line = 0;
  return {
    total,
    next() {
      while (pulled < total && position < body.length) {
        let end = body.indexOf(NEWLINE, position);
        if (end < 0) end = body.length;
        const from = position;
        position = end + 1;
        line++;
        if (isBlank(body, from, end)) continue;
        pulled++;
        try {
          return JSON.parse(body.toString('utf8', from, end)) as Json;
        } catch (error) {
          throw new StatesError(
            StatesErrors.ItemReaderFailed,
            `${where} line ${line} is not valid JSON: ${(error as Error).message}`,
          );
        }
      }
      return undefined;
    },
  };
}

const NEWLINE = 0x0a;

/** True when bytes [start, end) are only spaces, tabs and carriage returns. */
function isBlank(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

const DELIMITERS: Record<NonNullable<ReaderConfig['CSVDelimiter']>, string> = {
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  SPACE: ' ',
  TAB: '\t',
};

/** A streaming RFC 4180 record reader: quoted fields may hold delimiters, quotes ("") and newlines. */
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
        if (quoted) {
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i++;
            } else quoted = false;
          } else field += c;
        } else if (c === '"' && field === '') quoted = true;
        else if (c === this.delimiter) {
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

function csvSource(body: string, config: ReaderConfig, maxItems: number): ItemSource {
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

async function listSource(store: ObjectStore, bucket: string, prefix: string, maxItems: number): Promise<ItemSource> {
  const objects: ObjectSummary[] = [];
  let token: string | undefined;
  do {
    const page = await store.listObjectsV2(bucket, prefix, token);
    for (const object of page.keys) {
      if (objects.length >= maxItems) break;
      objects.push(object);
    }
    token = objects.length >= maxItems ? undefined : page.nextToken;
  } while (token);
  let index = 0;
  return {
    total: objects.length,
    next() {
      const object = objects[index++];
      if (!object) return undefined;
      // Shape of an s3:listObjectsV2 item (docs: input-output-itemreader.html): LastModified in epoch seconds.
      return {
        Etag: object.etag,
        Key: object.key,
        LastModified: Math.floor(object.lastModified / 1000),
        Size: object.size,
        StorageClass: object.storageClass ?? 'STANDARD',
      };
    },
  };
}
