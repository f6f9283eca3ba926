import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshSchema, hasPg, PG_URL } from '../../../test/support/pg.js';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import type { RequestRecord } from '../contract/records.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { PostgresStore } from './postgres-store.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

/** Two stores on one schema: two gateway instances sharing one database. */
describe.skipIf(!hasPg('PostgreSQL records'))('request records on PostgreSQL', () => {
  const schemas: string[] = [];
  let a: PostgresStore;
  let b: PostgresStore;

  beforeEach(async () => {
    const schema = freshSchema('rec');
    schemas.push(schema);
    a = await PostgresStore.open({ url: PG_URL, schema, max: 4 });
    b = await PostgresStore.open({ url: PG_URL, schema, max: 4 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });
  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await c.end();
  });

  async function partitions(store: PostgresStore): Promise<string[]> {
    const { rows } = await store.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'request_payloads' AND p.relnamespace = to_regnamespace(current_schema())::oid
       ORDER BY 1`,
    );
    return rows.map((r) => r.name);
  }

  const withPayload = (id: string, ts: number): RequestRecord =>
    sampleRecord({ id, ts, payload: samplePayload({ requestBody: `body of ${id}` }) });

  it('keeps payloads in one partition per day, created by the first write of that day', async () => {
    await a.requests.writeBatch(
      [withPayload('d1', NOW - 2 * DAY), withPayload('d2', NOW - DAY), sampleRecord({ id: 'none', ts: NOW })],
      [],
    );
    expect(await partitions(a)).toEqual(['request_payloads_d20250113', 'request_payloads_d20250114']);
    await a.requests.writeBatch([withPayload('d3', NOW)], []);
    expect(await partitions(a)).toHaveLength(3);
    expect((await b.requests.get('d2'))?.payload?.requestBody).toBe('body of d2');
  });

  it('retention drops the partitions of expired days whole and deletes the rows of the day the cut falls in', async () => {
    const recs = [
      withPayload('old1', NOW - 3 * DAY),
      withPayload('old2', NOW - 3 * DAY + 1),
      withPayload('early', NOW - DAY - 3_600_000),
      withPayload('late', NOW - DAY + 3_600_000),
      withPayload('today', NOW),
    ];
    await a.requests.writeBatch(recs, []);
    const res = await a.maintenance.prune({ requestsBefore: NOW - 30 * DAY, payloadsBefore: NOW - DAY, now: NOW });
    expect(res.payloadsDeleted).toBe(3);
    expect(await partitions(a)).toEqual(['request_payloads_d20250114', 'request_payloads_d20250115']);
    expect((await a.requests.get('early'))?.payload).toBeNull();
    expect((await a.requests.get('late'))?.payload?.requestBody).toBe('body of late');
    expect(await a.requests.count()).toBe(5);
  });

  it('finishes a retention run that stopped between detaching a day and dropping it', async () => {
    await a.requests.writeBatch([withPayload('x1', NOW - 4 * DAY), withPayload('x2', NOW - 4 * DAY + 5)], []);
    await a.pool.query('ALTER TABLE request_payloads DETACH PARTITION request_payloads_d20250111');
    const res = await b.maintenance.prune({ requestsBefore: NOW - 30 * DAY, payloadsBefore: NOW - DAY, now: NOW });
    expect(res.payloadsDeleted).toBe(2);
    const left = await a.pool.query("SELECT 1 FROM pg_class WHERE relname = 'request_payloads_d20250111'");
    expect(left.rows).toEqual([]);
  });

  it("writes a late record to a day another instance's retention dropped", async () => {
    await a.requests.writeBatch([withPayload('first', NOW - 5 * DAY)], []);
    await b.maintenance.prune({ requestsBefore: NOW - 30 * DAY, payloadsBefore: NOW - DAY, now: NOW });
    expect(await partitions(a)).toEqual([]);
    // `a` still believes the day's partition exists (a journal replay after an outage).
    await a.requests.writeBatch([withPayload('replayed', NOW - 5 * DAY + 1)], []);
    expect((await a.requests.get('replayed'))?.payload?.requestBody).toBe('body of replayed');
  });

  it('stores a request once when two instances write the same batch at the same time', async () => {
    const recs = Array.from({ length: 50 }, (_, i) => withPayload(`same-${i}`, NOW - i * 1000));
    await Promise.all([a.requests.writeBatch(recs, []), b.requests.writeBatch(recs, [])]);
    expect(await a.requests.count()).toBe(50);
    // The rollups count each request once too.
    const { rows } = await b.pool.query<{ n: number }>('SELECT sum(requests) AS n FROM rollup_hour');
    expect(rows[0]?.n).toBe(50);
  });

  it('reports sizes, row counts, indexes and query plans for ccflare analyze, the password hidden', async () => {
    await a.requests.writeBatch([withPayload('r1', NOW), sampleRecord({ id: 'r2', ts: NOW - DAY })], []);
    // The server trusts loopback, so a URL with a password connects all the same.
    const url = new URL(PG_URL);
    url.password = 's3cret-pw';
    const schema = (await a.pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
    const withPassword = await PostgresStore.open({ url: url.toString(), schema, max: 1 });
    const r = await withPassword.maintenance.report().finally(() => withPassword.close());
    expect(r.path).toMatch(/^postgres(ql)?:\/\//);
    expect(r.path).not.toContain('s3cret-pw');
    expect(r.tables).toEqual(
      expect.arrayContaining([
        { name: 'requests', rows: 2 },
        { name: 'request_payloads', rows: 1 },
      ]),
    );
    expect(r).toMatchObject({ oldestRequestTs: NOW - DAY, oldestPayloadTs: NOW, payloadFiles: 0 });
    expect(r.payloadBytes).toBeGreaterThan(0);
    expect(r.indexes).toEqual(
      expect.arrayContaining([{ name: 'requests_ts', table: 'requests', columns: ['ts', 'id'], explicit: true }]),
    );
    expect(r.queries.map((q) => q.name)).toContain('request list, newest first');
    for (const q of r.queries) expect(q.plan.length, q.name).toBeGreaterThan(0);
    const s = await a.maintenance.storageSummary();
    expect(s).toMatchObject({ payloadFileBytes: 0, oldestRequestTs: NOW - DAY });
    expect(s.databaseBytes).toBeGreaterThan(0);
  });

  it('exports and lists full records as the SQLite store does: keyset pages, filters, payloads when asked', async () => {
    const lite = SqliteStore.open(':memory:');
    try {
      const recs = Array.from({ length: 25 }, (_, i) =>
        sampleRecord({
          id: `e${String(i).padStart(2, '0')}`,
          ts: NOW - (i % 7) * 60_000,
          accountId: i % 3 === 0 ? 'acc-1' : 'acc-2',
          accountName: i % 3 === 0 ? 'one' : 'two',
          clientKey: i % 2 === 0 ? 'laptop' : null,
          agent: i % 4 === 0 ? 'main' : null,
          success: i % 5 !== 0,
          status: i % 5 === 0 ? 529 : 200,
          attemptLog: [{ account: 'one', status: 200, error: null, ms: 5 }],
          payload: i % 2 === 0 ? samplePayload({ requestBody: `export ${i}` }) : null,
        }),
      );
      await a.requests.writeBatch(recs, []);
      await lite.requests.writeBatch(recs, []);
      const queries = [
        { withPayloads: false },
        { withPayloads: true },
        { withPayloads: true, clientKey: 'laptop', since: NOW - 3 * 60_000 },
        { withPayloads: false, agent: 'main', until: NOW },
      ];
      for (const q of queries) {
        const pages = async (store: { requests: typeof a.requests }) => {
          const out = [];
          let after: { ts: number; id: string } | null = null;
          for (;;) {
            const page = await store.requests.exportPage(q, after, 4);
            if (page.length === 0) return out;
            out.push(page);
            const last = page[page.length - 1] as { ts: number; id: string };
            after = { ts: last.ts, id: last.id };
          }
        };
        expect(await pages(a), JSON.stringify(q)).toEqual(await pages(lite));
      }
      for (const q of [
        { limit: 10 },
        { limit: 5, status: 'error' as const },
        { limit: 50, model: 'claude-sonnet-4-5' },
      ]) {
        expect(await a.requests.listRecords(q)).toEqual(await lite.requests.listRecords(q));
      }
    } finally {
      await lite.close();
    }
  });

  it('stores bodies as the bytes they were, a NUL included', async () => {
    const body = 'before\u0000after ✓';
    await a.requests.writeBatch(
      [sampleRecord({ id: 'nul', ts: NOW, payload: samplePayload({ responseBody: null, requestBody: body }) })],
      [],
    );
    const bytes = new TextEncoder().encode('raw ✓ bytes');
    await a.requests.writeBatch(
      [
        sampleRecord({
          id: 'bytes',
          ts: NOW,
          payload: { ...samplePayload(), requestBody: bytes, responseBody: bytes },
        }),
      ],
      [],
    );
    expect((await a.requests.get('nul'))?.payload?.requestBody).toBe(body);
    expect((await a.requests.get('bytes'))?.payload?.responseBody).toBe('raw ✓ bytes');
  });
});
