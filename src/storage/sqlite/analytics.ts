/** `store.analytics` for SQLite: analytics and stats from the rollups (analytics/compute.ts does the figures). */
import type Database from 'better-sqlite3';
import {
  analyticsWindow,
  assembleAnalytics,
  assembleStats,
  type SeriesGroup,
  type StatsAccountRow,
} from '../analytics/compute.js';
import type {
  AccountTokenUsage,
  AnalyticsQuery,
  AnalyticsResult,
  AnalyticsStore,
  KeyTokenUsage,
  RecentError,
  StatsResult,
  TokenUsageDayRows,
  TokenUsageRows,
} from '../contract/analytics.js';
import {
  type AgentDbRow,
  type PerfDbRow,
  ROLLUP_TABLES,
  toAgentGroup,
  toPerfGroup,
  toTotalGroup,
} from '../rows/analytics-rows.js';
import { HIST_COLUMNS } from '../rows/rollup-rows.js';
import type { AccountFilter } from './account-filter.js';
import type { Bindable } from './connection.js';
import type { StatementCache } from './statement-cache.js';

/** Rollup columns summed into `Sums` (analytics/rollup.ts), as `alias`. */
const SUMS_SQL = `sum(requests) AS requests, sum(successes) AS successes, sum(latency_sum) AS latencySum,
  sum(ttft_sum) AS ttftSum, sum(ttft_count) AS ttftCount, sum(tps_sum) AS tpsSum, sum(tps_count) AS tpsCount,
  sum(input_tokens) AS inputTokens, sum(cache_read_tokens) AS cacheReadTokens,
  sum(cache_write_5m_tokens) AS cacheWrite5mTokens, sum(cache_write_1h_tokens) AS cacheWrite1hTokens,
  sum(output_tokens) AS outputTokens, sum(cost_usd) AS costUsd, sum(failovers) AS failovers`;

const PERF_SQL = `account_id AS accountId, model, max(account_name) AS accountName, ${SUMS_SQL},
  max(latency_max) AS latencyMax, max(last_ts) AS lastTs,
  ${HIST_COLUMNS.map((h) => `sum(${h}) AS ${h}`).join(', ')}`;

const AGENT_SQL = `agent, ${SUMS_SQL}, max(latency_max) AS latencyMax,
  ${HIST_COLUMNS.map((h) => `sum(${h}) AS ${h}`).join(', ')}`;

const TOTAL_SQL = `${SUMS_SQL}, max(latency_max) AS latencyMax,
  ${HIST_COLUMNS.map((h) => `sum(${h}) AS ${h}`).join(', ')}`;

const TOKEN_SUMS_SQL = `sum(requests) AS requests, sum(input_tokens) AS inputTokens,
  sum(cache_read_tokens) AS cacheReadTokens, sum(cache_write_5m_tokens) AS cacheWrite5mTokens,
  sum(cache_write_1h_tokens) AS cacheWrite1hTokens, sum(output_tokens) AS outputTokens, sum(cost_usd) AS costUsd`;

/** '' in a rollup key stands for no account (rollups.ts). */
const ACCOUNT_USAGE_SQL = `nullif(account_id, '') AS accountId, max(account_name) AS accountName, ${TOKEN_SUMS_SQL}`;

export class SqliteAnalytics implements AnalyticsStore {
  private readonly statsAccounts: Database.Statement<
    [],
    { id: string; name: string; last_used_at: number | null; request_count: number; session_request_count: number }
  >;
  private readonly accountNames: Database.Statement<[], { id: string; name: string }>;
  private readonly recentErrors: Database.Statement<[number], RecentError>;
  private readonly oldestHour: Database.Statement<[], { b: number | null }>;
  private readonly allTimePerf: Database.Statement<[], PerfDbRow>;
  private readonly allTimeAgents: Database.Statement<[], AgentDbRow>;

  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    private readonly accountFilter: AccountFilter,
  ) {
    this.statsAccounts = db.prepare(
      `SELECT id, name, last_used_at, request_count, session_request_count FROM accounts
       ORDER BY priority, created_at, name`,
    );
    this.accountNames = db.prepare('SELECT id, name FROM accounts');
    this.recentErrors = db.prepare(`SELECT id, ts, account_id AS accountId, account_name AS accountName,
        coalesce(model_applied, model_requested) AS model, method, path, status, error, latency_ms AS latencyMs
      FROM requests WHERE success = 0 ORDER BY ts DESC, id DESC LIMIT ?`);
    this.oldestHour = db.prepare('SELECT min(bucket) AS b FROM rollup_hour');
    this.allTimePerf = db.prepare(`SELECT ${PERF_SQL} FROM rollup_hour GROUP BY account_id, model`);
    this.allTimeAgents = db.prepare(`SELECT ${AGENT_SQL} FROM agent_rollup_hour GROUP BY agent`);
  }

  async query(q: AnalyticsQuery): Promise<AnalyticsResult> {
    const window = analyticsWindow(q.range, q.now);
    const tables = ROLLUP_TABLES[window.grain];
    const where = ['bucket >= ?', 'bucket < ?'];
    const params: Bindable[] = [window.from, window.to];
    if (q.accounts.length > 0) {
      const ids = this.accountFilter.resolve(q.accounts);
      where.push(`account_id IN (${ids.map(() => '?').join(', ')})`);
      params.push(...ids);
    }
    if (q.models.length > 0) {
      where.push(`model IN (${q.models.map(() => '?').join(', ')})`);
      params.push(...q.models);
    }
    if (q.status === 'success') where.push('success = 1');
    else if (q.status === 'error') where.push('success = 0');
    const agentFilter = q.agents ?? [];
    if (agentFilter.length > 0) {
      where.push(`agent IN (${agentFilter.map(() => '?').join(', ')})`);
      params.push(...agentFilter);
    }
    const cond = where.join(' AND ');
    // The agent rollups have every column of the main ones: filtered by agent, every figure reads them.
    const source = agentFilter.length > 0 ? tables.agent : tables.main;
    // Grouped by model too when per-model series are asked for: the total series is their sum.
    const byModel = q.modelSeries === true;
    const series = this.statements.get(
      `SELECT bucket - ((bucket - ?) % ?) AS bucket, ${byModel ? 'model, ' : ''}${SUMS_SQL},
        min(tps_min) AS tpsMin, max(tps_max) AS tpsMax
       FROM ${source} WHERE ${cond} GROUP BY 1${byModel ? ', 2' : ''}`,
    );
    // The same filters over the window before: one row of totals for the trends.
    const previous = this.statements.get(`SELECT ${TOTAL_SQL} FROM ${source} WHERE ${cond}`);
    const span = window.to - window.from;
    const perf = this.statements.get(`SELECT ${PERF_SQL} FROM ${source} WHERE ${cond} GROUP BY account_id, model`);
    const agents = this.statements.get(`SELECT ${AGENT_SQL} FROM ${tables.agent} WHERE ${cond} GROUP BY agent`);
    const read = this.db.transaction(() => ({
      series: series.all(window.from, window.bucketMs, ...params) as SeriesGroup[],
      perf: (perf.all(...params) as PerfDbRow[]).map(toPerfGroup),
      agents: (agents.all(...params) as AgentDbRow[]).map(toAgentGroup),
      previous: toTotalGroup(
        previous.get(window.from - span, window.from, ...params.slice(2)) as AgentDbRow | undefined,
      ),
      names: this.accountNames.all(),
    }));
    const got = read.deferred();
    return assembleAnalytics(q, window, got, new Map(got.names.map((a) => [a.id, a.name])));
  }

  async tokenWindow(from: number, to: number): Promise<TokenUsageRows> {
    const accounts = this.statements.get(
      `SELECT ${ACCOUNT_USAGE_SQL} FROM rollup_minute WHERE bucket >= ? AND bucket < ? GROUP BY account_id`,
    );
    const keys = this.statements.get(
      `SELECT client_key AS clientKey, ${TOKEN_SUMS_SQL} FROM key_rollup_minute
       WHERE bucket >= ? AND bucket < ? GROUP BY client_key`,
    );
    const read = this.db.transaction(() => ({
      accounts: accounts.all(from, to) as AccountTokenUsage[],
      keys: keys.all(from, to) as KeyTokenUsage[],
    }));
    return read.deferred();
  }

  async tokenDaily(from: number, to: number): Promise<TokenUsageDayRows> {
    const accounts = this.statements.get(
      `SELECT bucket - bucket % 86400000 AS day, ${ACCOUNT_USAGE_SQL} FROM rollup_hour
       WHERE bucket >= ? AND bucket < ? GROUP BY 1, account_id ORDER BY 1`,
    );
    const keys = this.statements.get(
      `SELECT bucket - bucket % 86400000 AS day, client_key AS clientKey, ${TOKEN_SUMS_SQL} FROM key_rollup_hour
       WHERE bucket >= ? AND bucket < ? GROUP BY 1, client_key ORDER BY 1`,
    );
    const read = this.db.transaction(() => ({
      accounts: accounts.all(from, to) as TokenUsageDayRows['accounts'],
      keys: keys.all(from, to) as TokenUsageDayRows['keys'],
    }));
    return read.deferred();
  }

  async stats(opts: { recentErrors: number }): Promise<StatsResult> {
    const read = this.db.transaction(() => ({
      perf: this.allTimePerf.all().map(toPerfGroup),
      agents: this.allTimeAgents.all().map(toAgentGroup),
      since: this.oldestHour.get()?.b ?? null,
      accounts: this.statsAccounts.all(),
      errors: this.recentErrors.all(Math.max(0, Math.floor(opts.recentErrors))),
    }));
    // One read transaction: totals, accounts and errors from the same snapshot.
    const { perf, agents, since, accounts, errors } = read.deferred();
    const rows: StatsAccountRow[] = accounts.map((a) => ({
      id: a.id,
      name: a.name,
      lastUsedAt: a.last_used_at,
      requestCount: a.request_count,
      sessionRequestCount: a.session_request_count,
    }));
    return assembleStats(perf, rows, errors, since, agents);
  }
}
