import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ensureTable,
  type LocalDynamoDb,
  LocalDynamoDbError,
  startDynamoDb,
  TableSchemaMismatchError,
} from '../../local/dynamodb';

const SERVER_MODULE = fileURLToPath(new URL('../../local/dynamodb-server.mjs', import.meta.url));

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
    credentials: ddb.credentials,
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
    const got = await client.send(
      new GetItemCommand({ TableName: 'ledger', Key: { runId: { S: 'r' }, itemId: { S: '1' } } }),
    );
    expect(got.Item?.status).toEqual({ S: 'OK' });
  });
});

/** Live handles of one kind in this process (TCPServerWrap: a listening server). */
function activeResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

async function putItem(ddb: LocalDynamoDb, itemId: string): Promise<void> {
  const client = clientFor(ddb);
  try {
    await ensureTable(client, LEDGER);
    await client.send(new PutItemCommand({ TableName: 'ledger', Item: { runId: { S: 'r' }, itemId: { S: itemId } } }));
  } finally {
    client.destroy();
  }
}

async function getItemId(ddb: LocalDynamoDb, itemId: string): Promise<unknown> {
  const client = clientFor(ddb);
  try {
    const got = await client.send(
      new GetItemCommand({ TableName: 'ledger', Key: { runId: { S: 'r' }, itemId: { S: itemId } } }),
    );
    return got.Item?.itemId;
  } finally {
    client.destroy();
  }
}

describe('where dynalite runs', () => {
  it('serves from a child process by default', async () => {
    const servers = activeResources('TCPServerWrap');
    const ddb = await startDynamoDb();
    try {
      expect(activeResources('TCPServerWrap')).toBe(servers);
      await putItem(ddb, '1');
      expect(await getItemId(ddb, '1')).toEqual({ S: '1' });
    } finally {
      await ddb.close();
    }
  });

  it('serves from this process when inProcess is true', async () => {
    const servers = activeResources('TCPServerWrap');
    const ddb = await startDynamoDb({ inProcess: true });
    try {
      expect(activeResources('TCPServerWrap')).toBe(servers + 1);
      await putItem(ddb, '1');
      expect(await getItemId(ddb, '1')).toEqual({ S: '1' });
    } finally {
      await ddb.close();
    }
  });

  it('rejects a port already in use, naming the port', async () => {
    const first = await startDynamoDb();
    try {
      const second = startDynamoDb({ port: first.port });
      await expect(second).rejects.toBeInstanceOf(LocalDynamoDbError);
      await expect(second).rejects.toThrow(`port ${first.port} on 127.0.0.1 is already in use`);
    } finally {
      await first.close();
    }
  });

  it('resolves close() every time it is called', async () => {
    const ddb = await startDynamoDb();
    await Promise.all([ddb.close(), ddb.close()]);
    await expect(ddb.close()).resolves.toBeUndefined();
  });
});

describe.each([
  { mode: 'in a child process', inProcess: false },
  { mode: 'in process', inProcess: true },
])('startDynamoDb on disk, $mode', ({ inProcess }) => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-dynamodb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps tables and items across a restart on the same directory right after close', async () => {
    const first = await startDynamoDb({ dir, inProcess });
    await putItem(first, '7');
    await first.close();

    const second = await startDynamoDb({ dir, inProcess });
    try {
      expect(await getItemId(second, '7')).toEqual({ S: '7' });
    } finally {
      await second.close();
    }
  });

  it('rejects a second start on a directory that is in use, naming the directory', async () => {
    const first = await startDynamoDb({ dir, inProcess });
    try {
      const second = startDynamoDb({ dir, inProcess });
      await expect(second).rejects.toBeInstanceOf(LocalDynamoDbError);
      await expect(second).rejects.toThrow(
        `cannot open the LevelDB store in ${dir}; only one process can open a directory at a time`,
      );
      // The failed start leaves the running store untouched.
      await putItem(first, '1');
      expect(await getItemId(first, '1')).toEqual({ S: '1' });
    } finally {
      await first.close();
    }
  });
});

describe('the dynalite child process', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-dynamodb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('closes its store and exits when the parent goes away (the IPC channel disconnects)', async () => {
    const child = fork(SERVER_MODULE, [JSON.stringify({ path: dir, port: 0 })], { execArgv: [], stdio: 'inherit' });
    const [message] = (await once(child, 'message')) as [{ type: string }];
    expect(message.type).toBe('listening');
    child.disconnect();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    // The LOCK is released: the directory opens again.
    const again = await startDynamoDb({ dir });
    await again.close();
  });

  it('reports a store it cannot open over IPC and exits 1', async () => {
    const holder = await startDynamoDb({ dir });
    try {
      const child = fork(SERVER_MODULE, [JSON.stringify({ path: dir, port: 0 })], { execArgv: [], stdio: 'inherit' });
      const exit = once(child, 'exit');
      const [message] = (await once(child, 'message')) as [{ type: string; code: string; message: string }];
      expect(message).toMatchObject({ type: 'failed', code: 'LEVEL_DATABASE_NOT_OPEN' });
      expect(message.message).toContain('LOCK');
      expect((await exit)[0]).toBe(1);
    } finally {
      await holder.close();
    }
  });
});
