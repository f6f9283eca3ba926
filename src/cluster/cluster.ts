/**
 * What several gateways sharing one database need from each other (issue 18, part 3), without
 * naming the back-end: a lock that one instance at a time holds per key, messages to every
 * instance, and leadership for scheduled jobs. One process on SQLite gets `LocalCluster`
 * (in-process: it is the whole cluster); PostgreSQL gets advisory locks and LISTEN/NOTIFY
 * (storage/postgres/pg-cluster.ts).
 */
import type { PendingFlows } from '../accounts/oauth-flows.js';
import type { LiveEventData } from '../shared/events-schemas.js';

/** Messages between instances; every payload is JSON and small (PostgreSQL caps one at 8000 bytes). */
export interface ClusterMessages {
  /** A stored revision counter moved (`accounts_rev`, `keys_rev`, …): reload now, not at the next poll. */
  revision: { key: string };
  /** Requests another instance finished, as the live event stream shows them, a few per message. */
  'requests.finished': { requests: LiveEventData<'request.finished'>[] };
  /**
   * An instance is there (sent at start, after a reconnect and every few seconds): the others
   * share their finished requests only while some instance is. `reply`: answer with one, so a
   * newcomer learns at once who was there before it.
   */
  'cluster.hello': { reply: boolean };
}

export type ClusterMessage = keyof ClusterMessages;

export interface ClusterBus {
  /** Sends to the other instances (never back to this one); best effort, never throws. */
  publish<K extends ClusterMessage>(type: K, payload: ClusterMessages[K]): void;
  /** Messages from the other instances; returns the unsubscribe. */
  subscribe<K extends ClusterMessage>(type: K, fn: (payload: ClusterMessages[K]) => void): () => void;
  /**
   * Called after the bus (re)connected: messages sent while it was away are lost, so a
   * subscriber that caches rereads what it caches.
   */
  onResync(fn: () => void): () => void;
}

/** Leadership of one named job across instances; the holder loses it when its process or connection dies. */
export interface LeaderLock {
  /** Whether this instance holds the lock now (checked before each scheduled run). */
  isLeader(): boolean;
  /** Starts trying to take the lock (and keeps trying while another instance holds it). */
  start(): void;
  /** Gives the lock up. */
  stop(): Promise<void>;
}

/** Which account serves a client session, kept where every instance reads it (routing/session-affinity.ts caches it). */
export interface SharedSessionPins {
  /** The account `sessionId` was last pinned to, if that was at or after `since` (Unix ms). */
  get(sessionId: string, since: number): Promise<string | null>;
  set(sessionId: string, accountId: string, at: number): Promise<void>;
  /** Drops every pin to an account (removed, disabled or needing re-auth). */
  forgetAccount(accountId: string): Promise<void>;
}

export interface Cluster {
  readonly kind: 'local' | 'postgres';
  readonly bus: ClusterBus;
  /** Null when this process is the whole cluster: its in-memory pins are all there are. */
  readonly sessionPins: SharedSessionPins | null;
  /** Pending OAuth logins every instance can complete; null when this process keeps its own. */
  readonly oauthFlows: PendingFlows | null;
  /**
   * Runs `fn` while no other instance runs an `exclusive` call with the same key (and no other
   * call in this process either); the lock is released when `fn` settles, or when this
   * instance dies.
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** The leadership of job `name` (one lock per name and instance). */
  leader(name: string): LeaderLock;
  /** Closes the bus and the locks' connections. */
  close(): Promise<void>;
}
