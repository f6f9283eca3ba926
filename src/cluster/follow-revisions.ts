/**
 * Reloads cached data as soon as another instance (or the CLI) changes it: the store's revision
 * triggers publish `revision` messages at commit, and each key maps to the reloads of what
 * caches it. The revision polls stay as they are: they cover messages lost while the bus was
 * reconnecting (after which everything is reloaded once) and report failing reloads.
 */
import type { ClusterBus } from './cluster.js';

/** Revision key (`accounts_rev`, `keys_rev`, `settings_rev`, …) to the reloads it calls for. */
export type RevisionReloads = Readonly<Record<string, readonly (() => Promise<void>)[]>>;

export interface FollowOptions {
  /**
   * Reloads of one key start at most this often (default 100 ms); messages in between are
   * served by one reload at the end of the gap. Under load every record batch of every instance
   * moves `accounts_rev` (usage counters), and each message would otherwise reread the accounts.
   */
  minGapMs?: number;
}

export function followRevisions(bus: ClusterBus, reloads: RevisionReloads, opts: FollowOptions = {}): () => void {
  const minGapMs = opts.minGapMs ?? 100;
  const lastRun = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();

  const run = (key: string) => {
    lastRun.set(key, Date.now());
    // A failed reload is the poll's to report (one line per failure streak); it retries on its tick.
    for (const fn of reloads[key] ?? []) fn().catch(() => {});
  };
  const request = (key: string) => {
    if (reloads[key] === undefined || timers.has(key)) return;
    const wait = (lastRun.get(key) ?? Number.NEGATIVE_INFINITY) + minGapMs - Date.now();
    if (wait <= 0) {
      run(key);
      return;
    }
    const t = setTimeout(() => {
      timers.delete(key);
      run(key);
    }, wait);
    t.unref();
    timers.set(key, t);
  };

  const offMessage = bus.subscribe('revision', ({ key }) => request(key));
  const offResync = bus.onResync(() => {
    for (const key of Object.keys(reloads)) request(key);
  });
  return () => {
    offMessage();
    offResync();
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  };
}
