/**
 * `store.maintenance` on PostgreSQL: retention drops whole payload partitions (a day each) and
 * deletes the rest in chunks, clear-history, and sizes for `ccflare analyze`.
 */
import type { QueryConfig } from 'pg';
import { DAY_MS, HOUR_MS, MINUTE_MS, MINUTE_ROLLUP_KEEP_MS } from '../analytics/rollup.js';
import type {
  ClearHistoryCounts,
  CompactResult,
  DatabaseReport,
  IndexReport,
  MaintenanceStore,
  PruneCutoffs,
  PruneResult,
  QueryPlanReport,
  StorageSummary,
} from '../contract/maintenance.js';
import { type PgPool, redactUrl, withClient } from './connection.js';
import { detachedPartitions, listPartitions } from './payloads.js';
import type { PgValue } from './pg-sql.js';

/** Rows per DELETE: each chunk's locks are held briefly, so the record writers keep going. */
const PRUNE_CHUNK = 2000;
const CLEAR_CHUNK = 5000;

const ROLLUP_TABLES: ReadonlyArray<{ table: string; grain: 'minute' | 'hour' }> = [
  { table: 'rollup_minute', grain: 'minute' },
  { table: 'rollup_hour', grain: 'hour' },
  { table: 'agent_rollup_minute', grain: 'minute' },
  { table: 'agent_rollup_hour', grain: 'hour' },
  { table: 'key_rollup_minute', grain: 'minute' },
  { table: 'key_rollup_hour', grain: 'hour' },
];

/** Tables whose rows are history (clear-history empties them; the payload partitions go whole). */
const HISTORY_TABLES = ['requests', 'conversations', 'conversation_subtasks', 'conversation_analyses'];

/** The common reads, as the stores run them, for the query plans of the report. */
const COMMON_QUERIES: ReadonlyArray<[name: string, sql: string]> = [
  ['request list, newest first', 'SELECT id FROM requests ORDER BY ts DESC, id DESC LIMIT 50'],
  ['request list by account', "SELECT id FROM requests WHERE account_id = 'x' ORDER BY ts DESC, id DESC LIMIT 50"],
  [
    'request list by model',
    "SELECT id FROM requests WHERE coalesce(model_applied, model_requested) = 'x' ORDER BY ts DESC, id DESC LIMIT 50",
  ],
  ['request list by session', "SELECT id FROM requests WHERE session_id = 'x' ORDER BY ts DESC, id DESC LIMIT 50"],
  ['recent errors', 'SELECT id FROM requests WHERE success = 0 ORDER BY ts DESC, id DESC LIMIT 20'],
  ['request detail', "SELECT * FROM requests WHERE id = 'x'"],
  ['payload of a request', "SELECT * FROM request_payloads WHERE request_id = 'x' AND ts = 0"],
  ['retention: expired requests', 'SELECT id FROM requests WHERE ts < 0 LIMIT 1000'],
  ['analytics: hourly rollups in a range', 'SELECT * FROM rollup_hour WHERE bucket >= 0 AND bucket < 1'],
  ['analytics: minute rollups in a range', 'SELECT * FROM rollup_minute WHERE bucket >= 0 AND bucket < 1'],
];

/** Client-side limit of a maintenance statement allowed to run long. */
const UNTIMED_MS = 6 * 3_600_000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function walkPlan(
  node: PlanNode,
  depth: number,
  out: { lines: string[]; indexes: Set<string>; scans: string[] },
): void {
  const type = node['Node Type'] ?? '?';
  const on = node['Index Name'] ?? node['Relation Name'];
  out.lines.push(`${'  '.repeat(depth)}${type}${on ? ` on ${on}` : ''}`);
  if (node['Index Name']) out.indexes.add(node['Index Name']);
  else if (type === 'Seq Scan' && node['Relation Name']) out.scans.push(node['Relation Name']);
  for (const child of node.Plans ?? []) walkPlan(child, depth + 1, out);
}

export class PgMaintenance implements MaintenanceStore {
  constructor(private readonly pool: PgPool) {}

  /**
   * A statement that may rightly run long (VACUUM of a large table, a detach waiting for the
   * transactions using the partition): without the pool's 30 s statement timeout and its client
   * timeout, on a connection of its own.
   */
  private async untimed(sql: string): Promise<void> {
    await withClient(this.pool, async (c) => {
      await c.query('SET statement_timeout = 0');
      try {
        // node-postgres reads 0 as "the pool's default"; the type omits the per-query option.
        const config: QueryConfig & { query_timeout: number } = { text: sql, query_timeout: UNTIMED_MS };
        await c.query(config);
      } finally {
        await c.query('RESET statement_timeout');
      }
    });
  }

  /** Runs a chunked DELETE (`$1` the chunk size, then `params`) until a chunk comes back short. */
  private async deleteChunked(sql: string, params: PgValue[], chunk = PRUNE_CHUNK): Promise<number> {
    let total = 0;
    for (;;) {
      const n = (await this.pool.query(sql, [chunk, ...params])).rowCount ?? 0;
      total += n;
      if (n < chunk) return total;
      await yieldToEventLoop();
    }
  }

  /**
   * Payloads before `cut`: the partitions of whole days before it are dropped (counted first),
   * the rows of the day `cut` falls in are deleted.
   */
  private async prunePayloads(cut: number): Promise<number> {
    let total = 0;
    for (const p of await listPartitions(this.pool)) {
      if ((p.day + 1) * DAY_MS > cut) break;
      const n = (await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${p.name}`)).rows[0]?.n ?? 0;
      if (!(await this.detach(p.name))) continue;
      await this.pool.query(`DROP TABLE IF EXISTS ${p.name}`);
      total += n;
    }
    // Days a run stopped between detaching and dropping (killed, or the connection lost).
    for (const p of await detachedPartitions(this.pool)) {
      if ((p.day + 1) * DAY_MS > cut) continue;
      const n = (await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${p.name}`)).rows[0]?.n ?? 0;
      await this.pool.query(`DROP TABLE IF EXISTS ${p.name}`);
      total += n;
    }
    total += await this.deleteChunked(
      `DELETE FROM request_payloads WHERE (request_id, ts) IN
         (SELECT request_id, ts FROM request_payloads WHERE ts < $2 LIMIT $1)`,
      [cut],
    );
    return total;
  }

  /**
   * Detaches a day's partition without locking out the writers of today's (CONCURRENTLY waits for
   * the transactions that may use it instead). False when another instance's retention took it.
   */
  private async detach(name: string): Promise<boolean> {
    try {
      await this.untimed(`ALTER TABLE request_payloads DETACH PARTITION ${name} CONCURRENTLY`);
      return true;
    } catch (err) {
      const attached = (await listPartitions(this.pool)).some((p) => p.name === name);
      if (!attached) return false;
      // A detach an earlier run started and did not finish.
      if (/pending detach/i.test((err as Error).message)) {
        await this.untimed(`ALTER TABLE request_payloads DETACH PARTITION ${name} FINALIZE`);
        return true;
      }
      throw err;
    }
  }

  async prune(c: PruneCutoffs): Promise<PruneResult> {
    // A payload never outlives its request row.
    const payloadsDeleted = await this.prunePayloads(Math.max(c.payloadsBefore, c.requestsBefore));
    const requestsDeleted = await this.deleteChunked(
      'DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE ts < $2 LIMIT $1)',
      [c.requestsBefore],
    );
    // A conversation goes once all of its requests have (one that is partly expired keeps its totals).
    await this.deleteChunked(
      'DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE last_at < $2 LIMIT $1)',
      [c.requestsBefore],
    );
    for (const table of ['conversation_subtasks', 'conversation_analyses']) {
      await this.deleteChunked(
        `DELETE FROM ${table} WHERE id IN (SELECT t.id FROM ${table} t
           WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = t.conversation_id) LIMIT $1)`,
        [],
      );
    }
    // A rollup bucket goes once all of it has expired.
    const cuts = {
      hour: c.requestsBefore - HOUR_MS,
      minute: Math.max(c.requestsBefore, c.now - MINUTE_ROLLUP_KEEP_MS) - MINUTE_MS,
    };
    let rollupRowsDeleted = 0;
    for (const { table, grain } of ROLLUP_TABLES) {
      rollupRowsDeleted += await this.deleteChunked(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE bucket <= $2 LIMIT $1)`,
        [cuts[grain]],
      );
    }
    return { requestsDeleted, payloadsDeleted, rollupRowsDeleted };
  }

  /** Bytes of every table of the store's schema, with indexes and TOAST. */
  private async schemaBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number | null }>(
      `SELECT sum(pg_total_relation_size(c.oid)) AS n FROM pg_class c
       WHERE c.relnamespace = to_regnamespace(current_schema())::oid AND c.relkind IN ('r', 'm')`,
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * VACUUM ANALYZE of the record tables: dead rows' space becomes reusable and the planner's
   * statistics are fresh. Not VACUUM FULL, which would lock out every instance's writer.
   */
  async compact(): Promise<CompactResult> {
    const beforeBytes = await this.schemaBytes();
    for (const t of [
      'requests',
      'request_payloads',
      ...ROLLUP_TABLES.map((r) => r.table),
      ...HISTORY_TABLES.slice(1),
    ]) {
      await this.untimed(`VACUUM ANALYZE ${t}`);
    }
    return { beforeBytes, afterBytes: await this.schemaBytes() };
  }

  async storageSummary(): Promise<StorageSummary> {
    const oldest = await this.pool.query<{ oldest: number | null }>('SELECT min(ts) AS oldest FROM requests');
    return {
      databaseBytes: await this.schemaBytes(),
      payloadFileBytes: 0,
      oldestRequestTs: oldest.rows[0]?.oldest ?? null,
    };
  }

  async report(): Promise<DatabaseReport> {
    const pool = this.pool;
    const pageSize = Number((await pool.query<{ b: string }>("SELECT current_setting('block_size') AS b")).rows[0]?.b);
    const bytes = await this.schemaBytes();
    const tableNames = (
      await pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c
         WHERE c.relnamespace = to_regnamespace(current_schema())::oid AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition ORDER BY 1`,
      )
    ).rows.map((r) => r.name);
    const tables = [];
    for (const name of tableNames) {
      const n = (await pool.query<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`)).rows[0]?.n ?? 0;
      tables.push({ name, rows: n });
    }
    const indexRows = (
      await pool.query<{ name: string; tbl: string; columns: string[]; constraint_index: boolean }>(
        `SELECT i.relname AS name, t.relname AS tbl,
           array(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) k) AS columns,
           EXISTS (SELECT 1 FROM pg_constraint pc WHERE pc.conindid = x.indexrelid) AS constraint_index
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relnamespace = to_regnamespace(current_schema())::oid AND NOT t.relispartition
         ORDER BY t.relname, i.relname`,
      )
    ).rows;
    const indexes: IndexReport[] = indexRows.map((r) => ({
      name: r.name,
      table: r.tbl,
      columns: r.columns,
      explicit: !r.constraint_index,
    }));
    const queries: QueryPlanReport[] = [];
    for (const [name, sql] of COMMON_QUERIES) {
      const res = await pool.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${sql}`);
      const plan = res.rows[0]?.['QUERY PLAN'][0]?.Plan;
      const out = { lines: [] as string[], indexes: new Set<string>(), scans: [] as string[] };
      if (plan) walkPlan(plan, 0, out);
      queries.push({ name, indexes: [...out.indexes], fullScans: out.scans, plan: out.lines });
    }
    const payload = (
      await pool.query<{ bytes: number; oldest: number | null }>(
        `SELECT coalesce(sum(octet_length(request_headers) + coalesce(octet_length(request_body), 0) +
           coalesce(octet_length(response_headers), 0) + coalesce(octet_length(response_body), 0)), 0) AS bytes,
           min(ts) AS oldest FROM request_payloads`,
      )
    ).rows[0];
    const oldestRequest = (await pool.query<{ oldest: number | null }>('SELECT min(ts) AS oldest FROM requests'))
      .rows[0];
    const url = (pool as unknown as { options?: { connectionString?: string } }).options?.connectionString ?? '';
    return {
      path: redactUrl(url),
      fileBytes: bytes,
      walBytes: 0,
      pageSize,
      pageCount: Math.ceil(bytes / pageSize),
      freePages: 0,
      reclaimableBytes: 0,
      payloadBytes: payload?.bytes ?? 0,
      payloadFiles: 0,
      oldestRequestTs: oldestRequest?.oldest ?? null,
      oldestPayloadTs: payload?.oldest ?? null,
      tables,
      indexes,
      queries,
    };
  }

  /**
   * Deletes every request row, payload and rollup; accounts, keys and settings stay. Payload
   * partitions are dropped whole; the other tables go in chunks, so writers are never locked out.
   */
  async clearHistory(): Promise<ClearHistoryCounts> {
    const payloadsDeleted = await this.prunePayloads(Number.MAX_SAFE_INTEGER);
    const requestsDeleted = await this.deleteChunked(
      'DELETE FROM requests WHERE id IN (SELECT id FROM requests LIMIT $1)',
      [],
      CLEAR_CHUNK,
    );
    for (const table of HISTORY_TABLES.slice(1)) {
      await this.deleteChunked(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} LIMIT $1)`, [], CLEAR_CHUNK);
    }
    let rollupRowsDeleted = 0;
    for (const { table } of ROLLUP_TABLES) {
      rollupRowsDeleted += await this.deleteChunked(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} LIMIT $1)`,
        [],
        CLEAR_CHUNK,
      );
    }
    return { requestsDeleted, payloadsDeleted, rollupRowsDeleted };
  }
}
