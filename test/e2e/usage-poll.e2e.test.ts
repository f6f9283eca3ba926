/**
 * Idle subscription accounts' usage (src/accounts/usage-poller.ts) against the fake Anthropic
 * API's `GET /api/oauth/usage`: the real gateway, its dispatcher, token manager and pool. The
 * poll interval is long (a minute) so its timer never fires here; each test runs one pass with
 * `usagePoller.tick()`, as the timer would.
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountListSchema } from '../../src/shared/accounts-schemas.js';
import type { StrategyView } from '../../src/shared/strategy-schemas.js';
import { api } from '../support/api-request.js';
import { startFakeOAuth } from '../support/fake-oauth.js';
import { type FakeUpstream, messageJson, startFakeUpstream, usageBody } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const HOUR = 3_600_000;
const IDLE_TOKEN = 'sk-ant-oat01-usage-e2e-idle';
const BUSY_TOKEN = 'sk-ant-oat01-usage-e2e-busy';
const KEY = 'sk-ant-api03-usage-e2e-key-0123456789abcdef';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c();
});

async function start(): Promise<{ up: FakeUpstream; gw: TestGateway }> {
  const up = await startFakeUpstream();
  cleanups.push(() => up.close());
  const gw = await startGateway({
    upstreamUrl: up.url,
    env: { CCFLARE_USAGE_POLL_MS: '60000' },
    setup: async (g) => {
      const expiresAt = Date.now() + 8 * HOUR;
      await g.addOAuth('busy', { accessToken: BUSY_TOKEN, refreshToken: 'r-busy', expiresAt }, { priority: 0 });
      await g.addOAuth('idle', { accessToken: IDLE_TOKEN, refreshToken: 'r-idle', expiresAt }, { priority: 1 });
      await g.addApiKey('key', KEY, { priority: 2 });
    },
  });
  cleanups.push(() => gw.close());
  return { up, gw };
}

async function accounts(gw: TestGateway) {
  const r = await api(gw.server.api, 'GET', '/api/accounts');
  expect(r.status).toBe(200);
  return AccountListSchema.parse(r.json);
}

const usageCalls = (up: FakeUpstream) => up.requests.filter((r) => r.path.startsWith('/api/oauth/usage'));

describe('usage of idle subscription accounts', () => {
  it("shows an idle account's windows after a poll, and never polls the busy account or the API key", async () => {
    const { up, gw } = await start();
    const fiveReset = Date.now() + 2 * HOUR;
    const sevenReset = Date.now() + 50 * HOUR;
    up.setUsage(IDLE_TOKEN, {
      body: usageBody({ utilization: 64, resetsAt: fiveReset }, { utilization: 23, resetsAt: sevenReset }),
    });
    // The busy account serves a request whose headers carry fresh windows.
    up.setHandler((r) =>
      r.path.startsWith('/v1/messages')
        ? {
            kind: 'json',
            body: messageJson(),
            headers: {
              'anthropic-ratelimit-unified-status': 'allowed',
              'anthropic-ratelimit-unified-5h-utilization': '0.1',
              'anthropic-ratelimit-unified-5h-reset': String(Math.round(fiveReset / 1000)),
            },
          }
        : undefined,
    );
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect((await accounts(gw)).find((a) => a.name === 'idle')?.rateLimit).toBeNull();

    await gw.server.usagePoller.tick();

    const calls = usageCalls(up);
    expect(calls.map((c) => c.headers.authorization)).toEqual([`Bearer ${IDLE_TOKEN}`]);
    expect(calls[0]?.headers['anthropic-beta']).toContain('oauth-2025-04-20');
    const list = await accounts(gw);
    const idle = list.find((a) => a.name === 'idle');
    expect(idle?.rateLimit?.fiveHour).toEqual({ status: 'allowed', utilization: 0.64, resetAt: fiveReset });
    expect(idle?.rateLimit?.sevenDay).toEqual({ status: 'allowed', utilization: 0.23, resetAt: sevenReset });
    // The busy account keeps what its own response said.
    expect(list.find((a) => a.name === 'busy')?.rateLimit?.fiveHour?.utilization).toBe(0.1);
    expect(list.find((a) => a.name === 'key')?.rateLimit).toBeNull();
    // Written through to the store, as the headers are: another process (the CLI) sees it too.
    await expect.poll(async () => (await gw.account('idle')).rateLimit?.fiveHour?.utilization).toBe(0.64);
  });

  it("routes an opus request by each account's opus week, read from the usage endpoint, and shows it", async () => {
    const up = await startFakeUpstream();
    cleanups.push(() => up.close());
    const X = 'sk-ant-oat01-usage-e2e-family-x';
    const Y = 'sk-ant-oat01-usage-e2e-family-y';
    const gw = await startGateway({
      upstreamUrl: up.url,
      env: { CCFLARE_USAGE_POLL_MS: '60000', CCFLARE_QUOTA_THRESHOLDS: '{"perFamily":{"opus":{"7d":50}}}' },
      setup: async (g) => {
        const expiresAt = Date.now() + 8 * HOUR;
        await g.addOAuth('x', { accessToken: X, refreshToken: 'r-x', expiresAt }, { priority: 0 });
        await g.addOAuth('y', { accessToken: Y, refreshToken: 'r-y', expiresAt }, { priority: 1 });
      },
    });
    cleanups.push(() => gw.close());
    const week = Date.now() + 100 * HOUR;
    // Both accounts' weeks are at 20 %; x has spent 80 % of its opus week, y 10 %.
    up.setUsage(X, {
      body: usageBody(null, { utilization: 20, resetsAt: week }, { opus: { utilization: 80, resetsAt: week } }),
    });
    up.setUsage(Y, {
      body: usageBody(null, { utilization: 20, resetsAt: week }, { opus: { utilization: 10, resetsAt: week } }),
    });
    await gw.server.usagePoller.tick();

    const opus = (await api(gw.server.api, 'GET', '/api/strategy?model=claude-opus-4-6')).json as StrategyView;
    const x = opus.accounts.find((a) => a.name === 'x');
    expect(x?.sevenDayByFamily).toEqual({
      opus: { status: 'allowed', utilization: 0.8, resetAt: week },
      sonnet: null,
      haiku: null,
    });
    expect(x?.pastThreshold).toBe(true);
    expect(opus.nextOrder.map((o) => o.account)).toEqual(['y']);
    const sonnet = (await api(gw.server.api, 'GET', '/api/strategy?model=claude-sonnet-4-6')).json as StrategyView;
    expect(sonnet.nextOrder.map((o) => o.account)).toEqual(['x', 'y']);

    const served = async (model: string) => {
      const res = await request(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      return (await gw.records(1))[0]?.accountName;
    };
    expect(await served('claude-sonnet-4-6')).toBe('x');
    // x holds the session window now, but not for opus.
    expect(await served('claude-opus-4-6')).toBe('y');
  });

  it('changes nothing when the endpoint answers 404, and says so once', async () => {
    const { up, gw } = await start();
    up.setUsage(IDLE_TOKEN, { status: 404 });
    up.setUsage(BUSY_TOKEN, { status: 404 });
    await gw.server.usagePoller.tick();
    // Both accounts backed off: a second pass asks nothing and logs nothing more.
    await gw.server.usagePoller.tick();
    expect(usageCalls(up)).toHaveLength(2);
    const list = await accounts(gw);
    expect(list.map((a) => a.rateLimit)).toEqual([null, null, null]);
    const lines = gw.logs.filter((l) => l.includes('account usage not readable'));
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain(IDLE_TOKEN);
    expect(lines.join('\n')).toContain('404');
  });

  it('refreshes an expired access token first, as the proxy would, and reads the usage with the new one', async () => {
    const oauth = await startFakeOAuth();
    cleanups.push(() => oauth.close());
    const up = await startFakeUpstream();
    cleanups.push(() => up.close());
    const seeded = oauth.seedAccount();
    const gw = await startGateway({
      upstreamUrl: up.url,
      env: { CCFLARE_USAGE_POLL_MS: '60000', CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl },
      setup: async (g) => {
        await g.addOAuth('stale', { ...seeded, expiresAt: Date.now() - 60_000 });
      },
      reauthGraceMs: 0,
    });
    cleanups.push(() => gw.close());
    await gw.server.usagePoller.tick();
    expect(oauth.refreshCalls).toBe(1);
    const fresh = oauth.issued.at(-1)?.accessToken;
    expect(fresh).not.toBe(seeded.accessToken);
    expect(usageCalls(up).map((c) => c.headers.authorization)).toEqual([`Bearer ${fresh}`]);
    const stale = (await accounts(gw)).find((a) => a.name === 'stale');
    expect(stale?.rateLimit?.fiveHour).toEqual({ status: 'allowed', utilization: 0, resetAt: null });
  });
});
