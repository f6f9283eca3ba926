/**
 * Every conformance suite of the storage contract, for one back-end: the SQLite store runs them
 * (src/storage/sqlite/sqlite-store.test.ts) and the PostgreSQL store will, with its own factory.
 * `makeStore` must return a fresh, migrated, empty store; each test closes the store it got.
 */
import type { Store } from '../../src/storage/contract/store.js';
import { describeAgentsStoreConformance } from './agents-conformance.js';
import { describeHistoryConformance } from './analytics-conformance.js';
import { describeKeysStoreConformance } from './keys-conformance.js';
import { describeNotifyStoreConformance } from './notify-conformance.js';
import { describeStoreConformance } from './store-conformance.js';
import { describeWorkersStoreConformance } from './workers-conformance.js';

export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describeStoreConformance(name, makeStore);
  describeHistoryConformance(name, makeStore);
  describeKeysStoreConformance(name, makeStore);
  describeAgentsStoreConformance(name, makeStore);
  describeNotifyStoreConformance(name, makeStore);
  describeWorkersStoreConformance(name, makeStore);
}
