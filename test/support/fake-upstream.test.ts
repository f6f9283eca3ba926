import Anthropic from '@anthropic-ai/sdk';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  errorBody,
  type FakeUpstream,
  messageStreamEvents,
  startFakeUpstream,
  turnEvents,
  usageBody,
} from './fake-upstream.js';

const messageBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: 'claude-haiku-4-5-20251001',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'hi' }],
    ...extra,
  });

describe('fake upstream', () => {
  let fake: FakeUpstream;
  let agent: Agent;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    agent = new Agent({ connections: 4 });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await agent.close();
    await fake.close();
  });

  it('serves a default stream the official SDK parses, echoing the model', async () => {
    const client = new Anthropic({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'claude-opus-4-5-20251101',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const msg = await stream.finalMessage();
    expect(msg.model).toBe('claude-opus-4-5-20251101');
    expect(deltas).toHaveLength(20);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage.output_tokens).toBe(20);
    expect(msg.usage.input_tokens).toBe(12);
    expect(msg.usage.cache_creation_input_tokens).toBe(30);
    expect(msg.usage.cache_read_input_tokens).toBe(100);
    const first = msg.content[0];
    expect(first?.type === 'text' ? first.text : '').toBe(deltas.join(''));

    const plain = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(plain.model).toBe('claude-sonnet-4-6');
    expect(plain.usage.cache_creation?.ephemeral_5m_input_tokens).toBe(20);

    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]?.json.stream).toBe(true);
    const h = fake.requests[0]?.headers ?? {};
    // SDK 1.x sends the key as a bearer token; older ones as x-api-key
    expect(h['x-api-key'] ?? h.authorization).toMatch(/^(Bearer )?x$/);
    expect(h['anthropic-version']).toBeTypeOf('string');
  });

  it('streams a scripted tool_use turn the official SDK assembles into the tool call', async () => {
    fake.setHandler((r) => ({
      kind: 'sse',
      events: turnEvents({
        model: r.json.model,
        blocks: [
          { type: 'text', text: 'Starting the reviewer.' },
          { type: 'tool_use', id: 'toolu_scripted', name: 'Agent', input: { subagent_type: 'reviewer', prompt: 'Go' } },
        ],
      }),
    }));
    const client = new Anthropic({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
    const msg = await client.messages
      .stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Review' }] })
      .finalMessage();
    expect(msg.model).toBe('claude-sonnet-4-6');
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content).toEqual([
      { type: 'text', text: 'Starting the reviewer.' },
      { type: 'tool_use', id: 'toolu_scripted', name: 'Agent', input: { subagent_type: 'reviewer', prompt: 'Go' } },
    ]);
  });

  it('answers count_tokens, models, create_api_key and a 404 in the error shape', async () => {
    const client = new Anthropic({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
    const count = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThanOrEqual(2);
    const one = await client.models.retrieve('claude-haiku-4-5-20251001');
    expect(one.id).toBe('claude-haiku-4-5-20251001');

    const key = await request(`${fake.url}/api/oauth/claude_cli/create_api_key`, { method: 'POST', dispatcher: agent });
    expect(((await key.body.json()) as { raw_key: string }).raw_key).toMatch(/^sk-ant-api03-/);

    const nf = await request(`${fake.url}/nope`, { dispatcher: agent });
    expect(nf.statusCode).toBe(404);
    expect(nf.headers['request-id']).toMatch(/^req_/);
    const body = (await nf.body.json()) as { type: string; error: { type: string }; request_id: string };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('not_found_error');
    expect(body.request_id).toMatch(/^req_/);
  });

  it('answers the OAuth usage endpoint per token, as scripted, and refuses it without bearer and beta', async () => {
    const get = async (token: string | null, beta = 'oauth-2025-04-20') => {
      const headers: Record<string, string> = { 'anthropic-beta': beta };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const r = await request(`${fake.url}/api/oauth/usage`, { dispatcher: agent, headers });
      return { status: r.statusCode, json: await r.body.json() };
    };
    expect((await get(null)).status).toBe(401);
    expect((await get('a', 'other-beta')).status).toBe(401);
    expect(await get('unscripted')).toEqual({
      status: 200,
      json: expect.objectContaining({
        five_hour: { utilization: 0, resets_at: null },
        seven_day: { utilization: 0, resets_at: null },
      }),
    });
    const reset = Date.UTC(2026, 0, 1, 12);
    fake.setUsage('a', { body: usageBody({ utilization: 40, resetsAt: reset }, null) });
    fake.setUsage('b', { status: 429, headers: { 'retry-after': '3600' } });
    expect((await get('a')).json).toMatchObject({
      five_hour: { utilization: 40, resets_at: '2026-01-01T12:00:00.000Z' },
      seven_day: null,
    });
    expect((await get('b')).status).toBe(429);
    fake.reset();
    expect((await get('b')).status).toBe(200);
  });

  it('paces events per request via the x-fake-sse header', async () => {
    const t0 = performance.now();
    const res = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-fake-sse': 'deltas=5;interval=20' },
      body: messageBody({ stream: true }),
    });
    expect(res.headers['content-type']).toBe('text/event-stream');
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of res.body) {
      arrivals.push(performance.now() - t0);
      text += chunk.toString();
    }
    expect(text.match(/event: content_block_delta/g)).toHaveLength(5);
    // 11 events (start, block start, ping, 5 deltas, block stop, message_delta, stop) 20 ms apart
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(150);
    expect(arrivals.length).toBeGreaterThan(5);
  });

  it('paces by the query parameter too, and delays JSON answers', async () => {
    const t0 = performance.now();
    const res = await request(`${fake.url}/v1/messages?beta=true&fake_sse=delay=60`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: messageBody(),
    });
    await res.body.json();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    expect(fake.requests[0]?.path).toBe('/v1/messages?beta=true&fake_sse=delay=60');
  });

  it('drops the connection mid-stream after destroyAfterEvents', async () => {
    fake.setHandler(() => ({
      kind: 'sse',
      events: messageStreamEvents({ deltas: 5 }),
      destroyAfterEvents: 3,
      intervalMs: 5,
    }));
    const res = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: messageBody({ stream: true }),
    });
    expect(res.statusCode).toBe(200);
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of res.body) text += chunk.toString();
      })(),
    ).rejects.toThrow();
    expect(text).toContain('event: message_start');
    expect(text).toContain('event: ping');
    expect(text).not.toContain('content_block_delta');

    // unpaced variant: all events up to the limit in one write, then the drop
    fake.setHandler(() => ({ kind: 'sse', events: messageStreamEvents({ deltas: 5 }), destroyAfterEvents: 4 }));
    const res2 = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: messageBody({ stream: true }),
    });
    let text2 = '';
    await expect(
      (async () => {
        for await (const chunk of res2.body) text2 += chunk.toString();
      })(),
    ).rejects.toThrow();
    expect(text2.match(/content_block_delta/g)).toHaveLength(2); // event line + data type

    // zero events: the status line and headers arrive, then the connection drops
    for (const intervalMs of [0, 5]) {
      fake.setHandler(() => ({ kind: 'sse', events: messageStreamEvents(), destroyAfterEvents: 0, intervalMs }));
      const res3 = await request(`${fake.url}/v1/messages`, {
        method: 'POST',
        dispatcher: agent,
        body: messageBody({ stream: true }),
      });
      expect(res3.statusCode).toBe(200);
      await expect(res3.body.text()).rejects.toThrow();
    }
  });

  it('lets a handler override answers and fall back to the default', async () => {
    fake.setHandler((req) => {
      if (req.json?.model === 'rate-limited') {
        return {
          kind: 'json',
          status: 429,
          headers: { 'retry-after': '7', 'anthropic-ratelimit-unified-status': 'rejected' },
          body: errorBody('rate_limit_error', 'slow down'),
        };
      }
      if (req.json?.model === 'async') return Promise.resolve({ kind: 'raw', status: 503, body: 'upstream gone' });
      return undefined;
    });
    const limited = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: messageBody({ model: 'rate-limited' }),
    });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.headers['anthropic-ratelimit-unified-status']).toBe('rejected');
    expect(((await limited.body.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');

    const raw = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: agent,
      body: messageBody({ model: 'async' }),
    });
    expect(raw.statusCode).toBe(503);
    expect(await raw.body.text()).toBe('upstream gone');

    const dflt = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: agent,
      body: messageBody(),
    });
    expect(dflt.statusCode).toBe(200);
    expect(((await dflt.body.json()) as { model: string }).model).toBe('claude-haiku-4-5-20251001');
    expect(fake.requests.map((r) => r.json?.model)).toEqual(['rate-limited', 'async', 'claude-haiku-4-5-20251001']);

    fake.setHandler(() => ({ kind: 'reset' }));
    await expect(
      request(`${fake.url}/v1/messages`, { method: 'POST', dispatcher: agent, body: messageBody() }),
    ).rejects.toThrow();
  });

  it('closes sockets: openConnections drops to 0 after clients close, also mid-stream and on hang', async () => {
    // own instance: the shared agent above keeps its keep-alive sockets to the shared fake open
    const fake = await startFakeUpstream();
    const local = new Agent({ connections: 3 });
    const before = fake.totalConnections();
    await Promise.all(
      [0, 1, 2].map(async () => {
        const r = await request(`${fake.url}/v1/messages`, {
          method: 'POST',
          dispatcher: local,
          body: messageBody({ stream: true }),
        });
        await r.body.text();
      }),
    );
    expect(fake.openConnections()).toBeGreaterThan(0);
    expect(fake.totalConnections()).toBeGreaterThan(before);

    // a slow stream abandoned by the client, and a request the upstream never answers
    const ac = new AbortController();
    const slow = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: local,
      headers: { 'x-fake-sse': 'deltas=1000;interval=10' },
      body: messageBody({ stream: true }),
      signal: ac.signal,
    });
    const it = slow.body[Symbol.asyncIterator]();
    await it.next();
    expect(fake.pendingTimers()).toBe(1);
    expect(fake.activeResponses()).toBe(1);
    fake.setHandler(() => ({ kind: 'hang' }));
    const hung = request(`${fake.url}/v1/messages`, {
      method: 'POST',
      dispatcher: local,
      body: messageBody(),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(fake.requests.length).toBeGreaterThanOrEqual(5), { interval: 5 });
    ac.abort();
    await hung;
    await local.close();
    await vi.waitFor(() => expect(fake.openConnections()).toBe(0), { interval: 5 });
    // the paced stream's timer was cleared when its client went away
    expect(fake.pendingTimers()).toBe(0);
    expect(fake.activeResponses()).toBe(0);
    await fake.close();
  });
});

describe('fake upstream options', () => {
  it('honours sseDeltas, sseIntervalMs, text and record:false, and close() ends open sockets', async () => {
    const fake = await startFakeUpstream({ sseDeltas: 3, sseIntervalMs: 15, text: 'abcdef', record: false });
    const agent = new Agent();
    try {
      const t0 = performance.now();
      const res = await request(`${fake.url}/v1/messages`, {
        method: 'POST',
        dispatcher: agent,
        body: messageBody({ stream: true }),
      });
      const text = await res.body.text();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(8 * 15 - 10);
      const deltas = [...text.matchAll(/"text_delta","text":"([^"]*)"/g)].map((m) => m[1]);
      expect(deltas).toEqual(['ab', 'cd', 'ef']);
      expect(fake.requests).toHaveLength(0);
      fake.setHandler(() => ({ kind: 'hang' }));
      const pending = request(`${fake.url}/v1/messages`, { method: 'POST', dispatcher: agent, body: '{}' }).catch(
        (e: unknown) => e,
      );
      await vi.waitFor(() => expect(fake.openConnections()).toBeGreaterThan(0), { interval: 5 });
      await fake.close();
      expect(await pending).toBeInstanceOf(Error);
      expect(fake.openConnections()).toBe(0);
    } finally {
      await agent.close();
      await fake.close().catch(() => {});
    }
  });
});
