import { describe, expect, it } from 'vitest';
import type { PerfGroup } from '../storage/analytics/compute.js';
import { analyticsWindow, assembleAnalytics, assembleStats, emptySums } from '../storage/analytics/compute.js';
import { LATENCY_BUCKETS } from '../storage/analytics/rollup.js';
import { renderRangeStats, renderStats } from './report-format.js';

const NOW = Date.UTC(2026, 11, 7, 12);

function group(model: string, requests: number, costUsd: number): PerfGroup {
  return {
    ...emptySums(),
    accountId: 'a',
    accountName: 'work',
    model,
    requests,
    successes: requests,
    latencySum: 100 * requests,
    inputTokens: 1000 * requests,
    outputTokens: 10 * requests,
    costUsd,
    latencyMax: 100,
    lastTs: NOW,
    hist: new Array<number>(LATENCY_BUCKETS).fill(0),
  };
}

// Claude Code's haiku sub-agents arrive as claude-haiku-5-5, which has no price (protocol.md section 6).
const groups = [group('claude-sonnet-4-5', 2, 3), group('claude-haiku-5-5', 3, 0)];

describe('a cost total with requests of a model without a price', () => {
  it('stats says what the cost leaves out instead of passing for the whole', () => {
    const out = renderStats(assembleStats(groups, [], [], NOW - 3_600_000), NOW);
    expect(out).toMatch(/^Cost {6}\$3\.00 \+ 3 requests of claude-haiku-5-5 without a price; failovers 0$/m);
  });

  it('stats --range shows that model\'s cost as "no price", not $0.00', () => {
    const q = { range: '24h' as const, now: NOW, accounts: [], models: [], status: 'all' as const };
    const a = assembleAnalytics(
      q,
      analyticsWindow('24h', NOW),
      { series: [], perf: groups, agents: [], previous: undefined },
      new Map(),
    );
    const out = renderRangeStats(a, NOW);
    expect(out).toMatch(/^claude-haiku-5-5\s+3\s+0\s+100 ms\s+3,030\s+no price$/m);
    expect(out).toMatch(/^claude-sonnet-4-5\s+2\s+0\s+100 ms\s+2,020\s+\$3\.00$/m);
    expect(out).toContain('$3.00 + 3 requests of claude-haiku-5-5 without a price (the 24 hours before: $0.00)');
  });

  it('says nothing when every request was priced', () => {
    const out = renderStats(assembleStats([group('claude-sonnet-4-5', 2, 3)], [], [], NOW), NOW);
    expect(out).toMatch(/^Cost {6}\$3\.00; failovers 0$/m);
  });
});
