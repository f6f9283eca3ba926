import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freshSchema, hasPg, PG_URL, pgAdmin } from '../../test/support/pg.js';
import { sampleRecord } from '../../test/support/sample-record.js';
import { GatewayError } from '../errors.js';
import { isPostgresUrl, openClusterFor, openStoreFromUrl, openWriterForUrl } from './open-store.js';
import type { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

describe('openStoreFromUrl with a PostgreSQL URL', () => {
  it('tells PostgreSQL URLs from SQLite ones', () => {
    expect(isPostgresUrl('postgres://h/db')).toBe(true);
    expect(isPostgresUrl('PostgreSQL://u@h:5433/db')).toBe(true);
    expect(isPostgresUrl('sqlite:/x.db')).toBe(false);
    expect(isPostgresUrl('/postgres/x.db')).toBe(false);
  });

  it('fails clearly on a server it cannot reach, without the password', async () => {
    const err = await openStoreFromUrl('postgres://ccflare:s3cret@127.0.0.1:1/ccflare?password=s3cret').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('config_invalid');
    const message = (err as Error).message;
    expect(message).toMatch(/^PostgreSQL at postgres:\/\/ccflare:\*\*\*@127\.0\.0\.1:1\/ccflare/);
    expect(message).toMatch(/ECONNREFUSED.*is the server running/);
    expect(message).not.toContain('s3cret');
  });
});

describe.runIf(hasPg('open-store postgres'))('openStoreFromUrl on a PostgreSQL server', () => {
  const schema = freshSchema('o');
  // The URL's own options pin the schema, as an installation sharing a database would.
  const url = (scheme: string) =>
    `${PG_URL.replace(/^postgres(ql)?:/, `${scheme}:`)}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  afterAll(() => pgAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));

  it('opens a migrated PostgreSQL store for postgres:// and postgresql:// alike', async () => {
    await pgAdmin(`CREATE SCHEMA ${schema}`);
    const a = await openStoreFromUrl(url('postgres'));
    const b = await openStoreFromUrl(url('postgresql'));
    try {
      expect([a.kind, b.kind]).toEqual(['postgres', 'postgres']);
      await a.migrate();
      await a.accounts.insert({ name: 'shared', kind: 'max' }, 1);
      expect((await b.accounts.list()).map((x) => x.name)).toEqual(['shared']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("gives a PostgreSQL store a writer that commits to the store's database off the event loop", async () => {
    const store = await openStoreFromUrl(url('postgres'));
    const writer = await openWriterForUrl(url('postgres'), store);
    try {
      // The writer must not open a SQLite file for a postgres:// URL.
      expect(writer.health().journal).toBeNull();
      const pool = (store as PostgresStore).pool;
      const onMainThread = [vi.spyOn(pool, 'connect'), vi.spyOn(pool, 'query')];
      writer.enqueue(sampleRecord({ id: 'w1' }));
      await writer.flush();
      // Its worker thread has a connection of its own to the same database (and schema).
      for (const spy of onMainThread) expect(spy).not.toHaveBeenCalled();
      vi.restoreAllMocks();
      expect((await store.requests.get('w1'))?.id).toBe('w1');
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('coordinates the instances of a postgres:// URL through a cluster, and none for SQLite', async () => {
    const logger = pino({ level: 'silent' });
    const sqlite = SqliteStore.open(':memory:');
    expect(await openClusterFor(sqlite, logger)).toBeNull();
    await sqlite.close();

    const stores = [await openStoreFromUrl(url('postgres')), await openStoreFromUrl(url('postgres'))];
    const clusters = await Promise.all(stores.map((st) => openClusterFor(st, logger)));
    try {
      expect(clusters.map((c) => c?.kind)).toEqual(['postgres', 'postgres']);
      const heard: string[] = [];
      clusters[1]?.bus.subscribe('revision', ({ key }) => heard.push(key));
      await stores[0]?.accounts.insert({ name: 'via-url', kind: 'max' }, 1);
      await vi.waitFor(() => expect(heard).toContain('accounts_rev'), { timeout: 1000, interval: 10 });
    } finally {
      for (const c of clusters) await c?.close();
      for (const st of stores) await st?.close();
    }
  });
});
