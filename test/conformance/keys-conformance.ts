/**
 * `store.keys` as a test suite, run against every back-end. `makeStore` must return a fresh,
 * migrated, empty store; each test closes the store it got.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { NO_LIMITS } from '../../src/storage/contract/keys.js';
import type { Store } from '../../src/storage/contract/store.js';
import { NO_USAGE } from '../support/history-seed.js';
import { sampleRecord } from '../support/sample-record.js';

const T0 = 1_700_000_000_000;

export function describeKeysStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`KeysStore conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.keys.list()).toEqual([]);
      expect(await store.keys.getAdmin()).toBeNull();
    });

    it('inserts, lists oldest first and keeps revoked keys listed', async () => {
      const a = await store.keys.insert({ name: 'a', prefix: 'ccf_AAAA', digest: 'd-a' }, T0);
      const b = await store.keys.insert({ name: 'b', prefix: 'ccf_BBBB', digest: 'd-b' }, T0 + 1);
      expect(a).toMatchObject({
        name: 'a',
        prefix: 'ccf_AAAA',
        digest: 'd-a',
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(a.id).not.toBe(b.id);
      const revoked = await store.keys.revoke('a', T0 + 5);
      expect(revoked).toMatchObject({ id: a.id, revokedAt: T0 + 5 });
      expect((await store.keys.list()).map((k) => [k.name, k.revokedAt])).toEqual([
        ['a', T0 + 5],
        ['b', null],
      ]);
    });

    it('refuses a second active key with the same name, allows the name again after revocation', async () => {
      await store.keys.insert({ name: 'a', prefix: 'p', digest: 'd1' }, T0);
      const err = await store.keys.insert({ name: 'a', prefix: 'p', digest: 'd2' }, T0).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('conflict');
      await store.keys.revoke('a', T0 + 1);
      const again = await store.keys.insert({ name: 'a', prefix: 'p', digest: 'd3' }, T0 + 2);
      expect(again.revokedAt).toBeNull();
      expect(await store.keys.revoke('a', T0 + 3)).toMatchObject({ id: again.id });
      expect(await store.keys.revoke('a', T0 + 4)).toBeNull();
      expect(await store.keys.revoke('nobody', T0)).toBeNull();
    });

    it('touches last use forward only and without moving the revision', async () => {
      const k = await store.keys.insert({ name: 'a', prefix: 'p', digest: 'd' }, T0);
      const rev = await store.keys.revision();
      await store.keys.touch([{ id: k.id, at: T0 + 100 }]);
      await store.keys.touch([{ id: k.id, at: T0 + 50 }]);
      await store.keys.touch([]);
      expect((await store.keys.list())[0]?.lastUsedAt).toBe(T0 + 100);
      expect(await store.keys.revision()).toBe(rev);
    });

    it('moves the revision on create, revoke and every admin key change', async () => {
      let rev = await store.keys.revision();
      const moved = async () => {
        const next = await store.keys.revision();
        const changed = next > rev;
        rev = next;
        return changed;
      };
      await store.keys.insert({ name: 'a', prefix: 'p', digest: 'd' }, T0);
      expect(await moved()).toBe(true);
      await store.keys.revoke('a', T0);
      expect(await moved()).toBe(true);
      await store.keys.setAdmin('admin-1', T0);
      expect(await moved()).toBe(true);
      expect(await store.keys.getAdmin()).toEqual({ digest: 'admin-1', createdAt: T0 });
      await store.keys.setAdmin('admin-2', T0 + 1);
      expect(await moved()).toBe(true);
      expect(await store.keys.getAdmin()).toEqual({ digest: 'admin-2', createdAt: T0 + 1 });
      await store.keys.setAdmin(null, T0 + 2);
      expect(await moved()).toBe(true);
      expect(await store.keys.getAdmin()).toBeNull();
    });

    it('stores limits of an active key, moves the revision, and clears them', async () => {
      await store.keys.insert({ name: 'a', prefix: 'p', digest: 'd' }, T0);
      expect((await store.keys.list())[0]?.limits).toEqual(NO_LIMITS);
      const rev = await store.keys.revision();
      const limits = {
        rpm: 60,
        tokensPerDay: 2_000_000,
        costPerMonthUsd: 12.5,
        models: ['sonnet', 'claude-haiku-4-5'],
      };
      const row = await store.keys.setLimits('a', limits, T0 + 1);
      expect(row?.limits).toEqual(limits);
      expect((await store.keys.list())[0]?.limits).toEqual(limits);
      expect(await store.keys.revision()).toBeGreaterThan(rev);
      expect((await store.keys.setLimits('a', NO_LIMITS, T0 + 2))?.limits).toEqual(NO_LIMITS);
      expect(await store.keys.setLimits('nobody', limits, T0)).toBeNull();
      await store.keys.revoke('a', T0 + 3);
      expect(await store.keys.setLimits('a', limits, T0 + 4)).toBeNull();
    });

    it('sums use per key name over the minute, the day and the month from committed rows', async () => {
      const day = Date.UTC(2026, 11, 5);
      const month = Date.UTC(2026, 11, 1);
      const now = day + 12 * 3600_000;
      const tokens = {
        inputTokens: 10,
        cacheReadTokens: 100,
        cacheWrite5mTokens: 5,
        cacheWrite1hTokens: 1,
        outputTokens: 20,
      };
      await store.requests.writeBatch(
        [
          sampleRecord({ id: 'm1', ts: now - 1000, clientKey: 'a', ...tokens, costUsd: 0.5 }),
          sampleRecord({ id: 'd1', ts: day + 5, clientKey: 'a', ...tokens, costUsd: 0.25 }),
          sampleRecord({ id: 'mo', ts: month + 5, clientKey: 'a', ...tokens, costUsd: 1 }),
          sampleRecord({ id: 'old', ts: month - 5, clientKey: 'a', ...tokens, costUsd: 100 }),
          sampleRecord({
            id: 'none',
            ts: now - 10,
            clientKey: 'b',
            ...NO_USAGE,
          }),
          sampleRecord({ id: 'anon', ts: now - 10, clientKey: null }),
          // Refused by the key's own limit: not a request it made within its rpm, as the limiter counts.
          sampleRecord({
            id: 'refused',
            ts: now - 20,
            clientKey: 'a',
            status: 429,
            success: false,
            error: 'key limit: client key "a" reached its limit of 1 requests per minute',
            ...NO_USAGE,
          }),
        ],
        [],
      );
      expect(await store.keys.usage({ minuteStart: now - 60_000, dayStart: day, monthStart: month })).toEqual([
        { name: 'a', requestsLastMinute: 1, tokensToday: 272, costThisMonthUsd: 1.75 },
        { name: 'b', requestsLastMinute: 1, tokensToday: 0, costThisMonthUsd: 0 },
      ]);
    });

    it("counts a key's use from its creation: a new key under a revoked key's name starts at zero", async () => {
      const day = Date.UTC(2026, 11, 5);
      const now = day + 12 * 3600_000;
      const windows = { minuteStart: now - 60_000, dayStart: day, monthStart: Date.UTC(2026, 11, 1) };
      await store.keys.insert({ name: 'k', prefix: 'p1', digest: 'd1' }, now - 30_000);
      const used = { ...NO_USAGE, inputTokens: 100, outputTokens: 50, costUsd: 0.5 };
      await store.requests.writeBatch(
        [
          sampleRecord({ id: 'r1', ts: now - 20_000, clientKey: 'k', ...used }),
          sampleRecord({ id: 'r2', ts: now - 19_000, clientKey: 'k', ...used }),
        ],
        [],
      );
      await store.keys.revoke('k', now - 10_000);
      await store.keys.insert({ name: 'k', prefix: 'p2', digest: 'd2' }, now - 5_000);
      expect(await store.keys.usage(windows)).toEqual([]);
      await store.requests.writeBatch([sampleRecord({ id: 'r3', ts: now - 1_000, clientKey: 'k', ...used })], []);
      const [k] = await store.keys.usage(windows);
      expect(k).toMatchObject({ name: 'k', requestsLastMinute: 1, costThisMonthUsd: 0.5 });
      expect(k?.tokensToday).toBe(150);
    });
  });
}
