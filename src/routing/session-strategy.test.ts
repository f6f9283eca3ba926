import { describe, expect, it } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import type { AccountRow } from '../storage/contract/accounts.js';
import { SessionAffinity } from './session-affinity.js';
import { earliestRecovery, orderAccounts, unusableReason } from './session-strategy.js';

const H = 3_600_000;
const NOW = 1_800_000_000_000;

const acct = (name: string, over: Partial<AccountRow> = {}) => accountRow(name, { createdAt: NOW - 10 * H, ...over });

const ctx = (over: Partial<Parameters<typeof orderAccounts>[1]> = {}) => ({
  now: NOW,
  sessionMs: 5 * H,
  modelKey: null,
  affinityAccountId: null,
  exclude: new Set<string>(),
  ...over,
});

const names = (xs: AccountRow[]) => xs.map((a) => a.name);

describe('session strategy', () => {
  it('orders by priority (lower first) when no session is active', () => {
    const list = [acct('c', { priority: 2 }), acct('a', { priority: 0 }), acct('b', { priority: 1 })];
    expect(names(orderAccounts(list, ctx()))).toEqual(['a', 'b', 'c']);
  });

  it('stays on the account holding an active session even if a higher-priority one is free', () => {
    const list = [acct('a', { priority: 0 }), acct('b', { priority: 5, sessionStart: NOW - 1 * H })];
    expect(names(orderAccounts(list, ctx()))).toEqual(['b', 'a']);
  });

  it('moves on once the session window has passed', () => {
    const list = [acct('a', { priority: 0 }), acct('b', { priority: 5, sessionStart: NOW - 5 * H - 1 })];
    expect(names(orderAccounts(list, ctx()))).toEqual(['a', 'b']);
  });

  it('prefers the most recently started session when several are active', () => {
    const list = [acct('a', { sessionStart: NOW - 3 * H }), acct('b', { priority: 3, sessionStart: NOW - H })];
    expect(names(orderAccounts(list, ctx()))[0]).toBe('b');
  });

  it('puts the affinity account first while it is usable', () => {
    const list = [acct('a', { sessionStart: NOW - H }), acct('b', { priority: 9 })];
    expect(names(orderAccounts(list, ctx({ affinityAccountId: 'id-b' })))).toEqual(['b', 'a']);
    const paused = [acct('a'), acct('b', { paused: true })];
    expect(names(orderAccounts(paused, ctx({ affinityAccountId: 'id-b' })))).toEqual(['a']);
  });

  it('skips paused, cooling-down, needs-reauth, disabled and excluded accounts', () => {
    const list = [
      acct('p', { paused: true }),
      acct('c', { cooldownUntil: NOW + 1000 }),
      acct('r', { health: 'needs_reauth' }),
      acct('d', { health: 'disabled' }),
      acct('x'),
      acct('ok', { cooldownUntil: NOW - 1 }),
    ];
    expect(names(orderAccounts(list, ctx({ exclude: new Set(['id-x']) })))).toEqual(['ok']);
  });

  it('skips an account cooling down for the requested model only', () => {
    const list = [acct('a', { modelCooldowns: { opus: NOW + H } }), acct('b', { priority: 1 })];
    expect(names(orderAccounts(list, ctx({ modelKey: 'opus' })))).toEqual(['b']);
    expect(names(orderAccounts(list, ctx({ modelKey: 'sonnet' })))).toEqual(['a', 'b']);
    expect(unusableReason(list[0] as AccountRow, NOW, 'opus')).toBe('cooling down for opus');
  });

  it('reports the earliest time a cooling account frees up, ignoring paused and broken ones', () => {
    const list = [
      acct('a', { cooldownUntil: NOW + 5000 }),
      acct('b', { cooldownUntil: NOW + 2000 }),
      acct('p', { paused: true, cooldownUntil: NOW + 100 }),
      acct('r', { health: 'needs_reauth', cooldownUntil: NOW + 100 }),
    ];
    expect(earliestRecovery(list, NOW, null)).toBe(NOW + 2000);
    expect(earliestRecovery([acct('z')], NOW, null)).toBeNull();
  });
});

describe('session affinity', () => {
  it('expires entries and evicts the oldest beyond its bound', () => {
    const aff = new SessionAffinity(1000, 2);
    aff.set('s1', 'a', 0);
    aff.set('s2', 'b', 0);
    aff.set('s3', 'c', 0);
    expect(aff.get('s1', 10)).toBeNull();
    expect(aff.get('s3', 10)).toBe('c');
    expect(aff.get('s3', 2000)).toBeNull();
    aff.set('s4', 'a', 0);
    aff.forgetAccount('a');
    expect(aff.get('s4', 1)).toBeNull();
  });
});
