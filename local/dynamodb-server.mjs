/**
 * dynalite (a DynamoDB API implementation on LevelDB) on 127.0.0.1.
 *
 * Plain JavaScript on purpose: `startDynamoDb` forks this file with no loader
 * (`execArgv: []`), so the child starts the same way whether the parent runs under
 * tsx, vitest or bin/fanout.mjs, and pays no TypeScript transform at startup. The
 * parent also imports `listenDynalite`/`closeDynalite` from here for `inProcess: true`,
 * so both modes share one startup path.
 *
 * Run as a forked child, with the options as JSON in argv[2] ({ path?, port }) and the key
 * pair as JSON in FANOUT_DYNALITE_CREDENTIALS ({ accessKeyId, secretAccessKey }):
 *   child → parent  { type: 'listening', port }   store open and server listening
 *                   { type: 'failed', code, message }   startup failed; the child exits 1
 *   parent → child  { type: 'close' }   close gracefully, then exit
 * The child also closes and exits when the IPC channel disconnects (the parent died or
 * let go) and on SIGTERM. It ignores SIGINT: a Ctrl-C reaches the whole process group,
 * and the parent decides when the store closes (it closes it, or dies and disconnects).
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { admitRequest } from './private/request-gate.mjs';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
// dynalite's store factory; index.js calls it through this module object, so wrapping
// the export is how the store (and its LevelDB handle) becomes reachable.
const dynaliteDb = require('dynalite/db');

/** Connections still open this long after close() are cut, as the local S3 and SNS do. */
const CUT_CONNECTIONS_AFTER_MS = 1_000;

/**
 * Starts dynalite with table changes taking no time, waits until its LevelDB store is
 * open, then listens. Rejects when the store cannot be opened (another process holds
 * the directory's LOCK) or the port is taken.
 *
 * Only requests signed with `credentials` reach dynalite (local/private/request-gate.mjs).
 *
 * @param {{ path?: string, port: number, credentials: { accessKeyId: string, secretAccessKey: string }, access?: object }} options
 *   `access`: more callers and what each may do (request-gate.mjs), in-process only
 * @returns {Promise<import('node:http').Server>}
 */
export async function listenDynalite({ path, port, credentials, access }) {
  const createStore = dynaliteDb.create;
  let store;
  dynaliteDb.create = (options) => (store = createStore(options));
  let server;
  try {
    server = dynalite({
      ...(path !== undefined ? { path } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
  } finally {
    dynaliteDb.create = createStore;
  }
  // The gate is the only way to dynalite's own handler, which checks no signature and would
  // answer any web page with CORS headers.
  const [serve] = server.listeners('request');
  server.removeAllListeners('request');
  const gate = { service: 'dynamodb', credentials, ...access };
  server.on('request', (request, response) => {
    admitRequest(request, response, gate).then(
      (admitted) => admitted && serve(replayed(request, admitted.body), response),
      () => response.destroy(),
    );
  });
  // LevelDB opens lazily; left alone, a failed open only shows later as requests that
  // never answer. Opening explicitly rejects with the cause (e.g. the LOCK error).
  await store.db.open();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * The request again, its body (already read by the gate) streamed anew for dynalite's
 * handler, which reads it with 'data' and 'end' events.
 * @param {import('node:http').IncomingMessage} request
 * @param {Buffer} body
 */
function replayed(request, body) {
  const stream = Readable.from(body.length > 0 ? [body] : []);
  return Object.assign(stream, { method: request.method, url: request.url, headers: request.headers });
}

/**
 * Stops accepting requests, lets in-flight ones finish (cutting connections still open
 * after a second) and closes the LevelDB store once its pending operations are done.
 *
 * @param {import('node:http').Server} server
 * @returns {Promise<void>}
 */
export function closeDynalite(server) {
  return new Promise((resolve, reject) => {
    const cut = setTimeout(() => server.closeAllConnections(), CUT_CONNECTIONS_AFTER_MS);
    server.close((err) => {
      clearTimeout(cut);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** The LevelDB error behind abstract-level's LEVEL_DATABASE_NOT_OPEN, which says only "not open". */
function describeFailure(err) {
  const parts = [];
  for (let e = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return { code: err?.code ?? 'UNKNOWN', message: parts.length ? parts.join(': ') : String(err) };
}

async function serveForParent() {
  process.on('SIGINT', () => {});
  const credentials = JSON.parse(process.env.FANOUT_DYNALITE_CREDENTIALS ?? 'null');
  delete process.env.FANOUT_DYNALITE_CREDENTIALS;
  const options = { ...JSON.parse(process.argv[2] ?? '{}'), credentials };
  let server;
  try {
    server = await listenDynalite(options);
  } catch (err) {
    process.send({ type: 'failed', ...describeFailure(err) }, () => process.exit(1));
    return;
  }
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    try {
      await closeDynalite(server);
      process.exitCode = 0;
    } catch (err) {
      process.stderr.write(`dynalite: closing failed: ${describeFailure(err).message}\n`);
      process.exitCode = 1;
    }
    // The IPC channel (when still connected) would keep the process alive.
    process.exit();
  };
  process.on('message', (message) => {
    if (message?.type === 'close') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.send({ type: 'listening', port: server.address().port });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && typeof process.send === 'function') {
  await serveForParent();
}
