/** Accounts, keys, settings, agents and notify on PostgreSQL. */
import type { AccountsStore } from '../contract/accounts.js';
import type { AgentsStore } from '../contract/agents.js';
import type { KeysStore } from '../contract/keys.js';
import type { NotifyStore } from '../contract/notify.js';
import type { SettingsStore } from '../contract/settings.js';
import type { WorkersStore } from '../contract/workers.js';
import type { PgPool } from './connection.js';

export const CORE_DDL: readonly string[] = [];

export interface CoreStores {
  accounts: AccountsStore;
  keys: KeysStore;
  settings: SettingsStore;
  agents: AgentsStore;
  notify: NotifyStore;
  workers: WorkersStore;
}

// Placeholder while the PostgreSQL store is being built: each method says it is missing.
const notBuilt = (part: string) =>
  new Proxy(
    {},
    {
      get: (_t, method) => () => Promise.reject(new Error(`PostgreSQL ${part}.${String(method)}: not built yet`)),
    },
  );

export function makeCoreStores(_pool: PgPool): CoreStores {
  return {
    accounts: notBuilt('accounts') as never,
    keys: notBuilt('keys') as never,
    settings: notBuilt('settings') as never,
    agents: notBuilt('agents') as never,
    notify: notBuilt('notify') as never,
    workers: notBuilt('workers') as never,
  };
}
