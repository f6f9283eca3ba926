/**
 * The storage contract. Only `storage/` runs SQL; everything else talks to this interface,
 * which the SQLite store (embedded default) implements and the PostgreSQL store will implement
 * against the same conformance suites (test/conformance). Every method is async so both
 * back-ends fit. The store is a set of sub-stores, one per kind of data.
 */
import type { AccountsStore } from './accounts.js';
import type { AgentsStore } from './agents.js';
import type { AnalyticsStore } from './analytics.js';
import type { ConversationsStore } from './conversations.js';
import type { InstancesStore } from './instances.js';
import type { KeysStore } from './keys.js';
import type { MaintenanceStore } from './maintenance.js';
import type { NotifyStore } from './notify.js';
import type { RequestRecord } from './records.js';
import type { RequestsStore } from './requests.js';
import type { SettingsStore } from './settings.js';
import type { WorkersStore } from './workers.js';

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly accounts: AccountsStore;
  readonly requests: RequestsStore;
  readonly analytics: AnalyticsStore;
  readonly keys: KeysStore;
  readonly settings: SettingsStore;
  readonly maintenance: MaintenanceStore;
  readonly agents: AgentsStore;
  readonly notify: NotifyStore;
  readonly conversations: ConversationsStore;
  readonly workers: WorkersStore;
  /** Which gateway instances are alive: start-up recoveries leave a live instance's work alone. */
  readonly instances: InstancesStore;
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Queue in front of `store.requests.writeBatch`: `enqueue` returns immediately; rows are
 * committed in small batched transactions off the request path. `flush` resolves once everything
 * enqueued before the call is committed (or, refused by the database, parked in the journal).
 */
export interface RecordWriter {
  enqueue(rec: RequestRecord): void;
  flush(): Promise<void>;
  /** Rows waiting to be committed. */
  depth(): number;
  /** How long the oldest record not yet committed has waited, ms (0 when none): the queue's lag. */
  lagMs(): number;
  /** Records waiting in the journal for the database, and records lost, for /health and /metrics. */
  health(): RecordWriterHealth;
  /**
   * Writes what waits in the journal (left by an earlier run, or refused by the database) as far
   * as the database takes it now; resolves when done or refused again. The gateway awaits it
   * before it serves.
   */
  replayJournal(): Promise<void>;
  close(): Promise<void>;
}

export interface RecordWriterHealth {
  /** The journal directory; null when the writer has none (an in-memory database). */
  journal: string | null;
  /** Records only in the journal, waiting for the database to take writes again. */
  waiting: number;
  /** Records lost for good since start: refused by the database and not journaled, or unreadable in the journal. */
  dropped: number;
  /** Unix ms of the last loss, null when none. */
  lastDroppedAt: number | null;
  /** Why records wait (the database's refusal) or the journal's own write failure; null when neither. */
  lastError: string | null;
}
