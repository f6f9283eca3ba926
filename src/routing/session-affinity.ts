/**
 * Remembers which account served a client session id (`x-claude-code-session-id`), so the
 * turns of one conversation stay on one account and keep its prompt cache warm. Bounded: the
 * oldest entries go first once `max` is reached; entries expire after `ttlMs`.
 *
 * With `shared` (several instances on PostgreSQL) the map is a read-through cache of the
 * cluster's pins: `warm` rereads a session's pin at most every `syncMs` before routing, and a
 * new or moved pin is written through, so a session keeps its account whichever instance it hits.
 */
import type { Logger } from 'pino';
import type { SharedSessionPins } from '../cluster/cluster.js';

interface Entry {
  accountId: string;
  at: number;
  /** When the shared pin was last read or written (0: never). */
  syncedAt: number;
}

export interface SharedAffinityOptions {
  pins: SharedSessionPins;
  logger: Logger;
  /** How long a session's cached pin is trusted before `warm` reads it again (default 1 s). */
  syncMs?: number;
}

export class SessionAffinity {
  private readonly map = new Map<string, Entry>();
  private failing = false;

  constructor(
    /** A function when the session window can change at runtime (config/live-settings.ts). */
    private readonly ttlMs: number | (() => number),
    private readonly max = 50_000,
    private readonly shared?: SharedAffinityOptions,
  ) {}

  get(sessionId: string, now: number): string | null {
    const e = this.map.get(sessionId);
    if (!e) return null;
    if (now - e.at > this.ttl()) {
      this.map.delete(sessionId);
      return null;
    }
    return e.accountId;
  }

  /**
   * Brings the session's pin from the other instances into the cache before routing; null (no
   * wait) without a shared store or while the cached pin is recent. A failed read keeps the cache.
   */
  warm(sessionId: string, now: number): Promise<void> | null {
    const shared = this.shared;
    if (shared === undefined) return null;
    const e = this.map.get(sessionId);
    if (e !== undefined && now - e.syncedAt < (shared.syncMs ?? 1000)) return null;
    return shared.pins.get(sessionId, now - this.ttl()).then(
      (accountId) => {
        this.ok();
        const cur = this.map.get(sessionId);
        if (accountId === null) {
          // Expired or forgotten elsewhere; a pin this process made meanwhile stays.
          if (cur !== undefined && cur.syncedAt <= now) this.map.delete(sessionId);
          return;
        }
        // A pin this process wrote after the read started is newer than what the read found.
        if (cur !== undefined && cur.syncedAt > now) return;
        this.put(sessionId, { accountId, at: now, syncedAt: now });
      },
      (err: unknown) => this.fail(err),
    );
  }

  set(sessionId: string, accountId: string, now: number): void {
    const e = this.map.get(sessionId);
    if (e && e.accountId === accountId) {
      e.at = now;
      // A kept pin is written through once per sync period, so other instances see it in use.
      if (this.shared !== undefined && now - e.syncedAt >= (this.shared.syncMs ?? 1000))
        this.writeThrough(sessionId, e);
      return;
    }
    const entry: Entry = { accountId, at: now, syncedAt: 0 };
    this.put(sessionId, entry);
    if (this.shared !== undefined) this.writeThrough(sessionId, entry);
  }

  /** Drops every pin to an account (removed, disabled or needing re-auth). */
  forgetAccount(accountId: string): void {
    for (const [k, v] of this.map) if (v.accountId === accountId) this.map.delete(k);
    this.shared?.pins.forgetAccount(accountId).then(
      () => this.ok(),
      (err: unknown) => this.fail(err),
    );
  }

  get size(): number {
    return this.map.size;
  }

  private ttl(): number {
    return typeof this.ttlMs === 'number' ? this.ttlMs : this.ttlMs();
  }

  private put(sessionId: string, entry: Entry): void {
    if (this.map.has(sessionId)) this.map.delete(sessionId);
    else if (this.map.size >= this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(sessionId, entry);
  }

  private writeThrough(sessionId: string, e: Entry): void {
    e.syncedAt = e.at;
    this.shared?.pins.set(sessionId, e.accountId, e.at).then(
      () => this.ok(),
      (err: unknown) => this.fail(err),
    );
  }

  /** One log line per failure streak: the cache keeps serving this instance's pins meanwhile. */
  private fail(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.shared?.logger.warn({ err }, 'shared session affinity unavailable: pins stay per instance until it is back');
  }

  private ok(): void {
    if (!this.failing) return;
    this.failing = false;
    this.shared?.logger.info('shared session affinity available again');
  }
}
