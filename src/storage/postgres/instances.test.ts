import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasPg, PG_URL, pgStoreFactory } from '../../../test/support/pg.js';
import { PostgresStore } from './postgres-store.js';

describe.runIf(hasPg('postgres instances'))('an instance registered on PostgreSQL', () => {
  const open = pgStoreFactory();
  let store: PostgresStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  /** Server process ids holding the instance's lock (one while it is alive). */
  const holders = async (instanceId: string) =>
    (
      await store.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
           AND objid = hashtext(ccflare_channel() || ':' || $1)::oid`,
        [instanceId],
      )
    ).rows.map((r) => r.pid);

  it('takes its lock again when the connection holding it is cut, and gives it up when released', async () => {
    const lease = await store.instances.register('i-cut');
    const [first] = await holders('i-cut');
    expect(first).toBeTypeOf('number');
    await store.pool.query('SELECT pg_terminate_backend($1)', [first]);
    // Alive again on a new connection, without the gateway doing anything.
    await vi.waitFor(
      async () => {
        const now = await holders('i-cut');
        expect(now).toHaveLength(1);
        expect(now[0]).not.toBe(first);
      },
      { timeout: 5000, interval: 50 },
    );
    await lease.release();
    expect(await holders('i-cut')).toEqual([]);
  });

  it('drops every lease when the store closes', async () => {
    await store.instances.register('i-close');
    expect(await holders('i-close')).toHaveLength(1);
    const same = await PostgresStore.open({ url: PG_URL, schema: store.options.schema, max: 1 });
    try {
      await store.close();
      store = same;
      expect(await holders('i-close')).toEqual([]);
    } catch (err) {
      await same.close();
      throw err;
    }
  });
});
