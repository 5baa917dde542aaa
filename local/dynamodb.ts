/**
 * Local DynamoDB: dynalite (a DynamoDB API implementation on LevelDB) on 127.0.0.1,
 * plus `ensureTable`, which works the same against AWS.
 */

import { fork } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { loopbackEndpoint } from './private/loopback';
import type { EndpointAccess } from './private/request-gate.mjs';
import { generateLocalCredentials, type LocalCredentials } from './private/sigv4.mjs';

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
  /**
   * Run dynalite on this process's event loop instead of a child process. The child
   * (the default) keeps request handling off the thread that drives the engine and the
   * SDK clients, so it can use another core.
   * @default false
   */
  readonly inProcess?: boolean;
  /** The only key pair requests may be signed with. @default a fresh pair */
  readonly credentials?: LocalCredentials;
  /** More callers and what each may do (a rehearsal's roles); needs `inProcess`. @default the key pair alone, allowed everything */
  readonly access?: EndpointAccess;
}

/** A running local DynamoDB endpoint. */
export interface LocalDynamoDb {
  /** Endpoint for `new DynamoDBClient({ endpoint })`, e.g. `http://127.0.0.1:45125`. */
  readonly url: string;
  readonly port: number;
  /** The key pair clients must sign with. */
  readonly credentials: LocalCredentials;
  /** In a child process: resolves with why, if dynalite's process ends without `close()`. */
  readonly died?: Promise<string>;
  /**
   * Stops accepting requests, waits for pending writes and closes the LevelDB store; with
   * a child process, resolves once the child has exited, so the directory can be opened
   * again at once. Rejects with {@link LocalDynamoDbError} when the child crashed (exited
   * with a signal or a non-zero code) or failed to close the store.
   */
  close(): Promise<void>;
}

/** The shape of `local/dynamodb-server.mjs`, which ships no type declarations. */
interface DynaliteServerModule {
  listenDynalite(options: ListenOptions & { access?: EndpointAccess }): Promise<Server>;
  closeDynalite(server: Server): Promise<void>;
}

interface ListenOptions {
  path?: string;
  port: number;
  credentials: LocalCredentials;
}

/** The child reads the key pair from its environment, which (unlike its command line) no other user can read. */
const CREDENTIALS_VARIABLE = 'FANOUT_DYNALITE_CREDENTIALS';

type ChildMessage = { type: 'listening'; port: number } | { type: 'failed'; code: string; message: string };

const SERVER_MODULE = new URL('./dynamodb-server.mjs', import.meta.url);

/** dynalite closes its store within 30 s; a child still alive well after that is killed. */
const CHILD_CLOSE_TIMEOUT_MS = 40_000;

/** Enough of the child's stderr to explain a crash. */
const STDERR_TAIL_CHARS = 4_096;

/**
 * Starts dynalite on 127.0.0.1 with table creation, update and deletion taking no
 * time (tables are ACTIVE as soon as CreateTable returns). By default it runs in a
 * child Node process that exits when this process dies; `inProcess: true` keeps it
 * on this event loop. Rejects with {@link LocalDynamoDbError} naming the directory
 * when the store cannot be opened (another process holds its LevelDB LOCK), or
 * naming the port when it is taken.
 *
 * @example
 * const ddb = await startDynamoDb({ dir: '.fanout/dynamodb' });
 * const client = new DynamoDBClient({ endpoint: ddb.url, region: 'us-east-1',
 *   credentials: ddb.credentials });
 * await ddb.close();
 */
export async function startDynamoDb(options: DynamoDbOptions = {}): Promise<LocalDynamoDb> {
  const path = options.dir === undefined ? undefined : resolve(options.dir);
  if (path !== undefined) await mkdir(path, { recursive: true });
  const credentials = options.credentials ?? generateLocalCredentials();
  const listen = { ...(path !== undefined ? { path } : {}), port: options.port ?? 0, credentials };
  if (options.access && !options.inProcess) {
    throw new LocalDynamoDbError('startDynamoDb: access (functions) can only be given with inProcess: true');
  }
  const endpoint = await (options.inProcess
    ? startInProcess({ ...listen, ...(options.access ? { access: options.access } : {}) })
    : startInChild(listen));
  return {
    url: endpoint.url,
    port: endpoint.port,
    credentials,
    close: () => endpoint.close(),
    ...(endpoint.died ? { died: endpoint.died } : {}),
  };
}

function where(options: { path?: string; port: number }): string {
  return options.path === undefined ? 'in memory' : `in ${options.path}`;
}

function startupError(options: { path?: string; port: number }, code: string, message: string): LocalDynamoDbError {
  if (code === 'EADDRINUSE') {
    return new LocalDynamoDbError(`startDynamoDb: port ${options.port} on 127.0.0.1 is already in use (${message})`);
  }
  if (code === 'LEVEL_DATABASE_NOT_OPEN') {
    return new LocalDynamoDbError(
      `startDynamoDb: cannot open the LevelDB store in ${options.path ?? 'memory'}; ` +
        `only one process can open a directory at a time (${message})`,
    );
  }
  return new LocalDynamoDbError(`startDynamoDb: dynalite failed to start ${where(options)}: ${message}`);
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function errorMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.length > 0 ? parts.join(': ') : String(err);
}

async function startInProcess(
  options: ListenOptions & { access?: EndpointAccess },
): Promise<Omit<LocalDynamoDb, 'credentials'>> {
  const server = await (import(SERVER_MODULE.href) as Promise<DynaliteServerModule>);
  let http: Server;
  try {
    http = await server.listenDynalite(options);
  } catch (err) {
    throw startupError(options, errorCode(err), errorMessage(err));
  }
  return loopbackEndpoint((http.address() as AddressInfo).port, () => server.closeDynalite(http));
}

async function startInChild(
  options: ListenOptions,
): Promise<Omit<LocalDynamoDb, 'credentials' | 'died'> & { died: Promise<string> }> {
  const { credentials, ...listen } = options;
  // No loader flags: the module is plain JavaScript, and tsx's or vitest's flags (or
  // --inspect) in this process's execArgv have no business in the child.
  const child = fork(fileURLToPath(SERVER_MODULE), [JSON.stringify(listen)], {
    execArgv: [],
    env: { ...process.env, [CREDENTIALS_VARIABLE]: JSON.stringify(credentials) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    process.stderr.write(chunk);
  });
  // Resolves with why the child ended badly, or undefined when it closed its store and
  // exited 0 (after close(), a disconnect or a SIGTERM).
  const exited = new Promise<string | undefined>((resolveExit) => {
    // 'close' rather than 'exit': it comes after stderr is drained, so the tail is complete.
    child.once('close', (code, signal) => {
      resolveExit(
        code === 0 ? undefined : `exited with ${signal ?? `code ${code}`}${stderrTail ? `: ${stderrTail.trim()}` : ''}`,
      );
    });
  });

  const started = await new Promise<number | LocalDynamoDbError>((resolveStart) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'listening') resolveStart(message.port);
      else if (message.type === 'failed') resolveStart(startupError(options, message.code, message.message));
    });
    child.once('error', (err) => resolveStart(startupError(options, errorCode(err), errorMessage(err))));
    void exited.then((why) =>
      resolveStart(
        new LocalDynamoDbError(
          `startDynamoDb: the dynalite process ${where(options)} ${why ?? 'exited'} before listening`,
        ),
      ),
    );
  });
  if (started instanceof LocalDynamoDbError) {
    // Reject only once the child is gone, so nothing of it outlives the failed start.
    if (child.pid !== undefined) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    throw started;
  }
  let closing = false;
  const died = exited.then((why) => (closing ? new Promise<string>(() => {}) : (why ?? 'exited')));
  const endpoint = loopbackEndpoint(started, async () => {
    closing = true;
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send({ type: 'close' });
      else child.kill('SIGTERM');
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), CHILD_CLOSE_TIMEOUT_MS);
    kill.unref();
    const why = await exited;
    clearTimeout(kill);
    if (why !== undefined)
      throw new LocalDynamoDbError(`LocalDynamoDb.close: the dynalite process ${where(options)} ${why}`);
  });
  return { url: endpoint.url, port: endpoint.port, close: () => endpoint.close(), died };
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
  if (!name) throw new LocalDynamoDbError(`ensureTable: TableName is required. Received: ${JSON.stringify(name)}`);
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
