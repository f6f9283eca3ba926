import { describe, expect, it } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import { accountStatus } from './account-status.js';

const NOW = 1_700_000_600_000;
const MIN = 60_000;
const overloaded = (at: number) => ({ at, status: 529, error: '529 overloaded: Overloaded' });

describe('accountStatus: failing', () => {
  it('shows an account whose latest attempts failed as failing, saying what failed', () => {
    const row = accountRow('flaky', {
      recentErrors: [
        { at: NOW - 4 * MIN, status: 429, error: '429 rate limited (no rate-limit headers)' },
        ...[3, 2, 1, 0.5].map((m) => overloaded(NOW - m * MIN)),
      ],
    });
    expect(accountStatus(row, NOW)).toEqual({
      status: 'failing',
      // Only the newest five are kept, so five say "at least", not "exactly".
      reason: '529 ×4, 429 ×1 (its last 5 errors, all in the last 5 min); last: 529 overloaded: Overloaded',
      until: null,
    });
    const fewer = accountRow('flaky', { recentErrors: [overloaded(NOW - 2 * MIN), overloaded(NOW - MIN)] });
    expect(accountStatus(fewer, NOW).reason).toBe('529 ×2 in the last 5 min; last: 529 overloaded: Overloaded');
  });

  it('is active again once it served a request after its errors', () => {
    const row = accountRow('flaky', { recentErrors: [overloaded(NOW - 2 * MIN)], lastUsedAt: NOW - MIN });
    expect(accountStatus(row, NOW).status).toBe('active');
  });

  it('forgets errors older than 5 minutes', () => {
    const row = accountRow('flaky', { recentErrors: [overloaded(NOW - 6 * MIN)] });
    expect(accountStatus(row, NOW).status).toBe('active');
  });

  it("does not blame the account for the client's own errors", () => {
    const row = accountRow('ok', {
      recentErrors: [{ at: NOW - MIN, status: 400, error: '400 invalid_request_error: max_tokens' }],
    });
    expect(accountStatus(row, NOW).status).toBe('active');
  });

  it('counts a network error (no status) as failing', () => {
    const row = accountRow('down', { recentErrors: [{ at: NOW - MIN, status: null, error: 'ECONNRESET' }] });
    expect(accountStatus(row, NOW)).toMatchObject({
      status: 'failing',
      reason: expect.stringMatching(/^no answer ×1/),
    });
  });

  it('gives way to a cooldown, which says more', () => {
    const row = accountRow('flaky', {
      recentErrors: [overloaded(NOW - MIN)],
      cooldownUntil: NOW + MIN,
      cooldownReason: 'rate limited',
    });
    expect(accountStatus(row, NOW).status).toBe('cooling_down');
  });
});
