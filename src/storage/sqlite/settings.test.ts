import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

describe('settings table (SqliteStore)', () => {
  const stores: SqliteStore[] = [];
  const open = () => {
    const s = SqliteStore.open(':memory:');
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('round-trips JSON values, and null removes a value', async () => {
    const store = open();
    expect(await store.settings.get()).toEqual({});
    await store.settings.put({ sessionMs: 600_000, payloadCapture: false, strategy: 'session' }, 1);
    expect(await store.settings.get()).toEqual({ sessionMs: 600_000, payloadCapture: false, strategy: 'session' });
    await store.settings.put({ sessionMs: 900_000, payloadCapture: null }, 2);
    expect(await store.settings.get()).toEqual({ sessionMs: 900_000, strategy: 'session' });
  });

  it('moves settings_rev on every change and on nothing else', async () => {
    const store = open();
    const r0 = await store.settings.revision();
    await store.settings.put({ sessionMs: 600_000 }, 1);
    const r1 = await store.settings.revision();
    expect(r1).toBeGreaterThan(r0);
    await store.settings.put({ sessionMs: 700_000 }, 2);
    const r2 = await store.settings.revision();
    expect(r2).toBeGreaterThan(r1);
    await store.settings.put({ sessionMs: null }, 3);
    const r3 = await store.settings.revision();
    expect(r3).toBeGreaterThan(r2);
    // Account changes have their own counter.
    await store.accounts.insert({ name: 'a', kind: 'api_key' }, 4);
    expect(await store.settings.revision()).toBe(r3);
  });

  it('writes all keys or none', async () => {
    const store = open();
    await store.settings.put({ a: 1 }, 1);
    // A BigInt cannot be serialized: the whole write fails and the earlier key stays untouched.
    await expect(store.settings.put({ a: 2, b: 10n }, 2)).rejects.toThrow();
    expect(await store.settings.get()).toEqual({ a: 1 });
  });

  it('reads a hand-edited non-JSON value as a string', async () => {
    const store = open();
    store.connection.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('sessionMs', 'oops', 0)").run();
    expect(await store.settings.get()).toEqual({ sessionMs: 'oops' });
  });
});
