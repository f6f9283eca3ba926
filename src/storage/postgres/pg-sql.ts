/** Small helpers for the SQL the PostgreSQL record stores build at run time. */
import { createHash } from 'node:crypto';
import { from as copyFrom } from 'pg-copy-streams';
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

const NEEDS_COPY_ESCAPE = /[\\\t\n\r]/;
const COPY_ESCAPES = /[\\\t\n\r]/g;
const COPY_ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: `\N` for null, the four characters that delimit escaped. */
function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string')
    return NEEDS_COPY_ESCAPE.test(v) ? v.replace(COPY_ESCAPES, (ch) => COPY_ESCAPED[ch] as string) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  throw new TypeError(`cannot COPY a ${typeof v}`);
}

/** `rows` as COPY text: a line per row, values separated by tabs. */
export function copyText(rows: readonly (readonly unknown[])[]): string {
  let out = '';
  for (const row of rows) {
    for (let k = 0; k < row.length; k++) {
      if (k > 0) out += '\t';
      out += copyField(row[k]);
    }
    out += '\n';
  }
  return out;
}

/** COPY's binary signature, flags and header extension length (PostgreSQL docs, COPY, Binary Format). */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** Bytes of a value of each fixed-size type in COPY's binary format. */
const FIXED_SIZE: Readonly<Record<string, number>> = { bigint: 8, integer: 4, smallint: 2, 'double precision': 8 };

/**
 * `rows` in COPY's binary format, for columns of `types` (text, bytea, bigint, integer, smallint,
 * double precision): bytes go as they are, where the text format spells each byte in hex for
 * the server to decode.
 */
export function copyBinary(types: readonly string[], rows: readonly (readonly unknown[])[]): Buffer {
  let size = BINARY_HEADER.length + 2;
  for (const row of rows) {
    size += 2;
    for (let k = 0; k < row.length; k++) {
      const v = row[k];
      size += 4;
      if (v === null || v === undefined) continue;
      const fixed = FIXED_SIZE[types[k] as string];
      if (fixed !== undefined) size += fixed;
      else if (typeof v === 'string') size += Buffer.byteLength(v, 'utf8');
      else if (v instanceof Uint8Array) size += v.byteLength;
      else throw new TypeError(`cannot COPY a ${typeof v} as ${types[k]}`);
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = BINARY_HEADER.copy(out, 0);
  for (const row of rows) {
    at = out.writeInt16BE(row.length, at);
    for (let k = 0; k < row.length; k++) {
      const v = row[k];
      if (v === null || v === undefined) {
        at = out.writeInt32BE(-1, at);
        continue;
      }
      const type = types[k];
      const fixed = FIXED_SIZE[type as string];
      if (fixed !== undefined) {
        if (typeof v !== 'number' && typeof v !== 'boolean')
          throw new TypeError(`cannot COPY a ${typeof v} as ${type}`);
        const n = Number(v);
        at = out.writeInt32BE(fixed, at);
        if (type === 'bigint') at = out.writeBigInt64BE(BigInt(n), at);
        else if (type === 'integer') at = out.writeInt32BE(n, at);
        else if (type === 'smallint') at = out.writeInt16BE(n, at);
        else at = out.writeDoubleBE(n, at);
      } else if (typeof v === 'string') {
        const len = out.write(v, at + 4, 'utf8');
        out.writeInt32BE(len, at);
        at += 4 + len;
      } else {
        const bytes = v as Uint8Array;
        at = out.writeInt32BE(bytes.byteLength, at);
        out.set(bytes, at);
        at += bytes.byteLength;
      }
    }
  }
  out.writeInt16BE(-1, at);
  return out;
}

/**
 * Inserts `rows` with `COPY ... FROM STDIN`: all of them or, on any error (a row whose key is
 * stored already included), none, and the transaction is then aborted. Against the `unnest`
 * insert of the same 100-row batches of request rows (all their indexes), PostgreSQL spent
 * 17.5 instead of 29.5 µs per row and the client 6 instead of 8-9 (5 alternated rounds of 20,000
 * rows): COPY parses no array literals and writes the heap a page at a time. `binary` for rows
 * that carry bytes (copyBinary).
 */
export async function copyInsert(
  c: PgClient,
  table: string,
  columns: TypedColumns,
  rows: readonly (readonly unknown[])[],
  format: 'text' | 'binary' = 'text',
): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map(([n]) => n).join(', ');
  const data =
    format === 'text'
      ? copyText(rows)
      : copyBinary(
          columns.map(([, t]) => t),
          rows,
        );
  const stream = c.query(
    copyFrom(`COPY ${table} (${names}) FROM STDIN${format === 'binary' ? ' (FORMAT binary)' : ''}`),
  );
  await new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(data);
  });
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
