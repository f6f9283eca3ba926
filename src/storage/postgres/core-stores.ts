/** Accounts, keys, settings, agents, notify and workers on PostgreSQL. */
import type { AccountsStore } from '../contract/accounts.js';
import type { AgentsStore } from '../contract/agents.js';
import type { KeysStore } from '../contract/keys.js';
import type { NotifyStore } from '../contract/notify.js';
import type { SettingsStore } from '../contract/settings.js';
import type { WorkersStore } from '../contract/workers.js';
import { ACCOUNTS_DDL, PgAccounts } from './accounts.js';
import { AGENTS_DDL, PgAgents } from './agents.js';
import type { PgPool } from './connection.js';
import { KEY_USAGE_DDL } from './key-usage-counters.js';
import { KEYS_DDL, PgKeys } from './keys.js';
import { NOTIFY_DDL, PgNotify } from './notify.js';
import { OAUTH_FLOWS_DDL } from './oauth-flows.js';
import { META_DDL, RevisionReader } from './revisions.js';
import { SESSION_PINS_DDL } from './session-pins.js';
import { PgSettings, SETTINGS_DDL } from './settings.js';
import { PgWorkers, WORKERS_DDL } from './workers.js';

/** meta first: every other part inserts its revision row into it. */
export const CORE_DDL: readonly string[] = [
  META_DDL,
  ACCOUNTS_DDL,
  KEYS_DDL,
  KEY_USAGE_DDL,
  SETTINGS_DDL,
  AGENTS_DDL,
  NOTIFY_DDL,
  WORKERS_DDL,
  SESSION_PINS_DDL,
  OAUTH_FLOWS_DDL,
];

export interface CoreStores {
  accounts: AccountsStore;
  keys: KeysStore;
  settings: SettingsStore;
  agents: AgentsStore;
  notify: NotifyStore;
  workers: WorkersStore;
}

export function makeCoreStores(pool: PgPool): CoreStores {
  const revisions = new RevisionReader(pool);
  return {
    accounts: new PgAccounts(pool, revisions),
    keys: new PgKeys(pool, revisions),
    settings: new PgSettings(pool, revisions),
    agents: new PgAgents(pool, revisions),
    notify: new PgNotify(pool, revisions),
    workers: new PgWorkers(pool),
  };
}
