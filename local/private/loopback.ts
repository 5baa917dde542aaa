/**
 * Listening on 127.0.0.1 and shutting down, the same way for every local endpoint
 * (S3, SNS, DynamoDB), so they all report a taken port alike and none can hold
 * shutdown open with a keep-alive connection.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The loopback address every local endpoint binds: nothing is reachable from other hosts. */
export const LOOPBACK_HOST = '127.0.0.1';

/** How long close lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 1000;

/** A local endpoint on {@link LOOPBACK_HOST}. */
export interface LoopbackEndpoint {
  /** e.g. `http://127.0.0.1:45123` */
  readonly url: string;
  readonly port: number;
  /** Shuts the endpoint down; every call returns the same promise. */
  close(): Promise<void>;
}

/** A local endpoint could not listen because another listener holds the port. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    /** The port asked for. */
    readonly port: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Listens on 127.0.0.1:`port` (0 picks an ephemeral port) and resolves with the port
 * bound. A taken port rejects with {@link PortInUseError} whose message starts with
 * `caller` and names the port; any other listen error rejects unchanged.
 *
 * @example const port = await listenOnLoopback(createServer(handler), 0, 'startS3Server');
 */
export async function listenOnLoopback(server: Server, port: number, caller: string): Promise<number> {
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
  return (server.address() as AddressInfo).port;
}

/**
 * Stops accepting connections, ends idle keep-alive connections at once, lets requests
 * in flight finish for up to `graceMs` and then cuts their connections (a client that
 * keeps a request open must not hold shutdown forever). Resolves once the server is closed.
 */
export function closeServer(server: Server, graceMs = CLOSE_GRACE_MS): Promise<void> {
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
