/**
 * The cluster of one process (SQLite: one gateway per database file, runtime-file.ts's lock).
 * Nothing crosses processes: published messages have no other instance to reach, the leader is
 * always this process, and `exclusive` only orders calls of this process per key.
 */
import type { Cluster, ClusterBus, LeaderLock } from './cluster.js';

const noop = () => {};

const LOCAL_BUS: ClusterBus = {
  publish: noop,
  subscribe: () => noop,
  onResync: () => noop,
};

const ALWAYS_LEADER: LeaderLock = {
  isLeader: () => true,
  start: noop,
  stop: async () => {},
};

export class LocalCluster implements Cluster {
  readonly kind = 'local' as const;
  readonly bus = LOCAL_BUS;
  readonly sessionPins = null;
  readonly oauthFlows = null;
  private readonly tails = new Map<string, Promise<unknown>>();

  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return chain(this.tails, key, fn);
  }

  leader(): LeaderLock {
    return ALWAYS_LEADER;
  }

  async close(): Promise<void> {}
}

/** Runs `fn` after every earlier call with `key` settled; the map holds only keys with calls pending. */
export function chain<T>(tails: Map<string, Promise<unknown>>, key: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.then(noop, noop);
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return run;
}
