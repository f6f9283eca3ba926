/**
 * What each client key has used, for its limits (key-limits.ts): requests admitted in the last
 * 60 s, tokens this UTC day, cost this UTC month. `KeyUsageCounters` is the seam for sharing
 * them between instances: only the in-process implementation exists; a PostgreSQL one (issue 18)
 * implements the same interface over shared counters. Until then each instance counts the
 * requests it serves itself, seeded at start from the stored rows of all of them.
 */
import type { ClientKeyUsageRow, KeyUsageWindows } from '../storage/contract/keys.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** An rpm limit keeps one timestamp per request it admits, so it is bounded (80 KB per key). */
export const MAX_RPM = 10_000;

export function utcDayStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

export function utcMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function utcNextMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The windows a key's use is read over at `now`. */
export function usageWindows(now: number): KeyUsageWindows {
  return { minuteStart: now - MINUTE_MS, dayStart: utcDayStart(now), monthStart: utcMonthStart(now) };
}

/** `name`: what a key's use is counted under; `KeyLimiter` passes the key's id (it says why). */
export interface KeyUsageCounters {
  /**
   * Admits one request for `name` under `rpm` requests in any 60 s (a sliding window): counts it
   * and returns 0, or returns the ms until the oldest admitted request leaves the window.
   */
  admit(name: string, rpm: number, now: number): number;
  /** Requests admitted in the 60 s before `now`; null when the key has no rpm limit (nothing counted). */
  requestsLastMinute(name: string, now: number): number | null;
  tokensToday(name: string, now: number): number;
  costThisMonth(name: string, now: number): number;
  /** A finished request's usage, from the record path; `ts` is when it started. */
  add(name: string, ts: number, tokens: number, costUsd: number): void;
  /** Day and month totals from stored rows, read for the windows of `now`. */
  seed(rows: readonly ClientKeyUsageRow[], now: number): void;
}

class Entry {
  dayEnd = 0;
  tokens = 0;
  monthStart = 0;
  monthEnd = 0;
  cost = 0;
  /** Timestamps of admitted requests, oldest at `head`; null until an rpm limit asks. */
  ring: Float64Array | null = null;
  head = 0;
  count = 0;

  /** Moves the day and month windows forward to hold `t` (only ever forward). */
  roll(t: number): void {
    if (t >= this.dayEnd) {
      this.dayEnd = utcDayStart(t) + DAY_MS;
      this.tokens = 0;
    }
    if (t >= this.monthEnd) {
      this.monthStart = utcMonthStart(t);
      this.monthEnd = utcNextMonthStart(t);
      this.cost = 0;
    }
  }

  /** Sized to `rpm`, keeping the newest timestamps (allocates only when the limit changes). */
  sized(rpm: number): Float64Array {
    const old = this.ring;
    if (old !== null && old.length === rpm) return old;
    const ring = new Float64Array(rpm);
    const keep = Math.min(this.count, rpm);
    if (old !== null) {
      for (let i = 0; i < keep; i++) ring[i] = old[(this.head + this.count - keep + i) % old.length] as number;
    }
    this.ring = ring;
    this.head = 0;
    this.count = keep;
    return ring;
  }
}

export class InProcessKeyUsage implements KeyUsageCounters {
  private readonly entries = new Map<string, Entry>();

  private entry(name: string): Entry {
    let e = this.entries.get(name);
    if (e === undefined) {
      e = new Entry();
      this.entries.set(name, e);
    }
    return e;
  }

  admit(name: string, rpm: number, now: number): number {
    const e = this.entry(name);
    const ring = e.sized(rpm);
    if (e.count < rpm) {
      ring[(e.head + e.count) % rpm] = now;
      e.count++;
      return 0;
    }
    const oldest = ring[e.head] as number;
    const wait = oldest + MINUTE_MS - now;
    if (wait > 0) return wait;
    ring[e.head] = now;
    e.head = (e.head + 1) % rpm;
    return 0;
  }

  requestsLastMinute(name: string, now: number): number | null {
    const e = this.entries.get(name);
    if (e === undefined || e.ring === null) return null;
    let n = 0;
    for (let i = 0; i < e.count; i++) {
      if ((e.ring[(e.head + i) % e.ring.length] as number) > now - MINUTE_MS) n++;
    }
    return n;
  }

  tokensToday(name: string, now: number): number {
    const e = this.entries.get(name);
    if (e === undefined) return 0;
    e.roll(now);
    return e.tokens;
  }

  costThisMonth(name: string, now: number): number {
    const e = this.entries.get(name);
    if (e === undefined) return 0;
    e.roll(now);
    return e.cost;
  }

  add(name: string, ts: number, tokens: number, costUsd: number): void {
    const e = this.entry(name);
    e.roll(ts);
    // A request that started before midnight counts for the day it started, as its row does.
    if (ts >= e.dayEnd - DAY_MS) e.tokens += tokens;
    if (ts >= e.monthStart) e.cost += costUsd;
  }

  seed(rows: readonly ClientKeyUsageRow[], now: number): void {
    for (const r of rows) {
      const e = this.entry(r.name);
      e.roll(now);
      e.tokens = r.tokensToday;
      e.cost = r.costThisMonthUsd;
    }
  }
}
