/**
 * GET /api/token-usage/current and /daily in process, on records written through the store's
 * batched write (so the rollups are the ones the writer keeps): the rolling 5-hour window per
 * account and per client key next to each account's 5h/7d utilization, "today" from a given
 * start, idle accounts and keys listed with zeros, revoked keys and removed accounts with their
 * requests, and 30 UTC days.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TokenUsageCurrent,
  TokenUsageCurrentSchema,
  TokenUsageDailySchema,
} from '../../src/shared/token-usage-schemas.js';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.now();

let up: FakeUpstream;
let gw: TestGateway;
let alpha: AccountRow;
let beta: AccountRow;

const usage = (input: number, cacheRead: number, output: number, costUsd: number) => ({
  inputTokens: input,
  cacheReadTokens: cacheRead,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: output,
  costUsd,
});

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('alpha', 'sk-ant-api03-token-usage-alpha-00000');
      await g.addApiKey('beta', 'sk-ant-api03-token-usage-beta-000000', { priority: 1 });
    },
  });
  alpha = await gw.account('alpha');
  beta = await gw.account('beta');
  await gw.store.accounts.update(alpha.id, {
    rateLimit: {
      observedAt: NOW - 60_000,
      status: 'allowed',
      resetAt: NOW + HOUR,
      fiveHour: { status: 'allowed', utilization: 0.42, resetAt: NOW + HOUR },
      sevenDay: { status: 'allowed', utilization: 0.1, resetAt: NOW + 3 * DAY },
      representativeClaim: 'five_hour',
    },
  });
  await gw.store.keys.insert({ name: 'laptop', prefix: 'ccf_lap', digest: 'd1' }, NOW - DAY);
  await gw.store.keys.insert({ name: 'idle', prefix: 'ccf_idl', digest: 'd2' }, NOW - DAY);
  const a = { accountId: alpha.id, accountName: 'alpha' };
  await gw.store.requests.writeBatch(
    [
      // In the window.
      sampleRecord({ id: 'w1', ts: NOW - 10 * 60_000, ...a, clientKey: 'laptop', ...usage(10, 1000, 50, 0.5) }),
      sampleRecord({ id: 'w2', ts: NOW - 2 * HOUR, ...a, clientKey: 'ci-old', ...usage(5, 0, 5, 0.25) }),
      sampleRecord({
        id: 'w3',
        ts: NOW - 4 * HOUR,
        accountId: 'gone',
        accountName: 'old-account',
        ...usage(1, 0, 1, 0.01),
      }),
      // Before the window, after the given start of today (6 h ago).
      sampleRecord({ id: 'd1', ts: NOW - 5.5 * HOUR, ...a, clientKey: 'laptop', ...usage(100, 0, 100, 1) }),
      // Days ago: only the daily figures.
      sampleRecord({
        id: 'o1',
        ts: NOW - 3 * DAY,
        accountId: beta.id,
        accountName: 'beta',
        clientKey: 'laptop',
        ...usage(7, 0, 3, 2),
      }),
      // Older than 30 days: nowhere.
      sampleRecord({ id: 'o2', ts: NOW - 40 * DAY, ...a, clientKey: 'laptop', ...usage(9, 0, 9, 9) }),
    ],
    [],
  );
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('GET /api/token-usage/current', () => {
  let body: TokenUsageCurrent;
  beforeAll(async () => {
    const dayStart = NOW - 6 * HOUR - ((NOW - 6 * HOUR) % 60_000);
    const r = await api(gw.server.api, 'GET', `/api/token-usage/current?dayStart=${dayStart}`);
    expect(r.status, r.text).toBe(200);
    body = TokenUsageCurrentSchema.parse(r.json);
  });

  it('sums each account over the last 5 hours next to its own utilization', () => {
    expect(body.windowMs).toBe(5 * HOUR);
    expect(body.accounts.map((x) => [x.name, x.exists, x.requests])).toEqual([
      ['alpha', true, 2],
      ['beta', true, 0],
      ['old-account', false, 1],
    ]);
    const a = body.accounts[0];
    expect(a?.tokens).toEqual({
      input: 15,
      cacheRead: 1000,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      output: 55,
      total: 1070,
    });
    expect(a?.costUsd).toBeCloseTo(0.75);
    expect(a?.fiveHour).toEqual({ status: 'allowed', utilization: 0.42, resetAt: NOW + HOUR });
    expect(a?.sevenDay?.utilization).toBe(0.1);
    expect(body.accounts[1]?.fiveHour).toBeNull();
    expect(a?.today.requests).toBe(3);
    expect(body.total.requests).toBe(3);
  });

  it('sums each client key, listing idle active keys and keys no longer there', () => {
    expect(body.keys.map((k) => [k.name, k.active, k.requests, k.today.requests])).toEqual([
      ['idle', true, 0, 0],
      ['laptop', true, 1, 2],
      ['ci-old', false, 1, 1],
    ]);
    const laptop = body.keys.find((k) => k.name === 'laptop');
    expect(laptop?.tokens.output).toBe(50);
    expect(laptop?.today.costUsd).toBeCloseTo(1.5);
  });

  it('refuses a dayStart the minute rollups no longer cover', async () => {
    const r = await api(gw.server.api, 'GET', `/api/token-usage/current?dayStart=${NOW - 3 * DAY}`);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('dayStart');
  });
});

describe('GET /api/token-usage/daily', () => {
  it('gives 30 UTC days per account and key, oldest first', async () => {
    const r = await api(gw.server.api, 'GET', '/api/token-usage/daily');
    expect(r.status, r.text).toBe(200);
    const d = TokenUsageDailySchema.parse(r.json);
    expect(d.days).toHaveLength(30);
    expect(d.days.map((x) => x.day)).toEqual([...d.days.map((x) => x.day)].sort((x, y) => x - y));
    const dayOf = (ts: number) => ts - (ts % DAY);
    const threeDaysAgo = d.days.find((x) => x.day === dayOf(NOW - 3 * DAY));
    expect(threeDaysAgo?.accounts).toEqual([
      expect.objectContaining({ accountId: beta.id, name: 'beta', requests: 1, costUsd: 2 }),
    ]);
    expect(threeDaysAgo?.keys).toEqual([expect.objectContaining({ name: 'laptop', requests: 1 })]);
    expect(d.days.reduce((n, x) => n + x.total.requests, 0)).toBe(5);
    const laptop = d.days.flatMap((x) => x.keys).filter((k) => k.name === 'laptop');
    expect(laptop.reduce((n, k) => n + k.requests, 0)).toBe(3);
  });
});
