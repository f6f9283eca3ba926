/**
 * Client key limits through the real proxy and the fake upstream: over its rpm, token or cost
 * limit a key gets 429 rate_limit_error with retry-after and its row is recorded without any
 * upstream call; a model outside its list gets 400; under the limits nothing changes; a limit set
 * from the API applies before it answers, one written by another process (the CLI) within 2 s.
 */
import Anthropic from '@anthropic-ai/sdk';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientKeySchema } from '../../src/shared/keys-schemas.js';
import { NO_LIMITS } from '../../src/storage/contract/keys.js';
import { api } from '../support/api-request.js';
import { gatewayForFile } from '../support/gateway.js';

const ctx = gatewayForFile({
  setup: async (g) => {
    await g.addApiKey('acct', 'sk-ant-api03-key-limits-e2e');
  },
});

/** What a user notices: the status, the error type and message, retry-after. */
async function send(key: string, model = 'claude-sonnet-4-5') {
  const res = await fetch(`${ctx.gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { type: string; error?: { type: string; message: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
}

/** A body sent as is, with its own content-type. */
async function sendRaw(key: string, path: string, contentType: string, body: string) {
  const res = await fetch(`${ctx.gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body,
  });
  const json = (await res.json()) as { type: string; error?: { type: string; message: string } };
  return { status: res.status, body: json };
}

async function createKey(name: string): Promise<string> {
  const r = await api(ctx.gw.server.api, 'POST', '/api/keys', { name });
  expect(r.status).toBe(201);
  return r.json.key as string;
}

function setLimits(name: string, limits: Partial<typeof NO_LIMITS>) {
  return api(ctx.gw.server.api, 'PUT', `/api/keys/${name}/limits`, { ...NO_LIMITS, ...limits });
}

beforeEach(async () => {
  await ctx.gw.settle();
  ctx.up.reset();
});

describe('client key limits', () => {
  it('over its rpm the key gets 429 with retry-after, recorded, nothing forwarded; other keys are unaffected', async () => {
    const key = await createKey('rpm');
    const other = await createKey('rpm-free');
    const set = await setLimits('rpm', { rpm: 2 });
    expect(set.status).toBe(200);
    expect(ClientKeySchema.parse(set.json).limits.rpm).toBe(2);

    expect((await send(key)).status).toBe(200);
    expect((await send(key)).status).toBe(200);
    const refused = await send(key);
    expect(refused.status).toBe(429);
    expect(refused.body.type).toBe('error');
    expect(refused.body.error?.type).toBe('rate_limit_error');
    expect(refused.body.error?.message).toContain('2 requests per minute');
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    for (let i = 0; i < 3; i++) expect((await send(other)).status).toBe(200);
    expect(ctx.up.requests).toHaveLength(5);

    const rows = await ctx.gw.records(6);
    const row = rows.find((r) => r.status === 429);
    expect(row).toMatchObject({ clientKey: 'rpm', success: false, accountName: null, attempts: 0 });
    expect(row?.error).toContain('key limit');

    // The official SDK reads it as a RateLimitError.
    const sdk = new Anthropic({ baseURL: ctx.gw.url, apiKey: key, maxRetries: 0 });
    await expect(
      sdk.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(Anthropic.RateLimitError);

    const listed = await api(ctx.gw.server.api, 'GET', '/api/keys');
    const view = ClientKeySchema.array()
      .parse(listed.json.keys)
      .find((k) => k.name === 'rpm');
    expect(view?.use?.requestsLastMinute).toBe(2);
  });

  it('refuses past the tokens of the day and the cost of the month, with retry-after until the window ends', async () => {
    const key = await createKey('budget');
    expect((await setLimits('budget', { tokensPerDay: 1 })).status).toBe(200);
    // The request that crosses the limit is served: its tokens are known only afterwards.
    expect((await send(key)).status).toBe(200);
    // Its tokens count once its record is written; polling with requests could be served meanwhile.
    expect(await ctx.gw.records(1)).toHaveLength(1);
    expect((await send(key)).status).toBe(429);
    const day = await send(key);
    expect(day.body.error?.message).toContain('tokens per day');
    const untilMidnight = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000 - Date.now();
    expect(Math.abs(Number(day.retryAfter) - untilMidnight / 1000)).toBeLessThan(5);

    expect((await setLimits('budget', { costPerMonthUsd: 0.000001 })).status).toBe(200);
    const month = await send(key);
    expect(month.status).toBe(429);
    expect(month.body.error?.message).toContain('per month');
    expect(Number(month.retryAfter)).toBeGreaterThanOrEqual(Number(day.retryAfter));

    const listed = await api(ctx.gw.server.api, 'GET', '/api/keys');
    const view = ClientKeySchema.array()
      .parse(listed.json.keys)
      .find((k) => k.name === 'budget');
    expect(view?.use?.tokensToday).toBeGreaterThan(0);
    expect(view?.use?.costThisMonthUsd).toBeGreaterThan(0);
    expect(ctx.up.requests).toHaveLength(1);
  });

  it("a key created under a revoked key's name starts with no use, and is served", async () => {
    const old = await createKey('reused');
    expect((await setLimits('reused', { tokensPerDay: 1 })).status).toBe(200);
    expect((await send(old)).status).toBe(200);
    expect(await ctx.gw.records(1)).toHaveLength(1);
    expect((await send(old)).status).toBe(429);
    expect((await api(ctx.gw.server.api, 'DELETE', '/api/keys/reused')).status).toBe(200);

    const fresh = await createKey('reused');
    expect((await setLimits('reused', { tokensPerDay: 1 })).status).toBe(200);
    const listed = await api(ctx.gw.server.api, 'GET', '/api/keys');
    const view = ClientKeySchema.array()
      .parse(listed.json.keys)
      .find((k) => k.name === 'reused' && k.revokedAt === null);
    expect(view?.use).toMatchObject({ tokensToday: 0, costThisMonthUsd: 0 });
    // It was refused here with the revoked key's use ("1 tokens per day (… used)").
    expect((await send(fresh)).status).toBe(200);
  });

  it('answers a model outside the list with 400 invalid_request_error, recorded; allowed families pass', async () => {
    const key = await createKey('models');
    expect((await setLimits('models', { models: ['haiku', 'claude-sonnet-4-5'] })).status).toBe(200);
    expect((await send(key, 'claude-haiku-4-5-20251001')).status).toBe(200);
    expect((await send(key, 'claude-sonnet-4-5')).status).toBe(200);
    const refused = await send(key, 'claude-opus-4-5');
    expect(refused.status).toBe(400);
    expect(refused.body.error?.type).toBe('invalid_request_error');
    expect(refused.body.error?.message).toContain('may not use model claude-opus-4-5');
    expect(ctx.up.requests).toHaveLength(2);
    const rows = await ctx.gw.records(3);
    expect(rows.find((r) => r.status === 400)).toMatchObject({
      clientKey: 'models',
      modelRequested: 'claude-opus-4-5',
    });
  });

  it('refuses a Messages call whose model it cannot read for a key with a model list; keys without one are unaffected', async () => {
    const key = await createKey('unread');
    const free = await createKey('unread-free');
    expect((await setLimits('unread', { models: ['sonnet'] })).status).toBe(200);
    const json = JSON.stringify({
      model: 'claude-opus-4-1',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    // Bodies the upstream may still read a model from, but the gateway does not.
    const unreadable: Array<[string, string, string]> = [
      ['/v1/messages', 'text/plain', json],
      ['/v1/messages', 'application/x-www-form-urlencoded', json],
      ['/v1/messages', 'application/json', `\uFEFF${json}`],
      ['/v1/messages/count_tokens', 'text/plain', json],
    ];
    for (const [path, type, body] of unreadable) {
      const r = await sendRaw(key, path, type, body);
      expect(r.status, `${path} ${type}`).toBe(400);
      expect(r.body.error?.type).toBe('invalid_request_error');
      expect(r.body.error?.message).toContain('key limit: client key "unread"');
      expect(r.body.error?.message).toContain('could not read one model for this request');
      expect(r.body.error?.message).toContain('content-type: application/json');
    }
    expect(ctx.up.requests).toHaveLength(0);
    const rows = await ctx.gw.records(4);
    for (const row of rows) {
      expect(row).toMatchObject({ clientKey: 'unread', status: 400, success: false, accountName: null, attempts: 0 });
      expect(row.error).toContain('could not read one model for this request');
    }
    // A call that names no model still works for the restricted key.
    const models = await fetch(`${ctx.gw.url}/v1/models`, { headers: { 'x-api-key': key } });
    expect(models.status).toBe(200);
    await models.arrayBuffer();
    // A key without a list is forwarded as before (the upstream has its say on each body).
    for (const [path, type, body] of unreadable) await sendRaw(free, path, type, body);
    expect(ctx.up.requests.slice(1).map((q) => [q.path, q.headers['content-type'], q.body])).toEqual(unreadable);
    // A batch names its models inside each request: refused for the restricted key; a cancel names none.
    const batch = { requests: [{ custom_id: 'a', params: JSON.parse(json) }] };
    const created = await sendRaw(key, '/v1/messages/batches', 'application/json', JSON.stringify(batch));
    expect(created.status).toBe(400);
    expect(created.body.error?.message).toContain('a batch names its models inside it');
    const before = ctx.up.requests.length;
    await sendRaw(key, '/v1/messages/batches/msgbatch_1/cancel', 'application/json', '{}');
    expect(ctx.up.requests.map((q) => q.path).slice(before)).toEqual(['/v1/messages/batches/msgbatch_1/cancel']);
  });

  it('does not serve a restricted key through a fallback model outside its list', async () => {
    const key = await createKey('fallback');
    const free = await createKey('fallback-free');
    expect((await setLimits('fallback', { models: ['opus'] })).status).toBe(200);
    const rules = await api(ctx.gw.server.api, 'PUT', '/api/models/rules', {
      rules: [],
      fallback: { enabled: true, map: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }] },
    });
    expect(rules.status).toBe(200);
    try {
      ctx.up.setHandler((req) =>
        req.json?.model === 'claude-opus-4-5'
          ? { kind: 'json', status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'busy' } } }
          : undefined,
      );
      const refused = await send(key, 'claude-opus-4-5');
      expect(refused.status).toBe(429);
      expect(refused.body.error?.message).toContain('busy');
      expect(ctx.up.requests.map((q) => q.json.model)).not.toContain('claude-sonnet-4-5');
      // A key free to use Sonnet still gets the fallback.
      ctx.up.requests.length = 0;
      expect((await send(free, 'claude-opus-4-5')).status).toBe(200);
      expect(ctx.up.requests.map((q) => q.json.model).at(-1)).toBe('claude-sonnet-4-5');
    } finally {
      await api(ctx.gw.server.api, 'PUT', '/api/models/rules', { rules: [], fallback: { enabled: false, map: [] } });
    }
  });

  it('applies limits written by another process (the CLI) within 2 s, and their removal too', async () => {
    const key = await createKey('live');
    expect((await send(key)).status).toBe(200);
    await ctx.gw.store.keys.setLimits('live', { ...NO_LIMITS, models: ['haiku'] }, Date.now());
    await vi.waitFor(async () => expect((await send(key)).status).toBe(400), { timeout: 2000, interval: 50 });
    await ctx.gw.store.keys.setLimits('live', NO_LIMITS, Date.now());
    await vi.waitFor(async () => expect((await send(key)).status).toBe(200), { timeout: 2000, interval: 50 });
  });

  it('validates limits and names an unknown key', async () => {
    await createKey('valid');
    for (const bad of [
      { rpm: 0 },
      { rpm: 1.5 },
      { tokensPerDay: -1 },
      { costPerMonthUsd: 0 },
      { models: ['gpt-4o'] },
    ]) {
      const r = await setLimits('valid', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await setLimits('nobody', { rpm: 5 })).status).toBe(404);
  });
});
