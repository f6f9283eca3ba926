/**
 * Reloads cached data as soon as another instance (or the CLI) changes it: the store's revision
 * triggers publish `revision` messages at commit, and each key maps to the reloads of what
 * caches it. The revision polls stay as they are: they cover messages lost while the bus was
 * reconnecting (after which everything is reloaded once) and report failing reloads.
 */
import type { ClusterBus } from './cluster.js';

/** Revision key (`accounts_rev`, `keys_rev`, `settings_rev`, …) to the reloads it calls for. */
export type RevisionReloads = Readonly<Record<string, readonly (() => Promise<void>)[]>>;

export function followRevisions(bus: ClusterBus, reloads: RevisionReloads): () => void {
  // A failed reload is the poll's to report (one line per failure streak); it retries on its tick.
  const run = (fns: readonly (() => Promise<void>)[] | undefined) => {
    for (const fn of fns ?? []) fn().catch(() => {});
  };
  const offMessage = bus.subscribe('revision', ({ key }) => run(reloads[key]));
  const offResync = bus.onResync(() => {
    for (const fns of Object.values(reloads)) run(fns);
  });
  return () => {
    offMessage();
    offResync();
  };
}
