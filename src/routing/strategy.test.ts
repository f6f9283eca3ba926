import { describe, expect, it } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import type { AccountRow, RateLimitState } from '../storage/contract/accounts.js';
import { thresholdsFor } from './strategies.js';
import {
  DEFAULT_STRATEGY_OPTIONS,
  formatReason,
  holdAfterLimit,
  newRoutingState,
  noteOutcome,
  noteServed,
  orderFor,
  type RouteContext,
  type RoutingState,
  type StrategyName,
  type Thresholds,
} from './strategy.js';

const H = 3_600_000;
const NOW = 1_800_000_000_000;

const acct = (name: string, over: Partial<AccountRow> = {}) => accountRow(name, { createdAt: NOW - 10 * H, ...over });

function rl(u5: number | null, reset5: number | null, extra: Partial<RateLimitState> = {}): RateLimitState {
  return {
    observedAt: NOW,
    status: 'allowed',
    resetAt: reset5,
    fiveHour: { status: 'allowed', utilization: u5, resetAt: reset5 },
    sevenDay: null,
    representativeClaim: 'five_hour',
    ...extra,
  };
}

const ctx = (over: Partial<RouteContext> = {}): RouteContext => ({
  now: NOW,
  sessionMs: 5 * H,
  modelKey: null,
  affinityAccountId: null,
  exclude: new Set<string>(),
  thresholds: null,
  options: DEFAULT_STRATEGY_OPTIONS,
  ...over,
});

const names = (xs: AccountRow[]) => xs.map((a) => a.name);
const order = (n: StrategyName, list: AccountRow[], c: RouteContext = ctx(), s: RoutingState = newRoutingState()) =>
  names(orderFor(n, list, c, s).order);

describe('session', () => {
  it('keeps today’s order and says why: affinity, current session, priority', () => {
    const list = [acct('a'), acct('b', { priority: 3, sessionStart: NOW - H }), acct('c', { priority: 1 })];
    const d = orderFor('session', list, ctx({ affinityAccountId: 'id-c' }), newRoutingState());
    expect(names(d.order)).toEqual(['c', 'b', 'a']);
    expect(d.reasons.map((r) => r.kind)).toEqual(['affinity', 'current-session', 'priority']);
    expect(d.delayMs).toBe(0);
  });
});

describe('sticky', () => {
  it('stays on the account it served last even when a higher-priority one is free', () => {
    const s = newRoutingState();
    const list = [acct('a'), acct('b', { priority: 2 })];
    noteServed(s, 'id-b', ctx());
    expect(order('sticky', list, ctx(), s)).toEqual(['b', 'a']);
  });

  it('holds the request when the current account frees up within the wait (default 2 min)', () => {
    const s = newRoutingState();
    noteServed(s, 'id-b', ctx());
    const list = [acct('a'), acct('b', { cooldownUntil: NOW + 90_000 })];
    const d = orderFor('sticky', list, ctx(), s);
    expect(names(d.order)).toEqual(['b', 'a']);
    expect(d.delayMs).toBe(90_000);
    expect(d.reasons[0]).toEqual({ kind: 'sticky-hold', waitMs: 90_000 });
  });

  it('moves on when the limit resets later than the wait', () => {
    const s = newRoutingState();
    noteServed(s, 'id-b', ctx());
    const list = [acct('a'), acct('b', { cooldownUntil: NOW + 3 * 60_000 })];
    const d = orderFor('sticky', list, ctx(), s);
    expect(names(d.order)).toEqual(['a']);
    expect(d.delayMs).toBe(0);
    const longer = ctx({ options: { ...DEFAULT_STRATEGY_OPTIONS, stickyMaxWaitMs: 5 * 60_000 } });
    expect(orderFor('sticky', list, longer, s).delayMs).toBe(3 * 60_000);
  });

  it("holds at the held account's own 429 when it frees up within the wait, for it only", () => {
    const s = newRoutingState();
    const c = ctx();
    const benched = acct('b', { cooldownUntil: NOW + 90_000 });
    // Before any request was served, the request's first pick is the held account.
    expect(holdAfterLimit(benched, s, c, true)).toBe(90_000);
    expect(holdAfterLimit(benched, s, c, false)).toBeNull();
    noteServed(s, 'id-b', c);
    expect(holdAfterLimit(benched, s, c, false)).toBe(90_000);
    expect(holdAfterLimit(acct('a', { cooldownUntil: NOW + 90_000 }), s, c, true)).toBeNull();
    // A model-scoped cooldown counts for a request of that model.
    const opusOnly = acct('b', { modelCooldowns: { 'opus-4-6': NOW + 30_000 } });
    expect(holdAfterLimit(opusOnly, s, ctx({ modelKey: 'opus-4-6' }), false)).toBe(30_000);
  });

  it('does not hold at a 429 that resets later than the wait, or that benched nothing, or a paused account', () => {
    const s = newRoutingState();
    noteServed(s, 'id-b', ctx());
    expect(holdAfterLimit(acct('b', { cooldownUntil: NOW + 3 * 60_000 }), s, ctx(), false)).toBeNull();
    expect(holdAfterLimit(acct('b'), s, ctx(), false)).toBeNull();
    expect(holdAfterLimit(acct('b', { cooldownUntil: NOW + 1000, paused: true }), s, ctx(), false)).toBeNull();
  });
});

describe('round-robin', () => {
  it('takes the next usable account per request', () => {
    const s = newRoutingState();
    const list = [acct('a'), acct('b', { priority: 1 }), acct('c', { priority: 2 })];
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const first = orderFor('round-robin', list, ctx(), s).order[0] as AccountRow;
      served.push(first.name);
      noteServed(s, first.id, ctx());
    }
    expect(served).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps a client session on its account unless affinity is turned off', () => {
    const s = newRoutingState();
    noteServed(s, 'id-a', ctx());
    const list = [acct('a'), acct('b')];
    expect(order('round-robin', list, ctx({ affinityAccountId: 'id-a' }), s)).toEqual(['a', 'b']);
    const off = ctx({ affinityAccountId: 'id-a', options: { ...DEFAULT_STRATEGY_OPTIONS, sessionAffinity: false } });
    expect(order('round-robin', list, off, s)).toEqual(['b', 'a']);
  });
});

describe('least-used', () => {
  it('prefers the lowest 5h utilization, then the fewest requests in the window', () => {
    const list = [
      acct('a', { rateLimit: rl(0.6, NOW + H) }),
      acct('b', { rateLimit: rl(0.2, NOW + H), sessionRequestCount: 9 }),
      acct('c', { rateLimit: rl(0.2, NOW + H), sessionRequestCount: 3 }),
    ];
    expect(order('least-used', list)).toEqual(['c', 'b', 'a']);
  });

  it('counts a window whose reset has passed as unused', () => {
    const list = [acct('a', { rateLimit: rl(0.3, NOW + H) }), acct('b', { rateLimit: rl(0.9, NOW - 1) })];
    expect(order('least-used', list)).toEqual(['b', 'a']);
  });
});

describe('drain-soonest', () => {
  it('prefers the account whose binding window resets soonest; unknown resets last', () => {
    const list = [
      acct('a', { rateLimit: rl(0.1, NOW + 4 * H) }),
      acct('b'),
      acct('c', { rateLimit: rl(0.5, NOW + H) }),
      acct('d', {
        rateLimit: rl(0.1, NOW + 3 * H, {
          representativeClaim: 'seven_day',
          sevenDay: { status: 'allowed', utilization: 0.4, resetAt: NOW + 2 * H },
        }),
      }),
    ];
    expect(order('drain-soonest', list)).toEqual(['c', 'd', 'a', 'b']);
  });
});

describe('hybrid', () => {
  it('scores health×2 + bucket×5 + quota×1 + rest×0.1', () => {
    const list = [acct('a', { rateLimit: rl(0.5, NOW + H), lastUsedAt: NOW - H / 2 })];
    const d = orderFor('hybrid', list, ctx(), newRoutingState());
    expect(d.reasons[0]).toEqual({
      kind: 'score',
      parts: { health: 1.4, bucket: 5, quota: 0.5, rest: 0.05, total: 6.95 },
    });
    expect(formatReason(d.reasons[0] as never)).toContain('score 6.95');
  });

  it('weights are configurable', () => {
    const list = [acct('a', { rateLimit: rl(0.9, NOW + H) }), acct('b', { rateLimit: rl(0.1, NOW + H) })];
    const s = newRoutingState();
    noteOutcome(s, 'id-b', 'rate_limited', NOW); // b health 60, a 70
    expect(order('hybrid', list, ctx(), s)).toEqual(['b', 'a']);
    const healthHeavy = ctx({
      options: { ...DEFAULT_STRATEGY_OPTIONS, hybridWeights: { health: 20, bucket: 5, quota: 1, rest: 0.1 } },
    });
    expect(order('hybrid', list, healthHeavy, s)).toEqual(['a', 'b']);
  });

  it('drains a token bucket of 50 that refills 6 per minute; an empty bucket lowers the score', () => {
    const s = newRoutingState();
    const list = [acct('a'), acct('b', { priority: 1 })];
    for (let i = 0; i < 50; i++) noteServed(s, 'id-a', ctx());
    const d = orderFor('hybrid', list, ctx(), s);
    expect(names(d.order)).toEqual(['b', 'a']);
    expect(d.reasons.map((r) => (r.kind === 'score' ? r.parts.bucket : null))).toEqual([5, 0]);
    // 10 s refills one token: 1/50 of the bucket weight.
    const later = orderFor('hybrid', list, ctx({ now: NOW + 10_000 }), s).reasons[1];
    expect(later?.kind === 'score' && later.parts.bucket).toBeCloseTo(0.1);
  });

  it('a burst that empties every bucket of a healthy pool is not delayed', () => {
    const s = newRoutingState();
    const list = [acct('a'), acct('b', { priority: 1 })];
    for (let i = 0; i < 200; i++) {
      const d = orderFor('hybrid', list, ctx(), s);
      expect(d.delayMs).toBe(0);
      expect(d.reasons[0]?.kind).toBe('score');
      noteServed(s, (d.order[0] as AccountRow).id, ctx());
      noteOutcome(s, (d.order[0] as AccountRow).id, 'ok', NOW);
    }
  });

  it('a healthy account with an empty bucket goes before an unhealthy one with tokens, without delay', () => {
    const s = newRoutingState();
    const list = [acct('a'), acct('b')];
    for (let i = 0; i < 50; i++) noteServed(s, 'id-a', ctx());
    noteOutcome(s, 'id-b', 'failed', NOW);
    noteOutcome(s, 'id-b', 'failed', NOW); // 30: below the floor
    const d = orderFor('hybrid', list, ctx(), s);
    expect(names(d.order)).toEqual(['a']);
    expect(d.reasons[0]?.kind).toBe('score');
    expect(d.delayMs).toBe(0);
  });

  it('recovers health passively, then serves normally again', () => {
    const s = newRoutingState();
    const list = [acct('a')];
    noteOutcome(s, 'id-a', 'failed', NOW); // 50
    noteOutcome(s, 'id-a', 'rate_limited', NOW); // 40: below the floor of 50
    const d = orderFor('hybrid', list, ctx(), s);
    expect(d.reasons[0]?.kind).toBe('emergency');
    const later = orderFor('hybrid', list, ctx({ now: NOW + H }), s); // +10/h -> 50
    expect(later.reasons[0]?.kind).toBe('score');
    expect(later.delayMs).toBe(0);
  });

  it('falls back to emergency (ignore health, 250 ms) then last resort (ignore buckets, 500 ms)', () => {
    const s = newRoutingState();
    const list = [acct('a'), acct('b')];
    for (const id of ['id-a', 'id-b']) {
      noteOutcome(s, id, 'failed', NOW);
      noteOutcome(s, id, 'failed', NOW);
    }
    const em = orderFor('hybrid', list, ctx(), s);
    expect(em.reasons.map((r) => r.kind)).toEqual(['emergency', 'emergency']);
    expect(em.delayMs).toBe(250);
    // Unhealthy and out of tokens: only the one with tokens is an emergency candidate.
    for (let i = 0; i < 50; i++) noteServed(s, 'id-a', ctx());
    expect(names(orderFor('hybrid', list, ctx(), s).order)).toEqual(['b']);
    for (let i = 0; i < 50; i++) noteServed(s, 'id-b', ctx());
    const lr = orderFor('hybrid', list, ctx(), s);
    expect(lr.reasons.map((r) => r.kind)).toEqual(['last-resort', 'last-resort']);
    expect(lr.delayMs).toBe(500);
    expect(orderFor('hybrid', [acct('a', { paused: true })], ctx(), s).order).toEqual([]);
  });
});

describe('quota thresholds', () => {
  const t: Thresholds = {
    global: { fiveHour: 0.8, sevenDay: 0.9 },
    perFamily: { opus: { sevenDay: 0.5 } },
    perAccount: { b: { fiveHour: 0.95, perFamily: { opus: { sevenDay: 0.7 } } } },
  };

  it('takes the most specific per window: account+family, account, family, global', () => {
    expect(thresholdsFor(t, { id: 'id-a', name: 'a' }, null)).toEqual({ fiveHour: 0.8, sevenDay: 0.9 });
    expect(thresholdsFor(t, { id: 'id-a', name: 'a' }, 'opus-4-6')).toEqual({ fiveHour: 0.8, sevenDay: 0.5 });
    expect(thresholdsFor(t, { id: 'id-b', name: 'b' }, 'sonnet-4-6')).toEqual({ fiveHour: 0.95, sevenDay: 0.9 });
    expect(thresholdsFor(t, { id: 'id-b', name: 'b' }, 'opus-4-6')).toEqual({ fiveHour: 0.95, sevenDay: 0.7 });
  });

  it('skips an account past its threshold while another can serve, under every strategy', () => {
    const list = [acct('a', { rateLimit: rl(0.85, NOW + H) }), acct('b', { priority: 5, rateLimit: rl(0.3, NOW + H) })];
    for (const n of ['session', 'sticky', 'round-robin', 'least-used', 'drain-soonest', 'hybrid'] as const) {
      expect(order(n, list, ctx({ thresholds: t })), n).toEqual(['b']);
      expect(order(n, list, ctx()), n).toContain('a');
    }
  });

  it('applies per-family weekly thresholds to that family only', () => {
    const seven = (u: number): RateLimitState => ({
      ...rl(0.1, NOW + H),
      sevenDay: { status: 'allowed', utilization: u, resetAt: NOW + 24 * H },
    });
    const list = [acct('a', { rateLimit: seven(0.6) }), acct('c', { priority: 1, rateLimit: seven(0.1) })];
    expect(order('session', list, ctx({ thresholds: t, modelKey: 'opus-4-6' }))).toEqual(['c']);
    expect(order('session', list, ctx({ thresholds: t, modelKey: 'sonnet-4-6' }))).toEqual(['a', 'c']);
  });

  it("checks a family's request against that family's own weekly window when the usage poll read it", () => {
    const withOpus = (overall: number, opus: number | null): RateLimitState => ({
      ...rl(0.1, NOW + H),
      sevenDay: { status: 'allowed', utilization: overall, resetAt: NOW + 24 * H },
      sevenDayByFamily: opus === null ? {} : { opus: { status: 'allowed', utilization: opus, resetAt: NOW + 48 * H } },
    });
    // a: the account-wide week is at 20 %, but its opus week at 60 %: past the opus threshold of 50 %.
    const list = [
      acct('a', { rateLimit: withOpus(0.2, 0.6) }),
      acct('c', { priority: 1, rateLimit: withOpus(0.2, null) }),
    ];
    expect(order('session', list, ctx({ thresholds: t, modelKey: 'opus-4-6' }))).toEqual(['c']);
    expect(order('session', list, ctx({ thresholds: t, modelKey: 'sonnet-4-6' }))).toEqual(['a', 'c']);
    // The global 7d threshold (90 %) guards the opus week too, for an opus request only.
    const full = [
      acct('a', { rateLimit: withOpus(0.2, 0.95) }),
      acct('c', { priority: 1, rateLimit: withOpus(0.2, null) }),
    ];
    const global: Thresholds = { global: { sevenDay: 0.9 } };
    expect(order('least-used', full, ctx({ thresholds: global, modelKey: 'opus-4-6' }))).toEqual(['c']);
    expect(order('least-used', full, ctx({ thresholds: global, modelKey: 'haiku-4-5' }))).toEqual(['a', 'c']);
    // A window that has reset since it was read counts as empty.
    expect(order('session', list, ctx({ thresholds: t, modelKey: 'opus-4-6', now: NOW + 49 * H }))).toEqual(['a', 'c']);
  });

  it('when every account is past it, uses the least-used one and says so', () => {
    const list = [
      acct('a', { rateLimit: rl(0.95, NOW + H) }),
      acct('c', { priority: 3, rateLimit: rl(0.85, NOW + H) }),
    ];
    const d = orderFor('session', list, ctx({ thresholds: t }), newRoutingState());
    expect(names(d.order)).toEqual(['c', 'a']);
    expect(d.reasons[0]).toEqual({ kind: 'threshold-fallback', utilization: 0.85 });
  });
});
