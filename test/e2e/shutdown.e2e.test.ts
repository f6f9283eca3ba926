/**
 * Shutdown with requests still open when the grace period ends: each client reads an error (an
 * `event: error` frame closing its stream, a 503 before any byte), the upstream requests are
 * cancelled and every one of them is recorded as interrupted before the writer closes.
 */
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeUpstream, messageStreamEvents, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const BODY = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'hi' }],
};
const INTERRUPTED = 'interrupted: ccflare shut down before this request finished; retry it';

describe('close() once the grace period is over', () => {
  let up: FakeUpstream;
  let gw: TestGateway;

  beforeEach(async () => {
    up = await startFakeUpstream();
    // Streams send their first event at once and the next one a minute later; other requests
    // are never answered: all of them are still open when a short grace period ends.
    up.setHandler((req) =>
      req.json?.stream === true
        ? { kind: 'sse', events: messageStreamEvents({ deltas: 3 }), intervalMs: 60_000 }
        : { kind: 'hang' },
    );
    gw = await startGateway({
      upstreamUrl: up.url,
      setup: (g) => g.addApiKey('a', 'sk-ant-api03-shutdown').then(() => undefined),
    });
  });
  afterEach(async () => {
    await gw?.close();
    await up?.close();
  });

  it('ends open streams with an event: error frame and a waiting request with a 503, and records all of them', async () => {
    // The SDK, as Claude Code uses it.
    const sdk = new Anthropic({ baseURL: gw.url, apiKey: 'sk-client', maxRetries: 0 });
    const sdkStream = sdk.messages.stream(BODY);
    const sdkStarted = new Promise<void>((r) => sdkStream.once('streamEvent', () => r()));
    const sdkOutcome = sdkStream.finalMessage().catch((e: unknown) => e);

    // The raw bytes of another stream.
    const raw = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ ...BODY, stream: true }),
    });
    expect(raw.statusCode).toBe(200);
    let text = '';
    const rawFirst = new Promise<void>((r) => raw.body.once('data', () => r()));
    raw.body.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    const rawEnded = new Promise<string>((resolve, reject) => {
      raw.body.once('end', () => resolve('end'));
      raw.body.once('error', reject);
    });

    // A non-streaming request the upstream has not answered yet.
    const json = request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify(BODY),
    });

    await Promise.all([sdkStarted, rawFirst]);
    await vi.waitFor(() => expect(up.requests).toHaveLength(3), { timeout: 5000, interval: 10 });
    await gw.server.close(50);

    // The stream ends cleanly with Anthropic's error frame as its last event, not a cut socket.
    await expect(rawEnded).resolves.toBe('end');
    expect(text.startsWith('event: message_start')).toBe(true);
    expect(
      text.endsWith(
        `event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"${INTERRUPTED}"}}\n\n`,
      ),
    ).toBe(true);

    // The SDK raises it as an API error of that type (a cut socket would be a connection error).
    const sdkErr = await sdkOutcome;
    expect(sdkErr).toBeInstanceOf(Anthropic.APIError);
    expect(sdkErr).not.toBeInstanceOf(Anthropic.APIConnectionError);
    expect((sdkErr as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', message: INTERRUPTED },
    });

    const res = await json;
    expect(res.statusCode).toBe(503);
    expect(res.headers['x-should-retry']).toBe('true');
    expect(await res.body.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: INTERRUPTED } });

    // The upstream requests were cancelled, not left running.
    await vi.waitFor(() => expect(up.activeResponses()).toBe(0), { timeout: 5000, interval: 10 });

    // Every request was recorded, as interrupted, before the gateway stopped.
    const rows = await gw.store.requests.listRecords({ limit: 10 });
    const seen = rows.map((r) => ({ stream: r.stream, status: r.status, success: r.success, error: r.error }));
    expect(seen).toHaveLength(3);
    expect(seen).toEqual(
      expect.arrayContaining([
        { stream: true, status: 200, success: false, error: INTERRUPTED },
        { stream: true, status: 200, success: false, error: INTERRUPTED },
        { stream: false, status: 503, success: false, error: INTERRUPTED },
      ]),
    );
    // What the streams delivered before the cut is kept (message_start carries the input tokens).
    for (const r of rows.filter((r) => r.stream)) expect(r.inputTokens).toBeGreaterThan(0);

    // The shutdown says how many requests it cut and how many records it wrote.
    const logged = gw.logs.map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown });
    expect(logged.find((l) => l.msg.startsWith('ccflare stopped'))).toMatchObject({
      msg: 'ccflare stopped: 3 request(s) interrupted, 3 request record(s) written during shutdown',
      interrupted: 3,
      recordsWritten: 3,
    });
    expect(logged.find((l) => l.msg.startsWith('grace period over'))).toMatchObject({ interrupted: 3 });
    expect(logged.filter((l) => String(l.msg ?? '').includes('dropped'))).toEqual([]);
  });
});

describe('close() while the bookkeeping of answers already sent waits for its turn', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  /** The proxy's deferred bookkeeping, held instead of run on the next timers phase. */
  const held: (() => void)[] = [];

  beforeEach(async () => {
    held.length = 0;
    up = await startFakeUpstream();
    up.setHandler(() => ({ kind: 'sse', events: messageStreamEvents({ deltas: 3 }) }));
    gw = await startGateway({
      upstreamUrl: up.url,
      deferFinish: (run) => held.push(run),
      setup: (g) => g.addApiKey('a', 'sk-ant-api03-shutdown').then(() => undefined),
    });
  });
  afterEach(async () => {
    await gw?.close();
    await up?.close();
  });

  it('records an answer that went out whole as it went, not as interrupted', async () => {
    const sdk = new Anthropic({ baseURL: gw.url, apiKey: 'sk-client', maxRetries: 0 });
    const message = await sdk.messages.stream(BODY).finalMessage();
    expect(message.content).toHaveLength(1);
    // The answer is out; its record waits for the held bookkeeping.
    expect(held).toHaveLength(1);
    expect(await gw.count()).toBe(0);

    await gw.server.close(20);

    const rows = await gw.store.requests.listRecords({ limit: 10 });
    expect(rows.map((r) => ({ status: r.status, success: r.success, error: r.error }))).toEqual([
      { status: 200, success: true, error: null },
    ]);
    expect(rows[0]?.outputTokens).toBeGreaterThan(0);
    const logged = gw.logs.map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown });
    expect(logged.find((l) => l.msg.startsWith('ccflare stopped'))).toMatchObject({
      interrupted: 0,
      recordsWritten: 1,
    });
  });
});
