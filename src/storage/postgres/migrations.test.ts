import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, hasPg, PG_URL } from '../../../test/support/pg.js';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import { DAY_MS } from '../analytics/rollup.js';
import { openPool } from './connection.js';
import { migratePg, PG_LATEST_VERSION, PG_MIGRATIONS } from './migrations.js';
import { PayloadPartitions } from './payloads.js';
import { PostgresStore } from './postgres-store.js';

describe.runIf(hasPg('postgres migrations'))('postgres migrations', () => {
  const schemas: string[] = [];
  const newSchema = () => {
    const s = freshSchema('m');
    schemas.push(s);
    return s;
  };
  afterAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    } finally {
      await client.end();
    }
  });

  const versions = async (store: PostgresStore) =>
    (await store.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map(
      (r) => r.version,
    );

  it('brings a fresh schema to the latest version, with every table the stores use', async () => {
    const store = await PostgresStore.open({ url: PG_URL, schema: newSchema(), max: 2 });
    try {
      expect(await versions(store)).toEqual(PG_MIGRATIONS.map((m) => m.version));
      expect(Math.max(...(await versions(store)))).toBe(PG_LATEST_VERSION);
      const a = await store.accounts.insert({ name: 'a', kind: 'max' }, 1);
      expect(await store.accounts.get(a.id)).toMatchObject({ name: 'a' });
      expect((await store.notify.listChannels()).map((c) => c.name)).toEqual(['dashboard']);
      // Opening again finds nothing to do.
      await store.migrate();
      expect(await versions(store)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    } finally {
      await store.close();
    }
  });

  it('lets three instances start at once on a new schema: all open, each migration applied once', async () => {
    // Several rounds: the instances race on creating the schema and on migrating it, and one round
    // can pass by luck.
    for (let round = 0; round < 8; round++) {
      const schema = newSchema();
      const opened = await Promise.allSettled([1, 2, 3].map(() => PostgresStore.open({ url: PG_URL, schema, max: 1 })));
      const stores = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      try {
        expect(opened.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []))).toEqual([]);
        expect(await versions(stores[0] as PostgresStore)).toEqual(PG_MIGRATIONS.map((m) => m.version));
        // All three share one database: a change by one is seen by the others.
        await stores[1]?.settings.put({ sessionAffinity: round }, 1);
        expect(await stores[2]?.settings.get()).toEqual({ sessionAffinity: round });
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    }
  });

  /** Tables and text columns of the schema not in the "C" collation (a partition's are its parent's). */
  const notByteOrder = async (store: PostgresStore) =>
    (
      await store.pool.query<{ col: string }>(
        `SELECT c.relname || '.' || a.attname AS col FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
           AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
           AND a.attcollation <> (SELECT oid FROM pg_collation WHERE collname = 'C' AND collnamespace = 'pg_catalog'::regnamespace)
         ORDER BY 1`,
      )
    ).rows.map((r) => r.col);

  it('keeps every text column in byte order, as SQLite compares, so any two can be joined', async () => {
    const store = await PostgresStore.open({ url: PG_URL, schema: newSchema(), max: 2 });
    try {
      // A payload partition made at run time takes its parent's collation.
      await store.pool.query(
        `CREATE TABLE IF NOT EXISTS request_payloads_test_day PARTITION OF request_payloads FOR VALUES FROM (0) TO (1)`,
      );
      expect(await notByteOrder(store)).toEqual([]);
      const names = ['b', 'a', 'Z', 'é', '_'];
      for (const name of names) await store.accounts.insert({ name, kind: 'max' }, 1);
      const sorted = await store.pool.query<{ name: string }>('SELECT name FROM accounts ORDER BY name');
      expect(sorted.rows.map((r) => r.name)).toEqual(['Z', '_', 'a', 'b', 'é']);
    } finally {
      await store.close();
    }
  });

  it('compresses payloads with LZ4 from schema 5, in the partitions there were and those made later', async () => {
    const schema = newSchema();
    const pool = openPool({ url: PG_URL, schema, max: 1 });
    const day = Math.floor(Date.now() / DAY_MS);
    try {
      await pool.query(`CREATE SCHEMA ${schema}`);
      await migratePg(
        pool,
        PG_MIGRATIONS.filter((m) => m.version <= 4),
      );
      await new PayloadPartitions(pool).ensure([(day - 1) * DAY_MS]);
    } finally {
      await pool.end();
    }
    const store = await PostgresStore.open({ url: PG_URL, schema, max: 1 });
    try {
      const methods = async () =>
        (
          await store.pool.query<{ rel: string; col: string; m: string }>(
            `SELECT c.relname AS rel, a.attname AS col, a.attcompression AS m FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
               AND c.relname LIKE 'request_payloads%' AND c.relkind IN ('r', 'p')
               AND a.attname IN ('request_headers', 'request_body', 'response_headers', 'response_body')`,
          )
        ).rows;
      await new PayloadPartitions(store.pool).ensure([day * DAY_MS]);
      const rows = await methods();
      // The parent, yesterday's partition (there before) and today's (made after), four columns each.
      expect(new Set(rows.map((r) => r.rel)).size).toBe(3);
      expect(rows.filter((r) => r.m !== 'l')).toEqual([]);
      const body = JSON.stringify({ messages: [{ role: 'user', content: 'lz4 '.repeat(2000) }] });
      await store.requests.writeBatch(
        [sampleRecord({ id: 'r-lz4', ts: day * DAY_MS + 1, payload: samplePayload({ requestBody: body }) })],
        [],
      );
      const stored = await store.pool.query<{ m: string; b: Buffer }>(
        `SELECT pg_column_compression(request_body) AS m, request_body AS b FROM request_payloads WHERE request_id = 'r-lz4'`,
      );
      expect(stored.rows[0]?.m).toBe('lz4');
      expect(stored.rows[0]?.b.toString('utf8')).toBe(body);
    } finally {
      await store.close();
    }
  });

  it('moves an installation made before byte order over with its rows, and its indexes find them', async () => {
    const schema = newSchema();
    const pool = openPool({ url: PG_URL, schema, max: 1 });
    try {
      await pool.query(`CREATE SCHEMA ${schema}`);
      await migratePg(
        pool,
        PG_MIGRATIONS.filter((m) => m.version <= 2),
      );
      for (const [id, ts] of [
        ['r-b', 2],
        ['r-a', 1],
      ] as const) {
        await pool.query(
          `INSERT INTO requests (id, ts, method, path, success, latency_ms, attempts, stream, conversation_id, message_hash)
           VALUES ($1, $2, 'POST', '/v1/messages', 1, 1, 1, 0, 'c-1', $1)`,
          [id, ts],
        );
      }
      await pool.query(`INSERT INTO conversations (id, first_at, last_at, requests) VALUES ('c-1', 1, 2, 2)`);
    } finally {
      await pool.end();
    }
    const store = await PostgresStore.open({ url: PG_URL, schema, max: 1 });
    try {
      expect(await versions(store)).toEqual(PG_MIGRATIONS.map((m) => m.version));
      expect(await notByteOrder(store)).toEqual([]);
      expect((await store.requests.get('r-a'))?.id).toBe('r-a');
      expect((await store.conversations.get('c-1'))?.requests.map((r) => r.id)).toEqual(['r-a', 'r-b']);
      const invalid = await store.pool.query(
        `SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND NOT i.indisvalid`,
      );
      expect(invalid.rows).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('refuses a database written by a newer ccflare, saying so', async () => {
    const schema = newSchema();
    const first = await PostgresStore.open({ url: PG_URL, schema, max: 1 });
    await first.pool.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)", [
      PG_LATEST_VERSION + 1,
    ]);
    await first.close();
    await expect(PostgresStore.open({ url: PG_URL, schema, max: 1 })).rejects.toThrow(
      new RegExp(`schema version ${PG_LATEST_VERSION + 1}, newer than this ccflare knows.*upgrade ccflare`),
    );
  });

  it('names the server without its password when it cannot be reached', async () => {
    const url = 'postgres://ccflare:s3cret-pw@127.0.0.1:1/nowhere';
    const err = await PostgresStore.open({ url, schema: newSchema(), max: 1 }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/PostgreSQL at postgres:\/\/ccflare:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    expect(err?.message).not.toContain('s3cret-pw');
  });
});
