import { describe, expect, it } from 'vitest';
import { formatTokenBreakdown, formatTokensInOut, tokenKinds, tokensIn } from './tokens.js';

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
