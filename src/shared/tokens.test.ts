import { describe, expect, it } from 'vitest';
import {
  formatCountFit,
  formatTokenBreakdown,
  formatTokensInOut,
  formatTokensInOutShort,
  tokenKinds,
  tokensIn,
} from './tokens.js';

const fields = { inputTokens: 10, cacheReadTokens: 6, cacheWrite5mTokens: 4, cacheWrite1hTokens: 0, outputTokens: 20 };

describe('token convention', () => {
  it('counts every prompt token as in: input + cache read + cache write', () => {
    const t = tokenKinds(fields);
    expect(t).not.toBeNull();
    if (t === null) return;
    expect(tokensIn(t)).toBe(20);
    expect(formatTokensInOut(t)).toBe('20 in / 20 out');
    expect(formatTokenBreakdown(t)).toBe('input 10 · cache read 6 · cache write 4 · output 20');
    expect(formatTokensInOut({ ...t, input: 1_200_000, cacheWrite1h: 34_000, output: 5_678 })).toBe(
      '1,234,010 in / 5,678 out',
    );
  });

  it('has no counts for a request without usage, and zero for a missing kind', () => {
    const none = { inputTokens: null, cacheReadTokens: null, cacheWrite5mTokens: null, cacheWrite1hTokens: null };
    expect(tokenKinds({ ...none, outputTokens: null })).toBeNull();
    expect(tokenKinds({ ...none, outputTokens: 3 })).toEqual({
      input: 0,
      cacheRead: 0,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      output: 3,
    });
  });
});

describe('formatTokensInOutShort', () => {
  const t = (tokensIn: number, output: number) => ({
    input: tokensIn,
    cacheRead: 0,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    output,
  });

  it('writes counts in thousands and millions, in 18 characters at most', () => {
    expect(formatTokensInOutShort(t(20, 20))).toBe('20 in / 20 out');
    expect(formatTokensInOutShort(t(151_234, 1_234))).toBe('151k in / 1.2k out');
    expect(formatTokensInOutShort(t(1_523_456, 12_345))).toBe('1.5M in / 12k out');
    expect(formatTokensInOutShort(t(9_949, 1_000))).toBe('9.9k in / 1k out');
    expect(formatTokensInOutShort(t(9_950, 999_499))).toBe('10k in / 999k out');
    expect(formatTokensInOutShort(t(999_500, 25_000_000))).toBe('1M in / 25M out');
    for (const n of [999, 9_949, 9_950, 99_999, 999_499, 999_500, 9_949_999, 9_950_000, 99_999_999]) {
      expect(formatTokensInOutShort(t(n, n)).length, String(n)).toBeLessThanOrEqual(18);
    }
  });
});

describe('formatCountFit', () => {
  it('writes a count in full while it fits the column, else short', () => {
    expect(formatCountFit(123_456_789, 12)).toBe('123,456,789');
    expect(formatCountFit(12_345_678_901, 12)).toBe('12346M');
    expect(formatCountFit(123_456_789, 10)).toBe('123M');
  });
});
