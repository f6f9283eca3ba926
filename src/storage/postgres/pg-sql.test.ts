import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasPg, PG_URL } from '../../../test/support/pg.js';
import { openPool } from './connection.js';
import { arrayLiteral } from './pg-sql.js';

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
