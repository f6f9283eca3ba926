/**
 * SQL behind RequestQueryStore for the SQLite store: the paged request list (one cached
 * statement per filter combination so the planner can use the matching page index), stats and
 * analytics from the rollups, retention and compaction.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import {
  type AgentGroup,
  analyticsWindow,
  assembleAnalytics,
  assembleStats,
  type PerfGroup,
  type RollupGrain,
  type SeriesGroup,
  type StatsAccountRow,
} from '../analytics/compute.js';
import { HOUR_MS, MINUTE_MS, MINUTE_ROLLUP_KEEP_MS } from '../analytics/rollup.js';
import type { AnalyticsQuery, AnalyticsResult, RecentError, StatsResult } from '../contract/analytics.js';
import type { CompactResult, PruneCutoffs, PruneResult, StorageSummary } from '../contract/maintenance.js';
import type { RequestListQuery, RequestSummary, RequestSummaryPage } from '../contract/requests.js';
import type { RequestQueryStore } from '../contract/store.js';
import type { PayloadFiles } from '../payloads/payload-files.js';
import { MEMORY_PATH } from './connection.js';
import { type RequestColumnsRow, requestFields } from './request-rows.js';
import { HIST_COLUMNS } from './rollups.js';

type Bindable = string | number | null;

interface SummaryDbRow extends RequestColumnsRow {
  has_payload: number;
}

function toSummary(r: SummaryDbRow): RequestSummary {
  return { ...requestFields(r), hasPayload: r.has_payload !== 0 };
}

/** hasPayload: a segment file reference, else a row of the legacy table (written before version 5). */
const SUMMARY_COLUMNS = `r.id, r.ts, r.method, r.path, r.account_id, r.account_name, r.status, r.success, r.error,
  r.latency_ms, r.ttft_ms, r.attempts, r.model_requested, r.model_applied, r.agent, r.session_id, r.client_key,
  r.stream, r.stop_reason, r.input_tokens, r.cache_read_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens,
  r.output_tokens, r.cost_usd, r.output_tokens_per_second,
  CASE WHEN r.payload_file IS NOT NULL THEN 1
    ELSE EXISTS (SELECT 1 FROM request_payloads p WHERE p.request_id = r.id) END AS has_payload`;

/** Same expression as the requests_model_page index, so the planner can use it. */
const MODEL_EXPR = 'coalesce(r.model_applied, r.model_requested)';

/** Rollup columns summed into `Sums` (analytics/rollup.ts), as `alias`. */
const SUMS_SQL = `sum(requests) AS requests, sum(successes) AS successes, sum(latency_sum) AS latencySum,
  sum(ttft_sum) AS ttftSum, sum(ttft_count) AS ttftCount, sum(tps_sum) AS tpsSum, sum(tps_count) AS tpsCount,
  sum(input_tokens) AS inputTokens, sum(cache_read_tokens) AS cacheReadTokens,
  sum(cache_write_5m_tokens) AS cacheWrite5mTokens, sum(cache_write_1h_tokens) AS cacheWrite1hTokens,
  sum(output_tokens) AS outputTokens, sum(cost_usd) AS costUsd, sum(failovers) AS failovers`;

const AGENT_SUMS_SQL = `sum(requests) AS requests, sum(input_tokens) AS inputTokens,
  sum(cache_read_tokens) AS cacheReadTokens, sum(cache_write_5m_tokens) AS cacheWrite5mTokens,
  sum(cache_write_1h_tokens) AS cacheWrite1hTokens, sum(output_tokens) AS outputTokens, sum(cost_usd) AS costUsd`;

const PERF_SQL = `account_id AS accountId, model, max(account_name) AS accountName, ${SUMS_SQL},
  max(latency_max) AS latencyMax, max(last_ts) AS lastTs,
  ${HIST_COLUMNS.map((h) => `sum(${h}) AS ${h}`).join(', ')}`;

type PerfDbRow = Omit<PerfGroup, 'hist'> & Record<string, number>;

function toPerfGroup(r: PerfDbRow): PerfGroup {
  const hist = HIST_COLUMNS.map((h) => r[h] ?? 0);
  return {
    accountId: r.accountId,
    accountName: r.accountName,
    model: r.model,
    requests: r.requests,
    successes: r.successes,
    latencySum: r.latencySum,
    ttftSum: r.ttftSum,
    ttftCount: r.ttftCount,
    tpsSum: r.tpsSum,
    tpsCount: r.tpsCount,
    inputTokens: r.inputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWrite5mTokens: r.cacheWrite5mTokens,
    cacheWrite1hTokens: r.cacheWrite1hTokens,
    outputTokens: r.outputTokens,
    costUsd: r.costUsd,
    failovers: r.failovers,
    latencyMax: r.latencyMax,
    lastTs: r.lastTs,
    hist,
  };
}

/**
 * The request list query: one more row than asked for (whether another page exists). Built from
 * the filters in use only, so the planner sees plain conditions and picks the matching page index.
 * `accountIds`: the account filter resolved to ids (null: no account filter).
 */
export function listSummariesQuery(
  q: RequestListQuery,
  accountIds: readonly string[] | null,
): { sql: string; params: Bindable[]; limit: number } {
  const where: string[] = [];
  const params: Bindable[] = [];
  if (q.before) {
    where.push('(r.ts, r.id) < (?, ?)');
    params.push(q.before.ts, q.before.id);
  }
  if (q.since !== undefined) {
    where.push('r.ts >= ?');
    params.push(q.since);
  }
  if (q.until !== undefined) {
    where.push('r.ts < ?');
    params.push(q.until);
  }
  if (accountIds !== null) {
    where.push(
      accountIds.length === 1 ? 'r.account_id = ?' : `r.account_id IN (${accountIds.map(() => '?').join(', ')})`,
    );
    params.push(...accountIds);
  }
  if (q.model !== undefined) {
    where.push(`${MODEL_EXPR} = ?`);
    params.push(q.model);
  }
  if (q.status === 'success') where.push('r.success = 1');
  // A literal, not a parameter: the partial error index only applies when the planner can see it.
  else if (q.status === 'error') where.push('r.success = 0');
  else if (typeof q.status === 'number') {
    where.push('r.status = ?');
    params.push(q.status);
  }
  if (q.agent !== undefined) {
    where.push('r.agent = ?');
    params.push(q.agent);
  }
  if (q.session !== undefined) {
    where.push('r.session_id = ?');
    params.push(q.session);
  }
  const limit = Math.max(0, Math.floor(q.limit));
  params.push(limit + 1);
  const sql = `SELECT ${SUMMARY_COLUMNS} FROM requests r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY r.ts DESC, r.id DESC LIMIT ?`;
  return { sql, params, limit };
}

const ROLLUP_TABLES: Record<RollupGrain, { main: string; agent: string }> = {
  minute: { main: 'rollup_minute', agent: 'agent_rollup_minute' },
  hour: { main: 'rollup_hour', agent: 'agent_rollup_hour' },
};

/** meta key: payload references of rows with ts below it have been cleared by retention. */
export const PAYLOADS_PRUNED_KEY = 'payloads_pruned_before';

/** Rows per DELETE: each chunk holds the write lock for a few ms, so the record writer keeps going. */
const PRUNE_CHUNK = 2000;
const STATEMENT_CACHE_MAX = 64;

/** Where the compiled compaction worker is: next to this file, or under dist/ when running from source. */
function compactWorkerUrl(): URL {
  const sibling = new URL('./compact-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../../dist/src/storage/sqlite/compact-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new GatewayError('internal', 'The compaction worker is not built; run `npm run build`');
}

function fileBytes(path: string): number {
  let n = 0;
  for (const p of [path, `${path}-wal`]) {
    try {
      n += statSync(p).size;
    } catch {
      // No WAL file right after a truncating checkpoint.
    }
  }
  return n;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SqliteRequestQueries implements RequestQueryStore {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly accountIdsByToken: Database.Statement<[string, string], { id: string }>;
  private readonly accountIdsByRecordedName: Database.Statement<[string], { id: string }>;
  private readonly statsAccounts: Database.Statement<
    [],
    { id: string; name: string; last_used_at: number | null; request_count: number; session_request_count: number }
  >;
  private readonly accountNames: Database.Statement<[], { id: string; name: string }>;
  private readonly recentErrors: Database.Statement<[number], RecentError>;
  private readonly oldestHour: Database.Statement<[], { b: number | null }>;
  private readonly allTimePerf: Database.Statement<[], PerfDbRow>;
  private readonly resetUsage: Database.Statement<[]>;

  constructor(
    private readonly db: Database.Database,
    /** The database file, or `:memory:`. */
    private readonly path: string,
    private readonly payloadFiles: PayloadFiles | null = null,
  ) {
    this.accountIdsByToken = db.prepare('SELECT id FROM accounts WHERE id = ? OR name = ?');
    this.accountIdsByRecordedName = db.prepare(
      `SELECT DISTINCT account_id AS id FROM rollup_hour WHERE account_name = ? AND account_id <> ''`,
    );
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
    this.resetUsage = db.prepare('UPDATE accounts SET request_count = 0, session_request_count = 0');
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      if (this.statements.size >= STATEMENT_CACHE_MAX) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async listRequestSummaries(q: RequestListQuery): Promise<RequestSummaryPage> {
    const accountIds = q.account === undefined ? null : this.resolveAccounts([q.account]);
    const { sql, params, limit } = listSummariesQuery(q, accountIds);
    const rows = this.statement(sql).all(...params) as SummaryDbRow[];
    return { items: rows.slice(0, limit).map(toSummary), more: rows.length > limit };
  }

  async requestStats(opts: { recentErrors: number }): Promise<StatsResult> {
    const read = this.db.transaction(() => ({
      perf: this.allTimePerf.all().map(toPerfGroup),
      since: this.oldestHour.get()?.b ?? null,
      accounts: this.statsAccounts.all(),
      errors: this.recentErrors.all(Math.max(0, Math.floor(opts.recentErrors))),
    }));
    // One read transaction: totals, accounts and errors from the same snapshot.
    const { perf, since, accounts, errors } = read.deferred();
    const rows: StatsAccountRow[] = accounts.map((a) => ({
      id: a.id,
      name: a.name,
      lastUsedAt: a.last_used_at,
      requestCount: a.request_count,
      sessionRequestCount: a.session_request_count,
    }));
    return assembleStats(perf, rows, errors, since);
  }

  async resetAccountUsage(): Promise<number> {
    return this.resetUsage.run().changes;
  }

  /** Ids the account filter stands for: current accounts by id or name, removed ones by recorded name. */
  private resolveAccounts(tokens: readonly string[]): string[] {
    const ids = new Set<string>();
    for (const t of tokens) {
      const found = this.accountIdsByToken.get(t, t);
      if (found) {
        ids.add(found.id);
        continue;
      }
      const recorded = this.accountIdsByRecordedName.all(t);
      // Not a known name: perhaps the id of a removed account.
      if (recorded.length === 0) ids.add(t);
      for (const r of recorded) ids.add(r.id);
    }
    return [...ids];
  }

  async analytics(q: AnalyticsQuery): Promise<AnalyticsResult> {
    const window = analyticsWindow(q.range, q.now);
    const tables = ROLLUP_TABLES[window.grain];
    const where = ['bucket >= ?', 'bucket < ?'];
    const params: Bindable[] = [window.from, window.to];
    if (q.accounts.length > 0) {
      const ids = this.resolveAccounts(q.accounts);
      where.push(`account_id IN (${ids.map(() => '?').join(', ')})`);
      params.push(...ids);
    }
    if (q.models.length > 0) {
      where.push(`model IN (${q.models.map(() => '?').join(', ')})`);
      params.push(...q.models);
    }
    if (q.status === 'success') where.push('success = 1');
    else if (q.status === 'error') where.push('success = 0');
    const cond = where.join(' AND ');
    const series = this.statement(
      `SELECT bucket - ((bucket - ?) % ?) AS bucket, ${SUMS_SQL} FROM ${tables.main} WHERE ${cond} GROUP BY 1`,
    );
    const perf = this.statement(`SELECT ${PERF_SQL} FROM ${tables.main} WHERE ${cond} GROUP BY account_id, model`);
    const agents = this.statement(`SELECT agent, ${AGENT_SUMS_SQL} FROM ${tables.agent} WHERE ${cond} GROUP BY agent`);
    const read = this.db.transaction(() => ({
      series: series.all(window.from, window.bucketMs, ...params) as SeriesGroup[],
      perf: (perf.all(...params) as PerfDbRow[]).map(toPerfGroup),
      agents: agents.all(...params) as AgentGroup[],
      names: this.accountNames.all(),
    }));
    const got = read.deferred();
    return assembleAnalytics(q, window, got, new Map(got.names.map((a) => [a.id, a.name])));
  }

  /** Deletes in chunks, yielding between them; returns the rows deleted. */
  private async deleteChunked(sql: string, ...params: Bindable[]): Promise<number> {
    const stmt = this.statement(sql);
    let total = 0;
    for (;;) {
      const n = stmt.run(...params, PRUNE_CHUNK).changes;
      total += n;
      if (n < PRUNE_CHUNK) return total;
      await yieldToEventLoop();
    }
  }

  /**
   * Clears the payload references of rows in [watermark, cut) in chunks bounded by ts through
   * requests_ts, moving the watermark with each chunk: a run reads only what expired since the
   * last one, never the whole history. Returns the rows cleared.
   */
  private async clearPayloadRefs(cut: number): Promise<number> {
    const getMark = this.statement('SELECT value FROM meta WHERE key = ?');
    const setMark = this.statement(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    // The ts PRUNE_CHUNK rows further on: the next chunk ends just before it.
    const chunkEnd = this.statement(
      'SELECT ts FROM requests WHERE ts >= ? AND ts < ? ORDER BY ts ASC, id ASC LIMIT 1 OFFSET ?',
    );
    const clear = this.statement(`UPDATE requests SET payload_file = NULL, payload_offset = NULL, payload_length = NULL
      WHERE ts >= ? AND ts < ? AND payload_file IS NOT NULL`);
    const step = this.db.transaction((lo: number, hi: number) => {
      const n = clear.run(lo, hi).changes;
      setMark.run(PAYLOADS_PRUNED_KEY, hi);
      return n;
    });
    const mark = (getMark.get(PAYLOADS_PRUNED_KEY) as { value: number } | undefined)?.value;
    let lo = mark === undefined ? Number.MIN_SAFE_INTEGER : Number(mark);
    let total = 0;
    while (lo < cut) {
      const next = (chunkEnd.get(lo, cut, PRUNE_CHUNK) as { ts: number } | undefined)?.ts;
      // Many rows sharing one ts: take them all rather than stall.
      const hi = next === undefined ? cut : Math.max(next, lo + 1);
      total += step.immediate(lo, hi);
      lo = hi;
      if (lo < cut) await yieldToEventLoop();
    }
    return total;
  }

  async pruneRequests(c: PruneCutoffs): Promise<PruneResult> {
    // A payload never outlives its request row (the delete trigger would take it anyway).
    const payloadCut = Math.max(c.payloadsBefore, c.requestsBefore);
    const refsCleared = await this.clearPayloadRefs(payloadCut);
    // After the references: a reader never finds a reference to a deleted file for long.
    this.payloadFiles?.deleteBefore(payloadCut);
    const legacyDeleted = await this.deleteChunked(
      'DELETE FROM request_payloads WHERE rowid IN (SELECT rowid FROM request_payloads WHERE ts < ? LIMIT ?)',
      payloadCut,
    );
    const requestsDeleted = await this.deleteChunked(
      'DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests WHERE ts < ? LIMIT ?)',
      c.requestsBefore,
    );
    // A rollup bucket goes once all of it has expired.
    const hourCut = c.requestsBefore - HOUR_MS;
    const minuteCut = Math.max(c.requestsBefore, c.now - MINUTE_ROLLUP_KEEP_MS) - MINUTE_MS;
    let rollupRowsDeleted = 0;
    for (const [table, key, cut] of [
      ['rollup_hour', 'bucket, account_id, model, success', hourCut],
      ['agent_rollup_hour', 'bucket, agent, account_id, model, success', hourCut],
      ['rollup_minute', 'bucket, account_id, model, success', minuteCut],
      ['agent_rollup_minute', 'bucket, agent, account_id, model, success', minuteCut],
    ] as const) {
      rollupRowsDeleted += await this.deleteChunked(
        `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE bucket <= ? LIMIT ?)`,
        cut,
      );
    }
    return { requestsDeleted, payloadsDeleted: refsCleared + legacyDeleted, rollupRowsDeleted };
  }

  async storageSummary(): Promise<StorageSummary> {
    const memory = this.path === MEMORY_PATH || this.path === '';
    // min(ts) is one step down the requests_ts index, not a scan.
    const oldest = this.statement('SELECT min(ts) AS oldest FROM requests').get() as { oldest: number | null };
    return {
      databaseBytes: memory ? 0 : fileBytes(this.path),
      payloadFileBytes: this.payloadFiles?.stats().bytes ?? 0,
      oldestRequestTs: oldest.oldest,
    };
  }

  async compact(): Promise<CompactResult> {
    if (this.path === MEMORY_PATH || this.path === '') {
      this.db.exec('VACUUM');
      return { beforeBytes: 0, afterBytes: 0 };
    }
    const beforeBytes = fileBytes(this.path);
    await runCompactWorker(this.path);
    return { beforeBytes, afterBytes: fileBytes(this.path) };
  }
}

/**
 * VACUUM rewrites the whole file: seconds for a large database. On its own connection in a
 * worker the event loop (and so the proxy) keeps running; only writers wait for the lock.
 */
function runCompactWorker(dbPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(compactWorkerUrl(), { workerData: { dbPath } });
    let settled = false;
    w.once('message', (msg: { ok: true } | { ok: false; message: string; code?: string }) => {
      settled = true;
      if (msg.ok) resolve();
      else reject(new GatewayError('internal', `Compaction failed: ${msg.message}`));
    });
    w.once('error', (err) => {
      if (settled) return;
      settled = true;
      reject(new GatewayError('internal', `Compaction failed: ${err.message}`, { cause: err }));
    });
    w.once('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new GatewayError('internal', `Compaction worker exited with code ${code}`));
    });
  });
}
