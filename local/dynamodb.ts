/**
 * Local DynamoDB: dynalite (a DynamoDB API implementation on LevelDB) on 127.0.0.1,
 * plus `ensureTable`, which works the same against AWS.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

/** Errors of the local DynamoDB helpers. */
export class LocalDynamoDbError extends Error {
  override readonly name: string = 'LocalDynamoDbError';
}

/** `ensureTable` found a table whose key schema differs from the one requested. */
export class TableSchemaMismatchError extends LocalDynamoDbError {
  override readonly name = 'TableSchemaMismatchError';
}

/** `ensureTable` gave up waiting for a table to become ACTIVE. */
export class TableNotActiveError extends LocalDynamoDbError {
  override readonly name = 'TableNotActiveError';
}

/** Options of {@link startDynamoDb}. */
export interface DynamoDbOptions {
  /** LevelDB directory; tables and items survive restarts. @default undefined (in memory) */
  readonly dir?: string;
  /** TCP port on 127.0.0.1; @default 0 (an ephemeral port) */
  readonly port?: number;
}

/** A running local DynamoDB endpoint. */
export interface LocalDynamoDb {
  /** Endpoint for `new DynamoDBClient({ endpoint })`, e.g. `http://127.0.0.1:45125`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests, waits for pending writes and closes the LevelDB store. */
  close(): Promise<void>;
}

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite ships no type declarations; it is loaded through require with its shape
// declared here rather than through an ambient module file.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => Server;

/**
 * Starts dynalite on 127.0.0.1 with table creation, update and deletion taking no
 * time (tables are ACTIVE as soon as CreateTable returns).
 *
 * @example
 * const ddb = await startDynamoDb({ dir: '.fanout/dynamodb' });
 * const client = new DynamoDBClient({ endpoint: ddb.url, region: 'us-east-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 * await ddb.close();
 */
export async function startDynamoDb(options: DynamoDbOptions = {}): Promise<LocalDynamoDb> {
  const path = options.dir === undefined ? undefined : resolve(options.dir);
  if (path !== undefined) await mkdir(path, { recursive: true });
  const server = dynalite({
    ...(path !== undefined ? { path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolveClose, reject) => {
        // dynalite's close stops the HTTP server, then closes LevelDB once pending operations finish.
        server.close((err?: Error) => (err ? reject(err) : resolveClose()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** Options of {@link ensureTable}. */
export interface EnsureTableOptions {
  /** How long to wait for ACTIVE. @default 300_000 (AWS can take minutes) */
  readonly timeoutMs?: number;
  /** Longest pause between DescribeTable calls while waiting (pauses start at 10 ms and double). @default 1_000 */
  readonly pollMs?: number;
}

/**
 * Creates the table unless it exists, then waits until it is ACTIVE. Idempotent and
 * safe to race: a concurrent creator's table is accepted. An existing table with a
 * different key schema raises {@link TableSchemaMismatchError} naming both schemas.
 *
 * @example
 * await ensureTable(client, { TableName: 'ledger', BillingMode: 'PAY_PER_REQUEST',
 *   AttributeDefinitions: [{ AttributeName: 'runId', AttributeType: 'S' }],
 *   KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }] });
 */
export async function ensureTable(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  options: EnsureTableOptions = {},
): Promise<void> {
  const name = input.TableName;
  if (!name) throw new LocalDynamoDbError('ensureTable: TableName is required. Received: ' + JSON.stringify(name));
  const timeoutMs = options.timeoutMs ?? 300_000;
  const pollMs = options.pollMs ?? 1_000;
  let table = await describeTable(client, name);
  if (!table) {
    try {
      table = (await client.send(new CreateTableCommand(input))).TableDescription;
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, pollMs)) {
    table = await describeTable(client, name);
    if (table) checkKeySchema(name, input.KeySchema ?? [], table.KeySchema ?? []);
    if (table?.TableStatus === 'ACTIVE') return;
    if (Date.now() >= deadline) {
      throw new TableNotActiveError(
        `ensureTable: table ${name} is not ACTIVE after ${timeoutMs} ms. Received status: ${table?.TableStatus ?? 'no table'}`,
      );
    }
    await new Promise((r) => setTimeout(r, pause));
  }
}

async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

function checkKeySchema(name: string, wanted: KeySchemaElement[], actual: KeySchemaElement[]): void {
  const show = (k: KeySchemaElement[]) => k.map((e) => `${e.AttributeName}:${e.KeyType}`).join(',');
  if (show(wanted) !== show(actual)) {
    throw new TableSchemaMismatchError(
      `ensureTable: table ${name} exists with key schema [${show(actual)}], expected [${show(wanted)}]`,
    );
  }
}
