/** The strategies behind routing/strategy.ts `orderFor`. Pure over their inputs except `record*`. */
import type { AccountRow } from '../storage/contract/accounts.js';
import type {
  AttemptOutcome,
  ModelFamily,
  RouteContext,
  RouteDecision,
  RouteReason,
  RoutingState,
  ScoreParts,
  StrategyName,
  StrategyOptions,
  Thresholds,
} from './route-types.js';
import { orderAccounts, sessionActive, unusableReason } from './session-strategy.js';

const H = 3_600_000;

/** Hybrid health, 0..100 (the reference proxy's scale): start, floor of normal use, passive recovery. */
export const HEALTH_INITIAL = 70;
export const HEALTH_MIN_USABLE = 50;
export const HEALTH_RECOVERY_PER_HOUR = 10;
const HEALTH_DELTA: Record<AttemptOutcome, number> = { ok: 1, rate_limited: -10, failed: -20 };
/** Waits before an emergency / last-resort attempt: give a limited account a moment rather than hammer it. */
export const EMERGENCY_DELAY_MS = 250;
export const LAST_RESORT_DELAY_MS = 500;

const AFFINITY: RouteReason = { kind: 'affinity' };
const CURRENT_SESSION: RouteReason = { kind: 'current-session' };

function byPriority(x: AccountRow, y: AccountRow): number {
  return x.priority - y.priority || x.createdAt - y.createdAt || (x.name < y.name ? -1 : 1);
}

/** A window's utilization, 0 once its reset has passed (the window restarted since we looked). */
function windowUtil(w: { utilization: number | null; resetAt: number | null } | null | undefined, now: number) {
  if (!w || w.utilization === null) return null;
  if (w.resetAt !== null && w.resetAt <= now) return 0;
  return w.utilization;
}

export function fiveHourUtil(a: AccountRow, now: number): number | null {
  return windowUtil(a.rateLimit?.fiveHour, now);
}

export function sevenDayUtil(a: AccountRow, now: number): number | null {
  return windowUtil(a.rateLimit?.sevenDay, now);
}

/** The model family's own weekly window (usage endpoint), or null when unknown. */
export function familySevenDayUtil(a: AccountRow, family: ModelFamily | null, now: number): number | null {
  if (family === null) return null;
  return windowUtil(a.rateLimit?.sevenDayByFamily?.[family], now);
}

/** Reset time of the binding window (the representative claim), or null when unknown or past. */
export function bindingResetAt(a: AccountRow, now: number): number | null {
  const rl = a.rateLimit;
  if (!rl) return null;
  const t =
    rl.representativeClaim === 'seven_day'
      ? (rl.sevenDay?.resetAt ?? rl.resetAt)
      : rl.representativeClaim === 'five_hour'
        ? (rl.fiveHour?.resetAt ?? rl.resetAt)
        : rl.resetAt;
  return t !== null && t > now ? t : null;
}

export function familyOf(modelKey: string | null): ModelFamily | null {
  if (modelKey === null) return null;
  if (modelKey.startsWith('opus')) return 'opus';
  if (modelKey.startsWith('sonnet')) return 'sonnet';
  if (modelKey.startsWith('haiku')) return 'haiku';
  return null;
}

/** Effective thresholds for one account and model: account+family, account, family, global (per window). */
export function thresholdsFor(
  t: Thresholds | null,
  a: Pick<AccountRow, 'id' | 'name'>,
  modelKey: string | null,
): { fiveHour: number | null; sevenDay: number | null } {
  if (t === null) return { fiveHour: null, sevenDay: null };
  const fam = familyOf(modelKey);
  const acct = t.perAccount?.[a.name] ?? t.perAccount?.[a.id];
  const layers = [
    fam === null ? undefined : acct?.perFamily?.[fam],
    acct,
    fam === null ? undefined : t.perFamily?.[fam],
    t.global,
  ];
  let fiveHour: number | null = null;
  let sevenDay: number | null = null;
  for (const l of layers) {
    if (!l) continue;
    if (fiveHour === null && l.fiveHour !== undefined && l.fiveHour !== null) fiveHour = l.fiveHour;
    if (sevenDay === null && l.sevenDay !== undefined && l.sevenDay !== null) sevenDay = l.sevenDay;
  }
  return { fiveHour, sevenDay };
}

export function pastThreshold(a: AccountRow, ctx: Pick<RouteContext, 'now' | 'thresholds' | 'modelKey'>): boolean {
  if (ctx.thresholds === null) return false;
  const th = thresholdsFor(ctx.thresholds, a, ctx.modelKey);
  const u5 = fiveHourUtil(a, ctx.now);
  // Anthropic refuses a request when the account's weekly window or its model's is full, so
  // the 7d threshold guards whichever of the two is fuller (the model's when the usage poll read it).
  const u7 = maxKnown(sevenDayUtil(a, ctx.now), familySevenDayUtil(a, familyOf(ctx.modelKey), ctx.now));
  return (
    (th.fiveHour !== null && u5 !== null && u5 >= th.fiveHour) ||
    (th.sevenDay !== null && u7 !== null && u7 >= th.sevenDay)
  );
}

function maxKnown(x: number | null, y: number | null): number | null {
  return x === null ? y : y === null ? x : Math.max(x, y);
}

function leastUsedCmp(now: number) {
  return (x: AccountRow, y: AccountRow) =>
    (fiveHourUtil(x, now) ?? 0) - (fiveHourUtil(y, now) ?? 0) ||
    x.sessionRequestCount - y.sessionRequestCount ||
    byPriority(x, y);
}

function leastUsedReason(a: AccountRow, now: number): RouteReason {
  return { kind: 'least-used', utilization: fiveHourUtil(a, now), requests: a.sessionRequestCount };
}

/** Moves the client session's account to the front (when on and present). */
function withAffinity(order: AccountRow[], reasons: RouteReason[], ctx: RouteContext): void {
  if (!ctx.options.sessionAffinity || ctx.affinityAccountId === null) return;
  const i = order.findIndex((a) => a.id === ctx.affinityAccountId);
  if (i <= 0) {
    if (i === 0) reasons[0] = AFFINITY;
    return;
  }
  const [a] = order.splice(i, 1);
  reasons.splice(i, 1);
  if (a) {
    order.unshift(a);
    reasons.unshift(AFFINITY);
  }
}

export function healthNow(state: RoutingState, id: string, now: number): number {
  const h = state.health.get(id);
  if (!h) return HEALTH_INITIAL;
  return Math.min(100, h.score + (Math.max(0, now - h.at) / H) * HEALTH_RECOVERY_PER_HOUR);
}

export function bucketNow(state: RoutingState, id: string, now: number, o: StrategyOptions): number {
  const b = state.buckets.get(id);
  if (!b) return o.bucketCapacity;
  return Math.min(o.bucketCapacity, b.tokens + (Math.max(0, now - b.at) / 60_000) * o.bucketRefillPerMin);
}

export function scoreParts(a: AccountRow, ctx: RouteContext, state: RoutingState): ScoreParts {
  const w = ctx.options.hybridWeights;
  const health = (w.health * healthNow(state, a.id, ctx.now)) / 100;
  const bucket = (w.bucket * bucketNow(state, a.id, ctx.now, ctx.options)) / ctx.options.bucketCapacity;
  const u = fiveHourUtil(a, ctx.now) ?? 0;
  const quota = w.quota * Math.min(1, Math.max(0, 1 - u));
  const idleMs = a.lastUsedAt === null ? H : ctx.now - a.lastUsedAt;
  const rest = w.rest * Math.min(1, Math.max(0, idleMs / H));
  return { health, bucket, quota, rest, total: health + bucket + quota + rest };
}

/**
 * Hybrid tiers. The token bucket is a client-side pacing signal: it lowers an account's score
 * (weight 5 of ~8), so requests move to accounts with tokens left, but it never delays a request
 * while a healthy account can take it. A burst past 50 requests per account is normal Claude Code
 * use (one session with sub-agents sends dozens in a minute); treating empty buckets as failure
 * added the 500 ms last-resort wait to every request of a saturated pool (bench a-json: 64 req/s
 * under hybrid, against thousands under session). The waits are kept for accounts that are
 * actually failing: emergency when no account is healthy (health under the floor from 429s,
 * 5xx, network errors), last resort when those have empty buckets too.
 */
function hybrid(list: AccountRow[], ctx: RouteContext, state: RoutingState): RouteDecision {
  const healthy = (a: AccountRow) => healthNow(state, a.id, ctx.now) >= HEALTH_MIN_USABLE;
  const hasToken = (a: AccountRow) => bucketNow(state, a.id, ctx.now, ctx.options) >= 1;
  const tiers: Array<{ kind: 'score' | 'emergency' | 'last-resort'; delayMs: number; ok: (a: AccountRow) => boolean }> =
    [
      { kind: 'score', delayMs: 0, ok: healthy },
      { kind: 'emergency', delayMs: EMERGENCY_DELAY_MS, ok: hasToken },
      { kind: 'last-resort', delayMs: LAST_RESORT_DELAY_MS, ok: () => true },
    ];
  for (const tier of tiers) {
    const scored = list.filter(tier.ok).map((a) => ({ a, parts: scoreParts(a, ctx, state) }));
    if (scored.length === 0) continue;
    scored.sort((x, y) => y.parts.total - x.parts.total || byPriority(x.a, y.a));
    const order = scored.map((s) => s.a);
    const reasons: RouteReason[] = scored.map((s) => ({ kind: tier.kind, parts: s.parts }));
    if (tier.kind === 'score') withAffinity(order, reasons, ctx);
    return { order, reasons, delayMs: tier.delayMs };
  }
  return { order: [], reasons: [], delayMs: 0 };
}

/** When a cooling account frees up, if only its cooldown (not health, pause) keeps it out. */
function recoversAt(a: AccountRow, now: number, modelKey: string | null): number | null {
  if (a.health !== 'ok' || a.paused) return null;
  let until = a.cooldownUntil !== null && a.cooldownUntil > now ? a.cooldownUntil : now;
  if (modelKey !== null) {
    const m = a.modelCooldowns[modelKey];
    if (m !== undefined && m > until) until = m;
  }
  return until > now ? until : null;
}

/**
 * sticky, after the account it holds answered 429 and was benched (`account` as it is now, its
 * cooldown set): how long to hold the request before retrying that same account, or null to
 * move on. The rule: when the limit resets within `stickyMaxWaitMs` (2 min), waiting keeps
 * the conversation's prompt cache, where moving pays the whole context again as cache writes
 * (125 % of input price instead of 10 %). `firstPick`: the request's first attempt, which is the
 * held account before any request was served (no sticky account yet).
 */
export function stickyHoldAfterLimit(
  account: AccountRow,
  state: RoutingState,
  ctx: Pick<RouteContext, 'now' | 'modelKey' | 'options'>,
  firstPick: boolean,
): number | null {
  const held = state.stickyId === null ? firstPick : state.stickyId === account.id;
  if (!held) return null;
  const at = recoversAt(account, ctx.now, ctx.modelKey);
  if (at === null || at - ctx.now > ctx.options.stickyMaxWaitMs) return null;
  return at - ctx.now;
}

function sticky(all: readonly AccountRow[], list: AccountRow[], ctx: RouteContext, state: RoutingState): RouteDecision {
  const sorted = [...list].sort(byPriority);
  const cur = state.stickyId === null ? undefined : all.find((a) => a.id === state.stickyId);
  if (cur) {
    const i = sorted.indexOf(cur);
    if (i >= 0) {
      sorted.splice(i, 1);
      return {
        order: [cur, ...sorted],
        reasons: [
          { kind: 'sticky' },
          ...sorted.map((a) => ({ kind: 'priority', priority: a.priority }) as RouteReason),
        ],
        delayMs: 0,
      };
    }
    const at = ctx.exclude.has(cur.id) ? null : recoversAt(cur, ctx.now, ctx.modelKey);
    // Holding keeps the prompt cache: a cold cache on another account costs more than a short wait.
    if (at !== null && at - ctx.now <= ctx.options.stickyMaxWaitMs) {
      const waitMs = at - ctx.now;
      return {
        order: [cur, ...sorted],
        reasons: [
          { kind: 'sticky-hold', waitMs },
          ...sorted.map((a) => ({ kind: 'priority', priority: a.priority }) as RouteReason),
        ],
        delayMs: waitMs,
      };
    }
  }
  return {
    order: sorted,
    reasons: sorted.map((a, i) => (i === 0 ? { kind: 'sticky' } : { kind: 'priority', priority: a.priority })),
    delayMs: 0,
  };
}

function sessionReasons(order: AccountRow[], ctx: RouteContext): RouteReason[] {
  return order.map((a) =>
    a.id === ctx.affinityAccountId
      ? AFFINITY
      : sessionActive(a, ctx.now, ctx.sessionMs)
        ? CURRENT_SESSION
        : { kind: 'priority', priority: a.priority },
  );
}

export function orderStrategy(
  name: StrategyName,
  accounts: readonly AccountRow[],
  ctx: RouteContext,
  state: RoutingState,
): RouteDecision {
  if (name === 'session' && ctx.thresholds === null) {
    const order = orderAccounts(accounts, ctx);
    return { order, reasons: sessionReasons(order, ctx), delayMs: 0 };
  }
  const usable: AccountRow[] = [];
  const over: AccountRow[] = [];
  for (const a of accounts) {
    if (ctx.exclude.has(a.id) || unusableReason(a, ctx.now, ctx.modelKey) !== null) continue;
    (pastThreshold(a, ctx) ? over : usable).push(a);
  }
  if (usable.length === 0) {
    if (over.length === 0)
      return name === 'sticky' ? sticky(accounts, usable, ctx, state) : { order: [], reasons: [], delayMs: 0 };
    // Every account is past its threshold: spend the least used rather than answer 503.
    over.sort(leastUsedCmp(ctx.now));
    return {
      order: over,
      reasons: over.map((a) => ({ kind: 'threshold-fallback', utilization: fiveHourUtil(a, ctx.now) })),
      delayMs: 0,
    };
  }
  switch (name) {
    case 'session': {
      const order = orderAccounts(usable, ctx);
      return { order, reasons: sessionReasons(order, ctx), delayMs: 0 };
    }
    case 'sticky':
      return sticky(accounts, usable, ctx, state);
    case 'round-robin': {
      const sorted = usable.sort(byPriority);
      const all = [...accounts].sort(byPriority);
      const last = state.rrLastId === null ? -1 : all.findIndex((a) => a.id === state.rrLastId);
      // Start after the last served account in the full list, so a skipped account keeps its turn order.
      let start = 0;
      if (last >= 0) {
        start = sorted.findIndex((a) => all.indexOf(a) > last);
        if (start < 0) start = 0;
      }
      const order = [...sorted.slice(start), ...sorted.slice(0, start)];
      const reasons: RouteReason[] = order.map((_, i) => ({ kind: 'round-robin', position: i }));
      withAffinity(order, reasons, ctx);
      return { order, reasons, delayMs: 0 };
    }
    case 'least-used': {
      const order = usable.sort(leastUsedCmp(ctx.now));
      const reasons = order.map((a) => leastUsedReason(a, ctx.now));
      withAffinity(order, reasons, ctx);
      return { order, reasons, delayMs: 0 };
    }
    case 'drain-soonest': {
      const order = usable.sort(
        (x, y) =>
          (bindingResetAt(x, ctx.now) ?? Number.MAX_SAFE_INTEGER) -
            (bindingResetAt(y, ctx.now) ?? Number.MAX_SAFE_INTEGER) || byPriority(x, y),
      );
      const reasons: RouteReason[] = order.map((a) => ({ kind: 'drain-soonest', resetAt: bindingResetAt(a, ctx.now) }));
      withAffinity(order, reasons, ctx);
      return { order, reasons, delayMs: 0 };
    }
    case 'hybrid':
      return hybrid(usable, ctx, state);
  }
}

export function recordServed(state: RoutingState, accountId: string, ctx: RouteContext): void {
  state.rrLastId = accountId;
  state.stickyId = accountId;
  const tokens = bucketNow(state, accountId, ctx.now, ctx.options);
  state.buckets.set(accountId, { tokens: Math.max(0, tokens - 1), at: ctx.now });
}

export function recordOutcome(state: RoutingState, accountId: string, outcome: AttemptOutcome, now: number): void {
  const score = Math.max(0, Math.min(100, healthNow(state, accountId, now) + HEALTH_DELTA[outcome]));
  state.health.set(accountId, { score, at: now });
}
