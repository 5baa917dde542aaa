/**
 * Listening on 127.0.0.1 and shutting down, one way for the local endpoints, so the
 * S3 and SNS endpoints report a taken port alike and neither lets a keep-alive
 * connection hold shutdown open. Local DynamoDB shares only {@link loopbackEndpoint}:
 * dynalite listens in `local/dynamodb-server.mjs`, plain JavaScript that a child
 * process runs without a TypeScript loader.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError } from '../errors';

/** The loopback address every local endpoint binds: nothing is reachable from other hosts. */
const LOOPBACK_HOST = '127.0.0.1';

/** How long close lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 1000;

/** A local endpoint on 127.0.0.1. */
export interface LoopbackEndpoint {
  /** e.g. `http://127.0.0.1:45123` */
  readonly url: string;
  readonly port: number;
  /** Shuts the endpoint down; every call returns the same promise. */
  close(): Promise<void>;
}

/** Options of {@link serveOnLoopback}. */
export interface ServeOnLoopbackOptions {
  /** TCP port; 0 picks an ephemeral port. */
  readonly port: number;
  /** The function starting the endpoint, named in errors, e.g. `startS3Server`. */
  readonly caller: string;
  /** Runs once the server has closed, e.g. to wait for the store's pending writes. @default nothing */
  readonly afterClose?: () => Promise<void>;
  /** How long close lets requests in flight finish before cutting their connections. @default 1000 */
  readonly graceMs?: number;
}

/**
 * Listens on 127.0.0.1 and resolves with the endpoint. A taken port rejects with
 * {@link PortInUseError} naming `caller` and the port; any other listen error rejects
 * unchanged. `close` stops accepting connections, ends idle keep-alive connections at
 * once, lets requests in flight finish for up to `graceMs` and then cuts their
 * connections (a client that keeps a request open must not hold shutdown forever),
 * then runs `afterClose`.
 *
 * @example
 * return serveOnLoopback(createServer(handler), { port: 0, caller: 'startS3Server', afterClose: () => storage.close() });
 */
export async function serveOnLoopback(server: Server, options: ServeOnLoopbackOptions): Promise<LoopbackEndpoint> {
  const { port, caller, afterClose, graceMs = CLOSE_GRACE_MS } = options;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new PortInUseError(port, `${caller}: port ${port} on ${LOOPBACK_HOST} is already in use`, { cause: err })
          : err,
      );
    };
    server.once('error', failed);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return loopbackEndpoint((server.address() as AddressInfo).port, async () => {
    await closeServer(server, graceMs);
    await afterClose?.();
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    // Since Node 19, close() also ends the idle keep-alive connections.
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
  });
}

/**
 * The endpoint object of a service listening on 127.0.0.1:`port`; `close` runs
 * `shutdown` once, however often it is called.
 *
 * @example return loopbackEndpoint(port, async () => { await closeServer(server); await store.close(); });
 */
export function loopbackEndpoint(port: number, shutdown: () => Promise<void>): LoopbackEndpoint {
  let closing: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    port,
    close: () => (closing ??= shutdown()),
  };
}
