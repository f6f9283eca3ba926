import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIN_SPEED_SPAN_MS } from '../../src/proxy/output-speed.js';
import { type FakeUpstream, messageJson, messageStreamEvents, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

let up: FakeUpstream;
let gw: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('main', 'sk-ant-api03-account-main');
    },
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: 'sk-client-own-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});
beforeEach(async () => {
  up.reset();
  await gw.settle();
});

describe('proxy pass-through', () => {
  it('answers a non-streaming message and records tokens and cost', async () => {
    up.setHandler(() => ({
      kind: 'json',
      body: messageJson({
        model: 'claude-sonnet-4-5-20250929',
        text: 'hi there',
        usage: {
          input_tokens: 1000,
          output_tokens: 200,
          cache_read_input_tokens: 5000,
          cache_creation_input_tokens: 3000,
          cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
        },
      }),
    }));
    const msg = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'hi there' });
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      accountName: 'main',
      status: 200,
      success: true,
      modelRequested: 'claude-sonnet-4-6',
      modelApplied: 'claude-sonnet-4-5-20250929',
      inputTokens: 1000,
      outputTokens: 200,
      cacheReadTokens: 5000,
      cacheWrite5mTokens: 2000,
      cacheWrite1hTokens: 1000,
      attempts: 1,
      stream: false,
    });
    // Sonnet 4.5: input 3, 5m write 3.75, 1h write 6, read 0.30, output 15 USD per million tokens.
    const expected = (1000 * 3 + 2000 * 3.75 + 1000 * 6 + 5000 * 0.3 + 200 * 15) / 1e6;
    expect(rec?.costUsd).toBeCloseTo(expected, 10);
    expect(rec?.latencyMs).toBeGreaterThan(0);
  });

  it('applies the header rules: client credentials, cookies and hop-by-hop stripped, account key injected', async () => {
    up.setHandler(() => ({ kind: 'json', headers: { 'set-cookie': 'upstream=1; Path=/' }, body: messageJson() }));
    const res = await request(`${gw.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-client-own-key',
        authorization: 'Bearer client-token',
        'x-ccflare-admin-key': 'admin-secret',
        cookie: 'dashboard=session',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'interleaved-thinking-2025-05-14',
        connection: 'keep-alive',
        'x-app': 'cli',
        'accept-encoding': 'gzip',
      },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [] }),
    });
    expect(res.statusCode).toBe(200);
    // An upstream's cookie would be stored for the gateway's origin, the dashboard's.
    expect(res.headers['set-cookie']).toBeUndefined();
    await res.body.json();
    const seen = up.requests[0];
    expect(seen?.path).toBe('/v1/messages?beta=true');
    expect(seen?.headers['x-api-key']).toBe('sk-ant-api03-account-main');
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.headers['x-ccflare-admin-key']).toBeUndefined();
    expect(seen?.headers.cookie).toBeUndefined();
    expect(seen?.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen?.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    expect(seen?.headers['x-app']).toBe('cli');
    expect(seen?.headers['accept-encoding']).toBeUndefined();
  });

  it('streams through the SDK with usage, time to first token and tokens/s recorded', async () => {
    // Paced so the deltas span more than MIN_SPEED_SPAN_MS: speed is only measured over that.
    up.setHandler(() => ({ kind: 'sse', events: messageStreamEvents({ deltas: 10, thinking: true }), intervalMs: 30 }));
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hello' }],
    });
    const final = await stream.finalMessage();
    expect(final.content.some((b) => b.type === 'thinking')).toBe(true);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ stream: true, success: true, status: 200, stopReason: 'end_turn' });
    expect(rec?.outputTokens).toBe(final.usage.output_tokens);
    expect(rec?.inputTokens).toBe(final.usage.input_tokens);
    expect(rec?.ttftMs).toBeGreaterThan(0);
    expect(rec?.ttftMs).toBeLessThan(rec?.latencyMs ?? 0);
    expect(rec?.outputTokensPerSecond).toBeGreaterThan(0);
    expect(rec?.outputTokensPerSecond).toBeLessThanOrEqual((rec?.outputTokens ?? 0) / (MIN_SPEED_SPAN_MS / 1000));
  });

  it('records no output speed for a reply whose deltas span less than a quarter second', async () => {
    up.setHandler(() => ({ kind: 'sse', events: messageStreamEvents({ deltas: 10 }), intervalMs: 2 }));
    const final = await client.messages
      .stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] })
      .finalMessage();
    const [rec] = await gw.records(1);
    expect(rec?.outputTokens).toBe(final.usage.output_tokens);
    expect(rec?.outputTokens).toBeGreaterThan(0);
    // Shown as "—" in every UI rather than thousands of tokens per second.
    expect(rec?.outputTokensPerSecond).toBeNull();
  });

  it('delivers the first event while the upstream is still streaming, bytes unchanged', async () => {
    const events = messageStreamEvents({ deltas: 20 });
    up.setHandler(() => ({ kind: 'sse', events, intervalMs: 50 }));
    const direct = await request(`${up.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true }),
    });
    const directBytes = Buffer.from(await direct.body.arrayBuffer());

    const t0 = Date.now();
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'm', stream: true }),
    });
    expect(res.headers['content-type']).toContain('text/event-stream');
    const chunks: Buffer[] = [];
    let firstAt = 0;
    for await (const c of res.body) {
      if (firstAt === 0) firstAt = Date.now();
      chunks.push(c as Buffer);
    }
    const total = Date.now() - t0;
    // 20+ events 50 ms apart take over a second; the first must arrive long before the end.
    expect(total).toBeGreaterThan(1000);
    expect(firstAt - t0).toBeLessThan(400);
    const proxied = Buffer.concat(chunks);
    // Message ids differ per request; everything else is byte-identical.
    const norm = (b: Buffer) => b.toString('utf8').replace(/msg_fake[0-9a-z]+/g, 'msg_X');
    expect(norm(proxied)).toBe(norm(directBytes));
  });

  it('records a long streamed answer whole: its first chunks copied into the blocks with the rest, the full ones deflated', async () => {
    // Hundreds of events, one chunk each, well past the kept views and several 16 KiB blocks.
    up.setHandler(() => ({ kind: 'sse', events: messageStreamEvents({ deltas: 400 }), intervalMs: 1 }));
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'long' }] }),
    });
    const streamed = Buffer.from(await res.body.arrayBuffer()).toString('utf8');
    expect(streamed.length).toBeGreaterThan(40_000);
    const [rec] = await gw.records(1);
    const stored = await gw.store.requests.get(rec?.id as string);
    expect(stored?.payload?.responseTruncated).toBe(false);
    expect(stored?.payload?.responseBody).toBe(streamed);
    expect(stored?.outputTokens).toBeGreaterThan(0);
  });

  it('serves count_tokens and models', async () => {
    const count = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    const one = await client.models.retrieve(models.data[0]?.id as string);
    expect(one.id).toBe(models.data[0]?.id);
  });

  it('passes a 400 invalid_request_error through unchanged without failover', async () => {
    up.setHandler(() => ({
      kind: 'json',
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: field required' } },
    }));
    const err = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 1, messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).toContain('max_tokens: field required');
    expect(up.requests).toHaveLength(1);
  });

  it('answers unknown non-API paths with a 404 in Anthropic error shape', async () => {
    const res = await request(`${gw.url}/nope`);
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});
