/**
 * `store.agents` as a test suite, run against every back-end. `makeStore` must return a fresh,
 * migrated, empty store; each test closes the store it got.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/contract/store.js';

const T0 = 1_700_000_000_000;

export function describeAgentsStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`AgentsStore conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.agents.listWorkspaces()).toEqual([]);
      expect(await store.agents.listPreferences()).toEqual([]);
    });

    it('adds workspace sightings up, keeping first seen and moving last seen forward only', async () => {
      await store.agents.recordWorkspaces([
        { path: '/w/a', name: 'a', requests: 3, firstAt: T0 + 10, lastAt: T0 + 20 },
        { path: '/w/b', name: 'b', requests: 1, firstAt: T0, lastAt: T0 },
      ]);
      await store.agents.recordWorkspaces([
        { path: '/w/a', name: 'a', requests: 2, firstAt: T0 + 5, lastAt: T0 + 15 },
        { path: '/w/b', name: 'b', requests: 4, firstAt: T0 + 30, lastAt: T0 + 40 },
      ]);
      expect(await store.agents.listWorkspaces()).toEqual([
        { path: '/w/b', name: 'b', firstSeen: T0, lastSeen: T0 + 40, requests: 5 },
        { path: '/w/a', name: 'a', firstSeen: T0 + 5, lastSeen: T0 + 20, requests: 5 },
      ]);
    });

    it('sets, replaces and clears preferences in one call', async () => {
      await store.agents.setPreferences(
        [
          { agentId: 'r-1', agentName: 'reviewer', model: 'claude-haiku-4-5' },
          { agentId: 'p-2', agentName: 'planner', model: 'claude-opus-4-5' },
        ],
        T0,
      );
      await store.agents.setPreferences(
        [
          { agentId: 'r-1', agentName: 'reviewer', model: 'claude-sonnet-4-6' },
          { agentId: 'p-2', agentName: 'planner', model: null },
          { agentId: 'gone', agentName: 'gone', model: null },
        ],
        T0 + 1,
      );
      expect(await store.agents.listPreferences()).toEqual([
        { agentId: 'r-1', agentName: 'reviewer', model: 'claude-sonnet-4-6', updatedAt: T0 + 1 },
      ]);
    });

    it('bumps the revision for preferences and new workspaces, not for counts of a known one', async () => {
      const r0 = await store.agents.revision();
      await store.agents.setPreferences([{ agentId: 'a', agentName: 'a', model: 'claude-haiku-4-5' }], T0);
      const r1 = await store.agents.revision();
      expect(r1).toBeGreaterThan(r0);
      await store.agents.recordWorkspaces([{ path: '/w/new', name: 'new', requests: 1, firstAt: T0, lastAt: T0 }]);
      const r2 = await store.agents.revision();
      expect(r2).toBeGreaterThan(r1);
      await store.agents.recordWorkspaces([{ path: '/w/new', name: 'new', requests: 7, firstAt: T0, lastAt: T0 + 9 }]);
      expect(await store.agents.revision()).toBe(r2);
      await store.agents.setPreferences([{ agentId: 'a', agentName: 'a', model: null }], T0);
      expect(await store.agents.revision()).toBeGreaterThan(r2);
    });
  });
}
