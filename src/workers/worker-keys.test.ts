import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyService } from '../auth/key-service.js';
import { ManualClock } from '../clock.js';
import { createSecretBox } from '../crypto/secret-box.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { keyServiceWorkerKeys } from './worker-keys.js';

describe('keyServiceWorkerKeys', () => {
  let store: SqliteStore;
  let service: KeyService;

  beforeEach(() => {
    store = SqliteStore.open(':memory:');
    service = new KeyService({
      store,
      box: createSecretBox(randomBytes(32)),
      clock: new ManualClock(1_700_000_000_000),
    });
  });
  afterEach(async () => {
    await store.close();
  });

  const active = async () => (await service.list()).filter((k) => k.active).map((k) => k.name);

  it('mints a key named after the worker, internal until revoked, and a new one for the next run', async () => {
    const owned = new Set<string>();
    const keys = keyServiceWorkerKeys(service, owned);
    const first = await keys.mint('alpha');
    expect(first.name).toBe('worker-alpha');
    expect(first.key).toMatch(/^ccf_/);
    expect(await active()).toEqual(['worker-alpha']);
    expect(owned.has('worker-alpha')).toBe(true);
    await keys.revoke('worker-alpha');
    expect(await active()).toEqual([]);
    expect(owned.size).toBe(0);
    await keys.revoke('worker-alpha');
    const second = await keys.mint('alpha');
    expect(second.key).not.toBe(first.key);
  });

  it("never takes over someone's key of the same name", async () => {
    // Made before such names were kept for workers (a person can no longer create one).
    await service.create('worker-alpha', { internal: true });
    const owned = new Set<string>();
    await expect(keyServiceWorkerKeys(service, owned).mint('alpha')).rejects.toThrow(
      'Worker "alpha" cannot run: a client key named "worker-alpha" already exists; revoke it or rename the worker',
    );
    expect(await active()).toEqual(['worker-alpha']);
    expect(owned.size, 'the existing key is not treated as internal').toBe(0);
  });
});
