/** Accounts as the store keeps them, and `store.accounts`, which reads and writes them. */

/** `max`: Claude Pro/Max subscription OAuth; `console`: console OAuth that minted an API key; `api_key`: plain key. */
export type AccountKind = 'max' | 'console' | 'api_key';

/** Persistent health, set by failure classification; cleared only by a person (re-auth, resume). */
export type AccountHealth = 'ok' | 'needs_reauth' | 'disabled';

/** What users see: derived from health, paused flag and cooldown (see accounts/account-status.ts). */
export type AccountStatus = 'active' | 'failing' | 'paused' | 'cooling_down' | 'needs_reauth' | 'disabled';

/** One failed upstream attempt on an account. */
export interface AccountError {
  /** Unix ms, approximately: the request's arrival plus the attempts' times, waits between them not counted. */
  at: number;
  /** The upstream's HTTP status; null when none came (network error, credentials). */
  status: number | null;
  /** What went wrong, as the request's attempt log says it. */
  error: string | null;
}

/** Model families with their own weekly windows (the usage endpoint's `seven_day_opus`, ...). */
export type WeeklyFamily = 'opus' | 'sonnet' | 'haiku';

export interface RateLimitWindow {
  status: string | null;
  utilization: number | null;
  resetAt: number | null;
}

/** Last seen rate-limit state of an account, from response headers (protocol.md section 3). */
export interface RateLimitState {
  observedAt: number;
  /** unified status (OAuth) or derived for API keys: allowed | allowed_warning | rejected */
  status: string | null;
  /** Unix ms when the binding window resets. */
  resetAt: number | null;
  fiveHour: RateLimitWindow | null;
  sevenDay: RateLimitWindow | null;
  /**
   * Per-model weekly windows, from the usage endpoint only (the response headers carry no such
   * window by family): absent until read, a family missing when the endpoint gave null for it.
   * Kept across header updates (account-pool.ts `noteRateLimit`).
   */
  sevenDayByFamily?: Partial<Record<WeeklyFamily, RateLimitWindow>>;
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
  /** Upstream attempts and failed ones, whichever account served the request (the record writer counts them). */
  attemptCount: number;
  failedAttemptCount: number;
  /** The latest failed attempts, oldest first, at most `RECENT_ERRORS_KEPT` (storage/writer/usage.ts). */
  recentErrors: AccountError[];
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
    | 'recentErrors'
    | 'flag'
  >
>;

export interface TokenSwap {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  refreshFp: string;
  expiresAt: number;
}

/** `store.accounts`. */
export interface AccountsStore {
  /** By priority, then creation time, then name. */
  list(): Promise<AccountRow[]>;
  getByName(name: string): Promise<AccountRow | null>;
  get(id: string): Promise<AccountRow | null>;
  /** Throws GatewayError('conflict') when the name exists. */
  insert(a: NewAccount, now: number): Promise<AccountRow>;
  update(id: string, patch: AccountPatch): Promise<void>;
  /** Returns false when no such account. */
  delete(id: string): Promise<boolean>;
  /**
   * Replaces the token pair only when the stored refresh token is still the one that was
   * refreshed (`expectedFp`): a slower concurrent refresh can never overwrite a newer pair.
   */
  swapTokens(id: string, expectedFp: string | null, next: TokenSwap): Promise<boolean>;
  /** Monotonic counter bumped by every change to the accounts table (any process). */
  revision(): Promise<number>;
  /**
   * Sets every account's request, session request and attempt counters to 0; history and the
   * recent errors (they make an account show as failing) are untouched.
   * Returns the number of accounts reset.
   */
  resetUsage(): Promise<number>;
}
