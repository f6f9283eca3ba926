/**
 * The notifier on a real (in-memory) store, read through the dashboard channel's inbox: which
 * notices go out across outages, recoveries, restarts and threshold changes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../../test/support/log-lines.js';
import { sampleRecord } from '../../test/support/sample-record.js';
import { ManualClock } from '../clock.js';
import { EventBus } from '../events.js';
import { DEFAULT_NOTIFY_RULES, type NotifyRules } from '../shared/notify-schemas.js';
import type { SpendSince } from '../storage/contract/notify.js';
import type { RequestRecord } from '../storage/contract/records.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { Notifier } from './notifier.js';

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);

const running: Notifier[] = [];
afterEach(() => {
  for (const n of running.splice(0)) n.stop();
});

function rig() {
  const store = SqliteStore.open(':memory:');
  const clock = new ManualClock(T0);
  const events = new EventBus();
  /** A gateway process on this store: a restart is a new one. */
  const instance = async (id: string, seed?: SpendSince) => {
    const notify =
      seed === undefined ? store.notify : Object.assign(Object.create(store.notify), { spendSince: async () => seed });
    const n = new Notifier({
      store: { notify },
      box: { decrypt: (s: string) => s },
      clock,
      logger: captureLogger().logger,
      events,
      accounts: () => [],
      pollMs: 60_000,
      instanceId: id,
    });
    await n.start();
    running.push(n);
    return n;
  };
  let seq = 0;
  const request = (over: Partial<RequestRecord>) => {
    clock.advance(1000);
    events.emit('request.finished', sampleRecord({ id: `r${++seq}`, ts: clock.now(), costUsd: null, ...over }));
  };
  const inbox = async () => (await store.notify.listInbox(100)).map((e) => e.title).reverse();
  const rules = async (over: Partial<NotifyRules>, n: Notifier) => {
    await store.notify.putRules({ ...DEFAULT_NOTIFY_RULES, errorRate: { percent: null, minRequests: 1 }, ...over }, T0);
    await n.refresh();
  };
  return { store, clock, instance, request, inbox, rules };
}

const noUsable = { status: 503, success: false, error: 'No usable account (1 configured: 1 cooling down)' };
const served = { status: 200, success: true, accountName: 'alpha' };

describe('Notifier: outages and recoveries', () => {
  it('tells every outage after a recovery, each recovery once, and nothing for a gateway not set up yet', async () => {
    const { instance, request, inbox, rules } = rig();
    // First start, no account yet: the 503 is setup, not an outage.
    const first = await instance('i1');
    await rules({}, first);
    request({ status: 503, success: false, error: 'No accounts configured: add one with `ccflare accounts add`' });
    first.stop();

    // Accounts added, the gateway restarted; all of them rate limited, then serving again, twice
    // within the hour's window.
    await instance('i2');
    request(noUsable);
    request(noUsable);
    request(served);
    request(noUsable);
    request(served);
    request(served);
    const expected = [
      'No usable account: requests are answered 503',
      'Accounts are serving again',
      'No usable account: requests are answered 503',
      'Accounts are serving again',
    ];
    await vi.waitFor(async () => expect(await inbox()).toHaveLength(4));
    expect(await inbox()).toEqual(expected);
  });

  it('tells one outage and one recovery when two instances detect them', async () => {
    const { instance, request, inbox } = rig();
    // Both hear every request, as each hears the other's through the cluster's summaries.
    await instance('i1');
    await instance('i2');
    request(noUsable);
    request(served);
    request(noUsable);
    await vi.waitFor(async () => expect(await inbox()).toHaveLength(3));
    request(served);
    await vi.waitFor(async () => expect(await inbox()).toHaveLength(4));
    expect(await inbox()).toEqual([
      'No usable account: requests are answered 503',
      'Accounts are serving again',
      'No usable account: requests are answered 503',
      'Accounts are serving again',
    ]);
  });
});

describe('Notifier: spend thresholds', () => {
  it('tells a threshold set below the day’s spend on the next request, and not again after a restart that day', async () => {
    const { clock, instance, request, inbox, rules } = rig();
    const first = await instance('i1');
    request({ costUsd: 3 });
    await rules({ windowMs: 60_000, spend: { ...DEFAULT_NOTIFY_RULES.spend, dailyUsd: 2 } }, first);
    request({ costUsd: null });
    await vi.waitFor(async () => expect(await inbox()).toEqual(['All requests: spend passed $2.00 this day']));

    // Restarted two hours later, past the repeat window, with the day's spend read back.
    first.stop();
    clock.advance(2 * 3_600_000);
    await instance('i2', { total: 3, byKey: {} });
    request({ costUsd: 0.1 });
    // A notice that does go out afterwards shows that nothing is merely still on its way.
    request(noUsable);
    await vi.waitFor(async () => expect(await inbox()).toHaveLength(2));
    expect(await inbox()).toEqual([
      'All requests: spend passed $2.00 this day',
      'No usable account: requests are answered 503',
    ]);
  });
});
