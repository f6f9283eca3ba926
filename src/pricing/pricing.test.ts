import { describe, expect, it, vi } from 'vitest';
import { modelFamily, modelFamilyKey } from './model-family.js';
import { PRICES } from './prices.js';
import { costUsd, createPricer, findPrice } from './pricing.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const M = 1_000_000;

describe('modelFamily', () => {
  it.each([
    ['claude-sonnet-4-5-20250929', 'sonnet-4-5'],
    ['claude-sonnet-4-5', 'sonnet-4-5'],
    ['claude-sonnet-4-20250514', 'sonnet-4'],
    ['claude-sonnet-4-0', 'sonnet-4'],
    ['claude-opus-4-20250514', 'opus-4'],
    ['claude-opus-4-0', 'opus-4'],
    ['claude-opus-4-1', 'opus-4-1'],
    ['claude-opus-4-1-20250805', 'opus-4-1'],
    ['claude-opus-4-5-20251101', 'opus-4-5'],
    ['claude-opus-4-6', 'opus-4-6'],
    ['claude-opus-5', 'opus-5'],
    ['claude-opus-5-5', 'opus-5-5'],
    ['claude-sonnet-5', 'sonnet-5'],
    ['claude-sonnet-5-5', 'sonnet-5-5'],
    ['claude-sonnet-5-5-20260901', 'sonnet-5-5'],
    ['claude-haiku-4-5', 'haiku-4-5'],
    ['claude-haiku-4-5-20251001', 'haiku-4-5'],
    ['claude-3-5-haiku-20241022', 'haiku-3-5'],
    ['claude-3-5-haiku-latest', 'haiku-3-5'],
    ['claude-haiku-3-5', 'haiku-3-5'],
    ['Claude-Sonnet-4-5', 'sonnet-4-5'],
    ['claude-sonnet-4.5', 'sonnet-4-5'],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'sonnet-4-5'],
    ['claude-opus-4-1@20250805', 'opus-4-1'],
    ['claude-sonnet-4-5-20250929[1m]', 'sonnet-4-5'],
  ])('%s -> %s', (id, family) => {
    expect(modelFamily(id)).toBe(family);
  });

  it.each(['gpt-4o', 'claude-opus-4-5-thinking', 'claude', '', 'opus', 'claude-instant-1.2'])(
    '%s is not a family',
    (id) => {
      expect(modelFamily(id)).toBeNull();
    },
  );

  it('keys unknown models by their id without the date', () => {
    expect(modelFamilyKey('claude-opus-4-5-20251101')).toBe('opus-4-5');
    expect(modelFamilyKey('Mystery-Model-20260101')).toBe('mystery-model');
  });
});

describe('price table', () => {
  it('lists each family at most once per date', () => {
    const seen = new Set<string>();
    for (const p of PRICES) {
      for (const f of p.match) {
        const k = `${f}@${p.effectiveFrom ?? ''}`;
        expect(seen.has(k)).toBe(false);
        seen.add(k);
      }
    }
  });

  it('keeps opus-4 and opus-4-5 apart', () => {
    expect(findPrice('claude-opus-4-20250514', NOW)?.input).toBe(15);
    expect(findPrice('claude-opus-4-1', NOW)?.input).toBe(15);
    expect(findPrice('claude-opus-4-5', NOW)?.input).toBe(5);
    expect(findPrice('claude-opus-4-8', NOW)?.input).toBe(5);
    expect(findPrice('claude-opus-5', NOW)?.input).toBe(5);
    expect(findPrice('claude-opus-5-5', NOW)?.input).toBe(4);
  });

  it('derives Opus 5.5 cache prices by the rule of thumb', () => {
    const p = findPrice('claude-opus-5-5', NOW);
    expect(p).not.toBeNull();
    if (p === null) return;
    expect(p.cacheWrite5m).toBeCloseTo(1.25 * p.input, 10);
    expect(p.cacheWrite1h).toBeCloseTo(2 * p.input, 10);
    expect(p.cacheRead).toBeCloseTo(0.1 * p.input, 10);
  });
});

describe('costUsd', () => {
  it('prices Sonnet 4.5 (dated id) with cache reads and 5m writes', () => {
    // 1000*3 + 20000*0.30 + 3000*3.75 + 500*15 = 3000 + 6000 + 11250 + 7500 = 27750 -> $0.02775
    const usage = {
      inputTokens: 1000,
      cacheReadTokens: 20_000,
      cacheWrite5mTokens: 3000,
      cacheWrite1hTokens: 0,
      outputTokens: 500,
    };
    expect(costUsd('claude-sonnet-4-5-20250929', usage, NOW)).toBeCloseTo(0.02775, 12);
  });

  it('prices Opus 4.1 at $15/$75 and Opus 4.5 at $5/$25', () => {
    const usage = { inputTokens: 2000, outputTokens: 1000 };
    // 2000*15 + 1000*75 = 105000
    expect(costUsd('claude-opus-4-1-20250805', usage, NOW)).toBeCloseTo(0.105, 12);
    expect(costUsd('claude-opus-4-20250514', usage, NOW)).toBeCloseTo(0.105, 12);
    // 2000*5 + 1000*25 = 35000
    expect(costUsd('claude-opus-4-5-20251101', usage, NOW)).toBeCloseTo(0.035, 12);
  });

  it('prices the 5m/1h cache-write split separately (Haiku 4.5)', () => {
    // 100*1 + 10000*1.25 + 10000*2 + 0 = 100 + 12500 + 20000 = 32600
    const usage = { inputTokens: 100, cacheWrite5mTokens: 10_000, cacheWrite1hTokens: 10_000, outputTokens: 0 };
    expect(costUsd('claude-haiku-4-5-20251001', usage, NOW)).toBeCloseTo(0.0326, 12);
  });

  it('prices Haiku 3.5 in both name orders', () => {
    const usage = { inputTokens: M, outputTokens: M, cacheReadTokens: M };
    // 0.80 + 4 + 0.08
    expect(costUsd('claude-3-5-haiku-20241022', usage, NOW)).toBeCloseTo(4.88, 12);
    expect(costUsd('claude-haiku-3-5', usage, NOW)).toBeCloseTo(4.88, 12);
  });

  it('prices every token class of Opus 5.5', () => {
    const usage = {
      inputTokens: M,
      cacheReadTokens: M,
      cacheWrite5mTokens: M,
      cacheWrite1hTokens: M,
      outputTokens: M,
    };
    // 4 + 0.40 + 5 + 8 + 20
    expect(costUsd('claude-opus-5-5', usage, NOW)).toBeCloseTo(37.4, 12);
  });

  it('treats null counts as 0', () => {
    const usage = {
      inputTokens: null,
      cacheReadTokens: null,
      cacheWrite5mTokens: null,
      cacheWrite1hTokens: null,
      outputTokens: 1000,
    };
    expect(costUsd('claude-sonnet-4-5', usage, NOW)).toBeCloseTo(0.015, 12);
  });

  it('applies the Sonnet 5.5 cache-read change from 2026-10-07 (UTC)', () => {
    const usage = { cacheReadTokens: M };
    const change = Date.parse('2026-10-07T00:00:00Z');
    expect(costUsd('claude-sonnet-5-5', usage, change - 1)).toBeCloseTo(0.2, 12);
    expect(costUsd('claude-sonnet-5-5-20260901', usage, change)).toBeCloseTo(0.1, 12);
    expect(costUsd('claude-sonnet-5-5', usage, change + 86_400_000 * 365)).toBeCloseTo(0.1, 12);
    // Sonnet 5 is not part of the change.
    expect(costUsd('claude-sonnet-5', usage, change)).toBeCloseTo(0.2, 12);
    // The other Sonnet 5.5 prices are unchanged.
    expect(costUsd('claude-sonnet-5-5', { inputTokens: M, outputTokens: M }, change)).toBeCloseTo(12, 12);
  });

  it('returns null for an unknown or missing model', () => {
    expect(costUsd('gpt-4o', { inputTokens: 10 }, NOW)).toBeNull();
    expect(costUsd(null, { inputTokens: 10 }, NOW)).toBeNull();
    expect(findPrice('claude-3-opus-20240229', NOW)).toBeNull();
  });
});

describe('createPricer', () => {
  it('warns once per distinct unknown model', () => {
    const warn = vi.fn();
    const pricer = createPricer({ warn });
    expect(pricer.cost('mystery-1', { inputTokens: 1 }, NOW)).toBeNull();
    expect(pricer.cost('mystery-1', { inputTokens: 1 }, NOW)).toBeNull();
    expect(pricer.cost('mystery-1', { inputTokens: 1 }, NOW)).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('mystery-1');
    pricer.cost('mystery-2', { inputTokens: 1 }, NOW);
    expect(warn).toHaveBeenCalledTimes(2);
    pricer.cost(null, { inputTokens: 1 }, NOW);
    expect(pricer.cost('claude-sonnet-4-5', { inputTokens: M }, NOW)).toBeCloseTo(3, 12);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('stops reporting past maxWarned', () => {
    const warn = vi.fn();
    const pricer = createPricer({ warn, maxWarned: 2 });
    for (let i = 0; i < 10; i++) pricer.cost(`m${i}`, {}, NOW);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('accepts a replacement table with effective dates', () => {
    const pricer = createPricer({
      prices: [
        { id: 'a', match: ['haiku-4-5'], input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1 },
        {
          id: 'b',
          match: ['haiku-4-5'],
          effectiveFrom: '2026-01-01T12:00:00Z',
          input: 2,
          cacheWrite5m: 2,
          cacheWrite1h: 2,
          cacheRead: 2,
          output: 2,
        },
      ],
    });
    const t = Date.parse('2026-01-01T12:00:00Z');
    expect(pricer.cost('claude-haiku-4-5', { inputTokens: M }, t - 1)).toBe(1);
    expect(pricer.cost('claude-haiku-4-5', { inputTokens: M }, t)).toBe(2);
    expect(pricer.find('claude-sonnet-4-5', t)).toBeNull();
  });

  it('rejects a bad table', () => {
    const row = { id: 'x', match: ['opus-5'], input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1 };
    expect(() => createPricer({ prices: [{ ...row, effectiveFrom: 'soon' }] })).toThrow(/effectiveFrom/);
    expect(() => createPricer({ prices: [row, row] })).toThrow(/already/);
    expect(() => createPricer({ prices: [{ ...row, output: -1 }] })).toThrow(/bad price/);
  });
});
