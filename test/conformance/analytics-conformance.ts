/**
 * Request history as a test suite (`store.requests.list`, `store.analytics`, `store.maintenance`:
 * the request list, stats, analytics, retention, compaction), run against every back-end like
 * store-conformance.ts. Expected figures are worked out by hand from
 * the records each test writes. `makeStore` must return a fresh, migrated, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnalyticsQuery } from '../../src/storage/contract/analytics.js';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import type { RequestQuery } from '../../src/storage/contract/requests.js';
import type { Store } from '../../src/storage/contract/store.js';
import { FIRST_THREE_TOTALS, historySeed } from '../support/history-seed.js';
import { samplePayload, sampleRecord } from '../support/sample-record.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
// Mid-minute and mid-hour, so "now - 10 s" and "now - 70 s" fall in known buckets.
const NOW = Date.UTC(2025, 0, 15, 12, 7, 30);

const SONNET = 'claude-sonnet-4-5';
const OPUS = 'claude-opus-4-1';
const HAIKU = 'claude-haiku-4-5';

function q(over: Partial<AnalyticsQuery> = {}): AnalyticsQuery {
  return { range: '1h', now: NOW, accounts: [], models: [], status: 'all', ...over };
}

export function describeHistoryConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`History conformance: ${name}`, () => {
    let store: Store;
    let alpha: string;
    let beta: string;
    let idle: string;

    beforeEach(async () => {
      store = await makeStore();
      alpha = (await store.accounts.insert({ name: 'alpha', kind: 'max' }, NOW - DAY)).id;
      beta = (await store.accounts.insert({ name: 'beta', kind: 'api_key', priority: 1 }, NOW - DAY)).id;
      idle = (await store.accounts.insert({ name: 'idle', kind: 'api_key', priority: 2 }, NOW - DAY)).id;
    });

    afterEach(async () => {
      await store.close();
    });

    /** r1-r3 in the last hour (minutes 12:07, 12:06, 12:05), r4 3 h ago, r5 3 days ago, r6 40 days ago. */
    function scenario(): RequestRecord[] {
      return historySeed({
        prefix: 'r',
        at: [NOW - 10_000, NOW - 70_000, NOW - 130_000, NOW - 3 * HOUR, NOW - 3 * DAY, NOW - 40 * DAY],
        alpha: { id: alpha, name: 'alpha' },
        beta: { id: beta, name: 'beta' },
        models: { sonnet: SONNET, opus: OPUS, haiku: HAIKU },
      });
    }

    describe('requests.list', () => {
      const ids = async (query: Partial<RequestQuery>) =>
        (await store.requests.list({ limit: 100, ...query })).items.map((r) => r.id);

      it('lists newest first, leaves the attempt log out and says whether a payload is stored', async () => {
        await store.requests.writeBatch(
          [
            sampleRecord({ id: 'old', ts: NOW - 1000 }),
            sampleRecord({
              id: 'new',
              ts: NOW,
              attemptLog: [{ account: 'alpha', status: 429, error: 'rate_limited', ms: 3 }],
              payload: samplePayload(),
            }),
          ],
          [],
        );
        const page = await store.requests.list({ limit: 10 });
        expect(page.more).toBe(false);
        expect(page.items.map((r) => [r.id, r.hasPayload])).toEqual([
          ['new', true],
          ['old', false],
        ]);
        const { payload: _p, attemptLog: _a, ...summary } = sampleRecord({ id: 'old', ts: NOW - 1000 });
        expect(page.items[1]).toEqual({ ...summary, retries: 0, failovers: 0, triedAccounts: [], hasPayload: false });
        expect(page.items[0]).not.toHaveProperty('attemptLog');
      });

      it('pages with the (ts, id) cursor without gaps or repeats, filtered or not', async () => {
        const recs = Array.from({ length: 23 }, (_, i) =>
          sampleRecord({
            id: `p${String(i).padStart(2, '0')}`,
            // Several records per timestamp, so the id half of the cursor matters.
            ts: NOW - Math.floor(i / 3) * 1000,
            accountId: i % 2 === 0 ? alpha : beta,
            accountName: i % 2 === 0 ? 'alpha' : 'beta',
          }),
        );
        await store.requests.writeBatch(recs, []);
        const newestFirst = (rs: RequestRecord[]) =>
          [...rs].sort((x, y) => y.ts - x.ts || (x.id < y.id ? 1 : -1)).map((r) => r.id);
        for (const filter of [{}, { account: 'alpha' }]) {
          const seen: string[] = [];
          let before: { ts: number; id: string } | undefined;
          let pages = 0;
          for (;;) {
            const page = await store.requests.list({ limit: 5, ...filter, ...(before ? { before } : {}) });
            pages++;
            seen.push(...page.items.map((r) => r.id));
            const last = page.items[page.items.length - 1];
            if (!page.more || !last) break;
            before = { ts: last.ts, id: last.id };
          }
          const expected = newestFirst('account' in filter ? recs.filter((r) => r.accountId === alpha) : recs);
          expect(seen).toEqual(expected);
          expect(pages).toBe(Math.ceil(expected.length / 5));
        }
      });

      it('filters by time, account (id, name, removed name), model, outcome, status, agent and session', async () => {
        const gone = (await store.accounts.insert({ name: 'gone', kind: 'max' }, NOW)).id;
        await store.requests.writeBatch(
          [...scenario(), sampleRecord({ id: 'g1', ts: NOW - 5 * DAY, accountId: gone, accountName: 'gone' })],
          [],
        );
        await store.accounts.delete(gone);
        expect(await ids({})).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'g1', 'r6']);
        expect(await ids({ since: NOW - 130_000 })).toEqual(['r1', 'r2', 'r3']);
        expect(await ids({ until: NOW - 130_000 })).toEqual(['r4', 'r5', 'g1', 'r6']);
        expect(await ids({ since: NOW - 4 * DAY, until: NOW - 70_000 })).toEqual(['r3', 'r4', 'r5']);
        expect(await ids({ account: alpha })).toEqual(['r1', 'r2', 'r5']);
        expect(await ids({ account: 'beta' })).toEqual(['r3', 'r4', 'r6']);
        expect(await ids({ account: 'gone' })).toEqual(['g1']);
        expect(await ids({ account: gone })).toEqual(['g1']);
        expect(await ids({ account: 'idle' })).toEqual([]);
        expect(await ids({ account: 'nobody' })).toEqual([]);
        // r3 has no applied model: it is listed under the model it asked for.
        expect(await ids({ model: SONNET })).toEqual(['r1', 'r3', 'r4', 'g1', 'r6']);
        expect(await ids({ model: OPUS })).toEqual(['r2']);
        expect(await ids({ status: 'error' })).toEqual(['r3']);
        expect(await ids({ status: 'success' })).toEqual(['r1', 'r2', 'r4', 'r5', 'g1', 'r6']);
        expect(await ids({ status: 529 })).toEqual(['r3']);
        expect(await ids({ status: 200 })).toEqual(['r1', 'r2', 'r4', 'r5', 'g1', 'r6']);
        expect(await ids({ status: 404 })).toEqual([]);
        expect(await ids({ agent: 'reviewer' })).toEqual(['r1']);
        expect(await ids({ session: 's1' })).toEqual(['r1', 'r2']);
        expect(await ids({ account: 'alpha', model: SONNET, session: 's1', since: NOW - HOUR })).toEqual(['r1']);
        expect(await ids({ account: 'beta', status: 'error', until: NOW })).toEqual(['r3']);
      });
    });

    describe('analytics', () => {
      it('computes totals, per model, per account, cost shares and agents for the last hour', async () => {
        await store.requests.writeBatch(scenario(), []);
        const r = await store.analytics.query(q());
        expect(r).toMatchObject({
          range: '1h',
          from: Date.UTC(2025, 0, 15, 11, 8),
          to: Date.UTC(2025, 0, 15, 12, 8),
          bucketMs: MIN,
          filters: { accounts: [], models: [], agents: [], status: 'all' },
        });
        // r1-r3: 2 of 3 succeeded; latencies 800, 1200, 2500; TTFT 200, 400; tokens/s 40, 60.
        expect(r.totals).toMatchObject(FIRST_THREE_TOTALS);
        expect(r.totals.successRate).toBeCloseTo(2 / 3, 12);
        expect(r.totals.costUsd).toBeCloseTo(0.06, 12);
        expect(r.totals.cacheHitRate).toBeCloseTo(1000 / (300 + 1000 + 200 + 300), 12);
        // Histogram buckets [750,1000), [1000,1500), [2000,3000) capped at 2500; rank 1 + 0.95 * 2 = 2.9
        // -> 2000 + (2500 - 2000) * 0.9.
        expect(r.totals.p95LatencyMs).toBeCloseTo(2450, 9);
        expect(r.tokens).toEqual(r.totals.tokens);

        expect(r.series).toHaveLength(60);
        expect(r.series.map((p) => p.ts)).toEqual(Array.from({ length: 60 }, (_, i) => r.from + i * MIN));
        const counts = r.series.map((p) => p.requests);
        expect(counts.slice(57)).toEqual([1, 1, 1]);
        expect(counts.slice(0, 57).every((n) => n === 0)).toBe(true);
        expect(r.series[59]).toMatchObject({ successes: 1, avgLatencyMs: 800, tokens: { total: 1350 } });
        expect(r.series[57]).toMatchObject({ errors: 1, successRate: 0, avgTtftMs: null, costUsd: 0 });
        expect(r.series[0]).toMatchObject({ successRate: null, avgLatencyMs: null, cacheHitRate: null });

        expect(r.models.map((m) => [m.model, m.requests, m.successes, m.avgLatencyMs])).toEqual([
          [SONNET, 2, 1, 1650],
          [OPUS, 1, 1, 1200],
        ]);
        expect(r.accounts.map((a) => [a.accountId, a.name, a.requests, a.errors])).toEqual([
          [alpha, 'alpha', 2, 0],
          [beta, 'beta', 1, 1],
        ]);
        expect(r.accounts[0]?.costUsd).toBeCloseTo(0.06, 12);
        expect(r.costByModel.map((c) => c.model)).toEqual([OPUS, SONNET]);
        expect(r.costByModel[0]?.share).toBeCloseTo(5 / 6, 12);
        expect(r.costByModel[1]?.share).toBeCloseTo(1 / 6, 12);
        expect(r.agents.map((a) => [a.agent, a.requests, a.tokens.total])).toEqual([
          ['reviewer', 1, 1350],
          [null, 2, 600],
        ]);
      });

      it('applies the account, model and status filters to every part', async () => {
        await store.requests.writeBatch(scenario(), []);
        const byAlpha = await store.analytics.query(q({ accounts: ['alpha'] }));
        expect(byAlpha.totals).toMatchObject({ requests: 2, successes: 2 });
        expect(byAlpha.accounts.map((a) => a.name)).toEqual(['alpha']);
        expect(byAlpha.agents.map((a) => [a.agent, a.requests])).toEqual([
          ['reviewer', 1],
          [null, 1],
        ]);
        expect((await store.analytics.query(q({ accounts: [beta] }))).totals.requests).toBe(1);
        expect((await store.analytics.query(q({ accounts: ['alpha', 'beta'] }))).totals.requests).toBe(3);
        expect((await store.analytics.query(q({ accounts: ['nobody'] }))).totals.requests).toBe(0);

        const opus = await store.analytics.query(q({ models: [OPUS] }));
        expect(opus.totals).toMatchObject({ requests: 1, avgLatencyMs: 1200 });
        expect(opus.models.map((m) => m.model)).toEqual([OPUS]);
        expect(opus.agents).toEqual([expect.objectContaining({ agent: null, requests: 1 })]);

        const errors = await store.analytics.query(q({ status: 'error' }));
        expect(errors.totals).toMatchObject({ requests: 1, errors: 1, successRate: 0, p95LatencyMs: 2500 });
        expect(errors.series.filter((p) => p.requests > 0).map((p) => p.ts)).toEqual([Date.UTC(2025, 0, 15, 12, 5)]);
        const ok = await store.analytics.query(q({ status: 'success', models: [SONNET] }));
        expect(ok.totals).toMatchObject({ requests: 1, successes: 1, avgLatencyMs: 800 });
        expect(ok.agents).toEqual([expect.objectContaining({ agent: 'reviewer', requests: 1 })]);
      });

      it('filters every figure by agent', async () => {
        await store.requests.writeBatch(scenario(), []);
        const reviewer = await store.analytics.query(q({ agents: ['reviewer'] }));
        expect(reviewer.filters.agents).toEqual(['reviewer']);
        // r1 alone: an 800 ms sonnet success on alpha, 1,350 tokens, $0.01.
        expect(reviewer.totals).toMatchObject({
          requests: 1,
          successes: 1,
          avgLatencyMs: 800,
          p95LatencyMs: 800,
          avgTtftMs: 200,
          outputTokensPerSecond: 40,
          tokens: { total: 1350 },
        });
        expect(reviewer.totals.costUsd).toBeCloseTo(0.01, 12);
        expect(reviewer.series.filter((p) => p.requests > 0).map((p) => [p.ts, p.requests])).toEqual([
          [Date.UTC(2025, 0, 15, 12, 7), 1],
        ]);
        expect(reviewer.models.map((m) => [m.model, m.requests])).toEqual([[SONNET, 1]]);
        expect(reviewer.accounts.map((a) => [a.name, a.requests])).toEqual([['alpha', 1]]);
        expect(reviewer.costByModel.map((c) => [c.model, c.share])).toEqual([[SONNET, 1]]);
        // Everything is attributed under the filter: no unattributed rest.
        expect(reviewer.agents.map((a) => [a.agent, a.requests])).toEqual([['reviewer', 1]]);

        const week = await store.analytics.query(q({ range: '7d', agents: ['reviewer', 'planner'] }));
        expect(week.totals).toMatchObject({ requests: 2, avgLatencyMs: 600 });
        expect(week.models.map((m) => m.model)).toEqual([HAIKU, SONNET]);
        expect((await store.analytics.query(q({ agents: ['planner'] }))).totals.requests).toBe(0);
        expect((await store.analytics.query(q({ agents: ['nobody'] }))).totals.requests).toBe(0);
        // With the other filters.
        expect((await store.analytics.query(q({ agents: ['reviewer'], accounts: ['beta'] }))).totals.requests).toBe(0);
        expect((await store.analytics.query(q({ agents: ['reviewer'], status: 'error' }))).totals.requests).toBe(0);
        expect((await store.analytics.query(q({ agents: ['reviewer'], models: [SONNET] }))).totals.requests).toBe(1);
      });

      it('gives each agent its latency (average, p50, p95), success rate and figures', async () => {
        await store.requests.writeBatch(scenario(), []);
        const r = await store.analytics.query(q());
        expect(r.agents[0]).toMatchObject({
          agent: 'reviewer',
          requests: 1,
          successRate: 1,
          avgLatencyMs: 800,
          p50LatencyMs: 800,
          p95LatencyMs: 800,
          avgTtftMs: 200,
        });
        // The rest, r2 and r3: 1200 and 2500 ms, one failed. Histogram buckets [1000,1500) and
        // [2000,3000) capped at the largest latency, 2500: p50 rank 1.5 -> 2000 + 500 * 0.5,
        // p95 rank 1.95 -> 2000 + 500 * 0.95.
        expect(r.agents[1]).toMatchObject({
          agent: null,
          requests: 2,
          successes: 1,
          errors: 1,
          avgLatencyMs: 1850,
          avgTtftMs: 400,
          failovers: 2,
        });
        expect(r.agents[1]?.p50LatencyMs).toBeCloseTo(2250, 9);
        expect(r.agents[1]?.p95LatencyMs).toBeCloseTo(2475, 9);
        expect(r.agents[1]?.costUsd).toBeCloseTo(0.05, 12);
      });

      it('reads each range with its buckets: minutes up to a day, hours beyond', async () => {
        await store.requests.writeBatch(scenario(), []);
        const totals = async (range: AnalyticsQuery['range']) => {
          const r = await store.analytics.query(q({ range }));
          return [r.series.length, r.totals.requests, r.series.reduce((n, p) => n + p.requests, 0)];
        };
        expect(await totals('1h')).toEqual([60, 3, 3]);
        expect(await totals('6h')).toEqual([72, 4, 4]);
        expect(await totals('24h')).toEqual([96, 4, 4]);
        expect(await totals('7d')).toEqual([168, 5, 5]);
        expect(await totals('30d')).toEqual([120, 5, 5]);
        const week = await store.analytics.query(q({ range: '7d' }));
        // 6 h buckets: r4 (09:07:30) in the 06:00 one, r1-r3 in the 12:00 one; 7 d: the 12:00 hour.
        const month = await store.analytics.query(q({ range: '30d' }));
        expect(month.series.find((p) => p.ts === Date.UTC(2025, 0, 15, 6))?.requests).toBe(1);
        expect(month.series[month.series.length - 1]).toMatchObject({ ts: Date.UTC(2025, 0, 15, 12), requests: 3 });
        expect(week.series[week.series.length - 1]).toMatchObject({ ts: Date.UTC(2025, 0, 15, 12), requests: 3 });
        expect(week.agents.map((a) => [a.agent, a.requests])).toEqual([
          ['planner', 1],
          ['reviewer', 1],
          [null, 3],
        ]);
      });

      it("compares with the previous window, keeps each bucket's speed range and gives per-model series", async () => {
        await store.requests.writeBatch(scenario(), []);
        // p1 in the hour before the 1h window; p2 and p3 in r1's minute and cell (alpha, sonnet, ok), each in a
        // batch of its own so the speed range merges across upserts: 10 tok/s, then none.
        const extra = (id: string, ts: number, over: Partial<RequestRecord>) =>
          sampleRecord({ id, ts, accountId: alpha, accountName: 'alpha', modelApplied: SONNET, ...over });
        await store.requests.writeBatch(
          [extra('p1', NOW - 65 * MIN, { success: false, status: 500, latencyMs: 300, outputTokensPerSecond: null })],
          [],
        );
        await store.requests.writeBatch([extra('p2', NOW - 20_000, { outputTokensPerSecond: 10 })], []);
        await store.requests.writeBatch([extra('p3', NOW - 25_000, { outputTokensPerSecond: null })], []);

        const hour = await store.analytics.query(q({ modelSeries: true }));
        expect(hour.previous).toMatchObject({
          from: hour.from - HOUR,
          to: hour.from,
          totals: { requests: 1, errors: 1, successRate: 0, avgLatencyMs: 300 },
        });
        // r1 40 tok/s, p2 10, p3 none; r2 (60) a minute earlier; r3 (529) has none.
        expect(hour.series[59]).toMatchObject({
          requests: 3,
          outputTokensPerSecondMin: 10,
          outputTokensPerSecondMax: 40,
        });
        expect(hour.series[58]).toMatchObject({ outputTokensPerSecondMin: 60, outputTokensPerSecondMax: 60 });
        expect(hour.series[57]).toMatchObject({ outputTokensPerSecondMin: null, outputTokensPerSecondMax: null });
        expect(hour.modelSeries?.map((m) => [m.model, m.series.slice(57).map((p) => p.requests)])).toEqual([
          [SONNET, [1, 0, 3]],
          [OPUS, [0, 1, 0]],
        ]);
        expect(hour.modelSeries?.[0]?.series[57]).toMatchObject({ errors: 1, outputTokensPerSecondMax: null });

        // The hour rollups keep the range too: the 12:00 hour holds r1-r3 and p2-p3.
        const week = await store.analytics.query(q({ range: '7d' }));
        expect(week.modelSeries).toBeUndefined();
        expect(week.series.at(-1)).toMatchObject({ outputTokensPerSecondMin: 10, outputTokensPerSecondMax: 60 });
        expect(week.previous.totals.requests).toBe(0);
        // r6, 40 days ago, is in the 30 days before the 30-day window; filters apply to it too.
        const month = await store.analytics.query(q({ range: '30d' }));
        expect(month.previous.totals).toMatchObject({ requests: 1, costUsd: 1 });
        const monthAlpha = await store.analytics.query(q({ range: '30d', accounts: ['alpha'] }));
        expect(monthAlpha.previous.totals.requests).toBe(0);
      });

      it('matches figures recomputed from the records, however the batches were cut', async () => {
        const models = [SONNET, OPUS, HAIKU];
        const recs: RequestRecord[] = Array.from({ length: 300 }, (_, i) =>
          sampleRecord({
            id: `m${String(i).padStart(3, '0')}`,
            ts: NOW - ((i * 7919) % (50 * MIN)),
            accountId: i % 3 === 0 ? alpha : beta,
            accountName: i % 3 === 0 ? 'alpha' : 'beta',
            modelApplied: models[i % 3] as string,
            success: i % 10 !== 0,
            latencyMs: 100 + ((i * 37) % 5000),
            inputTokens: i,
            cacheReadTokens: 2 * i,
            outputTokens: i % 50,
            costUsd: i / 1000,
            agent: i % 4 === 0 ? 'a4' : null,
          }),
        );
        for (let i = 0; i < recs.length; i += 37) await store.requests.writeBatch(recs.slice(i, i + 37), []);
        const r = await store.analytics.query(q());
        const sum = (f: (x: RequestRecord) => number, rs = recs) => rs.reduce((n, x) => n + f(x), 0);
        expect(r.totals.requests).toBe(300);
        expect(r.totals.successes).toBe(270);
        expect(r.totals.avgLatencyMs).toBeCloseTo(sum((x) => x.latencyMs) / 300, 9);
        expect(r.totals.tokens.input).toBe(sum((x) => x.inputTokens ?? 0));
        expect(r.totals.tokens.cacheRead).toBe(sum((x) => x.cacheReadTokens ?? 0));
        expect(r.totals.tokens.output).toBe(sum((x) => x.outputTokens ?? 0));
        expect(r.totals.costUsd).toBeCloseTo(
          sum((x) => x.costUsd ?? 0),
          9,
        );
        for (const m of r.models) expect(m.requests).toBe(recs.filter((x) => x.modelApplied === m.model).length);
        const a4 = recs.filter((x) => x.agent === 'a4');
        expect(r.agents.find((a) => a.agent === 'a4')).toMatchObject({
          requests: a4.length,
          tokens: { input: sum((x) => x.inputTokens ?? 0, a4) },
        });
        for (const p of r.series) {
          expect(p.requests).toBe(recs.filter((x) => x.ts >= p.ts && x.ts < p.ts + MIN).length);
        }
        // The same, read from the hour rollups (cost summed in another order: float dust).
        const week = await store.analytics.query(q({ range: '7d' }));
        expect({ ...week.totals, costUsd: 0 }).toEqual({ ...r.totals, costUsd: 0 });
        expect(week.totals.costUsd).toBeCloseTo(r.totals.costUsd, 9);
      });
    });

    describe('analytics.stats and accounts.resetUsage', () => {
      it('reports all history, every account, removed accounts and recent errors', async () => {
        const gone = (await store.accounts.insert({ name: 'gone', kind: 'max' }, NOW)).id;
        await store.requests.writeBatch(
          [
            ...scenario(),
            sampleRecord({
              id: 'g1',
              ts: NOW - 5 * DAY,
              accountId: gone,
              accountName: 'gone',
              success: false,
              status: 401,
              error: 'authentication_error',
              costUsd: 0.5,
            }),
          ],
          [{ accountId: alpha, requests: 3, lastUsedAt: NOW }],
        );
        await store.accounts.delete(gone);
        const s = await store.analytics.stats({ recentErrors: 10 });
        expect(s.since).toBe(NOW - 40 * DAY - ((NOW - 40 * DAY) % HOUR));
        expect(s.totals).toMatchObject({ requests: 7, successes: 5, errors: 2 });
        // 0.01 + 0.05 + 0.001 + 0.0001 + 1 + 0.5
        expect(s.totals.costUsd).toBeCloseTo(1.5611, 12);
        expect(s.accounts.map((a) => [a.name, a.exists, a.requests, a.requestCount])).toEqual([
          ['alpha', true, 3, 3],
          ['beta', true, 3, 0],
          ['idle', true, 0, 0],
          ['gone', false, 1, null],
        ]);
        expect(s.accounts[0]).toMatchObject({ accountId: alpha, lastUsedAt: NOW, successRate: 1 });
        expect(s.accounts[2]).toMatchObject({ accountId: idle, successRate: null, avgLatencyMs: null });
        expect(s.accounts[3]).toMatchObject({ accountId: gone, lastUsedAt: NOW - 5 * DAY, sessionRequestCount: null });
        expect(s.agents.map((a) => [a.agent, a.requests, a.avgLatencyMs])).toEqual([
          ['planner', 1, 400],
          ['reviewer', 1, 800],
          [null, 5, expect.any(Number)],
        ]);
        expect(s.recentErrors).toEqual([
          {
            id: 'r3',
            ts: NOW - 130_000,
            accountId: beta,
            accountName: 'beta',
            model: SONNET,
            method: 'POST',
            path: '/v1/messages',
            status: 529,
            error: 'overloaded_error: Overloaded',
            latencyMs: 2500,
          },
          expect.objectContaining({ id: 'g1', accountName: 'gone', status: 401 }),
        ]);
        expect((await store.analytics.stats({ recentErrors: 1 })).recentErrors.map((e) => e.id)).toEqual(['r3']);
        expect((await store.analytics.stats({ recentErrors: 0 })).recentErrors).toEqual([]);
      });

      it('is empty without history', async () => {
        const s = await store.analytics.stats({ recentErrors: 5 });
        expect(s.since).toBeNull();
        expect(s.totals).toMatchObject({ requests: 0, successRate: null, costUsd: 0 });
        expect(s.accounts.map((a) => [a.name, a.requests])).toEqual([
          ['alpha', 0],
          ['beta', 0],
          ['idle', 0],
        ]);
      });

      it('resets the account counters and keeps the history', async () => {
        await store.accounts.update(alpha, { sessionStart: NOW - MIN });
        await store.requests.writeBatch(scenario().slice(0, 3), [
          { accountId: alpha, requests: 2, lastUsedAt: NOW },
          { accountId: beta, requests: 1, lastUsedAt: NOW },
        ]);
        expect(await store.accounts.resetUsage()).toBe(3);
        expect(await store.accounts.get(alpha)).toMatchObject({
          requestCount: 0,
          sessionRequestCount: 0,
          sessionStart: NOW - MIN,
          lastUsedAt: NOW,
        });
        expect((await store.accounts.get(beta))?.requestCount).toBe(0);
        expect((await store.analytics.stats({ recentErrors: 0 })).totals.requests).toBe(3);
        expect(await store.requests.count()).toBe(3);
      });
    });

    describe('maintenance.prune and compact', () => {
      it('deletes expired rows and payloads, and rollup buckets that expired whole', async () => {
        const payload = samplePayload({ requestBody: 'x'.repeat(1000), responseHeaders: null, responseBody: null });
        await store.requests.writeBatch(
          scenario().map((r) => ({ ...r, payload })),
          [],
        );
        // Requests kept 7 days (r6 goes), payloads 1 day (r5's goes too, its row stays).
        const res = await store.maintenance.prune({
          requestsBefore: NOW - 7 * DAY,
          payloadsBefore: NOW - DAY,
          now: NOW,
        });
        expect(res.requestsDeleted).toBe(1);
        expect(res.payloadsDeleted).toBe(2);
        // r6's hour rollup row; minute rows older than two days (r5, r6).
        expect(res.rollupRowsDeleted).toBeGreaterThanOrEqual(3);
        expect(await store.requests.count()).toBe(5);
        expect(await store.requests.get('r6')).toBeNull();
        expect((await store.requests.get('r5'))?.payload).toBeNull();
        expect((await store.requests.get('r4'))?.payload).toEqual(payload);
        const s = await store.analytics.stats({ recentErrors: 0 });
        expect(s.totals.requests).toBe(5);
        expect(s.since).toBe(NOW - 3 * DAY - ((NOW - 3 * DAY) % HOUR));
        expect((await store.analytics.query(q({ range: '1h' }))).totals.requests).toBe(3);

        const again = await store.maintenance.prune({
          requestsBefore: NOW - 7 * DAY,
          payloadsBefore: NOW - DAY,
          now: NOW,
        });
        expect(again).toEqual({ requestsDeleted: 0, payloadsDeleted: 0, rollupRowsDeleted: 0 });
      });

      it('deletes in chunks until nothing expired is left', async () => {
        const recs = Array.from({ length: 4500 }, (_, i) =>
          sampleRecord({ id: `c${String(i).padStart(5, '0')}`, ts: NOW - 10 * DAY - i }),
        );
        for (let i = 0; i < recs.length; i += 500) await store.requests.writeBatch(recs.slice(i, i + 500), []);
        await store.requests.writeBatch([sampleRecord({ id: 'keep', ts: NOW })], []);
        const res = await store.maintenance.prune({ requestsBefore: NOW - DAY, payloadsBefore: NOW - DAY, now: NOW });
        expect(res.requestsDeleted).toBe(4500);
        expect(await store.requests.count()).toBe(1);
      });

      it('compacts and reports sizes', async () => {
        await store.requests.writeBatch(
          Array.from({ length: 200 }, (_, i) =>
            sampleRecord({
              id: `z${i}`,
              ts: NOW - 10 * DAY,
              payload: samplePayload({ requestBody: 'y'.repeat(20_000), responseHeaders: null, responseBody: null }),
            }),
          ),
          [],
        );
        const full = (await store.maintenance.storageSummary()).databaseBytes;
        await store.maintenance.prune({ requestsBefore: NOW - DAY, payloadsBefore: NOW - DAY, now: NOW });
        const c = await store.maintenance.compact();
        // What a user sees: pruning then compacting leaves the database smaller than it was with
        // the rows. Not before >= after: PostgreSQL's VACUUM adds free-space and visibility map
        // forks to tables it just emptied, a few pages more than the pruned database. An in-memory
        // SQLite database has no size to report (0 throughout).
        if (full > 0) expect(c.afterBytes).toBeLessThan(full);
        else expect(c).toEqual({ beforeBytes: 0, afterBytes: 0 });
        expect(await store.requests.count()).toBe(0);
        // Still usable afterwards.
        await store.requests.writeBatch([sampleRecord({ id: 'after', ts: NOW })], []);
        expect((await store.analytics.query(q())).totals.requests).toBe(1);
      });
    });
  });
}
