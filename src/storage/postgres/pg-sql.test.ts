import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasPg, PG_URL } from '../../../test/support/pg.js';
import { openPool } from './connection.js';
import { arrayLiteral, copyBinary, copyInsert, copyText } from './pg-sql.js';

describe('arrayLiteral', () => {
  it('quotes strings, escapes only quotes and backslashes, and leaves numbers, booleans and nulls bare', () => {
    expect(arrayLiteral(['a', '', 'NULL', 'say "hi"', 'c:\\dir', null, undefined, 3, -1.5, true])).toBe(
      '{"a","","NULL","say \\"hi\\"","c:\\\\dir",NULL,NULL,3,-1.5,true}',
    );
  });

  it('refuses a value PostgreSQL has no array element for', () => {
    expect(() => arrayLiteral([{ a: 1 }])).toThrow(/cannot write a object/);
  });
});

describe.runIf(hasPg('postgres array literals'))('arrayLiteral read back by PostgreSQL', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('gives back every text as written, JSON, braces, commas, quotes, backslashes and non-ASCII included', async () => {
    const texts = [
      '{"content-type":"application/json","x-api-key":"[redacted]"}',
      'a,b',
      '{}',
      ' padded ',
      'back\\slash "quoted" \\"both\\"',
      'NULL',
      '',
      'zürich 東京 🎉',
      null,
    ];
    const { rows } = await client.query<{ v: (string | null)[] }>('SELECT $1::text[] AS v', [arrayLiteral(texts)]);
    expect(rows[0]?.v).toEqual(texts);
  });

  it('gives back numbers, booleans and bytes', async () => {
    const { rows } = await client.query<{ n: string[]; d: number[]; b: boolean[]; y: Buffer[] }>(
      'SELECT $1::bigint[] AS n, $2::float8[] AS d, $3::boolean[] AS b, $4::bytea[] AS y',
      [
        arrayLiteral([0, 1_733_400_000_000, -7]),
        arrayLiteral([0.1, 2.5e-7, 12]),
        arrayLiteral([true, false]),
        arrayLiteral([Buffer.from([0, 1, 0xff]), Buffer.alloc(0)]),
      ],
    );
    expect(rows[0]?.n).toEqual(['0', '1733400000000', '-7']);
    expect(rows[0]?.d).toEqual([0.1, 2.5e-7, 12]);
    expect(rows[0]?.b).toEqual([true, false]);
    expect(rows[0]?.y).toEqual([Buffer.from([0, 1, 0xff]), Buffer.alloc(0)]);
  });
});

describe('copyText', () => {
  it('writes a line per row, tabs between values, \\N for null and the delimiters escaped', () => {
    expect(
      copyText([
        ['a\tb', 'line\nbreak\r', 'c:\\dir', null, 3, -1.5],
        ['\\N', '', undefined as never, 0, 0, 0],
      ]),
    ).toBe('a\\tb\tline\\nbreak\\r\tc:\\\\dir\t\\N\t3\t-1.5\n\\\\N\t\t\\N\t0\t0\t0\n');
  });

  it('refuses a value COPY has no text for', () => {
    expect(() => copyText([[{ a: 1 }]])).toThrow(/cannot COPY a object/);
    expect(() => copyBinary(['text'], [[{ a: 1 }]])).toThrow(/cannot COPY a object as text/);
    expect(() => copyBinary(['bigint'], [['12']])).toThrow(/cannot COPY a string as bigint/);
  });
});

describe.runIf(hasPg('postgres COPY'))('copyInsert read back by PostgreSQL', () => {
  const pool = openPool({ url: PG_URL, max: 1 });
  const table = `copy_${process.pid}_${Date.now()}`;
  beforeAll(async () => {
    await pool.query(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, t TEXT, n BIGINT, d DOUBLE PRECISION, b BYTEA)`);
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });
  const columns = [
    ['id', 'text'],
    ['t', 'text'],
    ['n', 'bigint'],
    ['d', 'double precision'],
    ['b', 'bytea'],
  ] as const;

  it.each(['text', 'binary'] as const)(
    'stores every value as written in the %s format: tabs, newlines, backslashes, "\\N", JSON, non-ASCII, nulls and bytes',
    async (format) => {
      const texts = [
        'tab\there',
        'two\nlines\r\n',
        'back\\slash \\N \\.',
        '\\N',
        '',
        '{"a":"b\\"c"}',
        'zürich 東京 🎉',
        null,
      ];
      const rows = texts.map((t, i) => [
        `${format}${i}`,
        t,
        i === 0 ? 1_733_400_000_000 : -i,
        i / 3,
        i === 1 ? Buffer.from([0, 9, 10, 0xff]) : null,
      ]);
      const c = await pool.connect();
      try {
        await copyInsert(c, table, columns, rows, format);
      } finally {
        c.release();
      }
      const { rows: back } = await pool.query<{ id: string; t: string | null; n: string; d: number; b: Buffer | null }>(
        `SELECT id, t, n, d, b FROM ${table} WHERE id LIKE $1 ORDER BY id`,
        [`${format}%`],
      );
      expect(back.map((r) => r.t)).toEqual(texts);
      expect(back.map((r) => Number(r.n))).toEqual(rows.map((r) => r[2]));
      expect(back.map((r) => r.d)).toEqual(rows.map((r) => r[3]));
      expect(back[1]?.b).toEqual(Buffer.from([0, 9, 10, 0xff]));
    },
  );

  it('stores none of the rows when one key is stored already, with the unique violation as the error', async () => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const err = await copyInsert(c, table, columns, [
        ['fresh', 'x', 1, 1, null],
        ['text0', 'again', 1, 1, null],
      ]).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('23505');
      await c.query('ROLLBACK');
      // The connection is usable again.
      expect((await c.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    } finally {
      c.release();
    }
    const { rows } = await pool.query(`SELECT id FROM ${table} WHERE id = 'fresh'`);
    expect(rows).toEqual([]);
  });
});

describe.runIf(hasPg('postgres pool idle timeout'))('openPool idle connections', () => {
  it('keeps an idle connection open with idleTimeoutMs 0 (the writer) while a timed pool lets its go', async () => {
    const kept = openPool({ url: PG_URL, max: 1, idleTimeoutMs: 0 });
    const timed = openPool({ url: PG_URL, max: 1, idleTimeoutMs: 30 });
    try {
      await kept.query('SELECT 1');
      await timed.query('SELECT 1');
      await vi.waitFor(() => expect(timed.totalCount).toBe(0), { timeout: 5000 });
      expect(kept.totalCount).toBe(1);
    } finally {
      await kept.end();
      await timed.end();
    }
  });
});
