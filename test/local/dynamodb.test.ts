import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTable, startDynamoDb, TableSchemaMismatchError, type LocalDynamoDb } from '../../local/dynamodb';

const LEDGER: CreateTableCommandInput = {
  TableName: 'ledger',
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'runId', AttributeType: 'S' },
    { AttributeName: 'itemId', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'runId', KeyType: 'HASH' },
    { AttributeName: 'itemId', KeyType: 'RANGE' },
  ],
};

function clientFor(ddb: LocalDynamoDb): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: ddb.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('startDynamoDb in memory', () => {
  let ddb: LocalDynamoDb;
  let client: DynamoDBClient;
  beforeEach(async () => {
    ddb = await startDynamoDb();
    client = clientFor(ddb);
  });
  afterEach(async () => {
    client.destroy();
    await ddb.close();
  });

  it('creates a table that is ACTIVE when ensureTable returns', async () => {
    await ensureTable(client, LEDGER);
    const out = await client.send(new DescribeTableCommand({ TableName: 'ledger' }));
    expect(out.Table?.TableStatus).toBe('ACTIVE');
  });

  it('is idempotent, also when called concurrently', async () => {
    await Promise.all([ensureTable(client, LEDGER), ensureTable(client, LEDGER), ensureTable(client, LEDGER)]);
    await ensureTable(client, LEDGER);
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['ledger']);
  });

  it('rejects an existing table whose key schema differs, naming both schemas', async () => {
    await ensureTable(client, LEDGER);
    const other: CreateTableCommandInput = {
      ...LEDGER,
      AttributeDefinitions: [{ AttributeName: 'runId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
    };
    const attempt = ensureTable(client, other);
    await expect(attempt).rejects.toBeInstanceOf(TableSchemaMismatchError);
    await expect(attempt).rejects.toThrow('exists with key schema [runId:HASH,itemId:RANGE], expected [runId:HASH]');
  });

  it('stores and reads items through the SDK', async () => {
    await ensureTable(client, LEDGER);
    await client.send(
      new PutItemCommand({ TableName: 'ledger', Item: { runId: { S: 'r' }, itemId: { S: '1' }, status: { S: 'OK' } } }),
    );
    const got = await client.send(new GetItemCommand({ TableName: 'ledger', Key: { runId: { S: 'r' }, itemId: { S: '1' } } }));
    expect(got.Item?.status).toEqual({ S: 'OK' });
  });
});

describe('startDynamoDb on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-dynamodb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps tables and items across a restart on the same directory', async () => {
    const first = await startDynamoDb({ dir });
    const c1 = clientFor(first);
    await ensureTable(c1, LEDGER);
    await c1.send(new PutItemCommand({ TableName: 'ledger', Item: { runId: { S: 'r' }, itemId: { S: '7' } } }));
    c1.destroy();
    await first.close();

    const second = await startDynamoDb({ dir });
    const c2 = clientFor(second);
    try {
      await ensureTable(c2, LEDGER);
      const got = await c2.send(new GetItemCommand({ TableName: 'ledger', Key: { runId: { S: 'r' }, itemId: { S: '7' } } }));
      expect(got.Item?.itemId).toEqual({ S: '7' });
    } finally {
      c2.destroy();
      await second.close();
    }
  });
});
