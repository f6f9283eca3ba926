/**
 * `store.analytics`: analytics and stats over request history. Figures are assembled by analytics/compute.ts from
 * grouped rollup rows, so back-ends only differ in how they fetch those rows.
 */

export interface TokenCounts {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
  total: number;
}

/** Figures of a set of requests; ratios and averages are null when nothing was there to divide. */
export interface PerfSummary {
  requests: number;
  successes: number;
  errors: number;
  successRate: number | null;
  avgLatencyMs: number | null;
  /** Estimated from the rollups' latency histogram (linear within a bucket). */
  p95LatencyMs: number | null;
  avgTtftMs: number | null;
  /** Mean of the per-request output tokens per second, over requests that have one. */
  outputTokensPerSecond: number | null;
  tokens: TokenCounts;
  costUsd: number;
  /** cache read / (input + cache read + cache write 5m + cache write 1h). */
  cacheHitRate: number | null;
  /** Moves to an account the request had not tried yet, summed (shared/attempts.ts; retries not counted). */
  failovers: number;
}

export interface ModelPerf extends PerfSummary {
  model: string | null;
}

export interface AccountPerf extends PerfSummary {
  accountId: string | null;
  /** The account's current name, or the last name recorded for a deleted one. */
  name: string | null;
}

export interface SeriesPoint {
  /** Bucket start, Unix ms. */
  ts: number;
  requests: number;
  successes: number;
  errors: number;
  successRate: number | null;
  avgLatencyMs: number | null;
  avgTtftMs: number | null;
  outputTokensPerSecond: number | null;
  /** Slowest and fastest single request's output tokens per second in the bucket. */
  outputTokensPerSecondMin: number | null;
  outputTokensPerSecondMax: number | null;
  tokens: TokenCounts;
  costUsd: number;
  cacheHitRate: number | null;
}

/** One model's series over the same buckets as the total series. */
export interface ModelSeries {
  /** null: no model known. */
  model: string | null;
  series: SeriesPoint[];
}

/** The window of the same length just before the asked one, with the same filters. */
export interface PreviousPeriod {
  from: number;
  to: number;
  totals: PerfSummary;
}

export interface CostShare {
  model: string | null;
  /** 0 for a model without a price (see `priced`). */
  costUsd: number;
  /** false: the model's requests have tokens but no cost (no price known for it): its cost is unknown, not 0. */
  priced: boolean;
  /** Of the total cost in the range; null when the total is 0. */
  share: number | null;
}

/** The figures of one agent's requests (by agent name: `main`, `subagent` or a sub-agent's name). */
export interface AgentPerf extends PerfSummary {
  /** null: requests attributed to no agent. */
  agent: string | null;
  /** Estimated from the latency histogram, as p95. */
  p50LatencyMs: number | null;
}

/**
 * Requests whose model has no price (tokens recorded, cost unknown: protocol.md section 6), which
 * no cost figure includes, so a total can say it is partial.
 */
export interface UnpricedUse {
  requests: number;
  /** Those models, most requests first. */
  models: string[];
}

export const ANALYTICS_RANGE_NAMES = ['1h', '6h', '24h', '7d', '30d'] as const;
export type AnalyticsRange = (typeof ANALYTICS_RANGE_NAMES)[number];
export type AnalyticsStatus = 'success' | 'error' | 'all';

export interface AnalyticsQuery {
  range: AnalyticsRange;
  now: number;
  /** Account ids or names (current, or as recorded for deleted accounts); empty = all. */
  accounts: string[];
  models: string[];
  /** Agent names; empty or absent = all (and then the unattributed rest is listed too). */
  agents?: string[];
  status: AnalyticsStatus;
  /** Also return one series per model (`modelSeries`). */
  modelSeries?: boolean;
}

export interface AnalyticsResult {
  range: AnalyticsRange;
  /** The window is whole buckets: [from, to), the last bucket holds `now`. */
  from: number;
  to: number;
  bucketMs: number;
  filters: { accounts: string[]; models: string[]; agents: string[]; status: AnalyticsStatus };
  totals: PerfSummary;
  /** Totals of the previous window of the same length, for trends. */
  previous: PreviousPeriod;
  /** One point per bucket, oldest first, empty buckets included. */
  series: SeriesPoint[];
  /** Per model, most requests first; only when the query asked for it. */
  modelSeries?: ModelSeries[];
  tokens: TokenCounts;
  models: ModelPerf[];
  accounts: AccountPerf[];
  costByModel: CostShare[];
  unpriced: UnpricedUse;
  /** Per agent, most requests first; the unattributed rest last (absent under an agent filter). */
  agents: AgentPerf[];
}

export interface StatsAccount extends AccountPerf {
  /** false for history of an account that was removed. */
  exists: boolean;
  lastUsedAt: number | null;
  /** The account's own counters (reset by `accounts.resetUsage`); null for removed accounts. */
  requestCount: number | null;
  sessionRequestCount: number | null;
}

export interface RecentError {
  id: string;
  ts: number;
  accountId: string | null;
  accountName: string | null;
  model: string | null;
  method: string;
  path: string;
  status: number | null;
  error: string | null;
  latencyMs: number;
}

export interface StatsResult {
  /** Oldest data the totals cover (start of its hour), null when there is none. */
  since: number | null;
  totals: PerfSummary;
  unpriced: UnpricedUse;
  accounts: StatsAccount[];
  /** Per agent over the same history, most requests first, the unattributed rest last. */
  agents: AgentPerf[];
  recentErrors: RecentError[];
}

/** Requests, tokens by kind and cost of a group of requests (token-usage figures). */
export interface TokenUsageSums {
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface AccountTokenUsage extends TokenUsageSums {
  /** null: requests no account served. */
  accountId: string | null;
  /** The name recorded on the requests (the current one is the caller's to add). */
  accountName: string | null;
}

export interface KeyTokenUsage extends TokenUsageSums {
  /** Client key name; requests made without a key are not counted per key. */
  clientKey: string;
}

export interface TokenUsageRows {
  accounts: AccountTokenUsage[];
  keys: KeyTokenUsage[];
}

export interface TokenUsageDayRows {
  /** `day`: start of the UTC day, Unix ms. */
  accounts: (AccountTokenUsage & { day: number })[];
  keys: (KeyTokenUsage & { day: number })[];
}

/** `store.analytics`. */
export interface AnalyticsStore {
  query(q: AnalyticsQuery): Promise<AnalyticsResult>;
  /**
   * Sums per account and per client key of the requests in [from, to), to the minute (the minute
   * rollups: `from` within the last two days).
   */
  tokenWindow(from: number, to: number): Promise<TokenUsageRows>;
  /** Sums per UTC day per account and per client key in [from, to), from the hour rollups. */
  tokenDaily(from: number, to: number): Promise<TokenUsageDayRows>;
  /** All retained history: totals, per account (every current account, plus removed ones with history), per agent, last errors. */
  stats(opts: { recentErrors: number }): Promise<StatsResult>;
}
