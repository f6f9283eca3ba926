/**
 * Slow, idle and greedy clients over raw sockets: unfinished headers and bodies get 408 and lose
 * their connection, connections beyond the cap are closed and logged while the gateway keeps
 * serving, a long streamed response is not cut by the request timeouts, and an oversized
 * management API body is refused with 413 before it is read.
 */
import { connect, type Socket } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

interface RawClient {
  socket: Socket;
  /** Everything the gateway sent so far. */
  received(): string;
  closed: Promise<void>;
}

async function rawClient(url: string): Promise<RawClient> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let data = '';
  socket.on('data', (b) => {
    data += b.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r, j) => {
    socket.once('connect', () => r());
    socket.once('error', j);
  });
  return { socket, received: () => data, closed };
}

/** Resolves when the socket has closed, failing after `ms`. */
async function closedWithin(c: RawClient, ms: number): Promise<void> {
  let done = false;
  void c.closed.then(() => {
    done = true;
  });
  await vi.waitFor(() => expect(done, 'the gateway still holds the connection').toBe(true), {
    timeout: ms,
    interval: 20,
  });
}

let up: FakeUpstream;

beforeAll(async () => {
  up = await startFakeUpstream({ sseDeltas: 12, sseIntervalMs: 150 });
});
afterAll(async () => {
  await up?.close();
});

describe('request timeouts', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({
      upstreamUrl: up.url,
      env: { CCFLARE_HEADERS_TIMEOUT_MS: '1000', CCFLARE_BODY_TIMEOUT_MS: '1500' },
      setup: async (g) => {
        await g.addApiKey('alpha', 'sk-ant-api03-limits-alpha');
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 408 and closes a connection whose headers never finish', async () => {
    const c = await rawClient(gw.url);
    c.socket.write('POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: x\r\n');
    await closedWithin(c, 10_000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that never sends anything', async () => {
    const c = await rawClient(gw.url);
    await closedWithin(c, 10_000);
    expect(up.requests).toHaveLength(0);
  });

  it('answers 408 and closes a connection whose body never finishes, without forwarding it', async () => {
    const c = await rawClient(gw.url);
    c.socket.write(
      'POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":',
    );
    await closedWithin(c, 10_000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(up.requests).toHaveLength(0);
  });

  it('does not cut a streamed response that lasts longer than both timeouts', async () => {
    // Later records only: the unfinished body above is recorded too.
    await gw.settle();
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });
    // 12 deltas 150 ms apart: about 1.8 s, longer than the 1 s and 1.5 s request timeouts.
    const msg = await client.messages
      .stream({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'slow' }] })
      .finalMessage();
    expect(msg.stop_reason).toBe('end_turn');
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 200, success: true, stream: true });
  });
});

describe('connection cap', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreamUrl: up.url, env: { CCFLARE_MAX_CONNECTIONS: '3' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('closes connections beyond the cap, says so in the log, and serves again once one frees', async () => {
    const held = [await rawClient(gw.url), await rawClient(gw.url), await rawClient(gw.url)];
    // Each busy with a response that stays open (the live event stream): connections that carry
    // no request would be closed to make room instead (src/server/http-limits.test.ts).
    for (const c of held) c.socket.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await vi.waitFor(() => {
      for (const c of held) expect(c.received()).toMatch(/^HTTP\/1\.1 200/);
    });
    const extra = await rawClient(gw.url);
    await closedWithin(extra, 5000);
    expect(extra.received()).toBe('');
    await vi.waitFor(() => {
      const line = gw.logs.map((l) => JSON.parse(l)).find((l) => /connection limit reached/.test(l.msg));
      expect(line).toMatchObject({ level: 40, maxConnections: 3, refused: 1 });
    });

    held[0]?.socket.destroy();
    await held[0]?.closed;
    await vi.waitFor(async () => {
      const res = await fetch(`${gw.url}/health`);
      expect(res.status).toBe(200);
    });
    for (const c of held) c.socket.destroy();
  });
});

describe('management API body cap', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreamUrl: up.url });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses a declared 400 MB body with 413 before reading it, and closes the connection', async () => {
    const c = await rawClient(gw.url);
    c.socket.write(
      'POST /api/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 400000000\r\n\r\n',
    );
    c.socket.write(Buffer.alloc(64 * 1024, 0x20));
    await closedWithin(c, 10_000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 413/);
    expect(c.received()).toContain('"type":"request_too_large"');
    expect(c.received()).toContain('management API takes small JSON bodies');
  });

  it('refuses a chunked body once it passes the cap', async () => {
    const c = await rawClient(gw.url);
    c.socket.write(
      'POST /api/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    for (let i = 0; i < 6 && !c.received(); i++) {
      c.socket.write(`${chunk.length.toString(16)}\r\n`);
      c.socket.write(chunk);
      c.socket.write('\r\n');
    }
    await vi.waitFor(() => expect(c.received()).toMatch(/^HTTP\/1\.1 413/), { timeout: 10_000 });
    c.socket.destroy();
  });

  it('still takes an ordinary JSON body', async () => {
    const res = await fetch(`${gw.url}/api/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'k1', apiKey: 'sk-ant-api03-limits-k1-000000000000' }),
    });
    expect(res.status, await res.text()).toBeLessThan(300);
  });
});
