/**
 * Raw table pages of a SQLite installation, for the copy into PostgreSQL (sqlite-to-postgres.ts):
 * rows as stored, in primary-key order, one keyset page per read.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openDatabase } from './connection.js';

export interface SourceColumn {
  name: string;
  /** Position in the primary key from 1; 0 when not part of it. */
  pk: number;
}

export interface TablePager {
  columns: readonly SourceColumn[];
  /** The next `limit` rows after the last one read, in key order; empty at the end. */
  next(limit: number): Record<string, unknown>[];
}

const ORIGIN_KEY = 'installation_id';

function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export class SqliteTableReader {
  private readonly db: Database.Database;
  private readonly oldPayload: Database.Statement;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.oldPayload = this.db.prepare('SELECT 1 FROM request_payloads WHERE request_id = ?').pluck();
  }

  /** This installation's id, created on first use: a copy remembers where its rows came from. */
  origin(): string {
    this.db
      .prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)')
      .run(ORIGIN_KEY, randomBytes(12).toString('hex'));
    return String(this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(ORIGIN_KEY));
  }

  columns(table: string): SourceColumn[] {
    return this.db.prepare('SELECT name, pk FROM pragma_table_info(?)').all(table) as SourceColumn[];
  }

  count(table: string): number {
    return Number(
      this.db
        .prepare(`SELECT count(*) FROM ${q(table)}`)
        .pluck()
        .get(),
    );
  }

  /** Requests whose payload is stored: in a segment file or in the pre-version-5 table. */
  payloadCount(): number {
    return Number(
      this.db
        .prepare(
          `SELECT (SELECT count(*) FROM requests WHERE payload_file IS NOT NULL
                     AND id NOT IN (SELECT request_id FROM request_payloads))
                + (SELECT count(*) FROM request_payloads)`,
        )
        .pluck()
        .get(),
    );
  }

  /** Whether a request's payload is stored (file or table) without reading it. */
  hasPayload(id: string, payloadFile: unknown): boolean {
    if (payloadFile != null) return true;
    return this.oldPayload.get(id) !== undefined;
  }

  /** Pages of `table` with `extra` columns read too; keyed on the primary key (rowid without one). */
  pager(table: string, extra: readonly string[] = []): TablePager {
    const columns = this.columns(table);
    const keys = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    if (keys.length === 0) keys.push('rowid');
    const names = [...new Set([...columns.map((c) => c.name), ...keys, ...extra])].map(q).join(', ');
    const order = `ORDER BY ${keys.map(q).join(', ')} LIMIT ?`;
    const first = this.db.prepare(`SELECT ${names} FROM ${q(table)} ${order}`);
    const rest = this.db.prepare(
      `SELECT ${names} FROM ${q(table)} WHERE (${keys.map(q).join(', ')}) > (${keys.map(() => '?').join(', ')}) ${order}`,
    );
    let after: unknown[] | null = null;
    return {
      columns,
      next: (limit) => {
        const rows = (after === null ? first.all(limit) : rest.all(...after, limit)) as Record<string, unknown>[];
        const last = rows[rows.length - 1];
        if (last !== undefined) after = keys.map((k) => last[k]);
        return rows;
      },
    };
  }

  close(): void {
    this.db.close();
  }
}
