/**
 * `store.maintenance` for SQLite: retention (chunked deletes the record writer can run between),
 * compaction on a worker, the history wipe behind `ccflare clear-history` and
 * POST /api/maintenance/clear-history, and the database health report of `ccflare analyze`
 * (file and page sizes, row counts, indexes, EXPLAIN QUERY PLAN of the common reads).
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import { HOUR_MS, MINUTE_MS, MINUTE_ROLLUP_KEEP_MS } from '../analytics/rollup.js';
import type {
  ClearHistoryCounts,
  CompactResult,
  DatabaseReport,
  MaintenanceStore,
  PruneCutoffs,
  PruneResult,
  StorageSummary,
} from '../contract/maintenance.js';
import type { PayloadFiles } from '../payloads/payload-files.js';
import { type Bindable, MEMORY_PATH } from './connection.js';
import type { StatementCache } from './statement-cache.js';

/** meta key: payload references of rows with ts below it have been cleared by retention. */
export const PAYLOADS_PRUNED_KEY = 'payloads_pruned_before';

/** Rows per DELETE: each chunk holds the write lock for a few ms, so the record writer keeps going. */
const PRUNE_CHUNK = 2000;

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

/** Rollup tables are WITHOUT ROWID: chunks are chosen by their primary key. */
const ROLLUP_TABLES: ReadonlyArray<{ table: string; key: string; grain: 'minute' | 'hour' }> = [
  { table: 'rollup_minute', key: 'bucket, account_id, model, success', grain: 'minute' },
  { table: 'rollup_hour', key: 'bucket, account_id, model, success', grain: 'hour' },
  { table: 'agent_rollup_minute', key: 'bucket, agent, account_id, model, success', grain: 'minute' },
  { table: 'agent_rollup_hour', key: 'bucket, agent, account_id, model, success', grain: 'hour' },
  { table: 'key_rollup_minute', key: 'bucket, client_key', grain: 'minute' },
  { table: 'key_rollup_hour', key: 'bucket, client_key', grain: 'hour' },
];
/** Rows per DELETE of clear-history, so a running gateway's record writer is never locked out for long. */
const CLEAR_CHUNK = 5000;

/** The common reads, as the store runs them (named parameters bound to plausible values). */
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
  ['payload of a request', "SELECT * FROM request_payloads WHERE request_id = 'x'"],
  ['retention: expired requests', 'SELECT rowid FROM requests WHERE ts < 0 LIMIT 1000'],
  ['retention: expired payloads', 'SELECT rowid FROM request_payloads WHERE ts < 0 LIMIT 1000'],
  ['analytics: hourly rollups in a range', 'SELECT * FROM rollup_hour WHERE bucket >= 0 AND bucket < 1'],
  ['analytics: minute rollups in a range', 'SELECT * FROM rollup_minute WHERE bucket >= 0 AND bucket < 1'],
];

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function pragmaNumber(db: Database.Database, name: string): number {
  return Number(db.pragma(name, { simple: true }) ?? 0);
}

export class SqliteMaintenance implements MaintenanceStore {
  constructor(
    private readonly db: Database.Database,
    /** The database file, or `:memory:`. */
    private readonly path: string,
    private readonly files: PayloadFiles | null,
    private readonly statements: StatementCache,
  ) {}

  /** Deletes in chunks, yielding between them; returns the rows deleted. */
  private async deleteChunked(sql: string, ...params: Bindable[]): Promise<number> {
    const stmt = this.statements.get(sql);
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
    const getMark = this.statements.get('SELECT value FROM meta WHERE key = ?');
    const setMark = this.statements.get(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    // The ts PRUNE_CHUNK rows further on: the next chunk ends just before it.
    const chunkEnd = this.statements.get(
      'SELECT ts FROM requests WHERE ts >= ? AND ts < ? ORDER BY ts ASC, id ASC LIMIT 1 OFFSET ?',
    );
    const clear =
      this.statements.get(`UPDATE requests SET payload_file = NULL, payload_offset = NULL, payload_length = NULL
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

  async prune(c: PruneCutoffs): Promise<PruneResult> {
    // A payload never outlives its request row (the delete trigger would take it anyway).
    const payloadCut = Math.max(c.payloadsBefore, c.requestsBefore);
    const refsCleared = await this.clearPayloadRefs(payloadCut);
    // After the references: a reader never finds a reference to a deleted file for long.
    this.files?.deleteBefore(payloadCut);
    const legacyDeleted = await this.deleteChunked(
      'DELETE FROM request_payloads WHERE rowid IN (SELECT rowid FROM request_payloads WHERE ts < ? LIMIT ?)',
      payloadCut,
    );
    const requestsDeleted = await this.deleteChunked(
      'DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests WHERE ts < ? LIMIT ?)',
      c.requestsBefore,
    );
    // A conversation goes once all of its requests have (one that is partly expired keeps its totals).
    await this.deleteChunked(
      'DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE last_at < ? LIMIT ?)',
      c.requestsBefore,
    );
    await this.deleteChunked(
      `DELETE FROM conversation_subtasks WHERE rowid IN (SELECT s.rowid FROM conversation_subtasks s
         LEFT JOIN conversations c ON c.id = s.conversation_id WHERE c.id IS NULL LIMIT ?)`,
    );
    await this.deleteChunked(
      `DELETE FROM conversation_analyses WHERE rowid IN (SELECT a.rowid FROM conversation_analyses a
         LEFT JOIN conversations c ON c.id = a.conversation_id WHERE c.id IS NULL LIMIT ?)`,
    );
    // A rollup bucket goes once all of it has expired.
    const cuts = {
      hour: c.requestsBefore - HOUR_MS,
      minute: Math.max(c.requestsBefore, c.now - MINUTE_ROLLUP_KEEP_MS) - MINUTE_MS,
    };
    let rollupRowsDeleted = 0;
    for (const { table, key, grain } of ROLLUP_TABLES) {
      rollupRowsDeleted += await this.deleteChunked(
        `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE bucket <= ? LIMIT ?)`,
        cuts[grain],
      );
    }
    return { requestsDeleted, payloadsDeleted: refsCleared + legacyDeleted, rollupRowsDeleted };
  }

  async storageSummary(): Promise<StorageSummary> {
    const memory = this.path === MEMORY_PATH || this.path === '';
    // min(ts) is one step down the requests_ts index, not a scan.
    const oldest = this.statements.get('SELECT min(ts) AS oldest FROM requests').get() as { oldest: number | null };
    return {
      databaseBytes: memory ? 0 : fileBytes(this.path),
      payloadFileBytes: this.files?.stats().bytes ?? 0,
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

  /**
   * Oldest ts of a row that references a segment file: rows below the retention watermark have
   * had theirs cleared, so the requests_ts range scan starts there instead of at the oldest row.
   */
  private oldestFilePayloadTs(): number | null {
    if (!this.files) return null;
    const mark = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(PAYLOADS_PRUNED_KEY) as
      | { value: number }
      | undefined;
    const row = this.db
      .prepare('SELECT ts FROM requests WHERE ts >= ? AND payload_file IS NOT NULL ORDER BY ts ASC, id ASC LIMIT 1')
      .get(mark === undefined ? Number.MIN_SAFE_INTEGER : Number(mark.value)) as { ts: number } | undefined;
    return row?.ts ?? null;
  }

  async report(): Promise<DatabaseReport> {
    const db = this.db;
    const pageSize = pragmaNumber(db, 'page_size');
    const pageCount = pragmaNumber(db, 'page_count');
    const freePages = pragmaNumber(db, 'freelist_count');
    const memory = this.path === MEMORY_PATH || this.path === '';
    const tableNames = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as { name: string }[]
    ).map((r) => r.name);
    const tables = tableNames.map((name) => ({
      name,
      rows: (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get() as { n: number }).n,
    }));
    const indexRows = db
      .prepare(
        "SELECT name, tbl_name AS tbl, sql FROM sqlite_master WHERE type = 'index' AND tbl_name NOT LIKE 'sqlite_%' ORDER BY tbl_name, name",
      )
      .all() as { name: string; tbl: string; sql: string | null }[];
    const indexes = indexRows.map((r) => ({
      name: r.name,
      table: r.tbl,
      columns: (db.pragma(`index_xinfo(${quoteIdent(r.name)})`) as { name: string | null; key: number; cid: number }[])
        .filter((c) => c.key === 1)
        .map((c) => c.name ?? (c.cid === -2 ? '<expression>' : 'rowid')),
      explicit: r.sql !== null,
    }));
    const queries = COMMON_QUERIES.map(([name, sql]) => {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
      const used = new Set<string>();
      const scans: string[] = [];
      for (const d of plan) {
        const idx = /USING (?:COVERING )?INDEX (\S+)/.exec(d)?.[1];
        if (idx) used.add(idx);
        else if (/PRIMARY KEY/.test(d)) used.add('(primary key)');
        else {
          const scan = /^SCAN (\S+)/.exec(d)?.[1];
          if (scan) scans.push(scan);
        }
      }
      return { name, indexes: [...used], fullScans: scans, plan };
    });
    const payload = db
      .prepare(
        `SELECT coalesce(sum(length(request_headers) + coalesce(length(request_body), 0) +
           coalesce(length(response_headers), 0) + coalesce(length(response_body), 0)), 0) AS bytes,
           min(ts) AS oldest FROM request_payloads`,
      )
      .get() as { bytes: number; oldest: number | null };
    const oldestRequest = db.prepare('SELECT min(ts) AS oldest FROM requests').get() as { oldest: number | null };
    const fileStats = this.files?.stats() ?? { bytes: 0, files: 0, oldestDay: null };
    const oldestInFiles = this.oldestFilePayloadTs();
    const oldestPayloadTs =
      payload.oldest === null
        ? oldestInFiles
        : oldestInFiles === null
          ? payload.oldest
          : Math.min(payload.oldest, oldestInFiles);
    return {
      path: this.path,
      fileBytes: memory ? 0 : fileSize(this.path),
      walBytes: memory ? 0 : fileSize(`${this.path}-wal`),
      pageSize,
      pageCount,
      freePages,
      reclaimableBytes: freePages * pageSize,
      payloadBytes: payload.bytes + fileStats.bytes,
      payloadFiles: fileStats.files,
      oldestRequestTs: oldestRequest.oldest,
      oldestPayloadTs,
      tables,
      indexes,
      queries,
    };
  }

  /**
   * Deletes every request row, payload (table rows and segment files) and rollup in chunks;
   * accounts, keys and settings stay. `payloadsDeleted` counts table rows and the rows whose
   * payload was in a file.
   */
  async clearHistory(): Promise<ClearHistoryCounts> {
    const inFiles = this.files
      ? (this.db.prepare('SELECT count(*) AS n FROM requests WHERE payload_file IS NOT NULL').get() as { n: number }).n
      : 0;
    const payloadsDeleted = this.deleteAll('request_payloads', 'rowid') + inFiles;
    const requestsDeleted = this.deleteAll('requests', 'rowid');
    // Conversations summarise request rows: they go with them.
    this.deleteAll('conversations', 'rowid');
    this.deleteAll('conversation_subtasks', 'rowid');
    this.deleteAll('conversation_analyses', 'rowid');
    let rollupRowsDeleted = 0;
    for (const { table, key } of ROLLUP_TABLES) rollupRowsDeleted += this.deleteAll(table, key);
    // After the rows: no row is left pointing at a deleted file.
    this.files?.deleteAll();
    return { requestsDeleted, payloadsDeleted, rollupRowsDeleted };
  }

  private deleteAll(table: string, key: string): number {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    if (!exists) return 0;
    const t = quoteIdent(table);
    const stmt = this.db.prepare(`DELETE FROM ${t} WHERE (${key}) IN (SELECT ${key} FROM ${t} LIMIT ?)`);
    let total = 0;
    for (;;) {
      const n = stmt.run(CLEAR_CHUNK).changes;
      total += n;
      if (n < CLEAR_CHUNK) return total;
    }
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
