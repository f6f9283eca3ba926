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
  getAdmin(): Promise<AdminKeyRow | null>;
  /** Replaces the stored admin key; null removes it. */
  setAdmin(digest: string | null, now: number): Promise<void>;
  /**
   * Monotonic counter bumped by every change that matters to authentication (a key created or
   * revoked, the admin key set or removed), from any process.
   */
  revision(): Promise<number>;
}
