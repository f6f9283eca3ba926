/**
 * The KeysStore contract as a test suite, run against every back-end. `makeStore` must return a
 * fresh, migrated, empty store; each test closes the store it got.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { KeysStore } from '../../src/storage/contract/keys.js';

const T0 = 1_700_000_000_000;

type Closable = KeysStore & { close(): Promise<void> };

export function describeKeysStoreConformance(name: string, makeStore: () => Promise<Closable>): void {
  describe(`KeysStore conformance: ${name}`, () => {
    let store: Closable;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.listClientKeys()).toEqual([]);
      expect(await store.getAdminKey()).toBeNull();
    });

    it('inserts, lists oldest first and keeps revoked keys listed', async () => {
      const a = await store.insertClientKey({ name: 'a', prefix: 'ccf_AAAA', digest: 'd-a' }, T0);
      const b = await store.insertClientKey({ name: 'b', prefix: 'ccf_BBBB', digest: 'd-b' }, T0 + 1);
      expect(a).toMatchObject({
        name: 'a',
        prefix: 'ccf_AAAA',
        digest: 'd-a',
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(a.id).not.toBe(b.id);
      const revoked = await store.revokeClientKey('a', T0 + 5);
      expect(revoked).toMatchObject({ id: a.id, revokedAt: T0 + 5 });
      expect((await store.listClientKeys()).map((k) => [k.name, k.revokedAt])).toEqual([
        ['a', T0 + 5],
        ['b', null],
      ]);
    });

    it('refuses a second active key with the same name, allows the name again after revocation', async () => {
      await store.insertClientKey({ name: 'a', prefix: 'p', digest: 'd1' }, T0);
      const err = await store.insertClientKey({ name: 'a', prefix: 'p', digest: 'd2' }, T0).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('conflict');
      await store.revokeClientKey('a', T0 + 1);
      const again = await store.insertClientKey({ name: 'a', prefix: 'p', digest: 'd3' }, T0 + 2);
      expect(again.revokedAt).toBeNull();
      expect(await store.revokeClientKey('a', T0 + 3)).toMatchObject({ id: again.id });
      expect(await store.revokeClientKey('a', T0 + 4)).toBeNull();
      expect(await store.revokeClientKey('nobody', T0)).toBeNull();
    });

    it('touches last use forward only and without moving the revision', async () => {
      const k = await store.insertClientKey({ name: 'a', prefix: 'p', digest: 'd' }, T0);
      const rev = await store.keysRevision();
      await store.touchClientKeys([{ id: k.id, at: T0 + 100 }]);
      await store.touchClientKeys([{ id: k.id, at: T0 + 50 }]);
      await store.touchClientKeys([]);
      expect((await store.listClientKeys())[0]?.lastUsedAt).toBe(T0 + 100);
      expect(await store.keysRevision()).toBe(rev);
    });

    it('moves the revision on create, revoke and every admin key change', async () => {
      let rev = await store.keysRevision();
      const moved = async () => {
        const next = await store.keysRevision();
        const changed = next > rev;
        rev = next;
        return changed;
      };
      await store.insertClientKey({ name: 'a', prefix: 'p', digest: 'd' }, T0);
      expect(await moved()).toBe(true);
      await store.revokeClientKey('a', T0);
      expect(await moved()).toBe(true);
      await store.setAdminKey('admin-1', T0);
      expect(await moved()).toBe(true);
      expect(await store.getAdminKey()).toEqual({ digest: 'admin-1', createdAt: T0 });
      await store.setAdminKey('admin-2', T0 + 1);
      expect(await moved()).toBe(true);
      expect(await store.getAdminKey()).toEqual({ digest: 'admin-2', createdAt: T0 + 1 });
      await store.setAdminKey(null, T0 + 2);
      expect(await moved()).toBe(true);
      expect(await store.getAdminKey()).toBeNull();
    });
  });
}
