/**
 * `/api/analytics` and `/api/stats` against a running gateway, called in process (a socket adds
 * nothing to these answers). Records with fixed values are seeded through the store's batched
 * write (which keeps the rollups); every expected figure below is worked out by hand from them.
 * Times are relative to the wall clock, as the server's is. Every response is parsed with its
 * shared zod schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Analytics,
  AnalyticsSchema,
  type Stats,
  StatsResetSchema,
  StatsSchema,
} from '../../src/shared/analytics-schemas.js';
import { ErrorResponseSchema } from '../../src/shared/api-schemas.js';
import { RequestPageSchema } from '../../src/shared/requests-schemas.js';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { FIRST_THREE_TOTALS, historySeed } from '../support/history-seed.js';
import { sampleRecord } from '../support/sample-record.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SONNET = 'claude-sonnet-4-5-20250929';
const OPUS = 'claude-opus-4-1-20250805';
const HAIKU = 'claude-haiku-4-5-20251001';

let up: FakeUpstream;
let gw: TestGateway;
let alpha: AccountRow;
let beta: AccountRow;
let goneId: string;
let T0: number;
let seeded: RequestRecord[];

async function analytics(query: string): Promise<Analytics> {
  const r = await api(gw.server.api, 'GET', `/api/analytics${query}`);
  expect(r.status, r.text).toBe(200);
  return AnalyticsSchema.parse(r.json);
}

async function stats(query = ''): Promise<Stats> {
  const r = await api(gw.server.api, 'GET', `/api/stats${query}`);
  expect(r.status, r.text).toBe(200);
  return StatsSchema.parse(r.json);
}

function expect400(r: { status: number; json: unknown }, param: string): void {
  expect(r.status).toBe(400);
  expect(ErrorResponseSchema.parse(r.json).error.message).toContain(param);
}

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('alpha', 'sk-ant-api03-analytics-e2e-alpha-0000');
      await g.addApiKey('beta', 'sk-ant-api03-analytics-e2e-beta-00000');
    },
  });
  alpha = await gw.account('alpha');
  beta = await gw.account('beta');
  T0 = Date.now();
  // The last hour: 5, 15 and 25 minutes ago; then 3 hours, 3 days and 40 days ago.
  seeded = historySeed({
    prefix: 'a',
    at: [T0 - 5 * MIN, T0 - 15 * MIN, T0 - 25 * MIN, T0 - 3 * HOUR, T0 - 3 * DAY, T0 - 40 * DAY],
    alpha,
    beta,
    models: { sonnet: SONNET, opus: OPUS, haiku: HAIKU },
  });
  await gw.store.requests.writeBatch(seeded, [
    { accountId: alpha.id, requests: 3, lastUsedAt: T0 - 5 * MIN },
    { accountId: beta.id, requests: 3, lastUsedAt: T0 - 25 * MIN },
  ]);
  // History of an account removed since.
  goneId = (await gw.store.accounts.insert({ name: 'gone', kind: 'api_key' }, T0)).id;
  await gw.store.requests.writeBatch(
    [
      sampleRecord({
        id: 'g1',
        ts: T0 - 5 * DAY,
        accountId: goneId,
        accountName: 'gone',
        success: false,
        status: 401,
        error: 'authentication_error: invalid x-api-key',
        costUsd: 0.5,
        latencyMs: 90,
      }),
    ],
    [],
  );
  await gw.store.accounts.delete(goneId);
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('GET /api/analytics', () => {
  it('answers the last hour with hand-computed totals, per model, per account, costs and agents', async () => {
    const a = await analytics('?range=1h');
    expect(a).toMatchObject({
      range: '1h',
      bucketMs: MIN,
      filters: { accounts: [], models: [], agents: [], status: 'all' },
    });
    expect(a.to - a.from).toBe(HOUR);
    expect(a.from % MIN).toBe(0);
    expect(a.to).toBeGreaterThan(T0);

    // a1-a3: 2 of 3 succeeded.
    expect(a.totals).toMatchObject(FIRST_THREE_TOTALS);
    expect(a.totals.successRate).toBeCloseTo(2 / 3, 12);
    expect(a.totals.costUsd).toBeCloseTo(0.01 + 0.05, 12);
    expect(a.totals.cacheHitRate).toBeCloseTo(1000 / (300 + 1000 + 200 + 300), 12);
    // Histogram buckets [750,1000), [1000,1500), [2000,3000) with the largest 2500: rank 1 + 0.95 * 2
    // = 2.9 falls 90 % into the last one: 2000 + 500 * 0.9.
    expect(a.totals.p95LatencyMs).toBeCloseTo(2450, 9);
    expect(a.tokens).toEqual(a.totals.tokens);

    expect(a.models.map((m) => [m.model, m.requests, m.successes, m.errors])).toEqual([
      [SONNET, 2, 1, 1],
      [OPUS, 1, 1, 0],
    ]);
    expect(a.models[0]).toMatchObject({ avgLatencyMs: 1650, avgTtftMs: 200, outputTokensPerSecond: 40 });
    expect(a.models[0]?.costUsd).toBeCloseTo(0.01, 12);
    expect(a.models[1]).toMatchObject({ avgLatencyMs: 1200, p95LatencyMs: 1200, tokens: { total: 600 } });
    expect(a.accounts.map((x) => [x.accountId, x.name, x.requests, x.successRate])).toEqual([
      [alpha.id, 'alpha', 2, 1],
      [beta.id, 'beta', 1, 0],
    ]);
    expect(a.accounts[0]).toMatchObject({ avgLatencyMs: 1000, avgTtftMs: 300, outputTokensPerSecond: 50 });
    expect(a.accounts[1]).toMatchObject({ failovers: 2, p95LatencyMs: 2500, avgTtftMs: null, costUsd: 0 });
    expect(a.costByModel.map((c) => c.model)).toEqual([OPUS, SONNET]);
    expect(a.costByModel[0]?.costUsd).toBeCloseTo(0.05, 12);
    expect(a.costByModel[0]?.share).toBeCloseTo(0.05 / 0.06, 12);
    expect(a.costByModel[1]?.share).toBeCloseTo(0.01 / 0.06, 12);
    expect(a.agents.map((x) => [x.agent, x.requests, x.tokens.total])).toEqual([
      ['reviewer', 1, 1350],
      [null, 2, 600],
    ]);
    expect(a.agents[1]?.costUsd).toBeCloseTo(0.05, 12);
  });

  it('has every bucket of the window, the seeded requests in theirs', async () => {
    const a = await analytics('?range=1h');
    expect(a.series).toHaveLength(60);
    expect(a.series.map((p) => p.ts)).toEqual(Array.from({ length: 60 }, (_, i) => a.from + i * MIN));
    const expected = new Array<number>(60).fill(0);
    for (const id of ['a1', 'a2', 'a3']) {
      const r = seeded.find((x) => x.id === id) as RequestRecord;
      (expected[Math.floor((r.ts - a.from) / MIN)] as number) += 1;
    }
    expect(a.series.map((p) => p.requests)).toEqual(expected);
    const at = (id: string) => {
      const r = seeded.find((x) => x.id === id) as RequestRecord;
      return a.series[Math.floor((r.ts - a.from) / MIN)];
    };
    expect(at('a1')).toMatchObject({ requests: 1, successes: 1, avgLatencyMs: 800, tokens: { total: 1350 } });
    expect(at('a3')).toMatchObject({ requests: 1, errors: 1, successRate: 0, costUsd: 0, cacheHitRate: null });
    expect(a.series.find((p) => p.requests === 0)).toMatchObject({
      successRate: null,
      avgLatencyMs: null,
      costUsd: 0,
      tokens: { total: 0 },
    });
  });

  it('sizes buckets by range and counts what each window holds', async () => {
    const cases: [string, number, number, number][] = [
      // range, bucket, buckets, requests (a1-a3; + a4 3 h ago; + a5 3 and g1 5 days ago; a6 is 40 days old)
      ['1h', MIN, 60, 3],
      ['6h', 5 * MIN, 72, 4],
      ['24h', 15 * MIN, 96, 4],
      ['7d', HOUR, 168, 6],
      ['30d', 6 * HOUR, 120, 6],
    ];
    for (const [range, bucketMs, buckets, requests] of cases) {
      const a = await analytics(`?range=${range}`);
      expect(a.bucketMs).toBe(bucketMs);
      expect(a.series).toHaveLength(buckets);
      expect(a.totals.requests).toBe(requests);
      expect(a.series.reduce((n, p) => n + p.requests, 0)).toBe(requests);
      expect(a.from % bucketMs).toBe(0);
    }
    const week = await analytics('?range=7d');
    expect(week.totals.costUsd).toBeCloseTo(0.01 + 0.05 + 0.001 + 0.0001 + 0.5, 12);
    // g1 has the undated model name of sampleRecord.
    expect(week.models.map((m) => [m.model, m.requests])).toEqual([
      [SONNET, 3],
      [HAIKU, 1],
      [OPUS, 1],
      ['claude-sonnet-4-5', 1],
    ]);
    expect(week.agents.map((x) => [x.agent, x.requests])).toEqual([
      ['planner', 1],
      ['reviewer', 1],
      [null, 4],
    ]);
    // The default range is 24 hours.
    expect((await analytics('')).range).toBe('24h');
  });

  it('filters by accounts (names or ids), models and status', async () => {
    const alphaOnly = await analytics('?range=1h&accounts=alpha');
    expect(alphaOnly.filters.accounts).toEqual(['alpha']);
    expect(alphaOnly.totals).toMatchObject({ requests: 2, successes: 2, successRate: 1, avgLatencyMs: 1000 });
    expect(alphaOnly.accounts.map((x) => x.name)).toEqual(['alpha']);
    expect((await analytics(`?range=1h&accounts=${beta.id}`)).totals.requests).toBe(1);
    expect((await analytics('?range=1h&accounts=alpha,beta')).totals.requests).toBe(3);
    expect((await analytics('?range=1h&accounts=nobody')).totals.requests).toBe(0);
    // A removed account is found by the name its requests recorded.
    expect((await analytics('?range=7d&accounts=gone')).totals).toMatchObject({ requests: 1, errors: 1 });

    const opus = await analytics(`?range=1h&models=${OPUS}`);
    expect(opus.totals).toMatchObject({ requests: 1, tokens: { total: 600 } });
    expect(opus.models.map((m) => m.model)).toEqual([OPUS]);
    expect((await analytics(`?range=7d&models=${OPUS},${HAIKU}`)).totals.requests).toBe(2);

    const errors = await analytics('?range=1h&status=error');
    expect(errors.totals).toMatchObject({ requests: 1, errors: 1, p95LatencyMs: 2500, failovers: 2 });
    expect(errors.agents).toEqual([expect.objectContaining({ agent: null, requests: 1 })]);
    const ok = await analytics(`?range=1h&status=success&models=${SONNET}&accounts=alpha`);
    expect(ok.totals).toMatchObject({ requests: 1, avgLatencyMs: 800, tokens: { total: 1350 } });
    expect(ok.agents).toEqual([expect.objectContaining({ agent: 'reviewer', requests: 1 })]);
    expect((await analytics('?range=24h&status=success')).totals.requests).toBe(3);

    // By agent: every figure counts only that agent's requests, with its latency.
    const reviewer = await analytics('?range=1h&agents=reviewer');
    expect(reviewer.filters.agents).toEqual(['reviewer']);
    expect(reviewer.totals).toMatchObject({ requests: 1, avgLatencyMs: 800, tokens: { total: 1350 } });
    expect(reviewer.models.map((m) => m.model)).toEqual([SONNET]);
    expect(reviewer.agents).toEqual([
      expect.objectContaining({ agent: 'reviewer', requests: 1, p50LatencyMs: 800, p95LatencyMs: 800 }),
    ]);
    expect((await analytics('?range=7d&agents=reviewer,planner')).totals.requests).toBe(2);
    expect((await analytics('?range=1h&agents=nobody')).totals.requests).toBe(0);
  });

  it('answers 400 naming the parameter for bad input', async () => {
    for (const [q, param] of [
      ['range=2h', 'range'],
      ['status=failed', 'status'],
      ['accounts=alpha,,beta', 'accounts'],
      ['models=,', 'models'],
      ['agents=reviewer,', 'agents'],
      ['since=1', 'since'],
      ['modelSeries=yes', 'modelSeries'],
    ] as const) {
      expect400(await api(gw.server.api, 'GET', `/api/analytics?${q}`), param);
    }
  });

  it('gives the previous window of the same length, per-model series on request and speed ranges', async () => {
    // Nothing in the hour before the last one; a6 (40 days ago, beta, $1) is in the 30 days before the last 30.
    const hour = await analytics('?range=1h&modelSeries=true');
    expect(hour.previous).toMatchObject({ from: hour.from - HOUR, to: hour.from, totals: { requests: 0 } });
    const month = await analytics('?range=30d');
    expect(month.previous).toMatchObject({ from: month.from - 30 * DAY, to: month.from });
    expect(month.previous.totals).toMatchObject({ requests: 1, successes: 1, costUsd: 1 });
    expect(month.modelSeries).toBeUndefined();
    expect((await analytics('?range=30d&accounts=alpha')).previous.totals.requests).toBe(0);

    // a1 and a3 are sonnet, a2 opus; one series per model, over the same buckets as the total.
    const perModel = hour.modelSeries?.map((m) => [m.model, m.series.reduce((n, p) => n + p.requests, 0)]);
    expect(perModel).toEqual([
      [SONNET, 2],
      [OPUS, 1],
    ]);
    expect(hour.modelSeries?.every((m) => m.series.length === hour.series.length)).toBe(true);
    // One request with a speed per minute: a1 40 tok/s, a2 60; a3 (529) none.
    const speeds = hour.series
      .filter((p) => p.requests > 0)
      .map((p) => [p.outputTokensPerSecondMin, p.outputTokensPerSecondMax]);
    expect(speeds).toEqual([
      [null, null],
      [60, 60],
      [40, 40],
    ]);
  });
});

describe('GET /api/stats and POST /api/stats/reset', () => {
  it('reports totals over all history, every account, removed ones, and recent errors', async () => {
    const s = await stats();
    // a1-a6 and g1; a3 and g1 failed.
    expect(s.totals).toMatchObject({ requests: 7, successes: 5, errors: 2 });
    expect(s.totals.successRate).toBeCloseTo(5 / 7, 12);
    expect(s.totals.costUsd).toBeCloseTo(0.01 + 0.05 + 0.001 + 0.0001 + 1 + 0.5, 12);
    expect(s.since).toBe(T0 - 40 * DAY - ((T0 - 40 * DAY) % HOUR));
    expect(s.accounts.map((a) => [a.name, a.exists, a.requests, a.errors, a.requestCount])).toEqual([
      ['alpha', true, 3, 0, 3],
      ['beta', true, 3, 1, 3],
      ['gone', false, 1, 1, null],
    ]);
    expect(s.accounts[0]).toMatchObject({ accountId: alpha.id, lastUsedAt: T0 - 5 * MIN, avgLatencyMs: 800 });
    expect(s.accounts[1]?.costUsd).toBeCloseTo(1.001, 12);
    expect(s.accounts[2]).toMatchObject({ accountId: goneId, lastUsedAt: T0 - 5 * DAY, costUsd: 0.5 });
    expect(s.recentErrors).toEqual([
      {
        id: 'a3',
        ts: T0 - 25 * MIN,
        accountId: beta.id,
        accountName: 'beta',
        model: SONNET,
        method: 'POST',
        path: '/v1/messages',
        status: 529,
        error: 'overloaded_error: Overloaded',
        latencyMs: 2500,
      },
      expect.objectContaining({ id: 'g1', accountName: 'gone', status: 401, latencyMs: 90 }),
    ]);
    expect((await stats('?recentErrors=1')).recentErrors.map((e) => e.id)).toEqual(['a3']);
    expect(s.agents.map((a) => [a.agent, a.requests, a.avgLatencyMs])).toEqual([
      ['planner', 1, expect.any(Number)],
      ['reviewer', 1, 800],
      [null, 5, expect.any(Number)],
    ]);
  });

  it('answers 400 naming the parameter for bad input', async () => {
    for (const q of ['recentErrors=-1', 'recentErrors=201', 'recentErrors=many', 'limit=3']) {
      expect400(await api(gw.server.api, 'GET', `/api/stats?${q}`), q.split('=')[0] as string);
    }
  });

  it('resets the account counters without touching history', async () => {
    const r = await api(gw.server.api, 'POST', '/api/stats/reset');
    expect(r.status).toBe(200);
    expect(StatsResetSchema.parse(r.json)).toEqual({ accountsReset: 2 });
    const s = await stats();
    expect(s.accounts.map((a) => [a.name, a.requestCount, a.sessionRequestCount, a.requests])).toEqual([
      ['alpha', 0, 0, 3],
      ['beta', 0, 0, 3],
      ['gone', null, null, 1],
    ]);
    expect(s.totals.requests).toBe(7);
    expect((await analytics('?range=1h')).totals.requests).toBe(3);
    const list = RequestPageSchema.parse((await api(gw.server.api, 'GET', '/api/requests')).json);
    expect(list.items).toHaveLength(7);
    expect((await gw.account('alpha')).requestCount).toBe(0);
  });
});
