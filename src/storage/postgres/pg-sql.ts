/** Small helpers for the SQL the PostgreSQL record stores build at run time. */
import { type PgClient, type PgPool, withClient } from './connection.js';

export type PgValue = string | number | boolean | Buffer | null;

/** Something that runs a query: the pool, or one client inside a transaction. */
export type Queryable = Pick<PgPool, 'query'> | Pick<PgClient, 'query'>;

/**
 * PostgreSQL takes at most 65,535 parameters per statement; multi-row statements are cut into
 * chunks below that, with some room to spare.
 */
const MAX_PARAMS = 60_000;

/** `$n` placeholders of `rows` rows of `width` values each, numbered from `start` + 1. */
export function valuesList(rows: number, width: number, start = 0): string {
  const out: string[] = [];
  let n = start;
  for (let i = 0; i < rows; i++) {
    const row: string[] = [];
    for (let k = 0; k < width; k++) row.push(`$${++n}`);
    out.push(`(${row.join(', ')})`);
  }
  return out.join(', ');
}

/** Rows per multi-row statement for rows of `width` values. */
export function rowsPerStatement(width: number): number {
  return Math.max(1, Math.floor(MAX_PARAMS / width));
}

/** Runs `sql(rows)` once per chunk of `rows`, each chunk's values flattened in row order. */
export async function insertRows(
  q: Queryable,
  rows: readonly PgValue[][],
  width: number,
  sql: (n: number) => string,
): Promise<number> {
  let changed = 0;
  const per = rowsPerStatement(width);
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    const res = await q.query(sql(chunk.length), chunk.flat());
    changed += res.rowCount ?? 0;
  }
  return changed;
}

/**
 * Inserts `rows` as one statement however many they are: each column travels as one array
 * parameter and `unnest` turns them back into rows, so the statement's text (and its parse and
 * plan) does not grow with the batch as a VALUES list does; measured 2-3x faster for 500 rows.
 */
export async function unnestInsert<R extends object = object>(
  q: Queryable,
  table: string,
  columns: readonly (readonly [name: string, type: string])[],
  rows: readonly PgValue[][],
  suffix = '',
): Promise<R[]> {
  if (rows.length === 0) return [];
  const arrays = columns.map((_, k) => rows.map((r) => r[k] ?? null));
  const sql = `INSERT INTO ${table} (${columns.map(([n]) => n).join(', ')})
    SELECT * FROM unnest(${columns.map(([, type], k) => `$${k + 1}::${type}[]`).join(', ')}) ${suffix}`;
  return (await q.query<R>(sql, arrays as unknown as PgValue[])).rows;
}

/** `$1, $2, ...` for an IN list of `n` values numbered from `start` + 1. */
export function inList(n: number, start = 0): string {
  return Array.from({ length: n }, (_, i) => `$${start + i + 1}`).join(', ');
}

/**
 * Runs `fn` in one read-only REPEATABLE READ transaction: its reads see one snapshot, as a
 * SQLite read transaction does (totals, accounts and errors that agree with each other).
 */
export async function inSnapshot<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}
