import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinition, s3ObjectStore } from '../../../../local/engine';
import { InvalidDefinitionError, UnsupportedFeatureError } from '../../../../local/engine/errors';
import { type S3Server, startS3Server } from '../../../../local/s3';
import { type Harness, harness, passMapReading } from '../helpers';

// Amazon S3 inventory as a Distributed Map dataset:
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html ("Amazon S3 inventory
// (process multiple items)"). The manifest, the data file rows and the child input below are the page's
// example; the manifest and data file locations follow
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html
// (destination-prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.json, data/<uuid>.csv.gz).

const DESTINATION = 'amzn-s3-demo-inventory';
const MANIFEST_KEY = 'destination-prefix/amzn-s3-demo-source-bucket/config-id/2022-11-16T00-00Z/manifest.json';
const DATA_KEY =
  'destination-prefix/amzn-s3-demo-source-bucket/config-id/data/20e55de8-9c21-45d4-99b9-46c732000228.csv.gz';

const DOC_ROWS = [
  '"amzn-s3-demo-source-bucket","csvDataset/","0","2022-11-16T00:27:19.000Z"',
  '"amzn-s3-demo-source-bucket","csvDataset/titles.csv","3399671","2022-11-16T00:29:32.000Z"',
  '"amzn-s3-demo-source-bucket","imageDataset/","0","2022-11-15T20:00:44.000Z"',
  '"amzn-s3-demo-source-bucket","imageDataset/n02085620_10074.jpg","27034","2022-11-15T20:02:16.000Z"',
];

/** The page's example manifest, listing the given data files. */
function manifest(files: string[], fields: object = {}): string {
  return JSON.stringify({
    sourceBucket: 'amzn-s3-demo-source-bucket',
    destinationBucket: `arn:aws:s3:::${DESTINATION}`,
    version: '2016-11-30',
    creationTimestamp: '1668560400000',
    fileFormat: 'CSV',
    fileSchema: 'Bucket, Key, Size, LastModifiedDate',
    files: files.map((key) => ({ key, size: 7300, MD5checksum: 'a7ff4a1d4164c3cd55851055ec8f6b20' })),
    ...fields,
  });
}

/** A Distributed Map of Pass children reading the manifest with the given ReaderConfig. */
function inventoryMap(readerConfig: object = { InputType: 'MANIFEST' }): object {
  return passMapReading({ bucket: DESTINATION, key: MANIFEST_KEY }, readerConfig);
}

async function withInventory(files: Record<string, string[]>, manifestFields: object = {}): Promise<Harness> {
  const h = harness();
  await h.store.putObject(DESTINATION, MANIFEST_KEY, manifest(Object.keys(files), manifestFields));
  for (const [key, rows] of Object.entries(files)) {
    await h.store.putObject(DESTINATION, key, gzipSync(`${rows.join('\n')}\n`));
  }
  return h;
}

const keys = (output: string | undefined) => (JSON.parse(output!) as { Key: string }[]).map((item) => item.Key);

describe('ItemReader InputType MANIFEST (input-output-itemreader.html, Amazon S3 inventory)', () => {
  it('starts one child per inventory row, its input the row keyed by fileSchema, every value a string', async () => {
    const h = await withInventory({ [DATA_KEY]: DOC_ROWS });
    const result = await h.run(inventoryMap());
    expect(result.status).toBe('SUCCEEDED');
    const items = JSON.parse(result.output!) as object[];
    expect(items).toHaveLength(4);
    // "Input to a child workflow execution" on the page.
    expect(items[1]).toEqual({
      LastModifiedDate: '2022-11-16T00:29:32.000Z',
      Bucket: 'amzn-s3-demo-source-bucket',
      Size: '3399671',
      Key: 'csvDataset/titles.csv',
    });
  });

  it('reads the same items with ManifestType S3_INVENTORY and no InputType', async () => {
    const h = await withInventory({ [DATA_KEY]: DOC_ROWS });
    const result = await h.run(inventoryMap({ ManifestType: 'S3_INVENTORY' }));
    expect(keys(result.output)).toEqual(DOC_ROWS.map((row) => JSON.parse(`[${row}]`)[1]));
  });

  it('names the item fields after every fileSchema column, in the order the inventory configured them', async () => {
    const h = await withInventory(
      { [DATA_KEY]: ['"src","a.txt","","5","STANDARD"'] },
      { fileSchema: 'Bucket, Key, VersionId, Size, StorageClass' },
    );
    const result = await h.run(inventoryMap());
    expect(JSON.parse(result.output!)).toEqual([
      { Bucket: 'src', Key: 'a.txt', VersionId: '', Size: '5', StorageClass: 'STANDARD' },
    ]);
  });

  it('reads every data file the manifest lists, in the order listed', async () => {
    const h = await withInventory(
      { 'inv/data/b.csv.gz': ['"src","b1"', '"src","b2"'], 'inv/data/a.csv.gz': ['"src","a1"'] },
      {
        fileSchema: 'Bucket, Key',
      },
    );
    expect(keys((await h.run(inventoryMap())).output)).toEqual(['b1', 'b2', 'a1']);
  });

  it('stops at MaxItems across data files and never fetches the files after it', async () => {
    const h = harness();
    // The third file does not exist: reading it would fail the Map with S3.NoSuchKey.
    await h.store.putObject(
      DESTINATION,
      MANIFEST_KEY,
      manifest(['inv/1.csv.gz', 'inv/2.csv.gz', 'inv/missing.csv.gz'], { fileSchema: 'Bucket, Key' }),
    );
    await h.store.putObject(DESTINATION, 'inv/1.csv.gz', gzipSync('"src","k1"\n"src","k2"\n'));
    await h.store.putObject(DESTINATION, 'inv/2.csv.gz', gzipSync('"src","k3"\n"src","k4"\n'));
    const result = await h.run(inventoryMap({ InputType: 'MANIFEST', MaxItems: 3 }));
    expect(result.status).toBe('SUCCEEDED');
    expect(keys(result.output)).toEqual(['k1', 'k2', 'k3']);
  });

  it('applies CSVDelimiter to the data files', async () => {
    const h = await withInventory({ [DATA_KEY]: ['src|a|1'] }, { fileSchema: 'Bucket, Key, Size' });
    const result = await h.run(inventoryMap({ InputType: 'MANIFEST', CSVDelimiter: 'PIPE' }));
    expect(JSON.parse(result.output!)).toEqual([{ Bucket: 'src', Key: 'a', Size: '1' }]);
  });
});

describe('ItemReader MANIFEST through the local S3 endpoint', () => {
  let dir: string;
  let s3: S3Server;
  let client: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-inventory-'));
    s3 = await startS3Server({ dir });
    client = new S3Client({ endpoint: s3.url, region: 'us-east-1', credentials: s3.credentials, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: DESTINATION }));
  });

  afterAll(async () => {
    client.destroy();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the manifest and its gzip data file with S3 GetObject, byte for byte', async () => {
    const put = (key: string, body: string | Buffer) =>
      client.send(new PutObjectCommand({ Bucket: DESTINATION, Key: key, Body: body }));
    await put(MANIFEST_KEY, manifest([DATA_KEY]));
    await put(DATA_KEY, gzipSync(`${DOC_ROWS.join('\n')}\n`));
    const result = await harness([], { objectStore: s3ObjectStore(client) }).run(inventoryMap());
    expect(result.status).toBe('SUCCEEDED');
    expect(keys(result.output)).toEqual([
      'csvDataset/',
      'csvDataset/titles.csv',
      'imageDataset/',
      'imageDataset/n02085620_10074.jpg',
    ]);
  });
});

describe('ItemReader MANIFEST failures (States.ItemReaderFailed)', () => {
  const PREFIX = "An error occurred while executing the state 'Fan' (entered at the event id #2). ";

  // "The output format of your Amazon S3 inventory report must be CSV."
  it.each(['ORC', 'Parquet'])('refuses an inventory in %s format', async (fileFormat) => {
    const h = await withInventory({ [DATA_KEY]: DOC_ROWS }, { fileFormat });
    const result = await h.run(inventoryMap());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toBe(
      `${PREFIX}The S3 inventory manifest s3://${DESTINATION}/${MANIFEST_KEY} has fileFormat ${fileFormat}; a Distributed Map reads only inventory reports in CSV format`,
    );
  });

  it.each([
    [{ fileSchema: undefined }, 'field fileSchema must be a non-empty string (received undefined)'],
    [{ files: 'data.csv.gz' }, 'field files must be an array (received "data.csv.gz")'],
    [{ files: [{ size: 1 }] }, 'field files[0].key must be a non-empty string (received undefined)'],
    [
      { destinationBucket: 'amzn-s3-demo-inventory' },
      'field destinationBucket must be a bucket ARN arn:aws:s3:::<bucket> (received "amzn-s3-demo-inventory")',
    ],
  ])('refuses a manifest that is not an S3 inventory manifest (%j)', async (fields, reason) => {
    const h = await withInventory({ [DATA_KEY]: DOC_ROWS }, fields);
    const result = await h.run(inventoryMap());
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toBe(
      `${PREFIX}s3://${DESTINATION}/${MANIFEST_KEY} is not a valid S3 inventory manifest: ${reason}`,
    );
  });

  it('refuses a manifest that is not JSON', async () => {
    const h = harness();
    await h.store.putObject(DESTINATION, MANIFEST_KEY, 'Bucket,Key\n');
    const result = await h.run(inventoryMap());
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toContain(
      `s3://${DESTINATION}/${MANIFEST_KEY} is not a valid S3 inventory manifest: it is not valid JSON`,
    );
  });

  it('refuses a data file that is not gzip-compressed', async () => {
    const h = harness();
    await h.store.putObject(DESTINATION, MANIFEST_KEY, manifest([DATA_KEY]));
    await h.store.putObject(DESTINATION, DATA_KEY, DOC_ROWS.join('\n'));
    const result = await h.run(inventoryMap());
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toBe(
      `${PREFIX}The S3 inventory data file s3://${DESTINATION}/${DATA_KEY} is not gzip-compressed; S3 Inventory writes CSV data files as .csv.gz`,
    );
  });

  it('fails when a listed data file is missing', async () => {
    const h = harness();
    await h.store.putObject(DESTINATION, MANIFEST_KEY, manifest([DATA_KEY]));
    const result = await h.run(inventoryMap());
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toContain("State 'Fan' could not read its items: S3.NoSuchKey");
  });
});

describe('compressed input files (input-output-itemreader.html, ReaderConfig InputType)', () => {
  // "Input files support the following external compression types: GZIP, ZSTD."
  it('reads a gzip-compressed JSON Lines object', async () => {
    const h = harness();
    await h.store.putObject('in', 'items.jsonl.gz', gzipSync('{"id":1}\n{"id":2}\n'));
    const definition = inventoryMap({ InputType: 'JSONL' }) as { States: { Fan: { ItemReader: object } } };
    definition.States.Fan.ItemReader = {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSONL' },
      Parameters: { Bucket: 'in', Key: 'items.jsonl.gz' },
    };
    const result = await h.run(definition);
    expect(JSON.parse(result.output!)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('fails with States.ItemReaderFailed on a ZSTD-compressed object, which the local engine cannot read', async () => {
    const h = harness();
    // A ZSTD frame starts with the magic number 0xFD2FB528 (little-endian).
    await h.store.putObject('in', 'items.csv.zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
    const definition = inventoryMap() as { States: { Fan: { ItemReader: object } } };
    definition.States.Fan.ItemReader = {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
      Parameters: { Bucket: 'in', Key: 'items.csv.zstd' },
    };
    const result = await h.run(definition);
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toContain('s3://in/items.csv.zstd is ZSTD-compressed, which the local engine cannot read');
  });
});

describe('ItemReader fields checked at CreateStateMachine', () => {
  const load = (readerConfig: object, resource = 'arn:aws:states:::s3:getObject') => {
    const definition = inventoryMap(readerConfig) as { States: { Fan: { ItemReader: { Resource: string } } } };
    definition.States.Fan.ItemReader.Resource = resource;
    return () => loadDefinition(JSON.stringify(definition), []);
  };

  // "If you specify ManifestType is S3_INVENTORY then InputType cannot be specified."
  it('refuses InputType next to ManifestType S3_INVENTORY', () => {
    expect(load({ ManifestType: 'S3_INVENTORY', InputType: 'CSV' })).toThrow(InvalidDefinitionError);
    expect(load({ ManifestType: 'S3_INVENTORY', InputType: 'CSV' })).toThrow(
      'state "Fan": field ItemReader.ReaderConfig.InputType must not be set when ManifestType is S3_INVENTORY (received "CSV")',
    );
  });

  it('refuses an InputType Step Functions does not define', () => {
    expect(load({ InputType: 'XML' })).toThrow(
      'state "Fan": field ItemReader.ReaderConfig.InputType must be one of CSV, JSON, JSONL, PARQUET, MANIFEST (received "XML")',
    );
  });

  it('refuses a ManifestType Step Functions does not define', () => {
    expect(load({ ManifestType: 'HIVE' })).toThrow(
      'state "Fan": field ItemReader.ReaderConfig.ManifestType must be S3_INVENTORY or ATHENA_DATA (received "HIVE")',
    );
  });

  it.each([
    [{ InputType: 'PARQUET' }, 'field ItemReader.ReaderConfig.InputType PARQUET is not supported by the local engine'],
    [{ ManifestType: 'ATHENA_DATA', InputType: 'CSV' }, 'field ItemReader.ReaderConfig.ManifestType ATHENA_DATA'],
    [{ InputType: 'JSON', ItemsPointer: '/inventory/products' }, 'field ItemReader.ReaderConfig.ItemsPointer'],
    [{ InputType: 'MANIFEST', CSVHeaderLocation: 'FIRST_ROW' }, 'field ItemReader.ReaderConfig.CSVHeaderLocation'],
  ])('refuses what the local engine does not read, naming the state and field (%j)', (config, message) => {
    expect(load(config)).toThrow(UnsupportedFeatureError);
    expect(load(config)).toThrow(`state "Fan": ${message}`);
  });

  it('refuses Transformation LOAD_AND_FLATTEN with s3:listObjectsV2', () => {
    const reader = load({ InputType: 'JSON', Transformation: 'LOAD_AND_FLATTEN' }, 'arn:aws:states:::s3:listObjectsV2');
    expect(reader).toThrow(UnsupportedFeatureError);
    expect(reader).toThrow('state "Fan": field ItemReader.ReaderConfig.Transformation LOAD_AND_FLATTEN');
  });

  it('refuses a CSVDelimiter Step Functions does not define', () => {
    expect(load({ InputType: 'MANIFEST', CSVDelimiter: 'COLON' })).toThrow(
      'state "Fan": field ItemReader.ReaderConfig.CSVDelimiter must be one of COMMA, PIPE, SEMICOLON, SPACE, TAB (received "COLON")',
    );
  });

  it('accepts InputType MANIFEST and ManifestType S3_INVENTORY', () => {
    expect(load({ InputType: 'MANIFEST' })).not.toThrow();
    expect(load({ ManifestType: 'S3_INVENTORY', MaxItems: 10 })).not.toThrow();
  });
});
