/**
 * `store.notify` as a test suite, run against every back-end. `makeStore` must return a fresh,
 * migrated, empty store; each test closes the store it got.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { DeliveryRow } from '../../src/storage/contract/notify.js';
import type { Store } from '../../src/storage/contract/store.js';
import { sampleRecord } from '../support/sample-record.js';

const T0 = 1_700_000_000_000;

function delivery(id: string, at: number, owner: string | null = null): DeliveryRow {
  return {
    id,
    channelId: 'c',
    channelName: 'hook',
    eventId: `e-${id}`,
    eventType: 'pool.exhausted',
    subject: 'pool',
    title: 't',
    status: 'pending',
    attempts: 0,
    lastError: null,
    responseStatus: null,
    createdAt: at,
    updatedAt: at,
    owner,
  };
}

export function describeNotifyStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`NotifyStore conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it('starts with the dashboard channel only, which cannot be removed', async () => {
      const list = await store.notify.listChannels();
      expect(list.map((c) => [c.name, c.kind, c.enabled])).toEqual([['dashboard', 'dashboard', true]]);
      expect(list[0]?.events).toContain('pool.exhausted');
      await expect(store.notify.deleteChannel('dashboard')).rejects.toBeInstanceOf(GatewayError);
    });

    it('adds, changes and removes channels, refuses a second of the same name, and moves the revision', async () => {
      const r0 = await store.notify.revision();
      const c = await store.notify.insertChannel(
        {
          name: 'hook',
          kind: 'webhook',
          urlEnc: 'enc',
          urlHint: 'https://x/••••',
          secretEnc: null,
          events: ['pool.exhausted'],
          enabled: true,
        },
        T0,
      );
      expect(c).toMatchObject({ name: 'hook', events: ['pool.exhausted'], enabled: true, createdAt: T0 });
      await expect(store.notify.insertChannel({ ...c, urlEnc: 'x' }, T0)).rejects.toMatchObject({ code: 'conflict' });
      const u = await store.notify.updateChannel('hook', { enabled: false, events: [], secretEnc: 's' }, T0 + 1);
      expect(u).toMatchObject({ enabled: false, events: [], secretEnc: 's', urlEnc: 'enc', updatedAt: T0 + 1 });
      expect(await store.notify.updateChannel('nope', { enabled: false }, T0)).toBeNull();
      expect(await store.notify.deleteChannel('hook')).toBe(true);
      expect(await store.notify.deleteChannel('hook')).toBe(false);
      expect(await store.notify.revision()).toBeGreaterThan(r0);
    });

    it('keeps the rules document and moves the revision when it changes', async () => {
      expect(await store.notify.getRules()).toBeNull();
      const r0 = await store.notify.revision();
      await store.notify.putRules({ windowMs: 60_000 }, T0);
      expect(await store.notify.getRules()).toEqual({ windowMs: 60_000 });
      expect(await store.notify.revision()).toBeGreaterThan(r0);
    });

    it('logs deliveries newest first, updates them and prunes to the newest', async () => {
      for (let i = 0; i < 5; i++) await store.notify.insertDelivery(delivery(`d${i}`, T0 + i));
      await store.notify.updateDelivery('d4', {
        status: 'failed',
        attempts: 3,
        lastError: 'HTTP 500',
        responseStatus: 500,
        updatedAt: T0 + 10,
      });
      const list = await store.notify.listDeliveries(10);
      expect(list.map((d) => d.id)).toEqual(['d4', 'd3', 'd2', 'd1', 'd0']);
      expect(list[0]).toMatchObject({ status: 'failed', attempts: 3, lastError: 'HTTP 500', responseStatus: 500 });
      await store.notify.prune(2);
      expect((await store.notify.listDeliveries(10)).map((d) => d.id)).toEqual(['d4', 'd3']);
    });

    it('marks interrupted at start the pending deliveries of this instance and of gone ones, not a live one’s', async () => {
      const other = await store.instances.register('i-live');
      try {
        await store.notify.insertDelivery(delivery('mine', T0, 'i-me'));
        await store.notify.insertDelivery(delivery('gone', T0, 'i-gone'));
        await store.notify.insertDelivery(delivery('nobody', T0, null));
        await store.notify.insertDelivery(delivery('live', T0, 'i-live'));
        await store.notify.insertDelivery({ ...delivery('sent', T0, 'i-gone'), status: 'delivered' });
        expect(await store.notify.interruptPending(T0 + 5, 'i-me')).toBe(3);
        const status = async () =>
          Object.fromEntries((await store.notify.listDeliveries(10)).map((d) => [d.id, d.status]));
        expect(await status()).toEqual({
          mine: 'interrupted',
          gone: 'interrupted',
          nobody: 'interrupted',
          live: 'pending',
          sent: 'delivered',
        });
        expect((await store.notify.listDeliveries(10)).find((d) => d.id === 'gone')).toMatchObject({
          owner: 'i-gone',
          updatedAt: T0 + 5,
          lastError: 'gateway stopped before the first attempt finished',
        });
        // Once that instance is gone too, the next one to start takes its delivery over.
        await other.release();
        expect(await store.notify.interruptPending(T0 + 6, 'i-next')).toBe(1);
        expect((await status()).live).toBe('interrupted');
      } finally {
        await other.release();
      }
    });

    it('gives a repeat window to its first claimer only, again once it has ended, each key on its own', async () => {
      const key = 'account.rate_limited work';
      expect(await store.notify.claimWindow(key, 1000, 61_000)).toBe(true);
      // Another instance hearing the same event inside the window.
      expect(await store.notify.claimWindow(key, 5000, 65_000)).toBe(false);
      expect(await store.notify.claimWindow('account.rate_limited home', 5000, 65_000)).toBe(true);
      expect(await store.notify.claimWindow(key, 61_000, 121_000)).toBe(true);
      expect(await store.notify.claimWindow(key, 61_001, 121_001)).toBe(false);
      // Ended early (its recovery was sent): the next claim succeeds before the window's end.
      await store.notify.releaseWindow(key, 70_000);
      expect(await store.notify.claimWindow(key, 70_000, 130_000)).toBe(true);
      // Releasing a window that ended already changes nothing.
      await store.notify.releaseWindow('account.rate_limited nobody', 70_000);
      expect(await store.notify.claimWindow('account.rate_limited nobody', 70_000, 130_000)).toBe(true);
    });

    it('keeps the inbox with an unread count', async () => {
      for (let i = 0; i < 3; i++) {
        await store.notify.insertInbox({
          id: `i${i}`,
          type: 'pool.exhausted',
          subject: 'pool',
          severity: 'critical',
          title: `t${i}`,
          text: '',
          at: T0 + i,
          readAt: null,
        });
      }
      expect(await store.notify.unreadCount()).toBe(3);
      await store.notify.markRead(['i0'], T0 + 5);
      expect(await store.notify.unreadCount()).toBe(2);
      expect((await store.notify.listInbox(2)).map((e) => [e.id, e.readAt])).toEqual([
        ['i2', null],
        ['i1', null],
      ]);
      await store.notify.markRead(null, T0 + 6);
      expect(await store.notify.unreadCount()).toBe(0);
    });

    it('sums the spend since a time, overall and per client key', async () => {
      await store.requests.writeBatch(
        [
          sampleRecord({ id: '00000000-0000-7000-8000-000000000001', ts: T0 - 1, costUsd: 5, clientKey: 'a' }),
          sampleRecord({ id: '00000000-0000-7000-8000-000000000002', ts: T0, costUsd: 1, clientKey: 'a' }),
          sampleRecord({ id: '00000000-0000-7000-8000-000000000003', ts: T0 + 1, costUsd: 2, clientKey: null }),
          sampleRecord({ id: '00000000-0000-7000-8000-000000000004', ts: T0 + 2, costUsd: null, clientKey: 'b' }),
        ],
        [],
      );
      expect(await store.notify.spendSince(T0)).toEqual({ total: 3, byKey: { a: 1 } });
    });
  });
}
