import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshSchema, hasPg, PG_URL } from '../../../test/support/pg.js';
import { KeyLimiter } from '../../auth/key-limits.js';
import { PgKeyUsage } from './key-usage-counters.js';
import { PostgresStore } from './postgres-store.js';

const NOW = Date.UTC(2026, 11, 5, 12);

describe.runIf(hasPg('postgres key usage'))('PgKeyUsage: client key use shared by instances', () => {
  let schema: string;
  let stores: PostgresStore[];
  let a: PgKeyUsage;
  let b: PgKeyUsage;

  // Two instances: each its own pool on one schema, as two gateways on one database.
  beforeEach(async () => {
    schema = freshSchema('ku');
    stores = await Promise.all([1, 2].map(() => PostgresStore.open({ url: PG_URL, schema, max: 2 })));
    a = new PgKeyUsage((stores[0] as PostgresStore).pool);
    b = new PgKeyUsage((stores[1] as PostgresStore).pool);
  });

  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  const syncBoth = async (now: number) => {
    await a.sync(now);
    await b.sync(now);
    await a.sync(now);
  };

  it("sees the other instance's tokens and cost after a sync, and its own at once", async () => {
    a.add('k', NOW - 1000, 100, 0.5);
    expect(a.tokensToday('k', NOW)).toBe(100);
    expect(b.tokensToday('k', NOW)).toBe(0);
    await syncBoth(NOW);
    expect(b.tokensToday('k', NOW)).toBe(100);
    expect(b.costThisMonth('k', NOW)).toBe(0.5);
    b.add('k', NOW, 50, 0.25);
    await syncBoth(NOW);
    expect([a.tokensToday('k', NOW), b.tokensToday('k', NOW)]).toEqual([150, 150]);
    expect([a.costThisMonth('k', NOW), b.costThisMonth('k', NOW)]).toEqual([0.75, 0.75]);
    // A new UTC day starts from zero; the month goes on.
    const tomorrow = NOW + 86_400_000;
    await syncBoth(tomorrow);
    expect(b.tokensToday('k', tomorrow)).toBe(0);
    expect(b.costThisMonth('k', tomorrow)).toBe(0.75);
  });

  it('holds an rpm limit across instances and frees it when the minute has passed', async () => {
    const limA = new KeyLimiter(a);
    const limB = new KeyLimiter(b);
    const rows = [
      {
        id: 'x',
        name: 'k',
        prefix: 'p',
        digest: 'd',
        createdAt: 0,
        lastUsedAt: null,
        revokedAt: null,
        limits: { rpm: 3, tokensPerDay: null, costPerMonthUsd: null, models: null },
      },
    ];
    limA.apply(rows);
    limB.apply(rows);
    expect(limA.check('k', null, NOW)).toBeNull();
    expect(limA.check('k', null, NOW + 10)).toBeNull();
    await syncBoth(NOW + 20);
    expect(limB.check('k', null, NOW + 30)).toBeNull();
    await syncBoth(NOW + 40);
    // Three admitted in the minute, two by A and one by B: both refuse the fourth (counted per key id).
    expect(a.requestsLastMinute('x', NOW + 50)).toBe(3);
    expect(b.requestsLastMinute('x', NOW + 50)).toBe(3);
    const refusedA = limA.check('k', null, NOW + 50);
    const refusedB = limB.check('k', null, NOW + 50);
    expect(refusedA?.code).toBe('rate_limited');
    expect(refusedB?.code).toBe('rate_limited');
    // retry-after: until the oldest request leaves the minute, never before.
    expect(Number(refusedB?.headers['retry-after'])).toBeGreaterThanOrEqual(60);
    await syncBoth(NOW + 62_000);
    expect(limB.check('k', null, NOW + 62_000)).toBeNull();
  });

  it('seeds from the stored rows once, however many instances start with them', async () => {
    const rows = [{ name: 'k', requestsLastMinute: 0, tokensToday: 1000, costThisMonthUsd: 2 }];
    a.seed(rows, NOW);
    await a.sync(NOW);
    b.seed(rows, NOW);
    await syncBoth(NOW);
    expect([a.tokensToday('k', NOW), b.tokensToday('k', NOW)]).toEqual([1000, 1000]);
    a.add('k', NOW, 10, 0.5);
    await syncBoth(NOW);
    expect([a.tokensToday('k', NOW), b.tokensToday('k', NOW)]).toEqual([1010, 1010]);
    // A restarted instance seeds from rows that now include what A counted: no double count.
    const c = new PgKeyUsage((stores[1] as PostgresStore).pool);
    c.seed([{ name: 'k', requestsLastMinute: 0, tokensToday: 1010, costThisMonthUsd: 2.5 }], NOW);
    await c.sync(NOW);
    expect(c.tokensToday('k', NOW)).toBe(1010);
    expect(c.costThisMonth('k', NOW)).toBe(2.5);
  });

  it('keeps use it could not write for the next sync', async () => {
    a.add('k', NOW, 7, 0);
    await stores[0]?.pool.query('ALTER TABLE key_usage RENAME TO key_usage_away');
    await expect(a.sync(NOW)).rejects.toThrow();
    await stores[0]?.pool.query('ALTER TABLE key_usage_away RENAME TO key_usage');
    a.add('k', NOW, 3, 0);
    await syncBoth(NOW);
    expect(b.tokensToday('k', NOW)).toBe(10);
  });
});
