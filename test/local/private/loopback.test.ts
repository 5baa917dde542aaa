import { once } from 'node:events';
import { Agent, createServer, get, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PortInUseError } from '../../../local/errors';
import { type LoopbackEndpoint, loopbackEndpoint, serveOnLoopback } from '../../../local/private/loopback';

const endpoints: LoopbackEndpoint[] = [];

async function serve(
  handler: RequestListener = (_req, res) => res.end('ok'),
  options: { port?: number; graceMs?: number; afterClose?: () => Promise<void>; configure?: (s: Server) => void } = {},
): Promise<LoopbackEndpoint> {
  const server = createServer(handler);
  options.configure?.(server);
  const endpoint = await serveOnLoopback(server, {
    port: options.port ?? 0,
    caller: 'startThing',
    graceMs: options.graceMs ?? 10,
    ...(options.afterClose ? { afterClose: options.afterClose } : {}),
  });
  endpoints.push(endpoint);
  return endpoint;
}

afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

/** One GET over `agent`, resolving with its socket once the response body has been read. */
async function fetchOver(agent: Agent, port: number): Promise<Socket> {
  const req = get({ host: '127.0.0.1', port, agent });
  const [socket] = (await once(req, 'socket')) as [Socket];
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.resume();
  await once(res, 'end');
  return socket;
}

describe('serveOnLoopback', () => {
  it('listens on 127.0.0.1 on an ephemeral port and names its URL', async () => {
    let address: unknown;
    const endpoint = await serve(undefined, { configure: (s) => s.once('listening', () => (address = s.address())) });
    expect(endpoint.port).toBeGreaterThan(0);
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
    expect(address).toMatchObject({ address: '127.0.0.1', port: endpoint.port });
    const socket = await fetchOver(new Agent(), endpoint.port);
    expect(socket.remotePort).toBe(endpoint.port);
  });

  it('rejects a port already in use with PortInUseError naming the caller and the port', async () => {
    const { port } = await serve();
    const second = serve(undefined, { port });
    await expect(second).rejects.toThrow(PortInUseError);
    await expect(second).rejects.toThrow(`startThing: port ${port} on 127.0.0.1 is already in use`);
    await expect(second).rejects.toMatchObject({ port, cause: { code: 'EADDRINUSE' } });
  });

  it('ends an idle keep-alive connection on close, then runs afterClose', async () => {
    let afterClose = 0;
    const endpoint = await serve(undefined, {
      // A grace period longer than the test's timeout and no idle timeout: only ending
      // idle connections lets close finish.
      graceMs: 60_000,
      configure: (s) => (s.keepAliveTimeout = 0),
      afterClose: async () => {
        afterClose += 1;
      },
    });
    const agent = new Agent({ keepAlive: true });
    const socket = await fetchOver(agent, endpoint.port);
    expect(socket.destroyed).toBe(false);
    const socketClosed = once(socket, 'close');
    await endpoint.close();
    await socketClosed;
    expect(afterClose).toBe(1);
    agent.destroy();
  });

  it('cuts a connection whose request is still unanswered after the grace period', async () => {
    let requested!: () => void;
    const request = new Promise<void>((resolve) => (requested = resolve));
    // The handler never answers.
    const endpoint = await serve(() => requested(), { graceMs: 10 });
    const req = get({ host: '127.0.0.1', port: endpoint.port });
    const hungUp = new Promise<Error>((resolve) => req.once('error', resolve));
    await request;
    await endpoint.close();
    expect(await hungUp).toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('loopbackEndpoint', () => {
  it('names the 127.0.0.1 URL of the port', () => {
    const endpoint = loopbackEndpoint(45123, async () => undefined);
    expect(endpoint).toMatchObject({ url: 'http://127.0.0.1:45123', port: 45123 });
  });

  it('shuts down once however often close is called', async () => {
    let shutdowns = 0;
    const endpoint = loopbackEndpoint(1, async () => {
      shutdowns += 1;
    });
    const first = endpoint.close();
    expect(endpoint.close()).toBe(first);
    await first;
    await endpoint.close();
    expect(shutdowns).toBe(1);
  });
});
