import { describe, expect, it } from 'vitest';
import { trendOf } from './trend.js';

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
