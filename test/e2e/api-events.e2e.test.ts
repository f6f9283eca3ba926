/**
 * `GET /api/events` (Server-Sent Events) end to end: request events with tokens and cost,
 * account changes, token refreshes and log lines, each parsed with its shared schema; exact
 * replay after a reconnect with Last-Event-ID; and a client that never reads, which must not slow
 * proxied requests and gets dropped.
 */
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AccountChangedEventSchema,
  AccountRefreshedEventSchema,
  LIVE_EVENT_SCHEMAS,
  LogEventSchema,
  RequestFinishedEventSchema,
  RequestStartedEventSchema,
  ResetEventSchema,
} from '../../src/shared/events-schemas.js';
import { api } from '../support/api-request.js';
import { type FakeOAuth, startFakeOAuth } from '../support/fake-oauth.js';
import { type FakeUpstream, messageJson, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { parsePrometheus, sampleValue } from '../support/prom-text.js';
import { openSse, type SseClient, type SseFrame } from '../support/sse-client.js';

const KEY_MAIN = 'sk-ant-api03-events-e2e-main-0000000000';
const KEY_ADDED = 'sk-ant-api03-events-e2e-added-111111111';
const USAGE = {
  input_tokens: 1000,
  output_tokens: 200,
  cache_read_input_tokens: 5000,
  cache_creation_input_tokens: 3000,
  cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
};
// Sonnet 4.5: input 3, 5m write 3.75, 1h write 6, read 0.30, output 15 USD per million tokens.
const COST = (1000 * 3 + 2000 * 3.75 + 1000 * 6 + 5000 * 0.3 + 200 * 15) / 1e6;

let oauth: FakeOAuth;
let up: FakeUpstream;
let gw: TestGateway;
const clients: SseClient[] = [];

async function events(headers: Record<string, string> = {}, query = ''): Promise<SseClient> {
  const c = await openSse(`${gw.url}/api/events${query}`, headers);
  clients.push(c);
  return c;
}

async function send(model = 'claude-sonnet-4-5', sessionId?: string): Promise<number> {
  const res = await request(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'client',
      'anthropic-version': '2023-06-01',
      ...(sessionId ? { 'x-claude-code-session-id': sessionId } : {}),
    },
    body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body.text();
  return res.statusCode;
}

function ofType(c: SseClient, type: string): SseFrame[] {
  return c.frames.filter((f) => f.event === type);
}

beforeAll(async () => {
  oauth = await startFakeOAuth();
  up = await startFakeUpstream();
  up.setHandler((req) =>
    req.path.startsWith('/v1/messages')
      ? { kind: 'json', body: messageJson({ model: 'claude-sonnet-4-5-20250929', usage: USAGE }) }
      : undefined,
  );
  const pair = oauth.seedAccount();
  gw = await startGateway({
    upstreamUrl: up.url,
    env: { CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl },
    setup: async (g) => {
      await g.addApiKey('main', KEY_MAIN);
      // Expired token: the first request it serves refreshes it first.
      await g.addOAuth('sub', { ...pair, expiresAt: Date.now() - 60_000 }, { priority: 5, paused: true });
    },
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await gw?.close();
  await up?.close();
  await oauth?.close();
});

describe('GET /api/events', () => {
  it('streams request.started and request.finished with tokens, cost, account and latency', async () => {
    const c = await events();
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.headers['cache-control']).toContain('no-cache');
    expect(await send('claude-sonnet-4-5', 'sess-1')).toBe(200);

    const startedFrame = await c.waitFor((f) => f.event === 'request.started');
    const started = RequestStartedEventSchema.parse(startedFrame.data);
    expect(started).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      model: 'claude-sonnet-4-5',
      sessionId: 'sess-1',
    });

    const finishedFrame = await c.waitFor((f) => f.event === 'request.finished');
    const finished = RequestFinishedEventSchema.parse(finishedFrame.data);
    expect(finished).toMatchObject({
      id: started.id,
      accountName: 'main',
      status: 200,
      success: true,
      attempts: 1,
      failovers: 0,
      modelRequested: 'claude-sonnet-4-5',
      modelApplied: 'claude-sonnet-4-5-20250929',
      inputTokens: 1000,
      outputTokens: 200,
      cacheReadTokens: 5000,
      cacheWrite5mTokens: 2000,
      cacheWrite1hTokens: 1000,
      sessionId: 'sess-1',
    });
    expect(finished.costUsd).toBeCloseTo(COST, 10);
    expect(finished.latencyMs).toBeGreaterThan(0);
    expect(finishedFrame.id).toBeGreaterThan(startedFrame.id as number);
    // The record, not a copy of the payload, is what the stream carries.
    expect(JSON.stringify(c.frames)).not.toContain('"payload"');
  });

  it('streams account changes, token refreshes and log lines, without secrets', async () => {
    const c = await events();
    const added = await api(gw.url, 'POST', '/api/accounts', { name: 'added', apiKey: KEY_ADDED, priority: 9 });
    expect(added.status).toBe(201);
    const log = LogEventSchema.parse(
      (await c.waitFor((f) => f.event === 'log' && /account added/.test(String((f.data as { msg: string }).msg)))).data,
    );
    expect(log).toMatchObject({ level: 'info', fields: { account: 'added', kind: 'api_key' } });

    await api(gw.url, 'POST', '/api/accounts/main/pause');
    const paused = AccountChangedEventSchema.parse((await c.waitFor((f) => f.event === 'account.changed')).data);
    expect(paused).toMatchObject({ name: 'main', status: 'paused', reason: null, until: null });

    // Only the OAuth account is left: its expired token is refreshed before the request.
    await api(gw.url, 'POST', '/api/accounts/added/pause');
    await api(gw.url, 'POST', '/api/accounts/sub/resume');
    expect(await send()).toBe(200);
    const refreshed = AccountRefreshedEventSchema.parse((await c.waitFor((f) => f.event === 'account.refreshed')).data);
    expect(refreshed.name).toBe('sub');
    expect(refreshed.expiresAt).toBeGreaterThan(Date.now());
    const served = await c.waitFor(
      (f) => f.event === 'request.finished' && (f.data as { accountName: string }).accountName === 'sub',
    );
    expect(RequestFinishedEventSchema.parse(served.data).success).toBe(true);

    await api(gw.url, 'POST', '/api/accounts/main/resume');
    await c.waitFor((f) => f.event === 'account.changed' && (f.data as { status: string }).status === 'active');
    await api(gw.url, 'POST', '/api/accounts/sub/pause');

    const text = JSON.stringify(c.frames);
    for (const s of [KEY_MAIN, KEY_ADDED, ...oauth.issued.flatMap((p) => [p.accessToken, p.refreshToken])]) {
      expect(text).not.toContain(s);
    }
    // Every frame is valid against the shared schema of its event name.
    for (const f of c.frames) {
      LIVE_EVENT_SCHEMAS[f.event as keyof typeof LIVE_EVENT_SCHEMAS].parse(f.data);
    }
  });

  it('replays exactly the missed events after a reconnect with Last-Event-ID', async () => {
    // A witness connected throughout, to compare with.
    const witness = await events();
    const first = await events();
    expect(await send()).toBe(200);
    await first.waitFor((f) => f.event === 'request.finished');
    await witness.waitFor((f) => f.event === 'request.finished');
    const lastSeen = first.lastId() as number;
    first.close();

    for (let i = 0; i < 3; i++) expect(await send()).toBe(200);
    await api(gw.url, 'POST', '/api/accounts/added/resume');
    await witness.waitFor((f) => f.event === 'account.changed' && (f.data as { name: string }).name === 'added');
    const missed = witness.frames.filter((f) => (f.id as number) > lastSeen);
    expect(missed.filter((f) => f.event === 'request.finished')).toHaveLength(3);

    const again = await events({ 'last-event-id': String(lastSeen) });
    const lastMissed = missed.at(-1)?.id as number;
    await again.waitFor((f) => f.id === lastMissed);
    expect(again.frames.slice(0, missed.length)).toEqual(missed);
    expect(ofType(again, 'reset')).toEqual([]);

    // The same through the query parameter, for clients that cannot set the header.
    const viaQuery = await events({}, `?lastEventId=${lastSeen}`);
    await viaQuery.waitFor((f) => f.id === lastMissed);
    expect(viaQuery.frames.slice(0, missed.length)).toEqual(missed);
  });

  it('sends reset first for an id it does not know, then what it has', async () => {
    const c = await events({ 'last-event-id': '999999999' });
    const reset = await c.waitFor((f) => f.event === 'reset');
    expect(c.frames[0]).toBe(reset);
    expect(reset.id).toBeNull();
    expect(ResetEventSchema.parse(reset.data)).toMatchObject({ lastEventId: 999999999, oldestEventId: 1 });
    expect(c.frames.length).toBeGreaterThan(5);
  });

  it('filters by event name and validates its parameters', async () => {
    const c = await events({}, '?types=request.finished');
    expect(await send()).toBe(200);
    const first = await c.waitFor((f) => f.event === 'request.finished');
    // Whatever the first request published after its request.finished (log lines) went out before
    // the second request's events: once the second request.finished is in, nothing else came.
    expect(await send()).toBe(200);
    await c.waitFor((f) => f.event === 'request.finished' && f !== first);
    expect(new Set(c.frames.map((f) => f.event))).toEqual(new Set(['request.finished']));

    const bad = await api(gw.url, 'GET', '/api/events', undefined, { 'last-event-id': 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/last-event-id/);
    const badType = await api(gw.url, 'GET', '/api/events?types=nope');
    expect(badType.status).toBe(400);
    expect(badType.json.error.message).toMatch(/types/);
    const badFields = await api(gw.url, 'GET', '/api/events?fields=all');
    expect(badFields.status).toBe(400);
    expect(badFields.json.error.message).toMatch(/fields/);
  });

  it('with fields=id sends request events as their id alone', async () => {
    const c = await events({}, '?types=request.finished&fields=id');
    expect(await send()).toBe(200);
    const f = await c.waitFor((x) => x.event === 'request.finished');
    expect(Object.keys(f.data as object)).toEqual(['id']);
    await gw.settle();
    const detail = await api(gw.url, 'GET', `/api/requests/${(f.data as { id: string }).id}`);
    expect(detail.status).toBe(200);
  });

  it('is documented in the OpenAPI document as text/event-stream', async () => {
    const doc = (await api(gw.url, 'GET', '/api/openapi.json')).json;
    const op = doc.paths['/api/events'].get;
    expect(Object.keys(op.responses[200].content)).toEqual(['text/event-stream']);
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['lastEventId', 'types', 'last-event-id']),
    );
  });

  it('ends its streams and leaves the event bus when the gateway stops', async () => {
    const other = await startGateway({ upstreamUrl: up.url });
    const bus = other.server.events;
    try {
      const c = await openSse(`${other.url}/api/events`);
      clients.push(c);
      await api(other.url, 'GET', '/metrics');
      // the metrics, the live event hub, the notifier and the workers (their cost)
      expect(bus.listenerCount('request.finished')).toBe(4);
      expect(bus.listenerCount('log')).toBe(1);
    } finally {
      await other.close();
    }
    await clients.at(-1)?.ended;
    for (const name of ['request.started', 'request.finished', 'log'] as const) {
      expect(bus.listenerCount(name), name).toBe(0);
    }
  });

  it('a client that never reads does not slow proxied requests and is dropped', async () => {
    const metrics = async () => parsePrometheus((await api(gw.url, 'GET', '/metrics')).text);
    const connected = async () => sampleValue(await metrics(), 'ccflare_event_stream_clients');
    // The earlier tests' clients would parse every large event below.
    for (const c of clients.splice(0)) c.close();
    await vi.waitFor(async () => expect(await connected()).toBe(0), { timeout: 5000, interval: 20 });
    const url = new URL(gw.url);
    const sock = connect(Number(url.port), url.hostname);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.on('error', () => {});
    // Read nothing: the socket buffers fill up, then the server's per-client buffer.
    sock.pause();
    sock.write(`GET /api/events HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    await vi.waitFor(async () => expect(await connected()).toBe(1), { timeout: 5000, interval: 20 });

    // Large model names make every event large, so the stuck client falls behind within a few
    // requests. Each one is answered while the client holds everything written to it unread: had
    // the proxy waited for that client, the loop would stall before the drop.
    const model = `claude-sonnet-4-5-${'x'.repeat(256 * 1024)}`;
    let answered = 0;
    let dropped = 0;
    while (dropped === 0) {
      expect(answered, 'requests answered without the stuck client being dropped').toBeLessThan(200);
      expect(await send(model)).toBe(200);
      answered++;
      dropped = sampleValue(await metrics(), 'ccflare_event_stream_dropped_clients_total') ?? 0;
    }
    expect(dropped).toBe(1);
    const after = await metrics();
    expect(sampleValue(after, 'ccflare_event_stream_clients')).toBe(0);
    // The stuck client's buffer is released with it: nothing is held for clients that are gone.
    expect(sampleValue(after, 'ccflare_event_stream_buffered_bytes')).toBe(0);
    // Traffic goes on as before.
    for (let i = 0; i < 3; i++) expect(await send()).toBe(200);
    expect(sampleValue(await metrics(), 'ccflare_event_stream_dropped_clients_total')).toBe(1);
    sock.destroy();
  });
});
