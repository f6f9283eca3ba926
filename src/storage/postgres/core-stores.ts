/** Accounts, keys, settings, agents and notify on PostgreSQL. */
import type { AccountsStore } from '../contract/accounts.js';
import type { AgentsStore } from '../contract/agents.js';
import type { KeysStore } from '../contract/keys.js';
import type { NotifyStore } from '../contract/notify.js';
import type { SettingsStore } from '../contract/settings.js';
import type { PgPool } from './connection.js';

export const CORE_DDL: readonly string[] = [];

export interface CoreStores {
  accounts: AccountsStore;
  keys: KeysStore;
  settings: SettingsStore;
  agents: AgentsStore;
  notify: NotifyStore;
}

export function makeCoreStores(_pool: PgPool): CoreStores {
  throw new Error('PostgreSQL core stores: not built yet');
}
