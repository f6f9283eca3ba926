import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterBus, ClusterMessage, ClusterMessages } from './cluster.js';
import { followRevisions } from './follow-revisions.js';

/** A bus whose messages and reconnects the test sends by hand. */
function manualBus() {
  const handlers = new Map<string, Set<(p: never) => void>>();
  const resyncs = new Set<() => void>();
  const bus: ClusterBus = {
    publish: () => {},
    subscribe: (type, fn) => {
      const set = handlers.get(type) ?? new Set();
      handlers.set(type, set);
      set.add(fn as (p: never) => void);
      return () => set.delete(fn as (p: never) => void);
    },
    onResync: (fn) => {
      resyncs.add(fn);
      return () => resyncs.delete(fn);
    },
  };
  return {
    bus,
    send: <K extends ClusterMessage>(type: K, payload: ClusterMessages[K]) => {
      for (const fn of handlers.get(type) ?? []) fn(payload as never);
    },
    reconnect: () => {
      for (const fn of resyncs) fn();
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('followRevisions', () => {
  it('reloads what a moved revision caches at once, and a burst of changes with one more reload', async () => {
    vi.useFakeTimers();
    const m = manualBus();
    const reloads = { accounts: 0, settings: 0, rules: 0 };
    const count = (k: keyof typeof reloads) => async () => {
      reloads[k]++;
    };
    const stop = followRevisions(m.bus, {
      accounts_rev: [count('accounts')],
      settings_rev: [count('settings'), count('rules')],
    });

    m.send('revision', { key: 'accounts_rev' });
    expect(reloads).toEqual({ accounts: 1, settings: 0, rules: 0 });

    // Record batches of busy instances: one reload at the end of the gap serves them all.
    for (let i = 0; i < 20; i++) m.send('revision', { key: 'accounts_rev' });
    expect(reloads.accounts).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(reloads.accounts).toBe(2);

    m.send('revision', { key: 'settings_rev' });
    m.send('revision', { key: 'unknown_rev' });
    expect(reloads).toEqual({ accounts: 2, settings: 1, rules: 1 });

    // After a reconnect, what was missed meanwhile is reloaded.
    await vi.advanceTimersByTimeAsync(100);
    m.reconnect();
    expect(reloads).toEqual({ accounts: 3, settings: 2, rules: 2 });

    stop();
    m.send('revision', { key: 'accounts_rev' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(reloads.accounts).toBe(3);
  });
});
