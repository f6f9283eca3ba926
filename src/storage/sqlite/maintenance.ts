/**
 * Database health for `ccflare analyze` and the history wipe behind `ccflare clear-history` and
 * POST /api/maintenance/clear-history: file and page sizes, row counts, indexes, and the query
 * plans of the common reads (EXPLAIN QUERY PLAN), read straight from the SQLite connection.
 */
import { existsSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import type { Store } from '../contract/store.js';
import type { PayloadFiles } from '../payloads/payload-files.js';
import { PAYLOADS_PRUNED_KEY } from './analytics.js';
import { MEMORY_PATH, payloadFilesFor } from './connection.js';
import { SqliteStore } from './sqlite-store.js';

export interface TableReport {
  name: string;
  rows: number;
}

export interface IndexReport {
  name: string;
  table: string;
  columns: string[];
  /** false for the indexes SQLite creates for primary keys and UNIQUE constraints. */
  explicit: boolean;
}

export interface QueryPlanReport {
  /** What the query serves, e.g. "request list, newest first". */
  name: string;
  /** Indexes the plan uses (empty when it scans a table without one). */
  indexes: string[];
  /** Tables the plan scans row by row. */
  fullScans: string[];
  plan: string[];
}

export interface DatabaseReport {
  path: string;
  /** Main database file, bytes (0 for an in-memory database). */
  fileBytes: number;
  walBytes: number;
  pageSize: number;
  pageCount: number;
  freePages: number;
  /** Free pages x page size: what compaction would give back. */
  reclaimableBytes: number;
  /** Stored request and response headers and bodies, bytes: segment files plus legacy table rows. */
  payloadBytes: number;
  /** Payload segment files in `<db>-payloads/` (0 for an in-memory database). */
  payloadFiles: number;
  /** Oldest request row and oldest payload, Unix ms (null when none). */
  oldestRequestTs: number | null;
  oldestPayloadTs: number | null;
  tables: TableReport[];
  indexes: IndexReport[];
  queries: QueryPlanReport[];
}

export interface ClearHistoryCounts {
  requestsDeleted: number;
  payloadsDeleted: number;
  rollupRowsDeleted: number;
}

/** Rollup tables are WITHOUT ROWID: chunks are chosen by their primary key. */
const ROLLUP_TABLES: ReadonlyArray<[table: string, key: string]> = [
  ['rollup_minute', 'bucket, account_id, model, success'],
  ['rollup_hour', 'bucket, account_id, model, success'],
  ['agent_rollup_minute', 'bucket, agent, account_id, model, success'],
  ['agent_rollup_hour', 'bucket, agent, account_id, model, success'],
];
/** Rows per DELETE, so a running gateway's record writer is never locked out for long. */
const CHUNK = 5000;

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

export class SqliteMaintenance {
  private readonly files: PayloadFiles | null;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.files = payloadFilesFor(path);
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

  report(): DatabaseReport {
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
  clearHistory(): ClearHistoryCounts {
    const inFiles = this.files
      ? (this.db.prepare('SELECT count(*) AS n FROM requests WHERE payload_file IS NOT NULL').get() as { n: number }).n
      : 0;
    const payloadsDeleted = this.deleteAll('request_payloads', 'rowid') + inFiles;
    const requestsDeleted = this.deleteAll('requests', 'rowid');
    let rollupRowsDeleted = 0;
    for (const [t, key] of ROLLUP_TABLES) rollupRowsDeleted += this.deleteAll(t, key);
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
      const n = stmt.run(CHUNK).changes;
      total += n;
      if (n < CHUNK) return total;
    }
  }
}

/** The maintenance view of a store; only the SQLite store has one so far. */
export function storeMaintenance(store: Store): SqliteMaintenance {
  if (!(store instanceof SqliteStore)) {
    throw new GatewayError('internal', `Database maintenance is not available for the ${store.kind} store`);
  }
  return new SqliteMaintenance(store.connection, store.path);
}
