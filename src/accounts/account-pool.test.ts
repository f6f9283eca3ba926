import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock.js';
import { EventBus, type GatewayEvents } from '../events.js';
import { createLogger } from '../log/logger.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { AccountPool } from './account-pool.js';

const T0 = 1_700_000_000_000;

describe('AccountPool', () => {
  let store: SqliteStore;
  let pool: AccountPool;
  let changed: GatewayEvents['account.changed'][0][];

  beforeEach(async () => {
    // Date too: revision watches check on the multiples of their interval on the clock.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(Date.UTC(2026, 11, 5, 12));
    store = SqliteStore.open(':memory:');
    const events = new EventBus();
    changed = [];
    events.on('account.changed', (e) => changed.push(e));
    pool = new AccountPool({
      store,
      clock: new ManualClock(T0),
      logger: createLogger({ level: 'silent', format: 'json' }),
      events,
      pollMs: 1000,
    });
    await store.accounts.insert({ name: 'main', kind: 'api_key', apiKeyEnc: 'enc' }, T0);
    await pool.start();
  });
  afterEach(async () => {
    pool.stop();
    vi.useRealTimers();
    await store.close();
  });

  it('serves changes made by another writer after one poll, announcing status changes', async () => {
    expect(pool.list().map((a) => a.name)).toEqual(['main']);
    const main = pool.list()[0]?.id as string;
    await store.accounts.insert({ name: 'second', kind: 'api_key', apiKeyEnc: 'enc' }, T0);
    await store.accounts.update(main, { paused: true });
    await vi.advanceTimersByTimeAsync(999);
    expect(pool.list()).toHaveLength(1);
    expect(pool.get(main)?.paused).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(pool.list().map((a) => a.name)).toEqual(['main', 'second']);
    expect(pool.get(main)?.paused).toBe(true);
    expect(changed).toEqual([{ accountId: main, name: 'main', status: 'paused', reason: null, until: null }]);
  });

  it('keeps the per-model weekly windows read from the usage endpoint when response headers update the state', () => {
    const main = pool.list()[0];
    if (!main) throw new Error('no account');
    const w = (u: number) => ({ status: 'allowed', utilization: u, resetAt: T0 + 3_600_000 });
    const base = { status: 'allowed', resetAt: null, sevenDay: null, representativeClaim: 'five_hour' };
    pool.noteRateLimit(main, { ...base, observedAt: T0, fiveHour: w(0.1), sevenDayByFamily: { opus: w(0.6) } });
    pool.noteRateLimit(main, { ...base, observedAt: T0 + 1, fiveHour: w(0.2) });
    expect(pool.get(main.id)?.rateLimit).toMatchObject({ fiveHour: w(0.2), sevenDayByFamily: { opus: w(0.6) } });
  });

  it('refresh() serves a write at once', async () => {
    await store.accounts.insert({ name: 'second', kind: 'api_key', apiKeyEnc: 'enc' }, T0);
    await pool.refresh();
    expect(pool.list().map((a) => a.name)).toEqual(['main', 'second']);
  });
});
