/**
 * `/api/config` end to end: effective settings with their sources, changes applied to live
 * traffic without a restart, stored in the database (so a change written by another process
 * arrives too), settings pinned by the environment refused with 409, bad values with 400.
 */
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorResponseSchema } from '../../src/shared/api-schemas.js';
import { ConfigSchema, type ConfigView } from '../../src/shared/config-schemas.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const KEY_A = 'sk-ant-api03-config-e2e-a-000000000000';
const KEY_B = 'sk-ant-api03-config-e2e-b-111111111111';
const HOUR = 3_600_000;

let up: FakeUpstream;
let gw: TestGateway;

async function getConfig(): Promise<ConfigView> {
  const r = await api(gw.server.api, 'GET', '/api/config');
  expect(r.status).toBe(200);
  return ConfigSchema.parse(r.json);
}

async function change(method: 'PUT' | 'PATCH', body: unknown) {
  return api(gw.server.api, method, '/api/config', body);
}

function expectError(r: { status: number; json: unknown }, status: number, message: RegExp): void {
  expect(r.status).toBe(status);
  expect(ErrorResponseSchema.parse(r.json).error.message).toMatch(message);
}

/** Sends one message and returns the id of its record (committed) and the key the upstream saw. */
async function send(): Promise<{ id: string; key: string }> {
  const before = up.requests.length;
  const res = await request(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'ping' }] }),
  });
  expect(res.statusCode).toBe(200);
  await res.body.text();
  const [rec] = await gw.records(1);
  const key = up.requests.slice(before).at(-1)?.headers['x-api-key'];
  return { id: rec?.id as string, key: String(key) };
}

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    // Well above the test's waits for API changes: those must not depend on the poll.
    accountPollMs: 500,
    env: { CCFLARE_PAYLOAD_RETENTION_DAYS: '3' },
    setup: async (g) => {
      await g.addApiKey('a', KEY_A, { priority: 0 });
      // b holds a session window that started two minutes ago: with the default 5 h window the
      // session strategy stays on it, with a one-minute window it moves to a (priority 0).
      await g.addApiKey('b', KEY_B, { priority: 1, sessionStart: Date.now() - 120_000 });
    },
  });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});
beforeEach(async () => {
  await gw.settle();
});

describe('GET /api/config', () => {
  it('returns every runtime setting with its value and source', async () => {
    const c = await getConfig();
    expect(c.strategy).toMatchObject({ value: 'session', source: 'default', pinned: false, env: 'CCFLARE_STRATEGY' });
    expect(c.sessionMs).toMatchObject({ value: 5 * HOUR, source: 'default', pinned: false });
    expect(c.requestRetentionDays).toMatchObject({ value: 90, source: 'default' });
    expect(c.payloadRetentionDays).toMatchObject({
      value: 3,
      source: 'environment',
      pinned: true,
      env: 'CCFLARE_PAYLOAD_RETENTION_DAYS',
    });
    expect(c.payloadCapture).toMatchObject({ value: true, source: 'default' });
    expect(c.payloadMaxBytes).toMatchObject({ value: 256 * 1024, source: 'default' });
    expect(c.defaultAgentModel).toMatchObject({ value: '', source: 'default', accepts: { kind: 'model' } });
    expect(c.quotaThresholds).toMatchObject({ value: '', source: 'default', accepts: { kind: 'json' } });
    expect(c.hybridWeights).toMatchObject({ value: '2,5,1,0.1', accepts: { kind: 'text', example: '2,5,1,0.1' } });
    expect(Object.keys(c).sort()).toEqual([
      'conversationAnalysis',
      'conversationAnalysisModel',
      'defaultAgentModel',
      'hybridBucket',
      'hybridWeights',
      'payloadCapture',
      'payloadMaxBytes',
      'payloadRetentionDays',
      'quotaThreshold5h',
      'quotaThreshold7d',
      'quotaThresholds',
      'requestRetentionDays',
      'sessionMs',
      'stickyWaitMs',
      'strategy',
      'strategyAffinity',
    ]);
  });
});

describe('changing settings', () => {
  it('payloadCapture off applies to the very next request, without a restart', async () => {
    const first = await send();
    expect((await gw.store.requests.get(first.id))?.payload?.requestBody).toContain('ping');

    const r = await change('PATCH', { payloadCapture: false });
    expect(r.status).toBe(200);
    expect(ConfigSchema.parse(r.json).payloadCapture).toMatchObject({ value: false, source: 'database' });
    expect(await gw.store.settings.get()).toMatchObject({ payloadCapture: false });

    const second = await send();
    const rec = await gw.store.requests.get(second.id);
    expect(rec?.status).toBe(200);
    expect(rec?.payload).toBeNull();

    await change('PATCH', { payloadCapture: true, payloadMaxBytes: 3 });
    const third = await send();
    const p = (await gw.store.requests.get(third.id))?.payload;
    expect(p?.requestBody).toHaveLength(3);
    expect(p?.requestTruncated).toBe(true);
  });

  it('sessionMs changes which account holds the session, and shows in GET', async () => {
    expect((await send()).key).toBe(KEY_B);
    const r = await change('PUT', { sessionMs: 60_000 });
    expect(r.status).toBe(200);
    expect((await getConfig()).sessionMs).toMatchObject({ value: 60_000, source: 'database' });
    // b's window (two minutes old) is over with a one-minute session: back to priority order.
    expect((await send()).key).toBe(KEY_A);
    const health = (await (await fetch(`${gw.url}/health`)).json()) as { strategy: string };
    expect(health.strategy).toBe('session');
  });

  it('takes a duration with units for sessionMs and stores milliseconds', async () => {
    const r = await change('PATCH', { sessionMs: '90m' });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(ConfigSchema.parse(r.json).sessionMs).toMatchObject({ value: 90 * 60_000, source: 'database' });
    expect(await gw.store.settings.get()).toMatchObject({ sessionMs: 90 * 60_000 });
  });

  it('null removes the stored value', async () => {
    const r = await change('PATCH', { sessionMs: null, payloadMaxBytes: null });
    const c = ConfigSchema.parse(r.json);
    expect(c.sessionMs).toMatchObject({ value: 5 * HOUR, source: 'default' });
    expect(c.payloadMaxBytes).toMatchObject({ value: 256 * 1024, source: 'default' });
    expect(await gw.store.settings.get()).toEqual({ payloadCapture: true });
  });

  it('picks up a change another process wrote to the database', async () => {
    await gw.store.settings.put({ requestRetentionDays: 30 }, Date.now());
    // The settings poll picks it up.
    await vi.waitFor(
      async () => expect((await getConfig()).requestRetentionDays).toMatchObject({ value: 30, source: 'database' }),
      { timeout: 3000, interval: 20 },
    );
  });

  it('refuses a setting pinned by the environment with 409 naming the variable', async () => {
    const r = await change('PATCH', { payloadRetentionDays: 10, sessionMs: 120_000 });
    expectError(r, 409, /payloadRetentionDays is pinned by the environment variable CCFLARE_PAYLOAD_RETENTION_DAYS/);
    const c = await getConfig();
    expect(c.payloadRetentionDays.value).toBe(3);
    // All or nothing: the other key of the refused write did not land either.
    expect(c.sessionMs.value).toBe(5 * HOUR);
  });

  it('refuses bad values with 400 naming the setting', async () => {
    expectError(
      await change('PATCH', { sessionMs: 1000 }),
      400,
      /Invalid sessionMs: 1000; expected a duration such as 90m, 5h.*, from 1m to 7d/,
    );
    expectError(await change('PATCH', { sessionMs: 'soon' }), 400, /sessionMs/);
    expectError(
      await change('PATCH', { strategy: 'random' }),
      400,
      /Invalid strategy: "random"; expected one of session/,
    );
    expectError(await change('PATCH', { requestRetentionDays: 0 }), 400, /requestRetentionDays/);
    expectError(await change('PATCH', { payloadCapture: 'yes' }), 400, /payloadCapture/);
    expectError(await change('PUT', { port: 1 }), 400, /port/);
    // An analysis asks some model: empty is not "none" here, as it is for the agents' default.
    expectError(
      await change('PATCH', { conversationAnalysisModel: ' ' }),
      400,
      /conversationAnalysisModel: a model is needed: a Claude model id or opus, sonnet, haiku \(null: back to the default\)/,
    );
    // A misspelt setting names the one it was likely meant for.
    expectError(
      await change('PATCH', { sesionMs: '2h', retention: 3 }),
      400,
      /^Invalid body: unknown field "sesionMs" \(did you mean "sessionMs"\?\); unknown field "retention"$/,
    );
    // So does a setting written as its variable or in snake case.
    expectError(
      await change('PATCH', { CCFLARE_SESSION_MS: '2h', payload_capture: false }),
      400,
      /^Invalid body: unknown field "CCFLARE_SESSION_MS" \(did you mean "sessionMs"\?\); unknown field "payload_capture" \(did you mean "payloadCapture"\?\)$/,
    );
    expectError(await change('PUT', '{"sessionMs":'), 400, /Malformed JSON/);
    expect((await getConfig()).sessionMs.value).toBe(5 * HOUR);
  });
});
