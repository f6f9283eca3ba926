/** The embedded SQLite store: one connection, a sub-store per kind of data (contract/store.ts). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { Store } from '../contract/store.js';
import type { PayloadFiles } from '../payloads/payload-files.js';
import { AccountFilter } from './account-filter.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteAgents } from './agents.js';
import { SqliteAnalytics } from './analytics.js';
import { prepareBatchWrite } from './batch-write.js';
import { databaseFileError, MEMORY_PATH, openDatabase, payloadFilesFor } from './connection.js';
import { SqliteConversations } from './conversations.js';
import { SqliteInstances } from './instances.js';
import { SqliteKeys } from './keys.js';
import { SqliteMaintenance } from './maintenance.js';
import { migrate } from './migrations.js';
import { SqliteNotify } from './notify.js';
import { SqliteRequests } from './requests.js';
import { SqliteSettings } from './settings.js';
import { StatementCache } from './statement-cache.js';
import { SqliteWorkers } from './workers.js';

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** Null for an in-memory database, whose payloads stay in request_payloads. */
  readonly payloadFiles: PayloadFiles | null;
  readonly accounts: SqliteAccounts;
  readonly requests: SqliteRequests;
  readonly analytics: SqliteAnalytics;
  readonly keys: SqliteKeys;
  readonly settings: SqliteSettings;
  readonly maintenance: SqliteMaintenance;
  readonly agents: SqliteAgents;
  readonly notify: SqliteNotify;
  readonly conversations: SqliteConversations;
  readonly workers: SqliteWorkers;
  readonly instances = new SqliteInstances();
  private closed = false;

  private constructor(
    /** The database file (or `:memory:`); the batched writer's worker opens it too. */
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    this.payloadFiles = payloadFilesFor(path);
    const statements = new StatementCache(db);
    const accountFilter = new AccountFilter(db);
    this.accounts = new SqliteAccounts(db);
    this.requests = new SqliteRequests(
      db,
      this.payloadFiles,
      prepareBatchWrite(db, this.payloadFiles),
      statements,
      accountFilter,
    );
    this.analytics = new SqliteAnalytics(db, statements, accountFilter);
    this.keys = new SqliteKeys(db);
    this.settings = new SqliteSettings(db);
    this.maintenance = new SqliteMaintenance(db, path, this.payloadFiles, statements);
    this.agents = new SqliteAgents(db);
    this.notify = new SqliteNotify(db, this.instances);
    this.conversations = new SqliteConversations(db, this.payloadFiles, statements);
    this.workers = new SqliteWorkers(db, this.instances);
  }

  /**
   * Opens (creating the file and its directory when missing) and migrates: statements are
   * prepared once here, which needs the tables, so `migrate()` afterwards is a no-op.
   */
  static open(path: string): SqliteStore {
    // Owner only, like the files in it (connection.ts); an existing directory keeps its mode.
    if (path !== MEMORY_PATH && path !== '') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = openDatabase(path);
    try {
      migrate(db);
      return new SqliteStore(path, db);
    } catch (err) {
      db.close();
      throw databaseFileError(path, err);
    }
  }

  /** The raw connection, for tests only. */
  get connection(): Database.Database {
    return this.db;
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
