/**
 * Client key usage shared by every instance on one PostgreSQL database (issue 17: a key's limits
 * hold across instances). The limiter asks on every request and must not wait for the network, so
 * each instance answers from memory: its own use, counted as it happens, plus the other instances'
 * use as of the last `sync`. `sync` (every `intervalMs` once started) adds this instance's new use
 * to its own rows of `key_usage` with atomic upserts and reads the others' rows back; a limit can
 * thus be overshot by what other instances admit within one interval.
 */
import { randomUUID } from 'node:crypto';
import { type KeyUsageCounters, MINUTE_MS, utcDayStart, utcMonthStart } from '../../auth/key-usage.js';
import type { ClientKeyUsageRow } from '../contract/keys.js';
import { inTransaction, type PgPool } from './connection.js';

export const KEY_USAGE_DDL = `
  -- Use per client key (the column holds its id: KeyLimiter counts by id) and window, one row per instance that counted it (so an instance can
  -- read the others' use without its own twice). kind: 'req' (admitted requests, 1 s buckets),
  -- 'tokens' (UTC day), 'cost' (USD, UTC month). instance 'seed': use found in the request rows at
  -- start that no instance counted (written before the counters, or lost with an instance).
  CREATE TABLE key_usage (
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    start BIGINT NOT NULL,
    instance TEXT NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (name, kind, start, instance)
  );
`;

type Kind = 'req' | 'tokens' | 'cost';

const SECOND_MS = 1000;
const SEED = 'seed';
/** Request buckets are kept a little longer than the window they serve; days and months for a while after. */
const PRUNE_EVERY_MS = MINUTE_MS;

interface KeyState {
  /** When this instance admitted each request of the last minute, oldest first. */
  admitted: number[];
  /** Other instances' admitted requests per 1 s bucket start, as of the last sync. */
  othersReq: Map<number, number>;
  /** This instance's tokens per UTC day start and cost per UTC month start. */
  ownTokens: Map<number, number>;
  ownCost: Map<number, number>;
  /** Other instances' (and the seed's) tokens and cost, for the day and month of the last sync. */
  othersTokens: { start: number; amount: number };
  othersCost: { start: number; amount: number };
  /** Set once an rpm limit asked: requests are counted only then, as in the in-process counters. */
  rpm: boolean;
}

export interface PgKeyUsageOptions {
  /** How often `start` syncs (default 500 ms). */
  intervalMs?: number;
  /** The instance's name in `key_usage` (default: random, new per process). */
  instanceId?: string;
  clock?: () => number;
  /** A sync that failed; the use it was to write is kept for the next one. */
  onError?: (err: unknown) => void;
}

export class PgKeyUsage implements KeyUsageCounters {
  readonly instanceId: string;
  private readonly keys = new Map<string, KeyState>();
  /** Use not yet written: `${name}\0${kind}\0${start}` -> amount. */
  private pending = new Map<string, number>();
  private seeds: { rows: readonly ClientKeyUsageRow[]; now: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly pool: PgPool,
    private readonly opts: PgKeyUsageOptions = {},
  ) {
    this.instanceId = opts.instanceId ?? randomUUID();
  }

  private state(name: string): KeyState {
    let s = this.keys.get(name);
    if (s === undefined) {
      s = {
        admitted: [],
        othersReq: new Map(),
        ownTokens: new Map(),
        ownCost: new Map(),
        othersTokens: { start: 0, amount: 0 },
        othersCost: { start: 0, amount: 0 },
        rpm: false,
      };
      this.keys.set(name, s);
    }
    return s;
  }

  private count(name: string, kind: Kind, start: number, amount: number): void {
    const k = `${name}\0${kind}\0${start}`;
    this.pending.set(k, (this.pending.get(k) ?? 0) + amount);
  }

  /** When each request still in the window leaves it: own ones exactly, others' at their bucket's end. */
  private leaving(s: KeyState, now: number): number[] {
    const from = now - MINUTE_MS;
    while (s.admitted.length > 0 && (s.admitted[0] as number) <= from) s.admitted.shift();
    const out = s.admitted.map((t) => t + MINUTE_MS);
    for (const [start, n] of s.othersReq) {
      // A bucket may hold requests up to its end, so it counts until its end leaves the window.
      if (start + SECOND_MS <= from) continue;
      for (let i = 0; i < n; i++) out.push(start + SECOND_MS + MINUTE_MS);
    }
    return out;
  }

  admit(name: string, rpm: number, now: number): number {
    const s = this.state(name);
    s.rpm = true;
    const leaving = this.leaving(s, now);
    if (leaving.length < rpm) {
      s.admitted.push(now);
      this.count(name, 'req', Math.floor(now / SECOND_MS) * SECOND_MS, 1);
      return 0;
    }
    // Refused until enough requests left the window for this one to fit.
    leaving.sort((a, b) => a - b);
    const frees = leaving[leaving.length - rpm] as number;
    return Math.max(1, frees - now);
  }

  requestsLastMinute(name: string, now: number): number | null {
    const s = this.keys.get(name);
    // Requests are counted only under an rpm limit, by whichever instance admitted them: another
    // instance's count says the key has one even before this instance admitted a request for it.
    if (s === undefined || (!s.rpm && s.othersReq.size === 0)) return null;
    return this.leaving(s, now).length;
  }

  tokensToday(name: string, now: number): number {
    const s = this.keys.get(name);
    if (s === undefined) return 0;
    const day = utcDayStart(now);
    return (s.ownTokens.get(day) ?? 0) + (s.othersTokens.start === day ? s.othersTokens.amount : 0);
  }

  costThisMonth(name: string, now: number): number {
    const s = this.keys.get(name);
    if (s === undefined) return 0;
    const month = utcMonthStart(now);
    return (s.ownCost.get(month) ?? 0) + (s.othersCost.start === month ? s.othersCost.amount : 0);
  }

  add(name: string, ts: number, tokens: number, costUsd: number): void {
    const s = this.state(name);
    // A request that started before midnight counts for the day it started, as its row does.
    const day = utcDayStart(ts);
    const month = utcMonthStart(ts);
    if (tokens !== 0) {
      s.ownTokens.set(day, (s.ownTokens.get(day) ?? 0) + tokens);
      this.count(name, 'tokens', day, tokens);
    }
    if (costUsd !== 0) {
      s.ownCost.set(month, (s.ownCost.get(month) ?? 0) + costUsd);
      this.count(name, 'cost', month, costUsd);
    }
  }

  /**
   * The stored rows' use at start: written at the next sync as the part no instance counted (rows
   * older than the counters, or counted by an instance that died before syncing), so several
   * instances seeding from the same rows do not add it up.
   */
  seed(rows: readonly ClientKeyUsageRow[], now: number): void {
    this.seeds = { rows, now };
  }

  /** Writes this instance's new use and reads the others'. Concurrent calls share one run. */
  sync(now = (this.opts.clock ?? Date.now)()): Promise<void> {
    this.running ??= this.syncOnce(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async syncOnce(now: number): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.write(batch);
    } catch (err) {
      // Kept for the next sync, merged with what was counted meanwhile.
      for (const [k, v] of batch) this.pending.set(k, (this.pending.get(k) ?? 0) + v);
      throw err;
    }
    const seeds = this.seeds;
    if (seeds !== null) {
      await this.writeSeeds(seeds.rows, seeds.now);
      this.seeds = null;
    }
    await this.read(now);
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      await this.prune(now);
      this.lastPrune = now;
    }
    this.dropOld(now);
  }

  private async write(batch: Map<string, number>): Promise<void> {
    if (batch.size === 0) return;
    const names: string[] = [];
    const kinds: string[] = [];
    const starts: number[] = [];
    const amounts: number[] = [];
    // Sorted, so two instances' upserts never lock rows in opposite orders.
    for (const [k, v] of [...batch].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const [name, kind, start] = k.split('\0') as [string, string, string];
      names.push(name);
      kinds.push(kind);
      starts.push(Number(start));
      amounts.push(v);
    }
    await this.pool.query(
      `INSERT INTO key_usage (name, kind, start, instance, amount)
       SELECT u.name, u.kind, u.start, $5, u.amount
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[]) AS u(name, kind, start, amount)
       ON CONFLICT (name, kind, start, instance) DO UPDATE SET amount = key_usage.amount + excluded.amount`,
      [names, kinds, starts, amounts, this.instanceId],
    );
  }

  private async writeSeeds(rows: readonly ClientKeyUsageRow[], now: number): Promise<void> {
    const day = utcDayStart(now);
    const month = utcMonthStart(now);
    await inTransaction(this.pool, async (client) => {
      for (const r of rows) {
        for (const [kind, start, total] of [
          ['tokens', day, r.tokensToday],
          ['cost', month, r.costThisMonthUsd],
        ] as const) {
          // GREATEST: instances seeding from the same rows agree on (about) the same amount.
          await client.query(
            `INSERT INTO key_usage (name, kind, start, instance, amount)
             SELECT $1, $2, $3, '${SEED}', GREATEST(0, $4::float8 - coalesce(sum(amount), 0))
             FROM key_usage WHERE name = $1 AND kind = $2 AND start = $3 AND instance <> '${SEED}'
             ON CONFLICT (name, kind, start, instance) DO UPDATE SET amount = GREATEST(key_usage.amount, excluded.amount)`,
            [r.name, kind, start, total],
          );
        }
      }
    });
  }

  private async read(now: number): Promise<void> {
    const day = utcDayStart(now);
    const month = utcMonthStart(now);
    const { rows } = await this.pool.query<{ name: string; kind: Kind; start: number; amount: number }>(
      `SELECT name, kind, start, sum(amount) AS amount FROM key_usage
       WHERE instance <> $1
         AND ((kind = 'req' AND start > $2) OR (kind = 'tokens' AND start = $3) OR (kind = 'cost' AND start = $4))
       GROUP BY name, kind, start`,
      [this.instanceId, now - MINUTE_MS - SECOND_MS, day, month],
    );
    for (const s of this.keys.values()) {
      s.othersReq = new Map();
      s.othersTokens = { start: day, amount: 0 };
      s.othersCost = { start: month, amount: 0 };
    }
    for (const r of rows) {
      const s = this.state(r.name);
      if (r.kind === 'req') s.othersReq.set(r.start, r.amount);
      else if (r.kind === 'tokens') s.othersTokens = { start: day, amount: r.amount };
      else s.othersCost = { start: month, amount: r.amount };
    }
  }

  /** Rows no window reads any more, whichever instance wrote them. */
  private async prune(now: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM key_usage WHERE (kind = 'req' AND start < $1) OR (kind = 'tokens' AND start < $2)
         OR (kind = 'cost' AND start < $3)`,
      [now - 2 * MINUTE_MS, utcDayStart(now) - 86_400_000, utcMonthStart(utcMonthStart(now) - 1)],
    );
  }

  /** Own days and months that ended: nothing reads them again. */
  private dropOld(now: number): void {
    const day = utcDayStart(now);
    const month = utcMonthStart(now);
    for (const s of this.keys.values()) {
      for (const d of s.ownTokens.keys()) if (d < day) s.ownTokens.delete(d);
      for (const m of s.ownCost.keys()) if (m < month) s.ownCost.delete(m);
    }
  }

  /** Syncs every `intervalMs` until `close`. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.sync().catch((err: unknown) => this.opts.onError?.(err));
    }, this.opts.intervalMs ?? 500);
    this.timer.unref();
  }

  /** Stops syncing and writes what was counted since the last sync. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
    await this.sync();
  }
}
