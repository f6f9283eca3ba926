import { describe, expect, it } from 'vitest';
import { attemptCounts, failoversOf } from './attempts.js';

const at = (...names: string[]) => names.map((account) => ({ account }));

describe('attemptCounts', () => {
  it('calls a second go at the same account a retry, not a failover', () => {
    expect(attemptCounts(at('work', 'work', 'work'))).toEqual({ retries: 2, failovers: 0, triedAccounts: ['work'] });
  });

  it('calls a move to another account a failover', () => {
    expect(attemptCounts(at('work', 'work', 'personal'))).toEqual({
      retries: 1,
      failovers: 1,
      triedAccounts: ['work', 'personal'],
    });
  });

  it('counts coming back to an account already tried as a retry', () => {
    expect(attemptCounts(at('a', 'b', 'a'))).toEqual({ retries: 1, failovers: 1, triedAccounts: ['a', 'b'] });
  });

  it('has nothing for a request that never reached an account', () => {
    expect(attemptCounts([])).toEqual({ retries: 0, failovers: 0, triedAccounts: [] });
  });

  it('agrees with failoversOf', () => {
    for (const log of [at(), at('a'), at('a', 'a'), at('a', 'b'), at('a', 'b', 'a', 'c', 'c')]) {
      expect(failoversOf(log)).toBe(attemptCounts(log).failovers);
    }
  });
});
