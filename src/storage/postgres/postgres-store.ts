/**
 * The PostgreSQL store: the same contract as SQLite's (contract/store.ts) over a `pg` pool, for
 * several instances sharing one database.
 */

import { GatewayError } from '../../errors.js';
import type { AccountsStore } from '../contract/accounts.js';
import type { AgentsStore } from '../contract/agents.js';
import type { AnalyticsStore } from '../contract/analytics.js';
import type { ConversationsStore } from '../contract/conversations.js';
import type { KeysStore } from '../contract/keys.js';
import type { MaintenanceStore } from '../contract/maintenance.js';
import type { NotifyStore } from '../contract/notify.js';
import type { RequestsStore } from '../contract/requests.js';
import type { SettingsStore } from '../contract/settings.js';
import type { Store } from '../contract/store.js';
import type { WorkersStore } from '../contract/workers.js';
import { ensureSchema, openPool, type PgOptions, type PgPool, redactUrl } from './connection.js';
import { makeCoreStores } from './core-stores.js';
import { PgInstances } from './instances.js';
import { migratePg } from './migrations.js';
import { makeRecordStores } from './record-stores.js';

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly accounts: AccountsStore;
  readonly keys: KeysStore;
  readonly settings: SettingsStore;
  readonly agents: AgentsStore;
  readonly notify: NotifyStore;
  readonly workers: WorkersStore;
  readonly requests: RequestsStore;
  readonly analytics: AnalyticsStore;
  readonly maintenance: MaintenanceStore;
  readonly conversations: ConversationsStore;
  readonly instances: PgInstances;
  private closed = false;

  private constructor(
    readonly pool: PgPool,
    /** What the store was opened with: the cluster's own connections (pg-cluster.ts) use the same. */
    readonly options: PgOptions,
  ) {
    const core = makeCoreStores(pool);
    const records = makeRecordStores(pool);
    this.accounts = core.accounts;
    this.keys = core.keys;
    this.settings = core.settings;
    this.agents = core.agents;
    this.notify = core.notify;
    this.workers = core.workers;
    this.requests = records.requests;
    this.analytics = records.analytics;
    this.maintenance = records.maintenance;
    this.conversations = records.conversations;
    this.instances = new PgInstances(options);
  }

  /** Connects, creates the schema when asked for one, and migrates (under the advisory lock). */
  static async open(opts: PgOptions): Promise<PostgresStore> {
    const pool = openPool(opts);
    try {
      await ensureSchema(pool, opts.schema);
      await migratePg(pool);
      return new PostgresStore(pool, opts);
    } catch (err) {
      await pool.end().catch(() => {});
      throw openError(opts.url, err);
    }
  }

  async migrate(): Promise<void> {
    await migratePg(this.pool);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.instances.releaseAll();
    await this.pool.end();
  }
}

/** Errors of the socket, not the server: the URL's host or port is wrong, or the server is down. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Why the store could not be opened, naming the server without its password. */
function openError(url: string, err: unknown): GatewayError {
  const where = `PostgreSQL at ${redactUrl(url)}`;
  if (err instanceof GatewayError) return new GatewayError(err.code, `${where}: ${err.message}`, { cause: err });
  const why = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const unreachable = (typeof code === 'string' && UNREACHABLE.has(code)) || /timeout/i.test(why);
  const hint = unreachable ? '; is the server running, and are the host and port of the database URL right?' : '';
  return new GatewayError('config_invalid', `${where} cannot be used: ${why}${hint}`, { cause: err });
}
