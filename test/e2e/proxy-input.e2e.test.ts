import { connect, type Socket } from 'node:net';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { gatewayForFile } from '../support/gateway.js';

const g = gatewayForFile({
  setup: async (s) => {
    await s.addApiKey('main', 'sk-ant-api03-account-main');
  },
});
beforeEach(async () => {
  g.up.reset();
  await g.gw.settle();
});

/**
 * One request with the target written verbatim (fetch and undici would normalise `..`); `fields`
 * are more header lines, each ending in CRLF.
 */
function rawRequest(target: string, body = '{}', fields = ''): Promise<{ status: number; body: string }> {
  const { port } = new URL(g.gw.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1');
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      data += c;
    });
    sock.on('error', reject);
    sock.on('end', () => {
      // Interim answers (`100 Continue`) come before the final one.
      while (/^HTTP\/1\.1 1\d\d /.test(data)) data = data.slice(data.indexOf('\r\n\r\n') + 4);
      const [head = '', rest = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest });
    });
    sock.write(
      `POST ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${fields}` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

describe('request paths that could leave the API are refused before an account is chosen', () => {
  it.each([
    '/v1/../api/accounts',
    '/v1/../../admin',
    '/v1/%2e%2e/%2e%2e/admin?beta=true',
    '/v1/%2E%2E%2fapi',
    '/v1/./messages',
    '/v1//evil.example/v1/messages',
    '/v1/messages\\..\\..\\admin',
    '/v1/a%5c..%5cadmin',
  ])('%s: 400, nothing forwarded, no account charged', async (target) => {
    const before = (await g.gw.account('main')).requestCount;
    const res = await rawRequest(target, JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [] }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('not allowed') },
    });
    const [rec] = await g.gw.records(1);
    expect(rec).toMatchObject({ status: 400, success: false, accountName: null, attempts: 0 });
    expect(g.up.requests).toEqual([]);
    expect((await g.gw.account('main')).requestCount).toBe(before);
  });

  it('a plain path with a query string still goes through', async () => {
    const res = await rawRequest(
      '/v1/messages?beta=true',
      JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(res.status).toBe(200);
    expect(g.up.requests.map((r) => r.path)).toEqual(['/v1/messages?beta=true']);
  });
});

describe('Expect: 100-continue (curl sends it for bodies over 1 MB)', () => {
  it('is answered by the gateway and not forwarded: the request goes through on the first account', async () => {
    const res = await rawRequest(
      '/v1/messages',
      JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
      'Expect: 100-continue\r\n',
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ type: 'message' });
    expect(g.up.requests).toHaveLength(1);
    expect(g.up.requests[0]?.headers.expect).toBeUndefined();
    const [rec] = await g.gw.records(1);
    expect(rec).toMatchObject({ status: 200, success: true, accountName: 'main', attempts: 1 });
  });
});

describe('a client that goes away while sending the body', () => {
  it('is recorded as 499 client disconnected, with no error logged', async () => {
    const { port } = new URL(g.gw.url);
    const logsBefore = g.gw.logs.length;
    const sock = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    sock.write(
      'POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"model":"',
    );
    // The gateway has the request once it counts it in flight; then the client leaves.
    await vi.waitFor(
      async () => expect(((await (await fetch(`${g.gw.url}/health`)).json()) as { inFlight: number }).inFlight).toBe(1),
      { timeout: 5000, interval: 10 },
    );
    sock.destroy();
    const [rec] = await g.gw.records(1);
    expect(rec).toMatchObject({ status: 499, success: false, error: 'client disconnected', attempts: 0 });
    await g.gw.settle();
    const levels = g.gw.logs.slice(logsBefore).map((l) => (JSON.parse(l) as { level: number | string }).level);
    // pino: 50 is error, 60 fatal.
    expect(levels.filter((l) => l === 'error' || l === 'fatal' || (typeof l === 'number' && l >= 50))).toEqual([]);
    expect(g.up.requests).toEqual([]);
  });
});

describe('a client sending as many headers as a server keeps', () => {
  it("still reaches the upstream with the account's credential (injected before the client's fields)", async () => {
    const body = JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    // 1,990 short fields keep the head under Node's 16 KiB header size; with the gateway's own
    // and the request's fields the upstream (a Node server keeping 2,000) sees more than it keeps.
    const pad = 'x: 1\r\n'.repeat(1990);
    const { status } = await rawRequest('/v1/messages', body, `anthropic-version: 2023-06-01\r\n${pad}`);
    expect(status).toBe(200);
    expect(g.up.requests.at(-1)?.headers['x-api-key']).toBe('sk-ant-api03-account-main');
  });
});

/** What a client still sending a body sees: the gateway's answer, and whether the socket closed. */
interface Sender {
  /** Bytes written to the socket so far. */
  sent(): number;
  /** Bytes written when the first byte of the answer arrived (-1: none yet). */
  sentAtAnswer(): number;
  received(): string;
  closed(): boolean;
}

/**
 * Sends `head`, then `frame` over and over (as fast as the socket takes it) until the gateway
 * closes the connection or `maxBytes` went out.
 */
function sendUntilClosed(head: string, frame: Buffer, maxBytes: number): Sender {
  const { port } = new URL(g.gw.url);
  const sock: Socket = connect(Number(port), '127.0.0.1');
  let sent = 0;
  let sentAtAnswer = -1;
  let data = '';
  let closed = false;
  sock.on('data', (c: Buffer) => {
    if (sentAtAnswer === -1) sentAtAnswer = sent;
    data += c.toString('latin1');
  });
  // EPIPE/ECONNRESET once the gateway has closed while frames were still going out.
  sock.on('error', () => {});
  sock.on('close', () => {
    closed = true;
  });
  const pump = () => {
    while (!sock.destroyed && sent < maxBytes) {
      sent += frame.length;
      if (!sock.write(frame)) {
        sock.once('drain', pump);
        return;
      }
    }
  };
  sock.write(head);
  pump();
  return { sent: () => sent, sentAtAnswer: () => sentAtAnswer, received: () => data, closed: () => closed };
}

const MAX_BODY = 32 * 1024 * 1024;

function expectTooLarge(s: Sender): void {
  const text = s.received();
  expect(text).toMatch(/^HTTP\/1\.1 413 /);
  const [head = '', body = ''] = text.split('\r\n\r\n');
  expect(head.toLowerCase()).toContain('\r\nconnection: close');
  expect(JSON.parse(body)).toMatchObject({
    type: 'error',
    error: { type: 'request_too_large', message: expect.stringContaining('exceeds') },
  });
}

/** The refusal is recorded, nothing went upstream, and the gateway serves the next connection as usual. */
async function expectRecordedAndServing(): Promise<void> {
  const [rec] = await g.gw.records(1);
  expect(rec).toMatchObject({ status: 413, success: false, accountName: null, attempts: 0 });
  expect(g.up.requests).toEqual([]);
  const next = await rawRequest(
    '/v1/messages',
    JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
  );
  expect(next.status).toBe(200);
}

describe('a body over the 32 MiB cap', () => {
  it('declared by Content-Length is refused with 413 before it is sent, and the connection closes', async () => {
    const s = sendUntilClosed(
      'POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 10000000000\r\n\r\n',
      Buffer.alloc(64 * 1024, 0x20),
      4 * MAX_BODY,
    );
    await vi.waitFor(() => expect(s.closed()).toBe(true), { timeout: 5000, interval: 10 });
    expectTooLarge(s);
    // Answered from the header: the client had not sent the cap's worth when the answer came.
    expect(s.sentAtAnswer()).toBeLessThan(MAX_BODY);
    expect(s.sent()).toBeLessThan(4 * MAX_BODY);
    await expectRecordedAndServing();
  });

  it('sent chunked is refused with 413 once it passes the cap, and the connection closes instead of reading on', async () => {
    const data = Buffer.alloc(1024 * 1024, 0x20);
    const frame = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
    const s = sendUntilClosed(
      'POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
      frame,
      8 * MAX_BODY,
    );
    await vi.waitFor(() => expect(s.closed()).toBe(true), { timeout: 5000, interval: 10 });
    expectTooLarge(s);
    expect(s.sentAtAnswer()).toBeGreaterThan(MAX_BODY);
    // The gateway stopped reading: the client could not send all it meant to.
    expect(s.sent()).toBeLessThan(8 * MAX_BODY);
    await expectRecordedAndServing();
  });
});

describe('a large body of a request refused before it is read', () => {
  it.each([
    ['a path with a dot segment', 'POST /v1/../v1/messages HTTP/1.1\r\nHost: localhost\r\n', 400],
    ['a rebound host name', 'POST /v1/messages HTTP/1.1\r\nHost: rebound.example\r\n', 403],
    ['an unknown path', 'POST /nowhere HTTP/1.1\r\nHost: localhost\r\n', 404],
  ])('is not read on after the answer to %s, and the connection closes', async (_what, start, status) => {
    const s = sendUntilClosed(
      `${start}Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n`,
      Buffer.alloc(64 * 1024, 0x20),
      4 * MAX_BODY,
    );
    await vi.waitFor(() => expect(s.closed()).toBe(true), { timeout: 5000, interval: 10 });
    const [head = ''] = s.received().split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head.toLowerCase()).toContain('\r\nconnection: close');
    // Node would have read all of it to reach a next request on the connection.
    expect(s.sent()).toBeLessThan(4 * MAX_BODY);
    expect(g.up.requests).toEqual([]);
  });
});
