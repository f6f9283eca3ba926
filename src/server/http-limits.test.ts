import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { type AddressInfo, connect as connectTcp, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Logger } from '../log/logger.js';
import {
  capConnections,
  HALF_SENT_GRACE_MS,
  httpServerOptions,
  MIN_BODY_BYTES_PER_SECOND,
  upstreamPoolOptions,
} from './http-limits.js';

const limits = { headersTimeoutMs: 30_000, bodyTimeoutMs: 300_000, keepAliveTimeoutMs: 65_000, maxConnections: 512 };

describe('httpServerOptions', () => {
  it('turns on the headers and whole-request timeouts that requestTimeout: 0 turned off', () => {
    expect(httpServerOptions(limits)).toEqual({
      headersTimeout: 30_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 65_000,
      connectionsCheckingInterval: 3000,
    });
  });

  it('keeps the headers timeout within the request timeout, which Node requires', () => {
    expect(httpServerOptions({ ...limits, headersTimeoutMs: 60_000, bodyTimeoutMs: 20_000 })).toMatchObject({
      headersTimeout: 20_000,
      requestTimeout: 20_000,
    });
  });

  it('sweeps often enough for a short timeout, and never more often than every 100 ms', () => {
    expect(httpServerOptions({ ...limits, headersTimeoutMs: 1000 }).connectionsCheckingInterval).toBe(100);
    expect(httpServerOptions({ ...limits, headersTimeoutMs: 3_600_000 }).connectionsCheckingInterval).toBe(30_000);
  });
});

describe('upstreamPoolOptions', () => {
  it('opens as many upstream connections as clients may hold, so no stream waits for another to end', () => {
    expect(upstreamPoolOptions({ maxConnections: 1064 })).toMatchObject({ connections: 1064, pipelining: 1 });
    expect(upstreamPoolOptions({ maxConnections: 512 }).connections).toBe(512);
  });
});

describe('capConnections', () => {
  const CAP = 4;

  interface Client {
    socket: Socket;
    received(): string;
    isClosed(): boolean;
  }

  /** `now`: the cap's clock (ms), for the half-sent grace. */
  async function setup(now?: () => number) {
    const streams: ServerResponse[] = [];
    const server = createServer((req, res) => {
      if (req.url === '/upload') {
        // Answers once the whole body is in, as the proxy does.
        req.resume();
        req.on('end', () => res.end('ok'));
        return;
      }
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part;');
        streams.push(res);
        return;
      }
      res.end('ok');
    });
    const warnings: unknown[] = [];
    capConnections(server, CAP, { warn: (o: unknown) => warnings.push(o) } as unknown as Logger, now);
    // The server side of each client connection, by the client's port.
    const accepted = new Map<number, Socket>();
    server.on('connection', (s: Socket) => accepted.set(s.remotePort as number, s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const clients: Client[] = [];
    onTestFinished(async () => {
      for (const c of clients) c.socket.destroy();
      server.closeAllConnections();
      server.close();
    });

    const connect = async (): Promise<Client> => {
      const socket = connectTcp(port, '127.0.0.1');
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        data += d;
      });
      socket.on('error', () => {});
      let closed = false;
      socket.on('close', () => {
        closed = true;
      });
      await once(socket, 'connect');
      const c = { socket, received: () => data, isClosed: () => closed };
      clients.push(c);
      return c;
    };
    /** Connected and, on the server, holding the bytes sent so far. */
    const open = async (sent: string, until: (c: Client) => boolean = () => true): Promise<Client> => {
      const c = await connect();
      if (sent) c.socket.write(sent);
      await vi.waitFor(() => {
        const s = accepted.get(c.socket.localPort as number);
        expect(s?.bytesRead).toBe(Buffer.byteLength(sent));
        expect(until(c)).toBe(true);
      });
      return c;
    };
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    /** Kept alive after one answered request, its response handed to the kernel. */
    const idle = async () => {
      const c = await open(get('/health'), (x) => x.received().endsWith('ok'));
      const s = accepted.get(c.socket.localPort as number) as Socket & { _httpMessage?: unknown };
      await vi.waitFor(() => expect(s._httpMessage ?? null).toBeNull());
      return c;
    };
    const streaming = () => open(get('/stream'), (c) => c.received().includes('part;'));
    /** What the server side of `c` has read. */
    const bytesRead = (c: Client) => accepted.get(c.socket.localPort as number)?.bytesRead;
    return { streams, warnings, connect, open, idle, streaming, get, bytesRead };
  }

  it('closes an idle keep-alive connection to admit a new client, never one carrying a request or just opened', async () => {
    const t = await setup();
    const kept = await t.idle();
    const silent = await t.open('');
    const stream = await t.streaming();
    const halfSent = await t.open('GET /health HTTP/1.1\r\nHo');

    const next = await t.connect();
    next.socket.write(t.get('/health'));
    await vi.waitFor(() => expect(next.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/));
    await vi.waitFor(() => expect(kept.isClosed()).toBe(true));
    expect(t.warnings).toEqual([]);

    // The two with a request in progress and the one opened a moment ago were left alone and still finish.
    halfSent.socket.write('st: 127.0.0.1\r\n\r\n');
    silent.socket.write(t.get('/health'));
    t.streams[0]?.end('end');
    await vi.waitFor(() => {
      expect(halfSent.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/);
      expect(silent.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/);
      expect(stream.received()).toMatch(/part;[\s\S]*end/);
    });
    expect(stream.isClosed() || halfSent.isClosed() || silent.isClosed()).toBe(false);
  });

  it('closes only as many idle keep-alive connections as it takes to admit a new client', async () => {
    const t = await setup();
    const kept = [await t.idle(), await t.idle(), await t.idle(), await t.idle()];

    const next = await t.connect();
    next.socket.write(t.get('/health'));
    await vi.waitFor(() => expect(next.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/));
    await vi.waitFor(() => expect(kept.filter((c) => c.isClosed())).toHaveLength(1));
    // The other three clients keep their connections and send their next request on them.
    const open = kept.filter((c) => !c.isClosed());
    for (const c of open) c.socket.write(t.get('/health'));
    await vi.waitFor(() => {
      for (const c of open) expect(c.received()).toMatch(/ok[\s\S]*HTTP\/1\.1 200 OK[\s\S]*ok$/);
    });
    expect(open.some((c) => c.isClosed())).toBe(false);
    expect(t.warnings).toEqual([]);
  });

  it('closes connections whose request head is still half-sent after a second to admit a new client (slowloris)', async () => {
    let clock = 0;
    const t = await setup(() => clock);
    const head = 'POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-slow: ';
    const stalled = [await t.open(head), await t.open(head), await t.open(head), await t.open(head)];
    // Within the grace a head may still be on its way: the newcomer is the one refused.
    const early = await t.connect();
    await vi.waitFor(() => expect(early.isClosed()).toBe(true));
    expect(stalled.some((c) => c.isClosed())).toBe(false);

    clock += HALF_SENT_GRACE_MS + 1;
    const next = await t.connect();
    next.socket.write(t.get('/health'));
    await vi.waitFor(() => expect(next.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/));
    await vi.waitFor(() => expect(stalled.every((c) => c.isClosed())).toBe(true));
    expect(t.warnings).toEqual([{ maxConnections: CAP, refused: 1 }]);
  });

  it('gives the next head on a kept-alive connection its own second, however long ago the connection opened', async () => {
    let clock = 0;
    const t = await setup(() => clock);
    const kept = await t.idle();
    const streams = [await t.streaming(), await t.streaming(), await t.streaming()];
    // Long after it opened, the kept-alive client starts its next request.
    clock += 60_000;
    kept.socket.write('GET /health HTTP/1.1\r\nHo');
    await vi.waitFor(() => expect(t.bytesRead(kept)).toBe(Buffer.byteLength(t.get('/health')) + 24));
    const early = await t.connect();
    await vi.waitFor(() => expect(early.isClosed()).toBe(true));
    expect(kept.isClosed()).toBe(false);

    // A second later, a head still unfinished is stalled.
    clock += HALF_SENT_GRACE_MS + 1;
    const next = await t.connect();
    next.socket.write(t.get('/health'));
    await vi.waitFor(() => expect(kept.isClosed()).toBe(true));
    await vi.waitFor(() => expect(next.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/));
    expect(streams.some((c) => c.isClosed())).toBe(false);
  });

  it('closes connections whose request body trickles in slower than the floor to admit a new client (slow body)', async () => {
    let clock = 0;
    const t = await setup(() => clock);
    const head = 'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n';
    const start = `${head}${'x'.repeat(10)}`;
    const slow = [await t.open(start), await t.open(start), await t.open(start)];
    const steady = await t.open(start);
    // The first look only notes where each body stands: the newcomer is the one refused.
    const early = await t.connect();
    await vi.waitFor(() => expect(early.isClosed()).toBe(true));
    expect([...slow, steady].some((c) => c.isClosed())).toBe(false);

    clock += HALF_SENT_GRACE_MS + 1;
    const more = 2 * MIN_BODY_BYTES_PER_SECOND;
    steady.socket.write('y'.repeat(more));
    // In on the server before the next look.
    await vi.waitFor(() => expect(t.bytesRead(steady)).toBe(Buffer.byteLength(start) + more));
    const next = await t.connect();
    next.socket.write(t.get('/health'));
    await vi.waitFor(() => expect(next.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/));
    await vi.waitFor(() => expect(slow.every((c) => c.isClosed())).toBe(true));
    expect(t.warnings).toEqual([{ maxConnections: CAP, refused: 1 }]);

    // The body that kept coming is answered once it is whole.
    steady.socket.write('z'.repeat(100_000 - 10 - more));
    await vi.waitFor(() => expect(steady.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/));
  });

  it('refuses a new client while every connection is streaming a response, and says so', async () => {
    const t = await setup();
    const streams = [await t.streaming(), await t.streaming(), await t.streaming(), await t.streaming()];
    const next = await t.connect();
    await vi.waitFor(() => expect(next.isClosed()).toBe(true));
    expect(next.received()).toBe('');
    expect(t.warnings).toEqual([{ maxConnections: CAP, refused: 1 }]);
    for (const res of t.streams) res.end('end');
    await vi.waitFor(() => {
      for (const c of streams) expect(c.received()).toMatch(/part;[\s\S]*end/);
    });
  });
});
