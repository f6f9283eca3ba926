import { describe, expect, it } from 'vitest';
import { FIVE_HOURS, type SimRequest, simulate } from './simulate.js';
import { syntheticWorkload } from './workload.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const MIN = 60_000;
const session = 'session' as const;

/** A request costing exactly `units` (input tokens count 1 unit each). */
function req(atMin: number, sessionId: string, units: number): SimRequest {
  return {
    ts: T0 + atMin * MIN,
    sessionId,
    inputTokens: units,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
  };
}

describe('simulate', () => {
  it('matches a small case worked out by hand: a 5h limit hit, a failover, a 503 and a window reset', () => {
    const r = simulate({
      accounts: [
        { name: 'A', limit5h: 100, limit7d: 1000 },
        { name: 'B', limit5h: 100, limit7d: 1000 },
      ],
      requests: [
        req(0, 's1', 60), // A (first by priority): 60
        req(1, 's1', 50), // A (session pinned): 110, past its limit
        req(2, 's1', 10), // A answers 429, cools down to T0+5h; fails over to B: 10, cache miss
        req(3, 's2', 10), // A cooling down: B 20
        req(4, 's1', 95), // B (pinned): 115
        req(5, 's1', 1), // A cooling, B answers 429: 503
        req(5 * 60 + 1, 's1', 5), // A's window reset at T0+5h; B cools until T0+5h+2min: A 5, cache miss
      ],
      strategy: session,
      sessionMs: FIVE_HOURS,
    });
    expect(r).toMatchObject({
      requests: 7,
      served: 6,
      unavailable: 1,
      failovers: 1,
      held: 0,
      cacheMisses: 2,
      // s1: 3 of its 5 on A; s2: its 1 on B.
      continuity: 4 / 6,
      // A used 115, B used 115.
      spread: 0,
      // Windows A 110/100, A 5/100 (open at the end), B 115/100: 95 of 300 unused.
      wasted5hShare: 95 / 300,
      wasted7dShare: 0,
    });
    expect(r.accounts.map((a) => [a.name, a.served, a.unitsUsed, a.rateLimited])).toEqual([
      ['A', 3, 115, 1],
      ['B', 3, 115, 1],
    ]);
  });

  it('holds a request for a sticky account whose limit resets within the wait, then serves it there', () => {
    const r = simulate({
      accounts: [{ name: 'A', limit5h: 100, limit7d: 1000 }],
      requests: [
        req(0, 's', 100), // A: 100, at its limit
        req(5 * 60 - 3, 's', 10), // A answers 429 and cools down until T0+5h; no other account: 503
        req(5 * 60 - 1, 's', 10), // A resets in 60 s, within the 2 min wait: held, then served by A
      ],
      strategy: 'sticky',
      sessionMs: FIVE_HOURS,
    });
    expect(r).toMatchObject({ served: 2, unavailable: 1, held: 1, heldMs: 60_000, failovers: 0 });
    expect(r.accounts[0]).toMatchObject({ served: 2, unitsUsed: 110, fiveHourWindows: 2 });
  });

  it("holds at the sticky account's own 429 when its reset is near, rather than move to a free account", () => {
    const r = simulate({
      accounts: [
        { name: 'A', limit5h: 100, limit7d: 1000 },
        { name: 'B', limit5h: 100, limit7d: 1000 },
      ],
      requests: [
        req(0, 's', 100), // A: 100, at its limit
        req(5 * 60 - 1, 's', 10), // A answers 429, resets in 60 s: held, A again after its reset (B stays free)
        req(5 * 60 + 1, 's', 10), // A: 20
      ],
      strategy: 'sticky',
      sessionMs: FIVE_HOURS,
    });
    expect(r).toMatchObject({ served: 3, unavailable: 0, held: 1, heldMs: 60_000, failovers: 0, cacheMisses: 0 });
    expect(r.accounts.map((a) => [a.name, a.served, a.rateLimited])).toEqual([
      ['A', 3, 1],
      ['B', 0, 0],
    ]);
  });

  it('skips an account past a quota threshold while another can serve', () => {
    const run = (fiveHour: number | null) =>
      simulate({
        accounts: [
          { name: 'A', limit5h: 100, limit7d: 1000 },
          { name: 'B', limit5h: 100, limit7d: 1000 },
        ],
        requests: [req(0, 's', 60), req(1, 's', 10)],
        strategy: 'session',
        thresholds: { global: { fiveHour, sevenDay: null } },
        sessionMs: FIVE_HOURS,
      }).accounts.map((a) => a.served);
    // A is at 60% after the first request: past a 50% threshold, B takes the second.
    expect(run(0.5)).toEqual([1, 1]);
    expect(run(null)).toEqual([2, 0]);
  });

  it('bills the cache reads of a session that moved account as cache writes', () => {
    const moved = simulate({
      accounts: [
        { name: 'A', limit5h: 10, limit7d: 1000 },
        { name: 'B', limit5h: 10_000, limit7d: 1_000_000 },
      ],
      requests: [
        { ts: T0, sessionId: 's', inputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0 },
        { ts: T0 + MIN, sessionId: 's', inputTokens: 0, cacheReadTokens: 1000, cacheWriteTokens: 0, outputTokens: 0 },
        {
          ts: T0 + 2 * MIN,
          sessionId: 's',
          inputTokens: 0,
          cacheReadTokens: 1000,
          cacheWriteTokens: 0,
          outputTokens: 2,
        },
      ],
      strategy: session,
      sessionMs: FIVE_HOURS,
    });
    // Second request: A is full, B serves it cold (1000 as writes); the third is warm on B (100 + 10).
    expect(moved.accounts.map((a) => a.unitsUsed)).toEqual([10, 1110]);
    expect(moved.cacheMisses).toBe(1);
  });

  it('closes 7d windows at their reset and counts what they left', () => {
    const r = simulate({
      accounts: [{ name: 'A', limit5h: 1000, limit7d: 500, weeklyResetOffsetMs: 60 * MIN }],
      requests: [req(0, 's', 200), req(61, 's', 100)],
      strategy: session,
      sessionMs: FIVE_HOURS,
    });
    expect(r.accounts[0]).toMatchObject({ sevenDayWindows: 1, wasted7d: 300 });
    expect(r.wasted7dShare).toBe(300 / 500);
  });

  it('is deterministic for a seed, and another seed gives another workload', () => {
    const a = syntheticWorkload({ developers: 3, days: 3, seed: 7 });
    const b = syntheticWorkload({ developers: 3, days: 3, seed: 7 });
    const c = syntheticWorkload({ developers: 3, days: 3, seed: 8 });
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    const run = () =>
      simulate({
        accounts: [
          { name: 'A', limit5h: 2_000_000, limit7d: 20_000_000 },
          { name: 'B', limit5h: 2_000_000, limit7d: 20_000_000 },
        ],
        requests: a,
        strategy: session,
        sessionMs: FIVE_HOURS,
      });
    expect(run()).toEqual(run());
  });

  it('makes a Claude Code-like workload: weekdays only, working hours, time-ordered, sub-agents in sessions', () => {
    const w = syntheticWorkload({ developers: 2, days: 7, seed: 1 });
    const days = new Set(w.map((r) => new Date(r.ts).getUTCDay()));
    expect(days.has(0) || days.has(6)).toBe(false);
    expect(w.every((r, i) => i === 0 || r.ts >= (w[i - 1]?.ts ?? 0))).toBe(true);
    const hours = w.map((r) => new Date(r.ts).getUTCHours());
    expect(Math.min(...hours)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...hours)).toBeLessThanOrEqual(20);
    expect(new Set(w.map((r) => r.sessionId)).size).toBeGreaterThanOrEqual(2 * 5 * 2);
  });
});
