/** `store.analytics` on PostgreSQL: analytics and stats from the rollups (analytics/compute.ts does the figures). */
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
import { resolveAccounts } from './account-filter.js';
import type { PgPool } from './connection.js';
import { inSnapshot, type PgValue } from './pg-sql.js';

/** Rollup columns summed into `Sums` (analytics/rollup.ts); aliases quoted, PostgreSQL folds them otherwise. */
const SUMS_SQL = `sum(requests) AS requests, sum(successes) AS successes, sum(latency_sum) AS "latencySum",
  sum(ttft_sum) AS "ttftSum", sum(ttft_count) AS "ttftCount", sum(tps_sum) AS "tpsSum", sum(tps_count) AS "tpsCount",
  sum(input_tokens) AS "inputTokens", sum(cache_read_tokens) AS "cacheReadTokens",
  sum(cache_write_5m_tokens) AS "cacheWrite5mTokens", sum(cache_write_1h_tokens) AS "cacheWrite1hTokens",
  sum(output_tokens) AS "outputTokens", sum(cost_usd) AS "costUsd", sum(failovers) AS failovers`;

const HIST_SUMS = HIST_COLUMNS.map((h) => `sum(${h}) AS ${h}`).join(', ');

const PERF_SQL = `account_id AS "accountId", model, max(account_name) AS "accountName", ${SUMS_SQL},
  max(latency_max) AS "latencyMax", max(last_ts) AS "lastTs", ${HIST_SUMS}`;

const AGENT_SQL = `agent, ${SUMS_SQL}, max(latency_max) AS "latencyMax", ${HIST_SUMS}`;

const TOTAL_SQL = `${SUMS_SQL}, max(latency_max) AS "latencyMax", ${HIST_SUMS}`;

const TOKEN_SUMS_SQL = `sum(requests) AS requests, sum(input_tokens) AS "inputTokens",
  sum(cache_read_tokens) AS "cacheReadTokens", sum(cache_write_5m_tokens) AS "cacheWrite5mTokens",
  sum(cache_write_1h_tokens) AS "cacheWrite1hTokens", sum(output_tokens) AS "outputTokens", sum(cost_usd) AS "costUsd"`;

/** '' in a rollup key stands for no account (rollups.ts). */
const ACCOUNT_USAGE_SQL = `nullif(account_id, '') AS "accountId", max(account_name) AS "accountName", ${TOKEN_SUMS_SQL}`;

export class PgAnalytics implements AnalyticsStore {
  constructor(private readonly pool: PgPool) {}

  async query(q: AnalyticsQuery): Promise<AnalyticsResult> {
    const window = analyticsWindow(q.range, q.now);
    const tables = ROLLUP_TABLES[window.grain];
    // Filters after the two bucket bounds ($1, $2); the previous window binds its own bounds there.
    const where = ['bucket >= $1', 'bucket < $2'];
    const params: PgValue[] = [];
    const p = (v: PgValue) => {
      params.push(v);
      return `$${params.length + 2}`;
    };
    if (q.accounts.length > 0) {
      const ids = await resolveAccounts(this.pool, q.accounts);
      where.push(`account_id IN (${ids.map(p).join(', ')})`);
    }
    if (q.models.length > 0) where.push(`model IN (${q.models.map(p).join(', ')})`);
    if (q.status === 'success') where.push('success = 1');
    else if (q.status === 'error') where.push('success = 0');
    const agentFilter = q.agents ?? [];
    if (agentFilter.length > 0) where.push(`agent IN (${agentFilter.map(p).join(', ')})`);
    const cond = where.join(' AND ');
    // The agent rollups have every column of the main ones: filtered by agent, every figure reads them.
    const source = agentFilter.length > 0 ? tables.agent : tables.main;
    // Grouped by model too when per-model series are asked for: the total series is their sum.
    const byModel = q.modelSeries === true;
    const n = params.length + 2;
    const seriesSql = `SELECT bucket - ((bucket - $${n + 1}) % $${n + 2}) AS bucket, ${byModel ? 'model, ' : ''}${SUMS_SQL},
        min(tps_min) AS "tpsMin", max(tps_max) AS "tpsMax"
       FROM ${source} WHERE ${cond} GROUP BY 1${byModel ? ', 2' : ''}`;
    const span = window.to - window.from;
    const inWindow: PgValue[] = [window.from, window.to, ...params];
    const got = await inSnapshot(this.pool, async (c) => ({
      series: (await c.query(seriesSql, [...inWindow, window.from, window.bucketMs])).rows as SeriesGroup[],
      perf: (
        (await c.query(`SELECT ${PERF_SQL} FROM ${source} WHERE ${cond} GROUP BY account_id, model`, inWindow))
          .rows as PerfDbRow[]
      ).map(toPerfGroup),
      agents: (
        (await c.query(`SELECT ${AGENT_SQL} FROM ${tables.agent} WHERE ${cond} GROUP BY agent`, inWindow))
          .rows as AgentDbRow[]
      ).map(toAgentGroup),
      // The same filters over the window before: one row of totals for the trends.
      previous: toTotalGroup(
        (
          await c.query(`SELECT ${TOTAL_SQL} FROM ${source} WHERE ${cond}`, [
            window.from - span,
            window.from,
            ...params,
          ])
        ).rows[0] as AgentDbRow | undefined,
      ),
      names: (await c.query<{ id: string; name: string }>('SELECT id, name FROM accounts')).rows,
    }));
    return assembleAnalytics(q, window, got, new Map(got.names.map((a) => [a.id, a.name])));
  }

  async tokenWindow(from: number, to: number): Promise<TokenUsageRows> {
    return inSnapshot(this.pool, async (c) => ({
      accounts: (
        await c.query(
          `SELECT ${ACCOUNT_USAGE_SQL} FROM rollup_minute WHERE bucket >= $1 AND bucket < $2 GROUP BY account_id`,
          [from, to],
        )
      ).rows as AccountTokenUsage[],
      keys: (
        await c.query(
          `SELECT client_key AS "clientKey", ${TOKEN_SUMS_SQL} FROM key_rollup_minute
           WHERE bucket >= $1 AND bucket < $2 GROUP BY client_key`,
          [from, to],
        )
      ).rows as KeyTokenUsage[],
    }));
  }

  async tokenDaily(from: number, to: number): Promise<TokenUsageDayRows> {
    return inSnapshot(this.pool, async (c) => ({
      accounts: (
        await c.query(
          `SELECT bucket - bucket % 86400000 AS day, ${ACCOUNT_USAGE_SQL} FROM rollup_hour
           WHERE bucket >= $1 AND bucket < $2 GROUP BY 1, account_id ORDER BY 1`,
          [from, to],
        )
      ).rows as TokenUsageDayRows['accounts'],
      keys: (
        await c.query(
          `SELECT bucket - bucket % 86400000 AS day, client_key AS "clientKey", ${TOKEN_SUMS_SQL} FROM key_rollup_hour
           WHERE bucket >= $1 AND bucket < $2 GROUP BY 1, client_key ORDER BY 1`,
          [from, to],
        )
      ).rows as TokenUsageDayRows['keys'],
    }));
  }

  async stats(opts: { recentErrors: number }): Promise<StatsResult> {
    // One snapshot: totals, accounts and errors agree.
    const { perf, agents, since, accounts, errors } = await inSnapshot(this.pool, async (c) => ({
      perf: ((await c.query(`SELECT ${PERF_SQL} FROM rollup_hour GROUP BY account_id, model`)).rows as PerfDbRow[]).map(
        toPerfGroup,
      ),
      agents: ((await c.query(`SELECT ${AGENT_SQL} FROM agent_rollup_hour GROUP BY agent`)).rows as AgentDbRow[]).map(
        toAgentGroup,
      ),
      since: (await c.query<{ b: number | null }>('SELECT min(bucket) AS b FROM rollup_hour')).rows[0]?.b ?? null,
      accounts: (
        await c.query<{
          id: string;
          name: string;
          last_used_at: number | null;
          request_count: number;
          session_request_count: number;
        }>(
          `SELECT id, name, last_used_at, request_count, session_request_count FROM accounts
           ORDER BY priority, created_at, name`,
        )
      ).rows,
      errors: (
        await c.query<RecentError>(
          `SELECT id, ts, account_id AS "accountId", account_name AS "accountName",
             coalesce(model_applied, model_requested) AS model, method, path, status, error, latency_ms AS "latencyMs"
           FROM requests WHERE success = 0 ORDER BY ts DESC, id DESC LIMIT $1`,
          [Math.max(0, Math.floor(opts.recentErrors))],
        )
      ).rows,
    }));
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
