/**
 * The storage contract. Only `storage/` runs SQL; everything else talks to this interface,
 * which the SQLite store (embedded default) implements and the PostgreSQL store will implement
 * against the same conformance suite. Every method is async so both back-ends fit.
 */
import type { RequestQueryStore } from './analytics-types.js';
import type { KeysStore } from './keys-types.js';
import type { SettingsStore } from './settings-types.js';

export type { SettingsStore };

/** `max`: Claude Pro/Max subscription OAuth; `console`: console OAuth that minted an API key; `api_key`: plain key. */
export type AccountKind = 'max' | 'console' | 'api_key';

/** Persistent health, set by failure classification; cleared only by a person (re-auth, resume). */
export type AccountHealth = 'ok' | 'needs_reauth' | 'disabled';

/** What users see: derived from health, paused flag and cooldown (see accounts/account-status.ts). */
export type AccountStatus = 'active' | 'paused' | 'cooling_down' | 'needs_reauth' | 'disabled';

/** Last seen rate-limit state of an account, from response headers (protocol.md section 3). */
export interface RateLimitState {
  observedAt: number;
  /** unified status (OAuth) or derived for API keys: allowed | allowed_warning | rejected */
  status: string | null;
  /** Unix ms when the binding window resets. */
  resetAt: number | null;
  fiveHour: { status: string | null; utilization: number | null; resetAt: number | null } | null;
  sevenDay: { status: string | null; utilization: number | null; resetAt: number | null } | null;
  /** five_hour | seven_day: the binding window. */
  representativeClaim: string | null;
  /** API-key per-minute limits, when present. */
  requestsRemaining?: number | null;
  tokensRemaining?: number | null;
  overageStatus?: string | null;
  overageDisabledReason?: string | null;
}

export interface AccountRow {
  id: string;
  name: string;
  kind: AccountKind;
  /** Lower number is tried first. */
  priority: number;
  paused: boolean;
  health: AccountHealth;
  healthReason: string | null;
  /** Encrypted blobs (crypto/secret-box.ts); never returned by any API. */
  apiKeyEnc: string | null;
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  /** Fingerprint of the stored refresh token; the compare-and-swap key for token rotation. */
  refreshFp: string | null;
  /** Unix ms when the access token expires. */
  expiresAt: number | null;
  cooldownUntil: number | null;
  cooldownReason: string | null;
  /** Model-scoped cooldowns (e.g. the 7d_oi window): model family -> until (Unix ms). */
  modelCooldowns: Record<string, number>;
  /** Consecutive rate-limit strikes; cooldowns grow with it, reset on success. */
  strikes: number;
  createdAt: number;
  lastUsedAt: number | null;
  requestCount: number;
  sessionStart: number | null;
  sessionRequestCount: number;
  rateLimit: RateLimitState | null;
  /** Set when a credits/spend-limit error was seen; informational. */
  flag: string | null;
}

export interface NewAccount {
  name: string;
  kind: AccountKind;
  priority?: number;
  apiKeyEnc?: string | null;
  accessTokenEnc?: string | null;
  refreshTokenEnc?: string | null;
  refreshFp?: string | null;
  expiresAt?: number | null;
}

/** Fields the gateway may change on an account. */
export type AccountPatch = Partial<
  Pick<
    AccountRow,
    | 'name'
    | 'priority'
    | 'paused'
    | 'health'
    | 'healthReason'
    | 'apiKeyEnc'
    | 'accessTokenEnc'
    | 'refreshTokenEnc'
    | 'refreshFp'
    | 'expiresAt'
    | 'cooldownUntil'
    | 'cooldownReason'
    | 'modelCooldowns'
    | 'strikes'
    | 'lastUsedAt'
    | 'requestCount'
    | 'sessionStart'
    | 'sessionRequestCount'
    | 'rateLimit'
    | 'flag'
  >
>;

export interface TokenSwap {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  refreshFp: string;
  expiresAt: number;
}

/** One attempt of a request against one account (failover log). */
export interface AttemptRecord {
  account: string | null;
  status: number | null;
  error: string | null;
  ms: number;
}

/** A payload as stored and read back: bodies are text. */
export interface PayloadRecord {
  /** JSON of headers with secrets removed. */
  requestHeaders: string;
  requestBody: string | null;
  responseHeaders: string | null;
  responseBody: string | null;
  requestTruncated: boolean;
  responseTruncated: boolean;
}

/**
 * A body handed to the writer: text, or the UTF-8 bytes as they crossed the wire. The proxy
 * passes bytes so it never decodes a body only for the writer to encode it again; both are
 * stored as the same bytes and read back as text.
 */
export type PayloadBody = string | Uint8Array;

/** A payload as written: bodies may be bytes. */
export interface PayloadInput extends Omit<PayloadRecord, 'requestBody' | 'responseBody'> {
  requestBody: PayloadBody | null;
  responseBody: PayloadBody | null;
}

export interface RequestRecord {
  id: string;
  /** Unix ms when the request arrived. */
  ts: number;
  method: string;
  path: string;
  accountId: string | null;
  accountName: string | null;
  status: number | null;
  success: boolean;
  error: string | null;
  latencyMs: number;
  /** Time to first content_block_delta (streams) or first byte (non-stream), ms from arrival. */
  ttftMs: number | null;
  /** Number of upstream attempts; failovers = attempts - 1 when > 0. */
  attempts: number;
  attemptLog: AttemptRecord[];
  modelRequested: string | null;
  modelApplied: string | null;
  agent: string | null;
  sessionId: string | null;
  clientKey: string | null;
  stream: boolean;
  stopReason: string | null;
  inputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWrite5mTokens: number | null;
  cacheWrite1hTokens: number | null;
  outputTokens: number | null;
  /** USD; null when the model has no known price. */
  costUsd: number | null;
  outputTokensPerSecond: number | null;
  payload: PayloadInput | null;
}

/** A request record read back from the store. */
export interface StoredRequest extends Omit<RequestRecord, 'payload'> {
  payload: PayloadRecord | null;
}

/** Per-account counters the batched writer applies with the request rows. */
export interface AccountUsageDelta {
  accountId: string;
  requests: number;
  lastUsedAt: number;
}

export interface RequestQuery {
  limit?: number;
  /** Rows strictly older than this cursor (ts, id) — newest first. */
  before?: { ts: number; id: string };
  since?: number;
  until?: number;
  account?: string;
  model?: string;
  success?: boolean;
  sessionId?: string;
  agent?: string;
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
