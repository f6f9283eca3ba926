/**
 * Remembers which account served a client session id (`x-claude-code-session-id`), so the
 * turns of one conversation stay on one account and keep its prompt cache warm. Bounded: the
 * oldest entries go first once `max` is reached; entries expire after `ttlMs`.
 */
export class SessionAffinity {
  private readonly map = new Map<string, { accountId: string; at: number }>();

  constructor(
    /** A function when the session window can change at runtime (config/live-settings.ts). */
    private readonly ttlMs: number | (() => number),
    private readonly max = 50_000,
  ) {}

  get(sessionId: string, now: number): string | null {
    const e = this.map.get(sessionId);
    if (!e) return null;
    if (now - e.at > (typeof this.ttlMs === 'number' ? this.ttlMs : this.ttlMs())) {
      this.map.delete(sessionId);
      return null;
    }
    return e.accountId;
  }

  set(sessionId: string, accountId: string, now: number): void {
    const e = this.map.get(sessionId);
    if (e && e.accountId === accountId) {
      e.at = now;
      return;
    }
    if (e) this.map.delete(sessionId);
    else if (this.map.size >= this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(sessionId, { accountId, at: now });
  }

  /** Drops every pin to an account (removed, disabled or needing re-auth). */
  forgetAccount(accountId: string): void {
    for (const [k, v] of this.map) if (v.accountId === accountId) this.map.delete(k);
  }

  get size(): number {
    return this.map.size;
  }
}
