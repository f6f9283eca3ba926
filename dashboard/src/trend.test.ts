import { describe, expect, it } from 'vitest';
import { shortHistory, trendOf } from './trend.js';

const count = { scale: 'relative', better: 'neither' } as const;
const latency = { scale: 'relative', better: 'down' } as const;
const rate = { scale: 'points', better: 'up' } as const;

describe('trendOf', () => {
  it('reads a relative change against the previous window of the range', () => {
    expect(trendOf('24h', count, 112, 100, 100)).toEqual({
      text: '+12% vs the previous 24 hours',
      tone: 'neutral',
      direction: 'up',
    });
    expect(trendOf('7d', count, 95, 100, 100)?.text).toBe('−5.0% vs the previous 7 days');
    expect(trendOf('1h', count, 100.2, 100, 100)).toEqual({
      text: 'Same as the previous hour',
      tone: 'neutral',
      direction: 'flat',
    });
  });

  it('says whether the change is good news', () => {
    expect(trendOf('6h', latency, 1500, 1000, 3)).toMatchObject({ text: '+50% vs the previous 6 hours', tone: 'bad' });
    expect(trendOf('6h', latency, 500, 1000, 3)).toMatchObject({ text: '−50% vs the previous 6 hours', tone: 'good' });
  });

  it('reads rates in percentage points', () => {
    expect(trendOf('30d', rate, 0.9, 0.95, 20)).toEqual({
      text: '−5.0 pts vs the previous 30 days',
      tone: 'bad',
      direction: 'down',
    });
    expect(trendOf('30d', rate, 2 / 3, 0, 1)).toMatchObject({
      text: '+66.7 pts vs the previous 30 days',
      tone: 'good',
    });
  });

  it('tells no requests before from a figure with nothing to compare', () => {
    expect(trendOf('24h', count, 5, 0, 0)).toEqual({
      text: 'No requests in the previous 24 hours',
      tone: 'neutral',
      direction: null,
    });
    expect(trendOf('24h', latency, 800, null, 4)).toBeNull();
    expect(trendOf('24h', count, 3, 0, 4)?.text).toBe('up from 0 vs the previous 24 hours');
  });
});

describe('a history that begins inside the previous window', () => {
  const day = 86_400_000;
  const previous = { from: 0, to: 30 * day };

  it('is short when the oldest stored request is past the middle of the previous window', () => {
    expect(shortHistory(previous, 29 * day)).toBe(true);
    expect(shortHistory(previous, 16 * day)).toBe(true);
    expect(shortHistory(previous, 14 * day)).toBe(false);
    expect(shortHistory(previous, null)).toBe(false);
    expect(shortHistory(previous, undefined)).toBe(false);
  });

  it('reads as no comparison instead of a four-digit percentage', () => {
    expect(trendOf('30d', count, 19_822, 206, 206, true)).toEqual({
      text: 'History starts inside the previous period: nothing fair to compare yet',
      tone: 'neutral',
      direction: null,
    });
    expect(trendOf('30d', count, 19_822, 206, 206, false)?.text).toBe('+9,522% vs the previous 30 days');
  });
});
