/**
 * ccflare's management API paths end to end, each answer checked against ccflare's own shapes:
 * the zod schemas below are written from what ccflare's handlers return (its http-api handlers
 * and @ccflare/types: RequestResponse, RequestPayload, LogEvent, the request event union).
 * The gateway runs with an admin key: these paths are guarded like every other.
 */

import { z } from '@hono/zod-openapi';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream, type StreamEvent } from '../../src/cli/event-stream.js';
import { api } from '../support/api-request.js';
import { type FakeOAuth, startFakeOAuth } from '../support/fake-oauth.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const ADMIN = 'ccflare-compat-admin-key-0000000000000000';
const AUTH = { authorization: `Bearer ${ADMIN}` };
const KEY = 'sk-ant-api03-ccflare-compat-000000000000';

// --- ccflare's shapes ---------------------------------------------------------------------------

const CcflareError = z.strictObject({ error: z.string() });
const OAuthInit = z.strictObject({
  success: z.literal(true),
  authUrl: z.string().url(),
  sessionId: z.string(),
  step: z.literal('authorize'),
});
const OAuthCallback = z.strictObject({
  success: z.literal(true),
  message: z.string(),
  mode: z.enum(['Claude Max', 'Claude Console']),
  tier: z.number(),
});
const TierUpdate = z.strictObject({
  success: z.literal(true),
  tier: z.union([z.literal(1), z.literal(5), z.literal(20)]),
});
const Strategy = z.strictObject({ strategy: z.string() });
const StrategySet = z.strictObject({ success: z.literal(true), strategy: z.string() });
const Strategies = z.array(z.string());
const Model = z.strictObject({ model: z.string() });
const ModelSet = z.strictObject({ success: z.literal(true), model: z.string() });
const Retention = z.strictObject({ payloadDays: z.number(), requestDays: z.number() });
/** ccflare's RequestResponse (what /api/requests and the stream's summaries carry). */
const RequestResponse = z.strictObject({
  id: z.string(),
  timestamp: z.string(),
  method: z.string(),
  path: z.string(),
  accountUsed: z.string().nullable(),
  statusCode: z.number().nullable(),
  success: z.boolean(),
  errorMessage: z.string().nullable(),
  responseTimeMs: z.number().nullable(),
  failoverAttempts: z.number(),
  model: z.string().optional(),
  promptTokens: z.number().optional(),
  completionTokens: z.number().optional(),
  totalTokens: z.number().optional(),
  inputTokens: z.number().optional(),
  cacheReadInputTokens: z.number().optional(),
  cacheCreationInputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  costUsd: z.number().optional(),
  agentUsed: z.string().optional(),
  tokensPerSecond: z.number().optional(),
  clientIp: z.string().optional(),
});
/** ccflare's RequestPayload (/api/requests/detail and the stream's payload events). */
const RequestPayload = z.strictObject({
  id: z.string(),
  request: z.strictObject({ headers: z.record(z.string(), z.string()), body: z.string().nullable() }),
  response: z
    .strictObject({ status: z.number(), headers: z.record(z.string(), z.string()), body: z.string().nullable() })
    .nullable(),
  error: z.string().optional(),
  meta: z.strictObject({
    accountId: z.string().optional(),
    accountName: z.string().optional(),
    retry: z.number().optional(),
    timestamp: z.number(),
    success: z.boolean().optional(),
    rateLimited: z.boolean().optional(),
    accountsAttempted: z.number().optional(),
    pending: z.boolean().optional(),
    path: z.string().optional(),
    method: z.string().optional(),
    agentUsed: z.string().optional(),
  }),
});
const RequestEvent = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('start'),
    id: z.string(),
    timestamp: z.number(),
    method: z.string(),
    path: z.string(),
    accountId: z.string().nullable(),
    statusCode: z.number(),
    agentUsed: z.string().nullable(),
  }),
  z.strictObject({ type: z.literal('summary'), payload: RequestResponse }),
  z.strictObject({ type: z.literal('payload'), payload: RequestPayload }),
]);
const LogEvent = z.strictObject({
  ts: z.number(),
  level: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
  msg: z.string(),
});

// ------------------------------------------------------------------------------------------------

let oauth: FakeOAuth;
let up: FakeUpstream;
let gw: TestGateway;

const call = (method: string, path: string, body?: unknown) => api(gw.server.api, method, path, body, AUTH);

async function pastedCode(authorizeUrl: string): Promise<string> {
  const page = await (await fetch(authorizeUrl)).text();
  const m = /<code id="code">([^<]+)<\/code>/.exec(page);
  if (!m?.[1]) throw new Error('no code on the authorize page');
  return m[1];
}

async function sendMessage(content: string): Promise<void> {
  const res = await request(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content }] }),
  });
  expect(res.statusCode).toBe(200);
  await res.body.text();
}

/** Reads frames of a stream until `done` says so. */
async function readUntil(
  path: string,
  done: (frames: StreamEvent[]) => boolean,
  afterOpen: () => Promise<void>,
  headers: Record<string, string> = AUTH,
): Promise<StreamEvent[]> {
  const ctrl = new AbortController();
  const stream = await openEventStream(`${gw.url}${path}`, { headers, signal: ctrl.signal });
  const frames: StreamEvent[] = [];
  const reading = (async () => {
    try {
      for await (const e of stream) {
        frames.push(e);
        if (done(frames)) break;
      }
    } finally {
      ctrl.abort();
    }
  })();
  await afterOpen();
  await reading;
  return frames;
}

beforeAll(async () => {
  oauth = await startFakeOAuth();
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    env: {
      CCFLARE_ADMIN_KEY: ADMIN,
      CCFLARE_OAUTH_AUTHORIZE_URL: oauth.authorizeUrl,
      CCFLARE_OAUTH_CONSOLE_AUTHORIZE_URL: oauth.authorizeUrl,
      CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl,
      CCFLARE_OAUTH_REDIRECT_URI: oauth.redirectUri,
    },
    setup: async (g) => {
      await g.addApiKey('key-account', KEY);
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
  await oauth?.close();
});

describe("ccflare's API paths", () => {
  it('refuse a caller without the admin key, and foreign web pages, like every other route', async () => {
    const r = await api(gw.server.api, 'GET', '/api/config/strategy');
    expect(r.status).toBe(401);
    const page = await request(`${gw.url}/api/config/model`, {
      method: 'POST',
      headers: { ...AUTH, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'opus' }),
    });
    expect(page.statusCode).toBe(403);
    await page.body.text();
  });

  it('/api/oauth/init and /api/oauth/callback add an account, the tier becoming its priority', async () => {
    const init = await call('POST', '/api/oauth/init', { name: 'max-five', mode: 'max', tier: 5 });
    expect(init.status).toBe(200);
    const started = OAuthInit.parse(init.json);
    expect(new URL(started.authUrl).searchParams.get('code_challenge_method')).toBe('S256');
    const done = await call('POST', '/api/oauth/callback', {
      sessionId: started.sessionId,
      code: await pastedCode(started.authUrl),
    });
    expect(done.status).toBe(200);
    expect(OAuthCallback.parse(done.json)).toEqual({
      success: true,
      message: "Account 'max-five' added successfully!",
      mode: 'Claude Max',
      tier: 5,
    });
    expect((await gw.store.accounts.getByName('max-five'))?.priority).toBe(10);

    const again = await call('POST', '/api/oauth/callback', { sessionId: started.sessionId, code: 'x#y' });
    expect(again.status).toBe(400);
    expect(CcflareError.parse(again.json).error).toBe('OAuth session expired or invalid. Please try again.');
    const badTier = await call('POST', '/api/oauth/init', { name: 'x', tier: 3 });
    expect(badTier.status).toBe(400);
    expect(CcflareError.parse(badTier.json).error).toMatch(/tier.*1, 5, 20/);
  });

  it('/api/accounts/{id}/tier sets the priority the tier maps to', async () => {
    const row = await gw.store.accounts.getByName('key-account');
    expect((await call('POST', '/api/accounts/key-account/tier', { tier: 1 })).status).toBe(200);
    expect((await gw.store.accounts.getByName('key-account'))?.priority).toBe(20);
    const r = await call('POST', `/api/accounts/${row?.id}/tier`, { tier: 20 });
    expect(r.status).toBe(200);
    expect(TierUpdate.parse(r.json)).toEqual({ success: true, tier: 20 });
    expect((await gw.store.accounts.getByName('key-account'))?.priority).toBe(0);

    const missing = await call('POST', '/api/accounts/no-such-id/tier', { tier: 5 });
    expect(missing.status).toBe(404);
    expect(CcflareError.parse(missing.json).error).toBe('Account not found');
    const bad = await call('POST', `/api/accounts/${row?.id}/tier`, { tier: 2 });
    expect(bad.status).toBe(400);
    CcflareError.parse(bad.json);
  });

  it('/api/config/strategy and /api/strategies', async () => {
    expect(Strategy.parse((await call('GET', '/api/config/strategy')).json)).toEqual({ strategy: 'session' });
    expect(Strategies.parse((await call('GET', '/api/strategies')).json)).toEqual([
      'session',
      'sticky',
      'round-robin',
      'least-used',
      'drain-soonest',
      'hybrid',
    ]);
    const set = await call('POST', '/api/config/strategy', { strategy: 'round-robin' });
    expect(StrategySet.parse(set.json)).toEqual({ success: true, strategy: 'round-robin' });
    expect(Strategy.parse((await call('GET', '/api/config/strategy')).json)).toEqual({ strategy: 'round-robin' });
    await call('POST', '/api/config/strategy', { strategy: 'session' });
    const bad = await call('POST', '/api/config/strategy', { strategy: 'random' });
    expect(bad.status).toBe(400);
    expect(CcflareError.parse(bad.json).error).toMatch(/strategy/);
  });

  it('/api/config/model reads and sets the default agent model, ccflare’s short names included', async () => {
    expect(Model.parse((await call('GET', '/api/config/model')).json)).toEqual({ model: '' });
    const set = await call('POST', '/api/config/model', { model: 'sonnet-4' });
    expect(ModelSet.parse(set.json)).toEqual({ success: true, model: 'claude-sonnet-4-20250514' });
    expect(Model.parse((await call('GET', '/api/config/model')).json)).toEqual({ model: 'claude-sonnet-4-20250514' });
    const config = (await call('GET', '/api/config')).json as { defaultAgentModel: { value: string; source: string } };
    expect(config.defaultAgentModel).toMatchObject({ value: 'claude-sonnet-4-20250514', source: 'database' });
    const bad = await call('POST', '/api/config/model', { model: 'gpt-4' });
    expect(bad.status).toBe(400);
    CcflareError.parse(bad.json);
  });

  it('/api/config/retention reads and sets payload and request days', async () => {
    expect(Retention.parse((await call('GET', '/api/config/retention')).json)).toEqual({
      payloadDays: 7,
      requestDays: 90,
    });
    const set = await call('POST', '/api/config/retention', { payloadDays: 14, requestDays: 365 });
    expect(set.status).toBe(204);
    expect(set.text).toBe('');
    expect(Retention.parse((await call('GET', '/api/config/retention')).json)).toEqual({
      payloadDays: 14,
      requestDays: 365,
    });
    const none = await call('POST', '/api/config/retention', {});
    expect(none.status).toBe(400);
    expect(CcflareError.parse(none.json).error).toBe('No retention fields provided');
    expect((await call('POST', '/api/config/retention', { payloadDays: 0 })).status).toBe(400);
  });

  it('/api/requests/stream sends ccflare’s request events; /api/requests/detail its payloads', async () => {
    const frames = await readUntil(
      '/api/requests/stream',
      (f) => f.some((e) => e.data.includes('"type":"payload"')),
      () => sendMessage('ping from a ccflare script'),
    );
    expect(frames[0]).toMatchObject({ event: 'connected', data: 'ok' });
    const events = frames.slice(1).map((f) => RequestEvent.parse(JSON.parse(f.data)));
    expect(events.map((e) => e.type)).toEqual(['start', 'summary', 'payload']);
    const summary = events[1] as { payload: z.infer<typeof RequestResponse> };
    expect(summary.payload).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      accountUsed: 'key-account',
      statusCode: 200,
      success: true,
      failoverAttempts: 0,
    });

    await gw.settle();
    const detail = await call('GET', '/api/requests/detail?limit=5');
    expect(detail.status).toBe(200);
    const items = z.array(RequestPayload).parse(detail.json);
    expect(items).toHaveLength(1);
    const [item] = items;
    expect(item?.id).toBe(summary.payload.id);
    expect(JSON.parse(Buffer.from(item?.request.body ?? '', 'base64').toString('utf8')).messages[0].content).toBe(
      'ping from a ccflare script',
    );
    expect(item?.response?.status).toBe(200);
    expect(item?.meta).toMatchObject({ accountName: 'key-account', success: true, accountsAttempted: 1, retry: 0 });
    // Credentials never leave, in either shape.
    expect(detail.text).not.toContain(KEY);
    expect((await call('GET', '/api/requests/detail?limit=0')).status).toBe(400);
  });

  it('/api/logs/stream sends {ts, level, msg} lines after {"connected":true}, opened with a ticket too', async () => {
    const { ticket } = (await call('POST', '/api/events/ticket')).json as { ticket: string };
    const frames = await readUntil(
      `/api/logs/stream?ticket=${ticket}`,
      (f) => f.some((e) => e.data.includes('account removed')),
      async () => {
        expect((await call('DELETE', '/api/accounts/max-five')).status).toBe(200);
      },
      {},
    );
    expect(JSON.parse(frames[0]?.data ?? '')).toEqual({ connected: true });
    const lines = frames.slice(1).map((f) => LogEvent.parse(JSON.parse(f.data)));
    expect(lines.find((l) => l.msg === 'account removed')?.level).toBe('INFO');
  });
});
