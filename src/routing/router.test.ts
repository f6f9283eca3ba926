import { describe, expect, it } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import { createRouter, type RoutingSettings, sessionReasonText } from './router.js';
import { DEFAULT_STRATEGY_OPTIONS, type StrategyName } from './strategy.js';

const NOW = 1_800_000_000_000;
const input = {
  now: NOW,
  sessionMs: 5 * 3_600_000,
  modelKey: null,
  affinityAccountId: null,
  exclude: new Set<string>(),
};

describe('router', () => {
  it('follows the strategy setting from one call to the next', () => {
    let name: StrategyName = 'session';
    const r = createRouter({ strategy: () => name, thresholds: null, options: DEFAULT_STRATEGY_OPTIONS });
    const list = [accountRow('a'), accountRow('b', { priority: 1 })];
    expect(r.plainSession()).toBe(true);
    r.served('id-a', input);
    expect(r.state.rrLastId).toBeNull();
    name = 'round-robin';
    expect(r.plainSession()).toBe(false);
    r.served('id-a', input);
    expect(r.decide(list, input).order.map((a) => a.name)).toEqual(['b', 'a']);
  });

  it('holds at a 429 only under sticky', () => {
    let name: StrategyName = 'session';
    const r = createRouter({ strategy: () => name, thresholds: null, options: DEFAULT_STRATEGY_OPTIONS });
    const benched = accountRow('a', { cooldownUntil: NOW + 60_000 });
    const at = { now: NOW, modelKey: null, firstPick: true };
    expect(r.holdAfterLimit(benched, at)).toBeNull();
    name = 'sticky';
    expect(r.holdAfterLimit(benched, at)).toBe(60_000);
  });

  it('names the session pick without building a reasons list, reusing the priority text', () => {
    const a = accountRow('a', { priority: 3 });
    expect(sessionReasonText(a, 'id-a', NOW, 1)).toBe('affinity');
    expect(sessionReasonText({ ...a, sessionStart: NOW - 1 }, null, NOW, 1000)).toBe('current-session');
    const t = sessionReasonText(a, null, NOW, 1000);
    expect(t).toBe('priority 3');
    expect(sessionReasonText(a, null, NOW, 1000)).toBe(t);
  });

  it('follows every strategy setting, parsing them again only when the settings object is replaced', () => {
    const base: RoutingSettings = {
      strategy: 'session',
      quotaThreshold5h: 0,
      quotaThreshold7d: 0,
      quotaThresholds: '',
      stickyWaitMs: 120_000,
      strategyAffinity: true,
      hybridWeights: '2,5,1,0.1',
      hybridBucket: '50,6',
    };
    let settings = base;
    const invalid: string[] = [];
    const r = createRouter({ settings: () => settings, onInvalid: (e) => invalid.push(e.message) });
    const busy = { fiveHour: { status: 'allowed', utilization: 0.7, resetAt: NOW + 3_600_000 } };
    const list = [
      accountRow('a', {
        rateLimit: {
          observedAt: NOW,
          status: 'allowed',
          resetAt: null,
          sevenDay: null,
          representativeClaim: null,
          ...busy,
        },
      }),
      accountRow('b', { priority: 1 }),
    ];
    expect(r.plainSession()).toBe(true);
    expect(r.decide(list, input).order.map((a) => a.name)).toEqual(['a', 'b']);
    const options = r.options;
    expect(r.options).toBe(options);

    settings = { ...base, quotaThreshold5h: 60, stickyWaitMs: 5_000, hybridBucket: '10,2' };
    expect(r.plainSession()).toBe(false);
    expect(r.thresholds?.global).toEqual({ fiveHour: 0.6, sevenDay: null });
    expect(r.options).toMatchObject({ stickyMaxWaitMs: 5_000, bucketCapacity: 10, bucketRefillPerMin: 2 });
    expect(r.decide(list, input).order.map((a) => a.name)).toEqual(['b']);

    // A bad value (only possible around the checks in live-settings.ts) keeps the last good ones.
    const good = r.options;
    settings = { ...settings, hybridWeights: 'lots' };
    expect(r.options).toBe(good);
    expect(invalid).toEqual([expect.stringMatching(/^CCFLARE_HYBRID_WEIGHTS must be/)]);
  });
});
