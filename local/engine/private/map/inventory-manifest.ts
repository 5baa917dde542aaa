import { gunzipSync } from 'node:zlib';
import { StatesError, StatesErrors } from '../../errors';
import type { ObjectStore } from '../../object-store';
import type { Json } from '../../types';
import type { ReaderConfig } from '../state-graph';
import { csvSource } from './csv-source';
import type { ItemSource } from './item-source';

/** The members of an S3 Inventory `manifest.json` the reader relies on (AmazonS3/latest/userguide/storage-inventory-location.html). */
interface InventoryManifest {
  destinationBucket: string;
  fileFormat: string;
  fileSchema: string;
  files: { key: string }[];
}

const DESTINATION_ARN = /^arn:[a-z-]+:s3:::([^/]+)$/;

/**
 * The objects listed by an Amazon S3 Inventory report, read through its `manifest.json`
 * (ReaderConfig `InputType: MANIFEST` or `ManifestType: S3_INVENTORY`; docs:
 * input-output-itemreader.html, "Amazon S3 inventory"). Each data file the manifest lists is a
 * gzip-compressed CSV file in the destination bucket, without a header row; its columns are
 * named by `fileSchema`, so an item is `{Bucket, Key, Size, LastModifiedDate, ...}` with every
 * value a string, as the inventory wrote it. Only CSV reports can be read.
 */
export async function inventorySource(
  store: ObjectStore,
  bucket: string,
  key: string,
  config: ReaderConfig,
  maxItems: number,
): Promise<ItemSource> {
  const where = `s3://${bucket}/${key}`;
  const manifest = parseManifest(await store.getObject(bucket, key), where);
  if (manifest.fileFormat !== 'CSV') {
    throw new StatesError(
      StatesErrors.ItemReaderFailed,
      `The S3 inventory manifest ${where} has fileFormat ${manifest.fileFormat}; a Distributed Map reads only inventory reports in CSV format`,
    );
  }
  const destination = DESTINATION_ARN.exec(manifest.destinationBucket)![1]!;
  const headers = manifest.fileSchema.split(',').map((name) => name.trim());
  const csvConfig: ReaderConfig = {
    CSVHeaderLocation: 'GIVEN',
    CSVHeaders: headers,
    CSVDelimiter: config.CSVDelimiter ?? 'COMMA',
  };
  // Data files are read until MaxItems is reached; the ones after it are never fetched.
  const sources: ItemSource[] = [];
  let total = 0;
  for (const file of manifest.files) {
    if (total >= maxItems) break;
    const compressed = await store.getObject(destination, file.key);
    const source = csvSource(
      gunzipInventoryFile(compressed, `s3://${destination}/${file.key}`),
      csvConfig,
      maxItems - total,
    );
    sources.push(source);
    total += source.total;
  }
  let current = 0;
  return {
    total,
    next(): Json | undefined {
      while (current < sources.length) {
        const item = sources[current]!.next();
        if (item !== undefined) return item;
        current++;
      }
      return undefined;
    },
  };
}

function parseManifest(bytes: Buffer, where: string): InventoryManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalid(where, `it is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(where, 'it must be a JSON object');
  }
  const manifest = parsed as Record<string, unknown>;
  for (const field of ['fileFormat', 'fileSchema', 'destinationBucket'] as const) {
    const value = manifest[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw invalid(where, `field ${field} must be a non-empty string (received ${JSON.stringify(value)})`);
    }
  }
  if (!DESTINATION_ARN.test(manifest.destinationBucket as string)) {
    throw invalid(
      where,
      `field destinationBucket must be a bucket ARN arn:aws:s3:::<bucket> (received ${JSON.stringify(manifest.destinationBucket)})`,
    );
  }
  const files = manifest.files;
  if (!Array.isArray(files)) {
    throw invalid(where, `field files must be an array (received ${JSON.stringify(files)})`);
  }
  files.forEach((file: unknown, index) => {
    const fileKey = (file as { key?: unknown } | null)?.key;
    if (typeof fileKey !== 'string' || fileKey === '') {
      throw invalid(
        where,
        `field files[${index}].key must be a non-empty string (received ${JSON.stringify(fileKey)})`,
      );
    }
  });
  return manifest as unknown as InventoryManifest;
}

function invalid(where: string, reason: string): StatesError {
  return new StatesError(StatesErrors.ItemReaderFailed, `${where} is not a valid S3 inventory manifest: ${reason}`);
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** S3 Inventory writes its CSV data files gzip-compressed (`.csv.gz`). */
function gunzipInventoryFile(bytes: Buffer, where: string): string {
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) {
    throw new StatesError(
      StatesErrors.ItemReaderFailed,
      `The S3 inventory data file ${where} is not gzip-compressed; S3 Inventory writes CSV data files as .csv.gz`,
    );
  }
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (error) {
    throw new StatesError(
      StatesErrors.ItemReaderFailed,
      `The S3 inventory data file ${where} could not be decompressed: ${(error as Error).message}`,
    );
  }
}
