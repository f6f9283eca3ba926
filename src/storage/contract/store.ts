/**
 * The storage contract. Only `storage/` runs SQL; everything else talks to this interface,
 * which the SQLite store (embedded default) implements and the PostgreSQL store will implement
 * against the same conformance suite. Every method is async so both back-ends fit.
 */
import type { AccountPatch, AccountRow, NewAccount, TokenSwap } from './accounts.js';
import type { AnalyticsQuery, AnalyticsResult, StatsResult } from './analytics.js';
import type { KeysStore } from './keys.js';
import type { CompactResult, PruneCutoffs, PruneResult, StorageSummary } from './maintenance.js';
import type { AccountUsageDelta, RequestRecord, StoredRequest } from './records.js';
import type { RequestListQuery, RequestQuery, RequestSummaryPage } from './requests.js';
import type { SettingsStore } from './settings.js';

export interface RequestQueryStore {
  /** Newest first; filters combine with AND. */
  listRequestSummaries(q: RequestListQuery): Promise<RequestSummaryPage>;
  /** All retained history: totals, per account (every current account, plus removed ones with history), last errors. */
  requestStats(opts: { recentErrors: number }): Promise<StatsResult>;
  /**
   * Sets every account's request and session request counters to 0; history is untouched.
   * Returns the number of accounts reset.
   */
  resetAccountUsage(): Promise<number>;
  analytics(q: AnalyticsQuery): Promise<AnalyticsResult>;
  /** Deletes expired rows in small transactions so writers are never locked out for long. */
  pruneRequests(c: PruneCutoffs): Promise<PruneResult>;
  /** Reclaims free space (VACUUM) and truncates the write-ahead log. */
  compact(): Promise<CompactResult>;
  /** What is stored and since when; cheap enough for a dashboard card (no table scans). */
  storageSummary(): Promise<StorageSummary>;
}

export interface Store extends SettingsStore, KeysStore, RequestQueryStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  listAccounts(): Promise<AccountRow[]>;
  getAccountByName(name: string): Promise<AccountRow | null>;
  getAccount(id: string): Promise<AccountRow | null>;
  /** Throws GatewayError('conflict') when the name exists. */
  insertAccount(a: NewAccount, now: number): Promise<AccountRow>;
  updateAccount(id: string, patch: AccountPatch): Promise<void>;
  /** Returns false when no such account. */
  deleteAccount(id: string): Promise<boolean>;
  /**
   * Replaces the token pair only when the stored refresh token is still the one that was
   * refreshed (`expectedFp`): a slower concurrent refresh can never overwrite a newer pair.
   */
  swapTokens(id: string, expectedFp: string | null, next: TokenSwap): Promise<boolean>;
  /** Monotonic counter bumped by every change to the accounts table (any process). */
  accountsRevision(): Promise<number>;

  /** Inserts request rows (+ payloads) and applies usage deltas in one transaction. */
  writeBatch(records: RequestRecord[], usage: AccountUsageDelta[]): Promise<void>;
  listRequests(q: RequestQuery): Promise<StoredRequest[]>;
  getRequest(id: string): Promise<StoredRequest | null>;
  countRequests(): Promise<number>;
}

/**
 * Queue in front of `Store.writeBatch`: `enqueue` returns immediately; rows are committed in
 * small batched transactions off the request path. `flush` resolves once everything enqueued
 * before the call is committed.
 */
export interface RecordWriter {
  enqueue(rec: RequestRecord): void;
  flush(): Promise<void>;
  /** Rows waiting to be committed. */
  depth(): number;
  /** How long the oldest record not yet committed has waited, ms (0 when none): the queue's lag. */
  lagMs(): number;
  close(): Promise<void>;
}
