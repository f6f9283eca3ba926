/** Small helpers for the SQL the PostgreSQL record stores build at run time. */
import { createHash } from 'node:crypto';
import { type PgClient, type PgPool, withClient } from './connection.js';

export type PgValue = string | number | boolean | Buffer | null;

/** Something that runs a query: the pool, or one client inside a transaction. */
export type Queryable = Pick<PgPool, 'query'> | Pick<PgClient, 'query'>;

/** Columns of an `unnest` insert: name and PostgreSQL type. */
export type TypedColumns = readonly (readonly [name: string, type: string])[];

const NEEDS_ESCAPE = /["\\]/;

/**
 * `values` as a PostgreSQL array literal, what `pg` makes of a JS array parameter but cheaper:
 * `pg` runs two regex replaces on every element, numbers included, and the batch commit binds
 * about 50 arrays of 256 elements. Writer thread per record (pg-writer-bench, a-json records):
 * see README, Benchmark. Strings are quoted, escaped only when they hold `"` or `\`; numbers and
 * booleans go bare (valid array elements as they are); bytes as pg writes them.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'string') out += NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out += String(v);
    else if (Buffer.isBuffer(v)) out += `\\\\x${v.toString('hex')}`;
    else if (Array.isArray(v)) out += arrayLiteral(v);
    else throw new TypeError(`cannot write a ${typeof v} into a PostgreSQL array`);
  }
  return `${out}}`;
}

/** The column arrays of `rows` (one array literal parameter per column), for `unnest`. */
function columnArrays(columns: TypedColumns, rows: readonly PgValue[][]): string[] {
  return columns.map((_, k) => arrayLiteral(rows.map((r) => r[k] ?? null)));
}

/** `INSERT INTO table (...) SELECT * FROM unnest($a::type[], ...)`, the arrays bound at `params`. */
function unnestInsertSql(table: string, columns: TypedColumns, params: readonly string[], suffix: string): string {
  return `INSERT INTO ${table} (${columns.map(([n]) => n).join(', ')})
    SELECT * FROM unnest(${columns.map(([, type], k) => `${params[k]}::${type}[]`).join(', ')}) ${suffix}`;
}

/**
 * A statement prepared once per connection (named after its text): the batch writes run the
 * same few texts again and again, and a named statement skips their parse and plan.
 */
function prepared(text: string, values: readonly unknown[]): { name: string; text: string; values: unknown[] } {
  return { name: `ccflare_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, values: [...values] };
}

/**
 * Inserts `rows` as one statement however many they are: each column travels as one array
 * parameter and `unnest` turns them back into rows, so the statement's text (and its parse and
 * plan) does not grow with the batch as a VALUES list does; measured 2-3x faster for 500 rows.
 */
export async function unnestInsert<R extends object = object>(
  q: Queryable,
  table: string,
  columns: TypedColumns,
  rows: readonly PgValue[][],
  suffix = '',
): Promise<R[]> {
  if (rows.length === 0) return [];
  const sql = unnestInsertSql(
    table,
    columns,
    columns.map((_, k) => `$${k + 1}`),
    suffix,
  );
  return (await q.query<R>(prepared(sql, columnArrays(columns, rows)))).rows;
}

/**
 * Several writes sent as one statement, each a data-modifying CTE: one round trip for what would
 * be one per table. PostgreSQL runs every part exactly once, all on one snapshot, so the parts
 * must not depend on each other's rows (here: different tables). The text depends only on which
 * parts there are, not on the number of rows, so it is prepared once per connection.
 */
export class MultiWrite {
  private readonly parts: string[] = [];
  private readonly values: unknown[] = [];
  /** An SQL condition the parts added from now on are written under (none: always). */
  when: string | null = null;

  /** The placeholder of one more value, for SQL around the parts (a condition). */
  param(value: unknown): string {
    this.values.push(Array.isArray(value) ? arrayLiteral(value) : value);
    return `$${this.values.length}`;
  }

  /** The name of the part added next: later parts and the final SELECT read its RETURNING by it. */
  get nextName(): string {
    return `w${this.parts.length}`;
  }

  /** `when` as a clause: ` WHERE <when>` (or ` AND <when>` after a WHERE of the part's own); '' when none. */
  clause(prefix: 'WHERE' | 'AND'): string {
    return this.when === null ? '' : ` ${prefix} ${this.when}`;
  }

  /** Adds a write whose values are bound at the placeholders `sql` receives, in order. */
  add(values: readonly unknown[], sql: (params: readonly string[]) => string): void {
    const params = values.map((v) => this.param(v));
    this.parts.push(sql(params));
  }

  /** Adds `INSERT INTO table ... SELECT * FROM unnest(...) suffix` of `rows`; nothing for none. */
  addUnnestInsert(table: string, columns: TypedColumns, rows: readonly PgValue[][], suffix = ''): void {
    if (rows.length === 0) return;
    this.add(columnArrays(columns, rows), (params) =>
      unnestInsertSql(table, columns, params, `${this.clause('WHERE')} ${suffix}`),
    );
  }

  /** Runs the parts as one statement; `select` reads what they return (`SELECT id FROM w0`). */
  async run<R extends object>(q: Queryable, select?: string): Promise<R[]> {
    if (this.parts.length === 0) return [];
    const text =
      this.parts.length === 1 && select === undefined
        ? (this.parts[0] as string)
        : `WITH ${this.parts.map((p, i) => `w${i} AS (${p})`).join(',\n')}\n${select ?? 'SELECT 1'}`;
    return (await q.query<R>(prepared(text, this.values))).rows;
  }
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
