/**
 * The strategy simulator: replays requests in time order against simulated subscription accounts
 * on a simulated clock (no wall clock, no sleeps), so a recorded month runs in seconds.
 *
 * Quota model (Anthropic does not publish its formula; this one keeps what matters for routing):
 * - a request costs `input + cache writes + 5 × output + 0.1 × cache reads` quota units. A request
 *   served by another account than the session's previous one finds no prompt cache there: its
 *   cache reads are charged as cache writes (a cache miss);
 * - a 5h window opens at an account's first request after the previous one ended (as Claude
 *   subscriptions do) and a 7d window resets every 7 days from the simulation start plus a
 *   per-account offset (weekly resets are fixed per account);
 * - an account takes a request while both windows are below their limit (the request may overshoot
 *   it); otherwise it answers 429 and cools down until the window that binds resets. The gateway
 *   then fails over to the next account in the strategy's order; none left: 503.
 */

import {
  DEFAULT_STRATEGY_OPTIONS,
  holdAfterLimit,
  newRoutingState,
  noteOutcome,
  noteServed,
  orderFor,
  type RouteContext,
  type StrategyName,
  type StrategyOptions,
  type Thresholds,
} from '../routing/strategy.js';
import type { AccountRow, RateLimitState } from '../storage/contract/accounts.js';

export const FIVE_HOURS = 5 * 3_600_000;
export const SEVEN_DAYS = 7 * 86_400_000;

export interface SimAccountSpec {
  name: string;
  /** Quota units per 5h window. */
  limit5h: number;
  /** Quota units per 7d window. */
  limit7d: number;
  /** When the first 7d window resets, ms after the simulation start (default: 7 days). */
  weeklyResetOffsetMs?: number;
}

export interface SimRequest {
  ts: number;
  sessionId: string | null;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
}

export interface SimOptions {
  accounts: readonly SimAccountSpec[];
  /** Sorted by ts (ties keep their order). */
  requests: readonly SimRequest[];
  strategy: StrategyName;
  /** Strategy settings (default: the gateway's defaults) and quota thresholds (default: none). */
  options?: StrategyOptions;
  thresholds?: Thresholds | null;
  /** The gateway's session window (config sessionMs) the `session` strategy reads. */
  sessionMs: number;
  /** Simulation start: the 7d windows count from here (default: the first request's ts). */
  start?: number;
}

export interface SimAccountResult {
  name: string;
  served: number;
  unitsUsed: number;
  /** Windows that ended (or the run's last open ones), their limits and the units left unused. */
  fiveHourWindows: number;
  wasted5h: number;
  sevenDayWindows: number;
  wasted7d: number;
  rateLimited: number;
}

export interface SimResult {
  requests: number;
  served: number;
  unavailable: number;
  /** Attempts beyond the first on served and failed requests (429 then another account). */
  failovers: number;
  /** Requests a strategy held (sticky waiting for a reset, hybrid's emergency steps), and the time held in total. */
  held: number;
  heldMs: number;
  /** Served requests whose session had moved account: their prompt cache was cold. */
  cacheMisses: number;
  /** Per session, the share of its served requests on its most-used account, weighted by requests. */
  continuity: number;
  /** Coefficient of variation of the units used per account (0: perfectly even). */
  spread: number;
  /** Unused quota share of the 5h windows opened / of the 7d windows that reset during the run. */
  wasted5hShare: number;
  wasted7dShare: number;
  accounts: SimAccountResult[];
}

interface Sim {
  spec: SimAccountSpec;
  row: AccountRow;
  used5h: number;
  reset5h: number | null;
  used7d: number;
  reset7d: number;
  result: SimAccountResult;
}

function baseRow(name: string, priority: number): AccountRow {
  return {
    id: name,
    name,
    kind: 'max',
    priority,
    paused: false,
    health: 'ok',
    healthReason: null,
    apiKeyEnc: null,
    accessTokenEnc: null,
    refreshTokenEnc: null,
    refreshFp: null,
    expiresAt: null,
    cooldownUntil: null,
    cooldownReason: null,
    modelCooldowns: {},
    strikes: 0,
    createdAt: priority,
    lastUsedAt: null,
    requestCount: 0,
    sessionStart: null,
    sessionRequestCount: 0,
    rateLimit: null,
    flag: null,
    attemptCount: 0,
    failedAttemptCount: 0,
    recentErrors: [],
  };
}

function cost(r: SimRequest, coldCache: boolean): number {
  const reads = coldCache ? 0 : r.cacheReadTokens;
  const writes = r.cacheWriteTokens + (coldCache ? r.cacheReadTokens : 0);
  return r.inputTokens + writes + 5 * r.outputTokens + 0.1 * reads;
}

/** Closes windows that ended by `now`, counting what they left unused. */
function advance(a: Sim, now: number): void {
  let changed = false;
  if (a.reset5h !== null && a.reset5h <= now) {
    a.result.fiveHourWindows++;
    a.result.wasted5h += Math.max(0, a.spec.limit5h - a.used5h);
    a.used5h = 0;
    a.reset5h = null;
    changed = true;
  }
  while (a.reset7d <= now) {
    a.result.sevenDayWindows++;
    a.result.wasted7d += Math.max(0, a.spec.limit7d - a.used7d);
    a.used7d = 0;
    a.reset7d += SEVEN_DAYS;
    changed = true;
  }
  if (a.row.cooldownUntil !== null && a.row.cooldownUntil <= now) {
    a.row.cooldownUntil = null;
    a.row.cooldownReason = null;
  }
  // Only on a change: a month replays hundreds of thousands of requests per strategy.
  if (changed || a.row.rateLimit === null) refreshRateLimit(a, now);
}

function windowStatus(used: number, limit: number): string {
  if (used >= limit) return 'rejected';
  return used >= 0.8 * limit ? 'allowed_warning' : 'allowed';
}

/** What the proxy would have recorded from this account's `anthropic-ratelimit-unified-*` headers. */
function refreshRateLimit(a: Sim, now: number): void {
  const u5 = a.used5h / a.spec.limit5h;
  const u7 = a.used7d / a.spec.limit7d;
  const binding = u7 > u5 ? 'seven_day' : 'five_hour';
  // No 5h window open: nothing used, and its reset time unknown until the next request opens one.
  const reset5 = a.reset5h;
  const rl: RateLimitState = {
    observedAt: now,
    status: u5 >= 1 || u7 >= 1 ? 'rejected' : u5 >= 0.8 || u7 >= 0.8 ? 'allowed_warning' : 'allowed',
    resetAt: binding === 'seven_day' ? a.reset7d : (reset5 ?? a.reset7d),
    fiveHour: { status: windowStatus(a.used5h, a.spec.limit5h), utilization: u5, resetAt: reset5 },
    sevenDay: { status: windowStatus(a.used7d, a.spec.limit7d), utilization: u7, resetAt: a.reset7d },
    representativeClaim: binding,
  };
  a.row.rateLimit = rl;
}

/** Tries one account: serves the request (true) or answers 429 and cools it down (false). */
function attempt(a: Sim, r: SimRequest, now: number, coldCache: boolean, sessionMs: number): boolean {
  if (a.used5h >= a.spec.limit5h || a.used7d >= a.spec.limit7d) {
    const weekly = a.used7d >= a.spec.limit7d;
    a.row.cooldownUntil = weekly ? a.reset7d : (a.reset5h ?? now);
    a.row.cooldownReason = weekly ? 'seven_day limit' : 'five_hour limit';
    a.row.strikes++;
    a.result.rateLimited++;
    return false;
  }
  if (a.reset5h === null) a.reset5h = now + FIVE_HOURS;
  const units = cost(r, coldCache);
  a.used5h += units;
  a.used7d += units;
  a.result.unitsUsed += units;
  a.result.served++;
  const row = a.row;
  row.strikes = 0;
  row.lastUsedAt = now;
  row.requestCount++;
  if (row.sessionStart === null || now - row.sessionStart >= sessionMs) {
    row.sessionStart = now;
    row.sessionRequestCount = 0;
  }
  row.sessionRequestCount++;
  refreshRateLimit(a, now);
  return true;
}

export function simulate(opts: SimOptions): SimResult {
  const start = opts.start ?? opts.requests[0]?.ts ?? 0;
  const sims: Sim[] = opts.accounts.map((spec, i) => ({
    spec,
    row: baseRow(spec.name, i),
    used5h: 0,
    reset5h: null,
    used7d: 0,
    reset7d: start + (spec.weeklyResetOffsetMs ?? SEVEN_DAYS),
    result: {
      name: spec.name,
      served: 0,
      unitsUsed: 0,
      fiveHourWindows: 0,
      wasted5h: 0,
      sevenDayWindows: 0,
      wasted7d: 0,
      rateLimited: 0,
    },
  }));
  const byId = new Map(sims.map((s) => [s.row.id, s]));
  const rows = sims.map((s) => s.row);
  const state = newRoutingState();
  const options = opts.options ?? DEFAULT_STRATEGY_OPTIONS;
  /** Session id -> account that served it last and when (the proxy's SessionAffinity, expiring after sessionMs). */
  const affinity = new Map<string, { accountId: string; at: number }>();
  /** Session id -> requests served per account. */
  const perSession = new Map<string, Map<string, number>>();
  const out = { served: 0, unavailable: 0, failovers: 0, held: 0, heldMs: 0, cacheMisses: 0 };

  for (const r of opts.requests) {
    let now = r.ts;
    let servedBy: string | null = null;
    let wasHeld = false;
    const tried = new Set<string>();
    const pin = r.sessionId === null ? undefined : affinity.get(r.sessionId);
    const last = pin?.accountId;
    // As the proxy does: ask the strategy, try its order, ask again without the accounts tried.
    while (servedBy === null && tried.size < sims.length) {
      for (const s of sims) advance(s, now);
      const ctx: RouteContext = {
        now,
        sessionMs: opts.sessionMs,
        modelKey: null,
        affinityAccountId: pin !== undefined && now - pin.at <= opts.sessionMs ? pin.accountId : null,
        exclude: tried,
        thresholds: opts.thresholds ?? null,
        options,
      };
      const pick = orderFor(opts.strategy, rows, ctx, state);
      const order = pick.order.filter((a) => !tried.has(a.id) && byId.has(a.id));
      if (order.length === 0) break;
      if (pick.delayMs > 0) {
        wasHeld = true;
        out.heldMs += pick.delayMs;
        now += pick.delayMs;
        for (const s of sims) advance(s, now);
      }
      for (const acc of order) {
        const s = byId.get(acc.id) as Sim;
        if (tried.size > 0) out.failovers++;
        tried.add(acc.id);
        const cold = last !== undefined && last !== acc.id;
        let ok = attempt(s, r, now, cold, opts.sessionMs);
        if (!ok && opts.strategy === 'sticky') {
          // As the proxy does at the held account's 429: wait for its reset when it is near, retry once.
          const hold = holdAfterLimit(s.row, state, { now, modelKey: null, options }, tried.size === 1);
          if (hold !== null) {
            wasHeld = true;
            out.heldMs += hold;
            now += hold;
            for (const x of sims) advance(x, now);
            ok = attempt(s, r, now, cold, opts.sessionMs);
          }
        }
        if (ok) {
          servedBy = acc.id;
          noteOutcome(state, acc.id, 'ok', now);
          noteServed(state, acc.id, { ...ctx, now });
          if (cold) out.cacheMisses++;
          break;
        }
        noteOutcome(state, acc.id, 'rate_limited', now);
      }
    }
    if (wasHeld) out.held++;
    if (servedBy === null) {
      out.unavailable++;
      continue;
    }
    out.served++;
    if (r.sessionId !== null) {
      affinity.set(r.sessionId, { accountId: servedBy, at: r.ts });
      const m = perSession.get(r.sessionId) ?? new Map<string, number>();
      perSession.set(r.sessionId, m);
      m.set(servedBy, (m.get(servedBy) ?? 0) + 1);
    }
  }

  // The 5h windows still open at the end count as if they ended now: what they left is what a
  // strategy would still have had to spend. Open 7d windows are not counted: most of their time
  // lies after the run.
  const end = opts.requests.at(-1)?.ts ?? start;
  let limit5 = 0;
  let waste5 = 0;
  let limit7 = 0;
  let waste7 = 0;
  for (const s of sims) {
    advance(s, end);
    if (s.reset5h !== null) {
      s.result.fiveHourWindows++;
      s.result.wasted5h += Math.max(0, s.spec.limit5h - s.used5h);
    }
    limit5 += s.result.fiveHourWindows * s.spec.limit5h;
    waste5 += s.result.wasted5h;
    limit7 += s.result.sevenDayWindows * s.spec.limit7d;
    waste7 += s.result.wasted7d;
  }

  let top = 0;
  let inSessions = 0;
  for (const m of perSession.values()) {
    let max = 0;
    for (const n of m.values()) {
      inSessions += n;
      if (n > max) max = n;
    }
    top += max;
  }
  const units = sims.map((s) => s.result.unitsUsed);
  const mean = units.reduce((x, y) => x + y, 0) / Math.max(1, units.length);
  const sd = Math.sqrt(units.reduce((x, u) => x + (u - mean) ** 2, 0) / Math.max(1, units.length));

  return {
    requests: opts.requests.length,
    ...out,
    continuity: inSessions === 0 ? 1 : top / inSessions,
    spread: mean === 0 ? 0 : sd / mean,
    wasted5hShare: limit5 === 0 ? 0 : waste5 / limit5,
    wasted7dShare: limit7 === 0 ? 0 : waste7 / limit7,
    accounts: sims.map((s) => s.result),
  };
}
