import { describe, expect, it } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import { createRouter, sessionReasonText } from './router.js';
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
});
