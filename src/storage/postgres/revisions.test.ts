import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshSchema, hasPg, PG_URL } from '../../../test/support/pg.js';
import { PostgresStore } from './postgres-store.js';

const NOW = Date.UTC(2026, 11, 5, 12);

describe.runIf(hasPg('postgres revisions'))('PostgreSQL revision reads', () => {
  let schema: string;
  let store: PostgresStore;

  beforeEach(async () => {
    schema = freshSchema('rev');
    store = await PostgresStore.open({ url: PG_URL, schema, max: 2 });
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  const metaReads = (spy: { mock: { calls: unknown[][] } }) =>
    spy.mock.calls.filter(([sql]) => typeof sql === 'string' && sql.includes('FROM meta')).length;

  it('answers the revisions asked for in one turn with one query, each with its own value', async () => {
    await store.settings.put({ strategy: 'session' }, NOW);
    await store.settings.put({ strategy: 'least-requests' }, NOW);
    const spy = vi.spyOn(store.pool, 'query');
    const [settings, accounts, keys, agents, notify, again] = await Promise.all([
      store.settings.revision(),
      store.accounts.revision(),
      store.keys.revision(),
      store.agents.revision(),
      store.notify.revision(),
      store.settings.revision(),
    ]);
    expect(metaReads(spy)).toBe(1);
    expect(settings).toBe(2);
    expect(again).toBe(2);
    expect([accounts, keys, agents, notify]).toEqual([0, 0, 0, 0]);
  });

  it('sees a write made before the read was asked for, and reads again in a later turn', async () => {
    const spy = vi.spyOn(store.pool, 'query');
    const before = await store.settings.revision();
    await store.settings.put({ strategy: 'session' }, NOW);
    expect(await store.settings.revision()).toBe(before + 1);
    expect(metaReads(spy)).toBe(2);
  });

  it('rejects every read of a turn when the query fails', async () => {
    vi.spyOn(store.pool, 'query').mockImplementationOnce((() =>
      Promise.reject(new Error('connection terminated'))) as unknown as typeof store.pool.query);
    const reads = [store.settings.revision(), store.keys.revision()];
    for (const r of reads) await expect(r).rejects.toThrow('connection terminated');
    expect(await store.keys.revision()).toBe(0);
  });
});
