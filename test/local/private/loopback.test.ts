import { once } from 'node:events';
import { Agent, createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  listenOnLoopback,
  loopbackEndpoint,
  PortInUseError,
} from '../../../local/private/loopback';

const servers: Server[] = [];

function server(handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok')): Server {
  const created = createServer(handler);
  servers.push(created);
  return created;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    if (s.listening) await closeServer(s, 0);
  }
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

describe('listenOnLoopback', () => {
  it('binds 127.0.0.1 on an ephemeral port and resolves with it', async () => {
    const s = server();
    const port = await listenOnLoopback(s, 0, 'test');
    expect(port).toBeGreaterThan(0);
    expect(s.address()).toMatchObject({ address: '127.0.0.1', port });
  });

  it('rejects a port already in use with PortInUseError naming the caller and the port', async () => {
    const port = await listenOnLoopback(server(), 0, 'first');
    const second = listenOnLoopback(server(), port, 'startThing');
    await expect(second).rejects.toThrow(PortInUseError);
    await expect(second).rejects.toThrow(`startThing: port ${port} on 127.0.0.1 is already in use`);
    await expect(second).rejects.toMatchObject({ port, cause: { code: 'EADDRINUSE' } });
  });
});

describe('closeServer', () => {
  it('ends an idle keep-alive connection and resolves once the server is closed', async () => {
    const s = server();
    // No idle timeout: only closeServer can end the kept-alive socket.
    s.keepAliveTimeout = 0;
    const port = await listenOnLoopback(s, 0, 'test');
    const agent = new Agent({ keepAlive: true });
    const socket = await fetchOver(agent, port);
    expect(socket.destroyed).toBe(false);
    const socketClosed = once(socket, 'close');
    // A grace period longer than the test's timeout: only ending idle connections lets close finish.
    await closeServer(s, 60_000);
    await socketClosed;
    expect(s.listening).toBe(false);
    agent.destroy();
  });

  it('cuts a connection whose request is still unanswered after the grace period', async () => {
    const s = server(() => {
      // Never answers.
    });
    const port = await listenOnLoopback(s, 0, 'test');
    const req = get({ host: '127.0.0.1', port });
    const hungUp = new Promise<Error>((resolve) => req.once('error', resolve));
    await once(s, 'request');
    await closeServer(s, 10);
    expect(s.listening).toBe(false);
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
