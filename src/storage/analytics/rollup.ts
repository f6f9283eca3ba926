/**
 * Rollups: per-minute and per-hour aggregates of request records by (account, model, outcome),
 * and the same by (agent, account, model, outcome) for attributed requests, kept by the batched writer in the same transaction as the rows. Analytics and
 * stats read them instead of scanning rows, so their cost follows the number of buckets and
 * combinations, not the number of requests. Back-end independent: a batch is folded here in
 * memory and each back-end only upserts the resulting cells.
 */
import { failoversOf } from '../../shared/attempts.js';
import type { RequestRecord, RequestTokens, TokenSums } from '../contract/records.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * Upper bounds (exclusive, ms) of the latency histogram; the last bucket is open-ended.
 * Part of the schema (columns h0..h26 of the rollup tables, migration 2): changing them needs a
 * new migration, never an edit.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  50, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10_000, 15_000, 20_000, 30_000,
  45_000, 60_000, 90_000, 120_000, 180_000, 300_000, 600_000,
];
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** Minute rollups only serve ranges up to a day; older ones are pruned after this long. */
export const MINUTE_ROLLUP_KEEP_MS = 2 * DAY_MS;

export function latencyBucket(ms: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms >= (LATENCY_BOUNDS_MS[i] as number)) i++;
  return i;
}

/** Additive sums of a group of requests, as the rollups hold them. */
export interface Sums extends TokenSums {
  requests: number;
  successes: number;
  latencySum: number;
  ttftSum: number;
  ttftCount: number;
  tpsSum: number;
  tpsCount: number;
  costUsd: number;
  failovers: number;
}

/** The additive sums, plus the parts that only merge by min, max or bucket-wise. */
export interface RollupCell extends Sums {
  latencyMax: number;
  lastTs: number;
  hist: number[];
  /** Slowest and fastest output tokens/s of the cell's requests; null when none had a speed. */
  tpsMin: number | null;
  tpsMax: number | null;
}

export interface RollupDelta extends RollupCell {
  bucket: number;
  /** '' for none: key columns are NOT NULL so upserts can match them. */
  accountId: string;
  accountName: string | null;
  model: string;
  success: 0 | 1;
}

/** The same cell with the agent as one more key: every figure can then be filtered by agent. */
export interface AgentRollupDelta extends RollupDelta {
  agent: string;
}

/** Tokens and cost of one client key's requests in a bucket (requests made without a key are not kept). */
export interface KeyRollupDelta extends TokenSums {
  bucket: number;
  clientKey: string;
  requests: number;
  costUsd: number;
}

export interface RollupDeltas {
  minute: RollupDelta[];
  hour: RollupDelta[];
  agentMinute: AgentRollupDelta[];
  agentHour: AgentRollupDelta[];
  keyMinute: KeyRollupDelta[];
  keyHour: KeyRollupDelta[];
}

/** The model analytics group by: the one that answered, else the one asked for (errors). */
export function rollupModel(r: Pick<RequestRecord, 'modelApplied' | 'modelRequested'>): string {
  return r.modelApplied ?? r.modelRequested ?? '';
}

function finite(v: number | null | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** A class, not spread literals: V8 keeps its fields in-object, which the per-record fold relies on. */
class Cell implements RollupDelta {
  requests = 0;
  successes = 0;
  latencySum = 0;
  latencyMax = 0;
  ttftSum = 0;
  ttftCount = 0;
  tpsSum = 0;
  tpsCount = 0;
  inputTokens = 0;
  cacheReadTokens = 0;
  cacheWrite5mTokens = 0;
  cacheWrite1hTokens = 0;
  outputTokens = 0;
  costUsd = 0;
  failovers = 0;
  lastTs = 0;
  hist: number[] = new Array<number>(LATENCY_BUCKETS).fill(0);
  tpsMin: number | null = null;
  tpsMax: number | null = null;

  constructor(
    public bucket: number,
    public accountId: string,
    public accountName: string | null,
    public model: string,
    public success: 0 | 1,
  ) {}
}

class AgentCell extends Cell implements AgentRollupDelta {
  constructor(
    bucket: number,
    public agent: string,
    accountId: string,
    accountName: string | null,
    model: string,
    success: 0 | 1,
  ) {
    super(bucket, accountId, accountName, model, success);
  }
}

function addTokens(c: TokenSums, r: RequestTokens): void {
  c.inputTokens += finite(r.inputTokens);
  c.cacheReadTokens += finite(r.cacheReadTokens);
  c.cacheWrite5mTokens += finite(r.cacheWrite5mTokens);
  c.cacheWrite1hTokens += finite(r.cacheWrite1hTokens);
  c.outputTokens += finite(r.outputTokens);
}

function addRecord(c: RollupCell, r: RequestRecord, latency: number, bucket: number): void {
  c.requests += 1;
  if (r.success) c.successes += 1;
  c.latencySum += latency;
  if (latency > c.latencyMax) c.latencyMax = latency;
  if (r.ttftMs != null && Number.isFinite(r.ttftMs)) {
    c.ttftSum += r.ttftMs;
    c.ttftCount += 1;
  }
  if (r.outputTokensPerSecond != null && Number.isFinite(r.outputTokensPerSecond)) {
    const tps = r.outputTokensPerSecond;
    c.tpsSum += tps;
    c.tpsCount += 1;
    if (c.tpsMin === null || tps < c.tpsMin) c.tpsMin = tps;
    if (c.tpsMax === null || tps > c.tpsMax) c.tpsMax = tps;
  }
  addTokens(c, r);
  c.costUsd += finite(r.costUsd);
  c.failovers += failoversOf(r.attemptLog);
  if (r.ts > c.lastTs) c.lastTs = r.ts;
  (c.hist[bucket] as number) += 1;
}

/**
 * Folds a batch into one delta per (bucket, account, model, outcome) per grain, so a batch of
 * 200 records costs a few dozen upserts rather than 200.
 */
export function rollupDeltas(records: readonly RequestRecord[]): RollupDeltas {
  const minute = new Map<string, RollupDelta>();
  const hour = new Map<string, RollupDelta>();
  const agentMinute = new Map<string, AgentRollupDelta>();
  const agentHour = new Map<string, AgentRollupDelta>();
  const keyMinute = new Map<string, KeyRollupDelta>();
  const keyHour = new Map<string, KeyRollupDelta>();
  for (const r of records) {
    const accountId = r.accountId ?? '';
    const model = rollupModel(r);
    const success: 0 | 1 = r.success ? 1 : 0;
    const latency = Math.max(0, finite(r.latencyMs));
    const hb = latencyBucket(latency);
    const m = r.ts - (r.ts % MINUTE_MS);
    const h = r.ts - (r.ts % HOUR_MS);
    const tail = `\u0000${accountId}\u0000${model}\u0000${success}`;
    addRecord(cell(minute, m, tail, accountId, model, success, r), r, latency, hb);
    addRecord(cell(hour, h, tail, accountId, model, success, r), r, latency, hb);
    if (r.clientKey != null) {
      addKeyRecord(keyCell(keyMinute, m, r.clientKey), r);
      addKeyRecord(keyCell(keyHour, h, r.clientKey), r);
    }
    if (r.agent == null) continue;
    const agentTail = `\u0000${r.agent}${tail}`;
    addRecord(agentCell(agentMinute, m, agentTail, r.agent, accountId, model, success, r), r, latency, hb);
    addRecord(agentCell(agentHour, h, agentTail, r.agent, accountId, model, success, r), r, latency, hb);
  }
  return {
    minute: [...minute.values()],
    hour: [...hour.values()],
    agentMinute: [...agentMinute.values()],
    agentHour: [...agentHour.values()],
    keyMinute: [...keyMinute.values()],
    keyHour: [...keyHour.values()],
  };
}

function keyCell(map: Map<string, KeyRollupDelta>, bucket: number, clientKey: string): KeyRollupDelta {
  const key = `${bucket}\u0000${clientKey}`;
  let d = map.get(key);
  if (!d) {
    d = {
      bucket,
      clientKey,
      requests: 0,
      inputTokens: 0,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    };
    map.set(key, d);
  }
  return d;
}

function addKeyRecord(d: KeyRollupDelta, r: RequestRecord): void {
  d.requests += 1;
  addTokens(d, r);
  d.costUsd += finite(r.costUsd);
}

function cell(
  map: Map<string, RollupDelta>,
  bucket: number,
  tail: string,
  accountId: string,
  model: string,
  success: 0 | 1,
  r: RequestRecord,
): RollupDelta {
  const key = `${bucket}${tail}`;
  let d = map.get(key);
  if (!d) {
    d = new Cell(bucket, accountId, r.accountName, model, success);
    map.set(key, d);
  } else if (r.accountName !== null) {
    d.accountName = r.accountName;
  }
  return d;
}

function agentCell(
  map: Map<string, AgentRollupDelta>,
  bucket: number,
  tail: string,
  agent: string,
  accountId: string,
  model: string,
  success: 0 | 1,
  r: RequestRecord,
): AgentRollupDelta {
  const key = `${bucket}${tail}`;
  let d = map.get(key);
  if (!d) {
    d = new AgentCell(bucket, agent, accountId, r.accountName, model, success);
    map.set(key, d);
  } else if (r.accountName !== null) {
    d.accountName = r.accountName;
  }
  return d;
}

/**
 * Estimates the p-quantile (0..1) of a histogram over LATENCY_BOUNDS_MS: the 1-based rank
 * 1 + p(n - 1) is located in its bucket and interpolated linearly between the bucket's bounds,
 * the upper one capped by the largest value seen (which also closes the open last bucket), so
 * p = 1, or a single value, gives the largest value exactly.
 */
export function percentileFromHistogram(hist: readonly number[], p: number, maxValue: number): number | null {
  let n = 0;
  for (const c of hist) n += c;
  if (n === 0) return null;
  const rank = 1 + p * (n - 1);
  let cum = 0;
  for (let i = 0; i < hist.length; i++) {
    const c = hist[i] as number;
    if (c > 0 && cum + c >= rank) {
      const hi = Math.min(i < LATENCY_BOUNDS_MS.length ? (LATENCY_BOUNDS_MS[i] as number) : maxValue, maxValue);
      const lo = Math.min(i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] as number), hi);
      return lo + ((hi - lo) * (rank - cum)) / c;
    }
    cum += c;
  }
  return maxValue;
}
