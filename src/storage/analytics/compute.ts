/**
 * Back-end independent part of analytics and stats: the bucket layout of each range and the
 * figures computed from grouped rollup rows. A back-end fetches the groups (sums per time bucket,
 * sums and histograms per account and model, sums per agent); everything derived is here, so
 * every back-end reports the same numbers.
 */

import { costUnknown } from '../../shared/tokens.js';
import type {
  AccountPerf,
  AgentPerf,
  AnalyticsQuery,
  AnalyticsRange,
  AnalyticsResult,
  ModelPerf,
  ModelSeries,
  PerfSummary,
  RecentError,
  SeriesPoint,
  StatsAccount,
  StatsResult,
  TokenCounts,
  UnpricedUse,
} from '../contract/analytics.js';
import type { TokenSums } from '../contract/records.js';
import { DAY_MS, HOUR_MS, LATENCY_BUCKETS, MINUTE_MS, percentileFromHistogram, type Sums } from './rollup.js';

export type RollupGrain = 'minute' | 'hour';

export interface RangeSpec {
  rangeMs: number;
  bucketMs: number;
  /** The rollup the range reads: its buckets must divide `bucketMs`. */
  grain: RollupGrain;
}

export const ANALYTICS_RANGES: Record<AnalyticsRange, RangeSpec> = {
  '1h': { rangeMs: HOUR_MS, bucketMs: MINUTE_MS, grain: 'minute' },
  '6h': { rangeMs: 6 * HOUR_MS, bucketMs: 5 * MINUTE_MS, grain: 'minute' },
  '24h': { rangeMs: DAY_MS, bucketMs: 15 * MINUTE_MS, grain: 'minute' },
  '7d': { rangeMs: 7 * DAY_MS, bucketMs: HOUR_MS, grain: 'hour' },
  '30d': { rangeMs: 30 * DAY_MS, bucketMs: 6 * HOUR_MS, grain: 'hour' },
};

export interface AnalyticsWindow {
  from: number;
  to: number;
  bucketMs: number;
  buckets: number;
  grain: RollupGrain;
}

/**
 * Whole buckets aligned to the Unix epoch (UTC), the last one holding `now`, so a bucket means
 * the same span on every call and the series never shows a partial first bucket.
 */
export function analyticsWindow(range: AnalyticsRange, now: number): AnalyticsWindow {
  const spec = ANALYTICS_RANGES[range];
  const to = now - (now % spec.bucketMs) + spec.bucketMs;
  const buckets = spec.rangeMs / spec.bucketMs;
  return { from: to - spec.rangeMs, to, bucketMs: spec.bucketMs, buckets, grain: spec.grain };
}

export interface SeriesGroup extends Sums {
  /** Start of the output bucket. */
  bucket: number;
  /** Present when the series were grouped by model too ('' for none). */
  model?: string;
  tpsMin: number | null;
  tpsMax: number | null;
}

/** Sums, largest latency and histogram of a whole window (the previous period's totals). */
export interface TotalGroup extends Sums {
  latencyMax: number;
  hist: number[];
}

/** Sums per (account, model); `accountId` / `model` are '' when the requests had none. */
export interface PerfGroup extends Sums {
  accountId: string;
  accountName: string | null;
  model: string;
  latencyMax: number;
  lastTs: number;
  hist: number[];
}

/** Sums and histogram per agent (the agent rollups hold every column of the main ones). */
export interface AgentGroup extends Sums {
  agent: string;
  latencyMax: number;
  hist: number[];
}

export function emptySums(): Sums {
  return {
    requests: 0,
    successes: 0,
    latencySum: 0,
    ttftSum: 0,
    ttftCount: 0,
    tpsSum: 0,
    tpsCount: 0,
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    failovers: 0,
  };
}

const SUM_KEYS = Object.keys(emptySums()) as (keyof Sums)[];

function addSums(into: Sums, s: Sums): void {
  for (const k of SUM_KEYS) into[k] += s[k];
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

export function tokenCounts(s: TokenSums): TokenCounts {
  return {
    input: s.inputTokens,
    cacheRead: s.cacheReadTokens,
    cacheWrite5m: s.cacheWrite5mTokens,
    cacheWrite1h: s.cacheWrite1hTokens,
    output: s.outputTokens,
    total: s.inputTokens + s.cacheReadTokens + s.cacheWrite5mTokens + s.cacheWrite1hTokens + s.outputTokens,
  };
}

export function cacheHitRate(s: TokenSums): number | null {
  return ratio(s.cacheReadTokens, s.inputTokens + s.cacheReadTokens + s.cacheWrite5mTokens + s.cacheWrite1hTokens);
}

/** The figures of one group; p95 needs its histogram. */
export function summarize(s: Sums, hist: readonly number[] | null, latencyMax: number): PerfSummary {
  return {
    requests: s.requests,
    successes: s.successes,
    errors: s.requests - s.successes,
    successRate: ratio(s.successes, s.requests),
    avgLatencyMs: ratio(s.latencySum, s.requests),
    p95LatencyMs: hist === null ? null : percentileFromHistogram(hist, 0.95, latencyMax),
    avgTtftMs: ratio(s.ttftSum, s.ttftCount),
    outputTokensPerSecond: ratio(s.tpsSum, s.tpsCount),
    tokens: tokenCounts(s),
    costUsd: s.costUsd,
    cacheHitRate: cacheHitRate(s),
    failovers: s.failovers,
  };
}

interface Merged {
  sums: Sums;
  hist: number[];
  latencyMax: number;
  lastTs: number;
  accountName: string | null;
}

function merge(groups: readonly PerfGroup[], keyOf: (g: PerfGroup) => string): Map<string, Merged> {
  const out = new Map<string, Merged>();
  for (const g of groups) {
    const key = keyOf(g);
    let m = out.get(key);
    if (!m) {
      m = {
        sums: emptySums(),
        hist: new Array<number>(LATENCY_BUCKETS).fill(0),
        latencyMax: 0,
        lastTs: 0,
        accountName: null,
      };
      out.set(key, m);
    }
    addSums(m.sums, g);
    for (let i = 0; i < LATENCY_BUCKETS; i++) (m.hist[i] as number) += g.hist[i] ?? 0;
    if (g.latencyMax > m.latencyMax) m.latencyMax = g.latencyMax;
    if (g.lastTs >= m.lastTs) {
      m.lastTs = g.lastTs;
      if (g.accountName !== null) m.accountName = g.accountName;
    }
  }
  return out;
}

function summarizeMerged(m: Merged | undefined): PerfSummary {
  return m ? summarize(m.sums, m.hist, m.latencyMax) : summarize(emptySums(), null, 0);
}

function byRequestsThen<T extends { requests: number }>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => b.requests - a.requests || key(a).localeCompare(key(b));
}

export function modelPerf(groups: readonly PerfGroup[]): ModelPerf[] {
  return [...merge(groups, (g) => g.model)]
    .map(([model, m]) => ({ model: model === '' ? null : model, ...summarizeMerged(m) }))
    .sort(byRequestsThen((x) => x.model ?? ''));
}

/** `names`: current names of existing accounts by id. */
export function accountPerf(
  groups: readonly PerfGroup[],
  names: ReadonlyMap<string, string>,
): (AccountPerf & { lastTs: number })[] {
  return [...merge(groups, (g) => g.accountId)]
    .map(([id, m]) => ({
      accountId: id === '' ? null : id,
      name: id === '' ? null : (names.get(id) ?? m.accountName),
      lastTs: m.lastTs,
      ...summarizeMerged(m),
    }))
    .sort(byRequestsThen((x) => x.name ?? ''));
}

export function totalPerf(groups: readonly PerfGroup[]): PerfSummary {
  return summarizeMerged(merge(groups, () => '').get(''));
}

interface BucketAcc {
  sums: Sums;
  tpsMin: number | null;
  tpsMax: number | null;
}

function pointsOf(window: AnalyticsWindow, byBucket: ReadonlyMap<number, BucketAcc>): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let i = 0; i < window.buckets; i++) {
    const ts = window.from + i * window.bucketMs;
    const b = byBucket.get(ts);
    const s = b?.sums ?? emptySums();
    points.push({
      ts,
      requests: s.requests,
      successes: s.successes,
      errors: s.requests - s.successes,
      successRate: ratio(s.successes, s.requests),
      avgLatencyMs: ratio(s.latencySum, s.requests),
      avgTtftMs: ratio(s.ttftSum, s.ttftCount),
      outputTokensPerSecond: ratio(s.tpsSum, s.tpsCount),
      outputTokensPerSecondMin: b?.tpsMin ?? null,
      outputTokensPerSecondMax: b?.tpsMax ?? null,
      tokens: tokenCounts(s),
      costUsd: s.costUsd,
      cacheHitRate: cacheHitRate(s),
    });
  }
  return points;
}

function addToBucket(into: Map<number, BucketAcc>, g: SeriesGroup): void {
  let b = into.get(g.bucket);
  if (!b) {
    b = { sums: emptySums(), tpsMin: null, tpsMax: null };
    into.set(g.bucket, b);
  }
  addSums(b.sums, g);
  if (g.tpsMin !== null && (b.tpsMin === null || g.tpsMin < b.tpsMin)) b.tpsMin = g.tpsMin;
  if (g.tpsMax !== null && (b.tpsMax === null || g.tpsMax > b.tpsMax)) b.tpsMax = g.tpsMax;
}

export function seriesPoints(window: AnalyticsWindow, groups: readonly SeriesGroup[]): SeriesPoint[] {
  const byBucket = new Map<number, BucketAcc>();
  for (const g of groups) addToBucket(byBucket, g);
  return pointsOf(window, byBucket);
}

/** One series per model (groups carry `model`), in the order of `order` (most requests first). */
export function modelSeries(
  window: AnalyticsWindow,
  groups: readonly SeriesGroup[],
  order: readonly (string | null)[],
): ModelSeries[] {
  const byModel = new Map<string, Map<number, BucketAcc>>();
  for (const g of groups) {
    const key = g.model ?? '';
    let m = byModel.get(key);
    if (!m) {
      m = new Map();
      byModel.set(key, m);
    }
    addToBucket(m, g);
  }
  return order.map((model) => ({ model, series: pointsOf(window, byModel.get(model ?? '') ?? new Map()) }));
}

function agentFigures(agent: string | null, sums: Sums, hist: readonly number[], latencyMax: number): AgentPerf {
  return {
    agent,
    ...summarize(sums, hist, latencyMax),
    p50LatencyMs: percentileFromHistogram(hist, 0.5, latencyMax),
  };
}

/**
 * Named agents, plus one `agent: null` entry for the requests no agent was attributed to: the
 * total minus the agents, sums and histogram alike. Its largest latency is not known apart from
 * the total's, which then caps its top percentile bucket.
 */
export function agentPerf(groups: readonly AgentGroup[], total: readonly PerfGroup[]): AgentPerf[] {
  const byAgent = new Map<string, { sums: Sums; hist: number[]; latencyMax: number }>();
  for (const g of groups) {
    let m = byAgent.get(g.agent);
    if (!m) {
      m = { sums: emptySums(), hist: new Array<number>(LATENCY_BUCKETS).fill(0), latencyMax: 0 };
      byAgent.set(g.agent, m);
    }
    addSums(m.sums, g);
    for (let i = 0; i < LATENCY_BUCKETS; i++) (m.hist[i] as number) += g.hist[i] ?? 0;
    if (g.latencyMax > m.latencyMax) m.latencyMax = g.latencyMax;
  }
  const out = [...byAgent]
    .map(([agent, m]) => agentFigures(agent, m.sums, m.hist, m.latencyMax))
    .sort(byRequestsThen((x) => x.agent ?? ''));
  const all = merge(total, () => '').get('');
  if (!all) return out;
  const rest = { ...all.sums };
  const hist = [...all.hist];
  for (const m of byAgent.values()) {
    for (const k of SUM_KEYS) rest[k] -= m.sums[k];
    for (let i = 0; i < LATENCY_BUCKETS; i++) (hist[i] as number) -= m.hist[i] ?? 0;
  }
  // Float subtraction leaves dust; these are never negative.
  rest.costUsd = Math.max(0, rest.costUsd);
  rest.latencySum = Math.max(0, rest.latencySum);
  rest.ttftSum = Math.max(0, rest.ttftSum);
  rest.tpsSum = Math.max(0, rest.tpsSum);
  if (rest.requests > 0) out.push(agentFigures(null, rest, hist, all.latencyMax));
  return out;
}

/** The requests no cost figure includes (their models have no price), from the per-model figures. */
export function unpricedUse(models: readonly ModelPerf[]): UnpricedUse {
  let requests = 0;
  const named: string[] = [];
  // `models` is most requests first, the order the answer lists them in.
  for (const m of models) {
    if (!costUnknown(m)) continue;
    requests += m.requests;
    if (m.model !== null) named.push(m.model);
  }
  return { requests, models: named };
}

export function assembleAnalytics(
  q: AnalyticsQuery,
  window: AnalyticsWindow,
  groups: {
    series: readonly SeriesGroup[];
    perf: readonly PerfGroup[];
    agents: readonly AgentGroup[];
    /** The window of the same length before `window`; undefined when it has no requests. */
    previous: TotalGroup | undefined;
  },
  names: ReadonlyMap<string, string>,
): AnalyticsResult {
  const totals = totalPerf(groups.perf);
  const models = modelPerf(groups.perf);
  const span = window.to - window.from;
  const prev = groups.previous;
  return {
    range: q.range,
    from: window.from,
    to: window.to,
    bucketMs: window.bucketMs,
    filters: { accounts: q.accounts, models: q.models, agents: q.agents ?? [], status: q.status },
    totals,
    previous: {
      from: window.from - span,
      to: window.from,
      totals: prev && prev.requests > 0 ? summarize(prev, prev.hist, prev.latencyMax) : summarize(emptySums(), null, 0),
    },
    series: seriesPoints(window, groups.series),
    ...(q.modelSeries
      ? {
          modelSeries: modelSeries(
            window,
            groups.series,
            models.map((m) => m.model),
          ),
        }
      : {}),
    tokens: totals.tokens,
    models,
    accounts: accountPerf(groups.perf, names).map(({ lastTs: _, ...a }) => a),
    costByModel: models
      .map((m) => ({
        model: m.model,
        costUsd: m.costUsd,
        priced: !costUnknown(m),
        share: ratio(m.costUsd, totals.costUsd),
      }))
      .sort((a, b) => b.costUsd - a.costUsd || (a.model ?? '').localeCompare(b.model ?? '')),
    unpriced: unpricedUse(models),
    agents: agentPerf(groups.agents, groups.perf),
  };
}

export interface StatsAccountRow {
  id: string;
  name: string;
  lastUsedAt: number | null;
  requestCount: number;
  sessionRequestCount: number;
}

/** `accounts` in the order to list them (the store's account order); removed accounts follow. */
export function assembleStats(
  perf: readonly PerfGroup[],
  accounts: readonly StatsAccountRow[],
  recentErrors: RecentError[],
  since: number | null,
  agents: readonly AgentGroup[] = [],
): StatsResult {
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const history = new Map(accountPerf(perf, names).map((a) => [a.accountId ?? '', a]));
  const list: StatsAccount[] = [];
  for (const a of accounts) {
    const h = history.get(a.id);
    history.delete(a.id);
    list.push({
      ...(h ?? { ...summarize(emptySums(), null, 0), accountId: a.id, name: a.name }),
      accountId: a.id,
      name: a.name,
      exists: true,
      lastUsedAt: a.lastUsedAt,
      requestCount: a.requestCount,
      sessionRequestCount: a.sessionRequestCount,
    });
  }
  for (const { lastTs, ...h } of history.values()) {
    list.push({ ...h, exists: false, lastUsedAt: lastTs, requestCount: null, sessionRequestCount: null });
  }
  return {
    since,
    totals: totalPerf(perf),
    unpriced: unpricedUse(modelPerf(perf)),
    accounts: list,
    agents: agentPerf(agents, perf),
    recentErrors,
  };
}
