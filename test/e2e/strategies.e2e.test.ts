/**
 * Selection strategies end to end: the fake upstream answers each account with its own
 * `anthropic-ratelimit-unified-5h-*` headers (protocol.md section 3), the gateway orders accounts
 * by them, records why on each request row, and `GET /api/strategy` shows the order the next
 * request takes. Switching the strategy through `/api/config` applies to the next request.
 */
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sleep } from '../../src/clock.js';
import type { StrategyView } from '../../src/shared/strategy-schemas.js';
import { api } from '../support/api-request.js';
import {
  type FakeResponse,
  type FakeUpstream,
  messageJson,
  rateLimited,
  startFakeUpstream,
} from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const HOUR = 3_600_000;

interface Acct {
  name: string;
  key: string;
  util: number;
  /** 5h window reset, hours from now. */
  resetH: number;
  priority: number;
}

const ACCTS: Acct[] = [
  { name: 'a', key: 'sk-ant-api03-strategy-e2e-a-0000000000', util: 0.7, resetH: 3, priority: 0 },
  { name: 'b', key: 'sk-ant-api03-strategy-e2e-b-1111111111', util: 0.2, resetH: 4, priority: 1 },
  { name: 'c', key: 'sk-ant-api03-strategy-e2e-c-2222222222', util: 0.5, resetH: 1, priority: 2 },
];

let up: FakeUpstream;
let gw: TestGateway;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c();
});

interface StartExtra {
  /** The proxy's waits between attempts. */
  sleep?: Sleep;
  /** Answers an account's request instead of the default 200 when it returns one. */
  answer?: (a: Acct) => FakeResponse | undefined;
}

async function start(
  env: Record<string, string>,
  accts: Acct[] = ACCTS,
  accountPollMs?: number,
  extra: StartExtra = {},
): Promise<void> {
  up = await startFakeUpstream();
  cleanups.push(() => up.close());
  const resetOf = new Map(accts.map((a) => [a.key, Math.floor((Date.now() + a.resetH * HOUR) / 1000)]));
  up.setHandler((req) => {
    const a = accts.find((x) => x.key === req.headers['x-api-key']);
    if (!a) return undefined;
    const scripted = extra.answer?.(a);
    if (scripted) return scripted;
    return {
      kind: 'json',
      body: messageJson(),
      headers: {
        'anthropic-ratelimit-unified-status': 'allowed',
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
        'anthropic-ratelimit-unified-5h-status': 'allowed',
        'anthropic-ratelimit-unified-5h-utilization': String(a.util),
        'anthropic-ratelimit-unified-5h-reset': String(resetOf.get(a.key)),
        'anthropic-ratelimit-unified-reset': String(resetOf.get(a.key)),
      },
    };
  });
  gw = await startGateway({
    upstreamUrl: up.url,
    env,
    ...(accountPollMs === undefined ? {} : { accountPollMs }),
    ...(extra.sleep === undefined ? {} : { sleep: extra.sleep }),
    setup: async (g) => {
      for (const a of accts) {
        const reset = (resetOf.get(a.key) as number) * 1000;
        await g.addApiKey(a.name, a.key, {
          priority: a.priority,
          // As a previous answer left it: the strategies read the stored window state.
          rateLimit: {
            observedAt: Date.now(),
            status: 'allowed',
            resetAt: reset,
            fiveHour: { status: 'allowed', utilization: a.util, resetAt: reset },
            sevenDay: null,
            representativeClaim: 'five_hour',
          },
        });
      }
    },
  });
  cleanups.push(() => gw.close());
}

/** Messages requests the fake upstream got, by account name. */
function hits(): string[] {
  return up.requests
    .filter((r) => r.path.startsWith('/v1/messages'))
    .map((r) => ACCTS.find((a) => a.key === r.headers['x-api-key'])?.name ?? '?');
}

/** Sends one request; returns the account that served it and the recorded route reason. */
async function send(session?: string): Promise<{ account: string | null; reason: string | null }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-api-key': 'client',
    'anthropic-version': '2023-06-01',
  };
  if (session) headers['x-claude-code-session-id'] = session;
  const res = await request(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body.text();
  expect(res.statusCode).toBe(200);
  const [rec] = await gw.records(1);
  return { account: rec?.accountName ?? null, reason: rec?.routeReason ?? null };
}

async function view(): Promise<StrategyView> {
  const r = await api(gw.server.api, 'GET', '/api/strategy');
  expect(r.status).toBe(200);
  return r.json as StrategyView;
}

describe('strategies end to end', () => {
  it('least-used sends to the lowest 5h utilization; the next order shown is the one taken', async () => {
    await start({ CCFLARE_STRATEGY: 'least-used' });
    const v = await view();
    expect(v.nextOrder.map((o) => o.account)).toEqual(['b', 'c', 'a']);
    expect(v.spreadsSessions).toBe(true);
    const r = await send();
    expect(r.account).toBe(v.nextOrder[0]?.account);
    expect(r.reason).toBe('least-used 5h=0.20 req=0');
  });

  it('drain-soonest sends to the account whose window resets first', async () => {
    await start({ CCFLARE_STRATEGY: 'drain-soonest' });
    expect((await view()).nextOrder.map((o) => o.account)).toEqual(['c', 'a', 'b']);
    const r = await send();
    expect(r.account).toBe('c');
    expect(r.reason).toMatch(/^drain-soonest reset=/);
  });

  it('round-robin takes the next account per request, but keeps a session on its account', async () => {
    await start({ CCFLARE_STRATEGY: 'round-robin' });
    const served = [];
    for (let i = 0; i < 4; i++) served.push((await send()).account);
    expect(served).toEqual(['a', 'b', 'c', 'a']);
    const first = await send('sess-1');
    const again = await send('sess-1');
    expect(again.account).toBe(first.account);
    expect(again.reason).toBe('affinity');
  });

  it('hybrid scores accounts and records the score with its parts; the next order matches', async () => {
    await start({ CCFLARE_STRATEGY: 'hybrid' });
    for (let i = 0; i < 3; i++) {
      const next = (await view()).nextOrder[0]?.account;
      const r = await send();
      expect(r.account).toBe(next);
      expect(r.reason).toMatch(/^score \d+\.\d\d \(health [\d.]+, bucket [\d.]+, quota [\d.]+, rest [\d.]+\)$/);
    }
    const v = await view();
    expect(v.accounts.find((a) => a.name === 'b')?.score.quota).toBeCloseTo(0.8);
  });

  it('sticky stays on the account it served', async () => {
    await start({ CCFLARE_STRATEGY: 'sticky' });
    const served = [];
    for (let i = 0; i < 3; i++) served.push((await send()).account);
    expect(served).toEqual(['a', 'a', 'a']);
    expect((await view()).nextOrder[0]).toEqual({ account: 'a', reason: 'sticky' });
  });

  it('sticky holds a request for its account when the limit resets within the wait, rather than move', async () => {
    await start({ CCFLARE_STRATEGY: 'sticky' }, ACCTS, 50);
    expect((await send()).account).toBe('a');
    // Another process (the CLI) benches `a` for 1.5 s (room for the account poll under load); the gateway holds.
    const a = await gw.account('a');
    await gw.store.accounts.update(a.id, { cooldownUntil: Date.now() + 1500, cooldownReason: 'test' });
    await vi.waitFor(async () => expect((await view()).nextOrder[0]?.reason).toMatch(/^sticky hold \d+ms$/), {
      timeout: 5000,
    });
    const r = await send();
    expect(r.account).toBe('a');
    expect(r.reason).toMatch(/^sticky hold \d+ms$/);
  });

  it("sticky holds a request at its account's 429 when the limit resets within the wait, then retries there", async () => {
    const waits: number[] = [];
    let limitA = false;
    await start({ CCFLARE_STRATEGY: 'sticky' }, ACCTS, undefined, {
      // Ends every wait at once: the test checks what was asked for, not time passing.
      sleep: async (ms) => {
        waits.push(ms);
      },
      answer: (a) => {
        if (a.name !== 'a' || !limitA) return undefined;
        limitA = false;
        return rateLimited('5h', 60_000);
      },
    });
    expect((await send()).account).toBe('a');
    limitA = true;
    const r = await send();
    expect(r.account).toBe('a');
    expect(r.reason).toMatch(/^sticky hold \d+ms$/);
    expect(hits()).toEqual(['a', 'a', 'a']);
    // Until the reset (60 s) plus the cooldown's jitter (at most 30 s), within the 2 min wait.
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(50_000);
    expect(waits[0]).toBeLessThanOrEqual(120_000);
    expect(gw.logs.some((l) => l.includes('sticky: holding the request'))).toBe(true);
  });

  it('sticky moves on at the 429 when the limit resets later than the wait', async () => {
    const waits: number[] = [];
    let limitA = false;
    await start({ CCFLARE_STRATEGY: 'sticky' }, ACCTS, undefined, {
      sleep: async (ms) => {
        waits.push(ms);
      },
      answer: (a) => (a.name === 'a' && limitA ? rateLimited('5h', 10 * 60_000) : undefined),
    });
    expect((await send()).account).toBe('a');
    limitA = true;
    // b becomes the account sticky holds.
    expect(await send()).toEqual({ account: 'b', reason: 'sticky' });
    expect(hits()).toEqual(['a', 'a', 'b']);
    expect(waits).toEqual([]);
  });

  it('a sticky hold ends when the client goes away: no retry is sent', async () => {
    const held: AbortSignal[] = [];
    let limitA = false;
    await start({ CCFLARE_STRATEGY: 'sticky' }, ACCTS, undefined, {
      // Never ends by itself: only the client leaving ends it.
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          held.push(signal);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      answer: (a) => (a.name === 'a' && limitA ? rateLimited('5h', 60_000) : undefined),
    });
    expect((await send()).account).toBe('a');
    limitA = true;
    const client = new AbortController();
    const pending = request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      signal: client.signal,
    }).catch((err: unknown) => err);
    await vi.waitFor(() => expect(held).toHaveLength(1), { timeout: 5000 });
    client.abort();
    await pending;
    await vi.waitFor(() => expect(held[0]?.aborted).toBe(true), { timeout: 5000 });
    await gw.settle();
    expect(hits()).toEqual(['a', 'a']);
  });

  it('skips an account past its quota threshold, and falls back to the least used when all are', async () => {
    await start({ CCFLARE_QUOTA_THRESHOLD_5H: '60' });
    const v = await view();
    expect(v.accounts.find((a) => a.name === 'a')).toMatchObject({
      pastThreshold: true,
      thresholds: { fiveHour: 0.6 },
    });
    expect(v.nextOrder.map((o) => o.account)).toEqual(['b', 'c']);
    expect(await send()).toEqual({ account: 'b', reason: 'priority 1' });
    await gw.close();
    cleanups.length = 1;
    await start({ CCFLARE_QUOTA_THRESHOLD_5H: '10' });
    expect(await send()).toEqual({ account: 'b', reason: 'threshold fallback 5h=0.20' });
    expect(gw.logs.some((l) => l.includes('past its quota threshold'))).toBe(true);
  });

  it('a per-account threshold wins over the global one', async () => {
    await start({ CCFLARE_QUOTA_THRESHOLD_5H: '60', CCFLARE_QUOTA_THRESHOLDS: '{"perAccount":{"a":{"5h":90}}}' });
    const v = await view();
    expect(v.accounts.find((x) => x.name === 'a')).toMatchObject({
      pastThreshold: false,
      thresholds: { fiveHour: 0.9 },
    });
    expect(await send()).toEqual({ account: 'a', reason: 'priority 0' });
  });

  it('a strategy switched through /api/config applies to the next request', async () => {
    await start({});
    expect((await send()).account).toBe('a');
    const put = await api(gw.server.api, 'PUT', '/api/config', { strategy: 'least-used' });
    expect(put.status).toBe(200);
    expect((await view()).strategy).toBe('least-used');
    expect((await send()).account).toBe('b');
  });

  it('for each strategy switched through the API, the next order shown is what the next request does', async () => {
    await start({});
    for (const name of ['least-used', 'drain-soonest', 'round-robin', 'hybrid', 'sticky', 'session']) {
      expect((await api(gw.server.api, 'PATCH', '/api/config', { strategy: name })).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const v = await view();
        expect(v.strategy).toBe(name);
        expect((await send()).account).toBe(v.nextOrder[0]?.account);
      }
    }
  });

  it('sets thresholds globally, per family and per account through the API; the next request follows', async () => {
    await start({});
    expect((await view()).thresholdSettings).toEqual({
      thresholds: { global: { '5h': null, '7d': null }, perFamily: {}, perAccount: {} },
      pinnedBy: [],
    });
    const thresholds = {
      global: { '5h': 60, '7d': null },
      perFamily: { sonnet: { '5h': 40 } },
      perAccount: { c: { '5h': 45 } },
    };
    const put = await api(gw.server.api, 'PUT', '/api/strategy/thresholds', thresholds);
    expect(put.status).toBe(200);
    const v = put.json as StrategyView;
    expect(v.thresholdSettings.thresholds).toEqual(thresholds);
    // The sonnet threshold (40) skips a (0.7); c's own (45) skips it too; b (0.2) serves.
    const sonnet = (await api(gw.server.api, 'GET', '/api/strategy?model=claude-sonnet-4-6')).json as StrategyView;
    expect(sonnet.nextOrder.map((o) => o.account)).toEqual(['b']);
    expect(sonnet.accounts.find((a) => a.name === 'c')?.thresholds.fiveHour).toBeCloseTo(0.45);
    expect(await send()).toEqual({ account: 'b', reason: 'priority 1' });
    // Stored as the runtime settings: /api/config shows them from the database.
    const config = (await api(gw.server.api, 'GET', '/api/config')).json as Record<
      string,
      { value: unknown; source: string }
    >;
    expect(config.quotaThreshold5h).toEqual(expect.objectContaining({ value: 60, source: 'database' }));
    expect(JSON.parse(String(config.quotaThresholds?.value))).toEqual({
      perFamily: { sonnet: { '5h': 40 } },
      perAccount: { c: { '5h': 45 } },
    });

    const bad = await api(gw.server.api, 'PUT', '/api/strategy/thresholds', {
      ...thresholds,
      global: { '5h': 1001, '7d': null },
    });
    expect(bad.status).toBe(400);
    expect((await view()).thresholdSettings.thresholds).toEqual(thresholds);

    const cleared = await api(gw.server.api, 'PUT', '/api/strategy/thresholds', {
      global: { '5h': null, '7d': null },
      perFamily: {},
      perAccount: {},
    });
    expect(cleared.status).toBe(200);
    // b keeps its session (the session strategy); a is no longer skipped.
    expect((await view()).nextOrder.map((o) => o.account)).toEqual(['b', 'a', 'c']);
    expect(await send()).toEqual({ account: 'b', reason: 'current-session' });
  });

  it('refuses a threshold pinned by the environment with 409, but edits the others', async () => {
    await start({ CCFLARE_QUOTA_THRESHOLD_5H: '60' });
    const v = await view();
    expect(v.thresholdSettings.pinnedBy).toEqual(['CCFLARE_QUOTA_THRESHOLD_5H']);
    const base = v.thresholdSettings.thresholds;
    const r = await api(gw.server.api, 'PUT', '/api/strategy/thresholds', {
      ...base,
      global: { '5h': 90, '7d': null },
    });
    expect(r.status).toBe(409);
    const ok = await api(gw.server.api, 'PUT', '/api/strategy/thresholds', {
      ...base,
      perAccount: { a: { '5h': 90 } },
    });
    expect(ok.status).toBe(200);
    expect(await send()).toEqual({ account: 'a', reason: 'priority 0' });
  });

  it('per-account thresholds follow a renamed account, go with a removed one, and name only known accounts', async () => {
    await start({});
    const none = { global: { '5h': null, '7d': null }, perFamily: {} };
    const put = (perAccount: unknown) => api(gw.server.api, 'PUT', '/api/strategy/thresholds', { ...none, perAccount });
    expect((await put({ a: { '5h': 50 } })).status).toBe(200);
    expect((await api(gw.server.api, 'POST', '/api/accounts/a/rename', { newName: 'a2' })).status).toBe(200);
    const v = await view();
    expect(v.accounts.find((x) => x.name === 'a2')?.thresholds.fiveHour).toBeCloseTo(0.5);
    expect(v.thresholdSettings.thresholds.perAccount).toEqual({ a2: { '5h': 50 } });

    // A new account under the old name starts without the renamed one's threshold.
    expect((await api(gw.server.api, 'POST', '/api/accounts', { name: 'a', apiKey: ACCTS[0]?.key })).status).toBe(201);
    expect((await view()).accounts.find((x) => x.name === 'a')?.thresholds.fiveHour).toBeNull();

    for (const name of ['nosuch', 'A2']) {
      const bad = await put({ a2: { '5h': 50 }, [name]: { '5h': 10 } });
      expect(bad.status).toBe(400);
      const message = (bad.json as { error: { message: string } }).error.message;
      expect(message).toContain(`"${name}"`);
      for (const known of ['a', 'a2', 'b', 'c']) expect(message).toContain(`"${known}"`);
    }
    expect((await view()).thresholdSettings.thresholds.perAccount).toEqual({ a2: { '5h': 50 } });

    expect((await api(gw.server.api, 'DELETE', '/api/accounts/a2')).status).toBe(200);
    expect((await view()).thresholdSettings.thresholds.perAccount).toEqual({});
  });

  it('a rename leaves thresholds pinned by CCFLARE_QUOTA_THRESHOLDS as they are and logs that they name the old account', async () => {
    await start({ CCFLARE_QUOTA_THRESHOLDS: '{"perAccount":{"a":{"5h":50}}}' });
    const r = await api(gw.server.api, 'POST', '/api/accounts/a/rename', { newName: 'a2' });
    expect(r.status).toBe(200);
    expect((await view()).thresholdSettings.thresholds.perAccount).toEqual({ a: { '5h': 50 } });
    expect(gw.logs.join('\n')).toMatch(
      /CCFLARE_QUOTA_THRESHOLDS still sets quota thresholds for \\?"a\\?", not \\?"a2\\?"/,
    );
  });

  it('turns session affinity off live: a round-robin session then moves on', async () => {
    await start({ CCFLARE_STRATEGY: 'round-robin' });
    const first = await send('sess-2');
    expect((await send('sess-2')).account).toBe(first.account);
    const r = await api(gw.server.api, 'PATCH', '/api/config', { strategyAffinity: false });
    expect(r.status).toBe(200);
    expect((await send('sess-2')).account).not.toBe(first.account);
    const bad = await api(gw.server.api, 'PATCH', '/api/config', { hybridWeights: '1,2,3', strategyAffinity: true });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('Invalid hybridWeights: must be four non-negative numbers');
    expect(
      ((await api(gw.server.api, 'GET', '/api/config')).json as { strategyAffinity: { value: boolean } })
        .strategyAffinity.value,
    ).toBe(false);
  });
});
