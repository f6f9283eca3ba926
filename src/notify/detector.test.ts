import { describe, expect, it } from 'vitest';
import { sampleRecord } from '../../test/support/sample-record.js';
import { DEFAULT_NOTIFY_RULES, type NotifyRules } from '../shared/notify-schemas.js';
import { Detector, workerApprovalEvent } from './detector.js';
import { RepeatFilter } from './notify-event.js';

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);

function detector(over: Partial<NotifyRules> = {}) {
  const rules = { ...DEFAULT_NOTIFY_RULES, ...over };
  return new Detector(() => rules);
}

let n = 0;
const rec = (over: Parameters<typeof sampleRecord>[0] extends infer P ? Partial<P> : never) =>
  sampleRecord({ id: `r${++n}`, costUsd: null, ...over });

describe('Detector: accounts', () => {
  it('says an account needs re-auth or is disabled, with the reason', () => {
    const d = detector();
    const [a] = d.accountChanged(
      {
        accountId: '1',
        name: 'alpha',
        status: 'needs_reauth',
        reason: 'invalid_grant',
        until: null,
      },
      T0,
    );
    expect(a).toMatchObject({ type: 'account.reauth', subject: 'alpha', severity: 'critical' });
    expect(a?.title).toContain('needs re-authentication');
    expect(a?.text).toContain('invalid_grant');
    const [b] = d.accountChanged(
      {
        accountId: '2',
        name: 'beta',
        status: 'disabled',
        reason: 'invalid API key',
        until: null,
      },
      T0,
    );
    expect(b?.title).toBe('Account beta is disabled');
  });

  it('says which window rejected an account and when it resets, then that it recovered once', () => {
    const d = detector();
    const until = T0 + 3_600_000;
    const [ev] = d.accountChanged(
      {
        accountId: '1',
        name: 'alpha',
        status: 'cooling_down',
        reason: 'rate limited (5h+7d)',
        until,
      },
      T0,
    );
    expect(ev).toMatchObject({
      type: 'account.rate_limited',
      fields: { account: 'alpha', windows: '5h+7d', resetAt: new Date(until).toISOString() },
    });
    // Still benched: nothing.
    expect(d.tick([{ id: '1', name: 'alpha', status: 'cooling_down' }], T0)).toEqual([]);
    const back = d.tick([{ id: '1', name: 'alpha', status: 'active' }], until);
    expect(back).toMatchObject([
      { type: 'account.recovered', subject: 'alpha', text: 'Its 5h+7d rate-limit window has reset.' },
    ]);
    expect(d.tick([{ id: '1', name: 'alpha', status: 'active' }], until)).toEqual([]);
  });

  it('says a cooldown lifted by hand before its reset was lifted, not that the window reset', () => {
    const d = detector();
    const until = T0 + 3_600_000;
    d.accountChanged({ accountId: '1', name: 'alpha', status: 'cooling_down', reason: 'rate limited (5h)', until }, T0);
    // `ccflare accounts resume` clears the cooldown: the pool reports the account active before `until`.
    const [back] = d.accountChanged(
      { accountId: '1', name: 'alpha', status: 'active', reason: null, until: null },
      T0 + 60_000,
    );
    expect(back).toMatchObject({ type: 'account.recovered', subject: 'alpha' });
    expect(back?.text).toBe(
      `Its cooldown was lifted by hand before the 5h window's reset at ${new Date(until).toISOString()}; the upstream may still reject it until then.`,
    );
  });

  it('does not call an overload cooldown a rate limit', () => {
    const d = detector();
    expect(
      d.accountChanged({ accountId: '1', name: 'a', status: 'cooling_down', reason: 'overloaded', until: T0 }, T0),
    ).toEqual([]);
    expect(d.tick([{ id: '1', name: 'a', status: 'active' }], T0)).toEqual([]);
  });
});

describe('Detector: pool', () => {
  it('fires once when answers turn into no_account 503s and once when one succeeds again', () => {
    const d = detector({ errorRate: { percent: null, minRequests: 1 } });
    const no = () => rec({ status: 503, success: false, error: 'No usable account (2 configured: 2 cooling down)' });
    expect(d.request(no(), T0)).toMatchObject([{ type: 'pool.exhausted', subject: 'pool' }]);
    expect(d.request(no(), T0)).toEqual([]);
    // A 503 of another kind (upstream) is not the pool.
    expect(d.request(rec({ status: 503, success: false, error: 'upstream 503' }), T0)).toEqual([]);
    expect(d.request(rec({ status: 200, success: true, accountName: 'alpha' }), T0)).toMatchObject([
      { type: 'pool.recovered', fields: { account: 'alpha' } },
    ]);
    expect(d.request(rec({}), T0)).toEqual([]);
  });

  it('does not call a gateway with no account configured yet an outage', () => {
    const d = detector({ errorRate: { percent: null, minRequests: 1 } });
    const setup = rec({
      status: 503,
      success: false,
      error: 'No accounts configured: add one with `ccflare accounts add <name>`',
    });
    expect(d.request(setup, T0)).toEqual([]);
    // Accounts added and serving: nothing recovered, as nothing was exhausted.
    expect(d.request(rec({ status: 200, success: true, accountName: 'alpha' }), T0)).toEqual([]);
    expect(
      d.request(rec({ status: 503, success: false, error: 'No usable account (1 configured: 1 cooling down)' }), T0),
    ).toMatchObject([{ type: 'pool.exhausted' }]);
  });
});

describe('Detector: error rate', () => {
  it('fires past the threshold over 5 minutes once enough requests were seen, and forgets older ones', () => {
    const d = detector({ errorRate: { percent: 50, minRequests: 4 } });
    const fail = () => rec({ status: 500, success: false, error: 'boom' });
    expect(d.request(fail(), T0)).toEqual([]);
    expect(d.request(fail(), T0 + 1000)).toEqual([]);
    expect(d.request(rec({}), T0 + 2000)).toEqual([]);
    const [ev] = d.request(fail(), T0 + 3000);
    expect(ev).toMatchObject({ type: 'error_rate.high', fields: { failed: 3, total: 4, threshold: 50 } });
    // Six minutes later the old failures are out of the window.
    expect(d.request(rec({}), T0 + 6 * 60_000)).toEqual([]);
  });

  it('counts each request of the last 5 minutes once, as its second leaves the window', () => {
    const d = detector({ errorRate: { percent: 50, minRequests: 2 } });
    const fail = () => rec({ status: 500, success: false, error: 'boom' });
    d.request(fail(), T0);
    expect(d.request(fail(), T0 + 1000)).toMatchObject([{ fields: { failed: 2, total: 2 } }]);
    for (let i = 0; i < 3; i++) d.request(rec({}), T0 + 60_000 + i);
    expect(d.request(rec({}), T0 + 60_000 + 3)).toEqual([]);
    // T0's second has left: 3 of 7 failed (4 of 8 with it would fire)
    d.request(fail(), T0 + 5 * 60_000 + 500);
    expect(d.request(fail(), T0 + 5 * 60_000 + 600)).toEqual([]);
    expect(d.request(fail(), T0 + 5 * 60_000 + 700)).toMatchObject([{ fields: { failed: 4, total: 8 } }]);
  });

  it('does not count clients that went away', () => {
    const d = detector({ errorRate: { percent: 50, minRequests: 2 } });
    d.request(rec({ status: 499, success: false }), T0);
    expect(d.request(rec({ status: 499, success: false }), T0)).toEqual([]);
  });
});

describe('Detector: spend', () => {
  const rules = {
    errorRate: { percent: null, minRequests: 1 },
    spend: { dailyUsd: 1, monthlyUsd: 10, keyDailyUsd: 0.5, keyMonthlyUsd: null },
  };

  it('fires when the day total and a key total cross their thresholds, once each', () => {
    const d = detector(rules);
    expect(d.request(rec({ costUsd: 0.4, clientKey: 'laptop' }), T0)).toEqual([]);
    const second = d.request(rec({ costUsd: 0.2, clientKey: 'laptop' }), T0);
    expect(second).toMatchObject([
      { type: 'spend.threshold', subject: 'key/laptop/day/2026-12-05', fields: { key: 'laptop', thresholdUsd: 0.5 } },
    ]);
    const third = d.request(rec({ costUsd: 0.45, clientKey: 'ci' }), T0);
    expect(third).toMatchObject([{ subject: 'global/day/2026-12-05', fields: { spentUsd: 1.05, thresholdUsd: 1 } }]);
    expect(d.request(rec({ costUsd: 0.1, clientKey: 'ci' }), T0)).toMatchObject([{ subject: 'key/ci/day/2026-12-05' }]);
    expect(d.request(rec({ costUsd: 0.1 }), T0)).toEqual([]);
  });

  it('starts a new day at UTC midnight and counts what was spent before a restart', () => {
    const d = detector(rules);
    d.seedSpend(T0, { total: 0.95, byKey: {} }, { total: 9.95, byKey: {} });
    const ev = d.request(rec({ costUsd: 0.1 }), T0);
    expect(ev.map((e) => e.subject)).toEqual(['global/day/2026-12-05', 'global/month/2026-12']);
    const tomorrow = T0 + 86_400_000;
    expect(d.request(rec({ costUsd: 0.5 }), tomorrow)).toEqual([]);
    expect(d.request(rec({ costUsd: 0.6 }), tomorrow)).toMatchObject([{ subject: 'global/day/2026-12-06' }]);
  });

  it('tells a threshold set at or below what was already spent on the next request, once per period', () => {
    let current: NotifyRules = { ...DEFAULT_NOTIFY_RULES, errorRate: { percent: null, minRequests: 1 } };
    const d = new Detector(() => current);
    const setSpend = (spend: Partial<NotifyRules['spend']>) => {
      current = { ...current, spend: { ...current.spend, ...spend } };
    };
    expect(d.request(rec({ costUsd: 3, clientKey: 'ci' }), T0)).toEqual([]);
    setSpend({ dailyUsd: 2, keyDailyUsd: 1 });
    // The next request, even one that cost nothing, tells both.
    const told = d.request(rec({ costUsd: null, clientKey: 'ci' }), T0 + 1000);
    expect(told).toMatchObject([
      { subject: 'global/day/2026-12-05', fields: { spentUsd: 3, thresholdUsd: 2 } },
      { subject: 'key/ci/day/2026-12-05', fields: { spentUsd: 3, thresholdUsd: 1 } },
    ]);
    // Held until the UTC day ends, per threshold, for the notifier's shared repeat window.
    expect(told[0]?.repeat).toEqual({
      key: 'spend.threshold global/day/2026-12-05 2',
      until: Date.UTC(2026, 11, 6),
    });
    expect(d.request(rec({ costUsd: 0.5, clientKey: 'ci' }), T0 + 2000)).toEqual([]);
    // Lowered below one already told: not news. Raised: told when reached.
    setSpend({ dailyUsd: 1.5 });
    expect(d.request(rec({ costUsd: 0.1 }), T0 + 3000)).toEqual([]);
    setSpend({ dailyUsd: 4 });
    expect(d.request(rec({ costUsd: 0.1 }), T0 + 4000)).toEqual([]);
    expect(d.request(rec({ costUsd: 0.5 }), T0 + 5000)).toMatchObject([{ fields: { thresholdUsd: 4 } }]);
    // A monthly threshold set below the month's spend: its window ends with the month.
    setSpend({ monthlyUsd: 1 });
    expect(d.request(rec({}), T0 + 6000)).toMatchObject([
      { subject: 'global/month/2026-12', repeat: { until: Date.UTC(2027, 0, 1) } },
    ]);
  });
});

describe('worker approval', () => {
  it('is an event type ready for the workers feature', () => {
    expect(workerApprovalEvent('w1', 'wants to run rm')).toMatchObject({ type: 'worker.approval', subject: 'w1' });
  });
});

describe('RepeatFilter', () => {
  it('lets one message per type and subject through per window', () => {
    const f = new RepeatFilter();
    expect(f.admit('a x', T0, T0 + 1000)).toBe(true);
    expect(f.admit('a x', T0 + 999, T0 + 1999)).toBe(false);
    expect(f.admit('a y', T0 + 999, T0 + 1999)).toBe(true);
    expect(f.admit('b x', T0 + 999, T0 + 1999)).toBe(true);
    expect(f.admit('a x', T0 + 1000, T0 + 2000)).toBe(true);
    f.release('a x');
    expect(f.admit('a x', T0 + 1001, T0 + 2001)).toBe(true);
  });

  it('stays bounded under many subjects', () => {
    const f = new RepeatFilter(100);
    for (let i = 0; i < 1000; i++) f.admit(`a s${i}`, T0, T0 + 60_000);
    expect((f as unknown as { until: Map<string, number> }).until.size).toBeLessThanOrEqual(100);
  });
});
