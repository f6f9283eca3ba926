/**
 * The storage contract for access keys: client keys for the proxy (`/v1/*`) and the stored
 * admin key for the management API. Only digests are stored (`SecretBox.keyDigest`), never a key.
 */

export interface ClientKeyRow {
  id: string;
  /** Unique among active keys; a revoked key keeps its name so old records still read right. */
  name: string;
  /** The public tag and the first random characters (`ccf_Ab3d`), to tell keys apart in listings. */
  prefix: string;
  /** Keyed digest of the key; the key itself is never stored. */
  digest: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** What the key may use (migration 14); every field null: no limit. */
  limits: ClientKeyLimits;
}

/** Per-key limits; null: none of that kind. */
export interface ClientKeyLimits {
  /** Requests admitted in any 60 s. */
  rpm: number | null;
  /** Tokens (in + out, shared/tokens.ts) per UTC day. */
  tokensPerDay: number | null;
  /** USD per UTC calendar month. */
  costPerMonthUsd: number | null;
  /** Model ids or family aliases (opus, sonnet, haiku) the key may use; null: any. */
  models: string[] | null;
}

export const NO_LIMITS: Readonly<ClientKeyLimits> = Object.freeze({
  rpm: null,
  tokensPerDay: null,
  costPerMonthUsd: null,
  models: null,
});

/** Where the usage windows start (Unix ms), for `usage`. */
export interface KeyUsageWindows {
  minuteStart: number;
  dayStart: number;
  monthStart: number;
}

/** One client key name's use in the windows, from committed request rows. */
export interface ClientKeyUsageRow {
  name: string;
  requestsLastMinute: number;
  tokensToday: number;
  costThisMonthUsd: number;
}

export interface NewClientKey {
  name: string;
  prefix: string;
  digest: string;
}

export interface AdminKeyRow {
  digest: string;
  createdAt: number;
}

export interface KeyUse {
  id: string;
  at: number;
}

/** `store.keys`: the client keys (list, insert, revoke, touch) and the admin key. */
export interface KeysStore {
  /** Every client key, revoked ones included, oldest first. */
  list(): Promise<ClientKeyRow[]>;
  /** Throws GatewayError('conflict') when an active key already has this name. */
  insert(k: NewClientKey, now: number): Promise<ClientKeyRow>;
  /** Revokes the active key called `name`; returns it, or null when there is none. */
  revoke(name: string, now: number): Promise<ClientKeyRow | null>;
  /** Records last use; never moves it backwards and does not move `revision`. */
  touch(uses: readonly KeyUse[]): Promise<void>;
  /** Replaces the limits of the active key called `name` and moves `revision`; null when there is none. */
  setLimits(name: string, limits: ClientKeyLimits, now: number): Promise<ClientKeyRow | null>;
  /**
   * Use per client key name in the windows, from committed request rows (the gateway seeds its
   * counters from it at start; the CLI shows it). Names without a row in the month are left out.
   */
  usage(windows: KeyUsageWindows): Promise<ClientKeyUsageRow[]>;
  getAdmin(): Promise<AdminKeyRow | null>;
  /** Replaces the stored admin key; null removes it. */
  setAdmin(digest: string | null, now: number): Promise<void>;
  /**
   * Monotonic counter bumped by every change that matters to authentication (a key created or
   * revoked, its limits changed, the admin key set or removed), from any process.
   */
  revision(): Promise<number>;
}
