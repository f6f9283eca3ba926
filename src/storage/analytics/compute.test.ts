import { describe, expect, it } from 'vitest';
import { FIRST_THREE_TOTALS } from '../../../test/support/history-seed.js';
import {
  type AgentGroup,
  analyticsWindow,
  assembleAnalytics,
  assembleStats,
  emptySums,
  type PerfGroup,
  type SeriesGroup,
} from './compute.js';
import { DAY_MS, HOUR_MS, LATENCY_BUCKETS, latencyBucket, MINUTE_MS } from './rollup.js';

const NOW = Date.UTC(2025, 0, 15, 12, 7, 30);

function perf(over: Partial<PerfGroup>): PerfGroup {
  return {
    ...emptySums(),
    accountId: '',
    accountName: null,
    model: '',
    latencyMax: 0,
    lastTs: 0,
    hist: new Array<number>(LATENCY_BUCKETS).fill(0),
    ...over,
  };
}

describe('analyticsWindow', () => {
  it('covers whole buckets aligned to UTC, the last one holding now', () => {
    expect(analyticsWindow('1h', NOW)).toEqual({
      from: Date.UTC(2025, 0, 15, 11, 8),
      to: Date.UTC(2025, 0, 15, 12, 8),
      bucketMs: MINUTE_MS,
      buckets: 60,
      grain: 'minute',
    });
    expect(analyticsWindow('6h', NOW)).toMatchObject({
      from: Date.UTC(2025, 0, 15, 6, 10),
      to: Date.UTC(2025, 0, 15, 12, 10),
      bucketMs: 5 * MINUTE_MS,
      buckets: 72,
    });
    expect(analyticsWindow('24h', NOW)).toMatchObject({
      from: Date.UTC(2025, 0, 14, 12, 15),
      to: Date.UTC(2025, 0, 15, 12, 15),
      bucketMs: 15 * MINUTE_MS,
      buckets: 96,
      grain: 'minute',
    });
    expect(analyticsWindow('7d', NOW)).toMatchObject({
      from: Date.UTC(2025, 0, 8, 13),
      to: Date.UTC(2025, 0, 15, 13),
      bucketMs: HOUR_MS,
      buckets: 168,
      grain: 'hour',
    });
    expect(analyticsWindow('30d', NOW)).toMatchObject({
      from: Date.UTC(2024, 11, 16, 18),
      to: Date.UTC(2025, 0, 15, 18),
      bucketMs: 6 * HOUR_MS,
      buckets: 120,
      grain: 'hour',
    });
  });

  it('starts a new bucket exactly on its boundary', () => {
    const w = analyticsWindow('7d', Date.UTC(2025, 0, 15, 12));
    expect(w.to).toBe(Date.UTC(2025, 0, 15, 13));
    expect(w.to - w.from).toBe(7 * DAY_MS);
  });
});

describe('assembleAnalytics', () => {
  const q = { range: '1h' as const, now: NOW, accounts: [], models: [], status: 'all' as const };
  const window = analyticsWindow('1h', NOW);

  it('is all zeros and nulls, with every bucket, when there is no data', () => {
    const r = assembleAnalytics(q, window, { series: [], perf: [], agents: [], previous: undefined }, new Map());
    expect(r.series).toHaveLength(60);
    expect(r.series[0]).toMatchObject({ ts: window.from, requests: 0, successRate: null, avgLatencyMs: null });
    expect(r.series[59]?.ts).toBe(window.to - MINUTE_MS);
    expect(r.totals).toMatchObject({
      requests: 0,
      successRate: null,
      p95LatencyMs: null,
      cacheHitRate: null,
      costUsd: 0,
      tokens: { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, total: 0 },
    });
    expect(r.models).toEqual([]);
    expect(r.accounts).toEqual([]);
    expect(r.costByModel).toEqual([]);
    expect(r.agents).toEqual([]);
  });

  it('derives totals, per-model, per-account, cost shares and agents from the groups', () => {
    const h1 = new Array<number>(LATENCY_BUCKETS).fill(0);
    h1[8] = 1; // 800 ms
    const h2 = new Array<number>(LATENCY_BUCKETS).fill(0);
    h2[9] = 1; // 1200 ms
    const h3 = new Array<number>(LATENCY_BUCKETS).fill(0);
    h3[11] = 1; // 2500 ms
    const groups: PerfGroup[] = [
      perf({
        accountId: 'a',
        accountName: 'old-alpha',
        model: 'sonnet',
        requests: 1,
        successes: 1,
        latencySum: 800,
        latencyMax: 800,
        ttftSum: 200,
        ttftCount: 1,
        tpsSum: 40,
        tpsCount: 1,
        inputTokens: 100,
        cacheReadTokens: 1000,
        cacheWrite5mTokens: 200,
        outputTokens: 50,
        costUsd: 0.01,
        hist: h1,
      }),
      perf({
        accountId: 'a',
        model: 'opus',
        requests: 1,
        successes: 1,
        latencySum: 1200,
        latencyMax: 1200,
        ttftSum: 400,
        ttftCount: 1,
        tpsSum: 60,
        tpsCount: 1,
        inputTokens: 200,
        cacheWrite1hTokens: 300,
        outputTokens: 100,
        costUsd: 0.05,
        hist: h2,
      }),
      perf({
        accountId: 'gone',
        accountName: 'beta',
        model: 'sonnet',
        requests: 1,
        latencySum: 2500,
        latencyMax: 2500,
        failovers: 2,
        hist: h3,
      }),
    ];
    const series: SeriesGroup[] = [
      {
        ...emptySums(),
        bucket: window.to - MINUTE_MS,
        requests: 2,
        successes: 2,
        latencySum: 2000,
        costUsd: 0.06,
        tpsMin: 40,
        tpsMax: 60,
      },
      { ...emptySums(), bucket: window.to - 3 * MINUTE_MS, requests: 1, latencySum: 2500, tpsMin: null, tpsMax: null },
    ];
    const { accountId: _a, accountName: _n, model: _m, lastTs: _t, ...reviewer } = groups[0] as PerfGroup;
    const agents: AgentGroup[] = [{ ...reviewer, agent: 'reviewer' }];
    const r = assembleAnalytics(
      q,
      window,
      { series, perf: groups, agents, previous: undefined },
      new Map([['a', 'alpha']]),
    );

    expect(r.totals).toMatchObject(FIRST_THREE_TOTALS);
    expect(r.totals.successRate).toBeCloseTo(2 / 3, 12);
    expect(r.totals.costUsd).toBeCloseTo(0.06, 12);
    expect(r.totals.cacheHitRate).toBeCloseTo(1000 / 1800, 12);
    // rank 1 + 0.95 * 2 = 2.9 in [2000, 2500]: 2000 + 500 * 0.9.
    expect(r.totals.p95LatencyMs).toBeCloseTo(2450, 9);
    expect(r.tokens).toEqual(r.totals.tokens);

    expect(r.models.map((m) => [m.model, m.requests, m.successes])).toEqual([
      ['sonnet', 2, 1],
      ['opus', 1, 1],
    ]);
    // sonnet: 800 and 2500 ms; rank 1.95 lands in [2000, 2500]: 2000 + 500 * 0.95.
    expect(r.models[0]?.p95LatencyMs).toBeCloseTo(2475, 9);
    expect(r.accounts.map((a) => [a.accountId, a.name, a.requests])).toEqual([
      ['a', 'alpha', 2],
      ['gone', 'beta', 1],
    ]);
    expect(r.costByModel.map((c) => c.model)).toEqual(['opus', 'sonnet']);
    expect(r.costByModel[0]?.share).toBeCloseTo(0.05 / 0.06, 12);
    expect(r.agents).toHaveLength(2);
    expect(r.agents[0]).toMatchObject({ agent: 'reviewer', requests: 1, tokens: { total: 1350 }, p50LatencyMs: 800 });
    // The rest is the total minus the agents, histogram included: 1200 and 2500 ms.
    expect(r.agents[1]).toMatchObject({
      agent: null,
      requests: 2,
      avgLatencyMs: 1850,
      tokens: { input: 200, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 300, output: 100, total: 600 },
    });
    expect(r.agents[1]?.costUsd).toBeCloseTo(0.05, 12);

    expect(r.series).toHaveLength(60);
    expect(r.series[59]).toMatchObject({ requests: 2, successRate: 1, avgLatencyMs: 1000 });
    expect(r.series[58]?.requests).toBe(0);
    expect(r.series[57]).toMatchObject({ requests: 1, errors: 1, successRate: 0 });
    expect(r.series[59]).toMatchObject({ outputTokensPerSecondMin: 40, outputTokensPerSecondMax: 60 });
    expect(r.series[57]).toMatchObject({ outputTokensPerSecondMin: null, outputTokensPerSecondMax: null });
    expect(r.modelSeries).toBeUndefined();
    expect(r.previous).toMatchObject({ from: window.from - HOUR_MS, to: window.from, totals: { requests: 0 } });
  });

  it('says which requests no cost includes: a model with tokens and no price is unknown, not $0', () => {
    const groups: PerfGroup[] = [
      perf({ accountId: 'a', model: 'claude-sonnet-4-5', requests: 2, inputTokens: 1_000_000, costUsd: 3 }),
      perf({ accountId: 'a', model: 'claude-haiku-5-5', requests: 3, inputTokens: 1_000_000 }),
      perf({ accountId: 'b', model: 'claude-haiku-5-5', requests: 1, outputTokens: 10 }),
      perf({ accountId: 'b', model: 'claude-next-1', requests: 1, inputTokens: 5 }),
      // Failed before any token: nothing to price, so nothing left out.
      perf({ accountId: 'b', model: 'claude-opus-4-5', requests: 4 }),
    ];
    const r = assembleAnalytics(q, window, { series: [], perf: groups, agents: [], previous: undefined }, new Map());
    expect(r.totals.costUsd).toBe(3);
    expect(r.unpriced).toEqual({ requests: 5, models: ['claude-haiku-5-5', 'claude-next-1'] });
    expect(r.costByModel.map((c) => [c.model, c.priced])).toEqual([
      ['claude-sonnet-4-5', true],
      ['claude-haiku-5-5', false],
      ['claude-next-1', false],
      ['claude-opus-4-5', true],
    ]);
    expect(assembleStats(groups, [], [], null).unpriced).toEqual(r.unpriced);
  });

  it('gives per-model series on request, with speed ranges merged per bucket, and the previous totals', () => {
    const b = window.to - MINUTE_MS;
    const series: SeriesGroup[] = [
      { ...emptySums(), bucket: b, model: 'sonnet', requests: 2, successes: 2, tpsMin: 30, tpsMax: 50, costUsd: 0.2 },
      { ...emptySums(), bucket: b, model: 'opus', requests: 1, successes: 1, tpsMin: 10, tpsMax: 10, costUsd: 1 },
      { ...emptySums(), bucket: b - MINUTE_MS, model: '', requests: 1, tpsMin: null, tpsMax: null },
    ];
    const perfOf = (model: string, requests: number) =>
      ({
        ...emptySums(),
        accountId: 'a',
        accountName: 'alpha',
        model,
        requests,
        latencyMax: 0,
        lastTs: 0,
        hist: new Array<number>(LATENCY_BUCKETS).fill(0),
      }) satisfies PerfGroup;
    const previousHist = new Array<number>(LATENCY_BUCKETS).fill(0);
    previousHist[latencyBucket(1000)] = 4;
    const r = assembleAnalytics(
      { ...q, modelSeries: true },
      window,
      {
        series,
        perf: [perfOf('sonnet', 2), perfOf('opus', 1), perfOf('', 1)],
        agents: [],
        previous: { ...emptySums(), requests: 4, successes: 3, latencySum: 4000, latencyMax: 1000, hist: previousHist },
      },
      new Map(),
    );
    expect(r.series[59]).toMatchObject({ requests: 3, outputTokensPerSecondMin: 10, outputTokensPerSecondMax: 50 });
    expect(r.modelSeries?.map((m) => [m.model, m.series.length, m.series[59]?.requests])).toEqual([
      ['sonnet', 60, 2],
      [null, 60, 0],
      ['opus', 60, 1],
    ]);
    expect(r.modelSeries?.[2]?.series[59]).toMatchObject({ outputTokensPerSecondMin: 10, costUsd: 1 });
    expect(r.modelSeries?.[1]?.series[58]?.requests).toBe(1);
    expect(r.previous.totals).toMatchObject({ requests: 4, errors: 1, successRate: 0.75, avgLatencyMs: 1000 });
  });
});

describe('assembleStats', () => {
  it('lists every account in order, then removed accounts with history', () => {
    const s = assembleStats(
      [
        perf({ accountId: 'b', model: 'm', requests: 4, successes: 3, latencySum: 400, lastTs: 5 }),
        perf({ accountId: 'x', accountName: 'removed', model: 'm', requests: 2, successes: 2, lastTs: 9 }),
      ],
      [
        { id: 'a', name: 'alpha', lastUsedAt: null, requestCount: 0, sessionRequestCount: 0 },
        { id: 'b', name: 'beta', lastUsedAt: 7, requestCount: 10, sessionRequestCount: 1 },
      ],
      [],
      123,
    );
    expect(s.since).toBe(123);
    expect(s.totals).toMatchObject({ requests: 6, successes: 5 });
    expect(s.accounts.map((a) => [a.accountId, a.name, a.exists, a.requests, a.lastUsedAt, a.requestCount])).toEqual([
      ['a', 'alpha', true, 0, null, 0],
      ['b', 'beta', true, 4, 7, 10],
      ['x', 'removed', false, 2, 9, null],
    ]);
    expect(s.accounts[1]?.avgLatencyMs).toBe(100);
    expect(s.accounts[1]?.successRate).toBe(0.75);
  });
});
