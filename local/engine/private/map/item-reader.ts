import { gunzipSync } from 'node:zlib';
import { StatesError, StatesErrors } from '../../errors';
import type { ObjectStore, ObjectSummary } from '../../object-store';
import type { Json, JsonObject } from '../../types';
import type { StateNode } from '../state-graph';
import { csvSource } from './csv-source';
import { inventorySource } from './inventory-manifest';
import type { ItemSource } from './item-source';
import type { ItemOrigin } from './run-settings';

export type { ItemSource } from './item-source';

/** Opens the item source of a Distributed Map: its ItemReader, else the items of its state input. */
export async function openItemSource(node: StateNode, origin: ItemOrigin, store: ObjectStore): Promise<ItemSource> {
  if (origin.kind === 'input') return arraySource(origin.items, Number.POSITIVE_INFINITY);
  const reader = node.raw.ItemReader!;
  const { field, maxItems } = origin;
  const { Bucket: bucket, Key: key, Prefix: prefix } = (origin.parameters ?? {}) as JsonObject;
  if (typeof bucket !== 'string' || bucket === '') {
    throw new StatesError(
      StatesErrors.ItemReaderFailed,
      `ItemReader.${field}.Bucket of state '${node.name}' must be a non-empty string (received ${JSON.stringify(bucket)})`,
    );
  }
  try {
    if (reader.Resource === 'arn:aws:states:::s3:listObjectsV2') {
      return await listSource(store, bucket, typeof prefix === 'string' ? prefix : '', maxItems);
    }
    if (typeof key !== 'string' || key === '') {
      throw new StatesError(
        StatesErrors.ItemReaderFailed,
        `ItemReader.${field}.Key of state '${node.name}' must be a non-empty string (received ${JSON.stringify(key)})`,
      );
    }
    const config = reader.ReaderConfig ?? {};
    if (config.InputType === 'MANIFEST' || config.ManifestType === 'S3_INVENTORY') {
      return await inventorySource(store, bucket, key, config, maxItems);
    }
    const bytes = decompress(await store.getObject(bucket, key), `s3://${bucket}/${key}`);
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
 * Input files may be GZIP- or ZSTD-compressed (docs: input-output-itemreader.html, ReaderConfig
 * InputType). The compression is recognised by the object's first bytes: a gzip body is
 * decompressed; a ZSTD body fails the Map, as Node 20 has no ZSTD decoder.
 */
function decompress(bytes: Buffer, where: string): Buffer {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (error) {
      throw new StatesError(
        StatesErrors.ItemReaderFailed,
        `${where} is gzip-compressed but could not be decompressed: ${(error as Error).message}`,
      );
    }
  }
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) {
    throw new StatesError(
      StatesErrors.ItemReaderFailed,
      `${where} is ZSTD-compressed, which the local engine cannot read (use GZIP or an uncompressed object)`,
    );
  }
  return bytes;
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
