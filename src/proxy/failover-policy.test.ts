import { describe, expect, it } from 'vitest';
import type { AccountKind } from '../storage/contract/accounts.js';
import {
  classifyCredentialFailure,
  classifyFailure,
  classifyNetworkError,
  type FailureDecision,
  type FailureInput,
} from './classify.js';
import {
  attemptTimeoutMs,
  beforeAttempt,
  comeBack,
  countsAsRetry,
  type FailoverState,
  NEXT_ACCOUNT,
  nextStep,
  retryBudgetLeft,
  STOP_ANSWER,
  STOP_DEADLINE,
  STOP_MAX_ATTEMPTS,
  STOP_REFUSED,
} from './failover-policy.js';

/** `performance.now()` of the moment the policy is asked; the deadline is a minute later by default. */
const NOW = 5_000;
const MIN = 60_000;
const NOW_MS = Date.parse('2026-11-21T12:00:00Z');

const body = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });

function state(over: Partial<FailoverState> = {}): FailoverState {
  return {
    deadline: NOW + MIN,
    attempts: 1,
    maxAttempts: 6,
    retriedSame: null,
    refreshed: null,
    rejectedToken: null,
    path: '/v1/messages',
    attemptCapMs: 10 * MIN,
    ...over,
  };
}

function answer(over: Partial<FailureInput> & { status: number }, kind: AccountKind = 'api_key'): FailureDecision {
  return classifyFailure({
    headers: {},
    body: '',
    accountKind: kind,
    now: NOW_MS,
    attempt: 0,
    random: () => 0,
    ...over,
  });
}

const networkError = () =>
  classifyNetworkError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 0, { random: () => 0 });

describe('401 on an OAuth account: one forced refresh per account, then the next account', () => {
  const d = answer({ status: 401, body: body('authentication_error', 'OAuth token has expired') }, 'max');

  it('retries the same account right away with a forced refresh', () => {
    expect(nextStep(d, 'a', state(), NOW)).toEqual({ type: 'retry_same', waitMs: 0, refresh: true });
  });

  it('a second 401 after the refresh moves on', () => {
    const s = state({ attempts: 2, refreshed: new Set(['a']), retriedSame: new Set(['a']) });
    expect(nextStep(d, 'a', s, NOW)).toBe(NEXT_ACCOUNT);
  });

  it('every account gets its own refresh', () => {
    const s = state({ attempts: 2, refreshed: new Set(['a']), retriedSame: new Set(['a']) });
    expect(nextStep(d, 'b', s, NOW)).toEqual({ type: 'retry_same', waitMs: 0, refresh: true });
  });

  it('the refresh is not held back by the deadline check (the next attempt checks it)', () => {
    expect(nextStep(d, 'a', state({ deadline: NOW }), NOW)).toEqual({ type: 'retry_same', waitMs: 0, refresh: true });
  });
});

describe('network error before headers: retry the same account once with backoff, then the next', () => {
  it('retries after the backoff when it fits the deadline', () => {
    expect(nextStep(networkError(), 'a', state(), NOW)).toEqual({ type: 'retry_same', waitMs: 125, refresh: false });
  });

  it('the second failure on the same account moves on', () => {
    expect(nextStep(networkError(), 'a', state({ retriedSame: new Set(['a']) }), NOW)).toBe(NEXT_ACCOUNT);
  });

  it('a backoff that does not fit the deadline moves on', () => {
    expect(nextStep(networkError(), 'a', state({ deadline: NOW + 125 }), NOW)).toBe(NEXT_ACCOUNT);
  });

  it('at the deadline the request answers 504 instead', () => {
    expect(nextStep(networkError(), 'a', state({ deadline: NOW }), NOW)).toBe(STOP_DEADLINE);
    // A headers timeout is the deadline spent: the handler passes the deadline as now.
    const s = state();
    expect(nextStep(networkError(), 'a', s, s.deadline)).toBe(STOP_DEADLINE);
  });

  it('an abort is not retried', () => {
    const d = classifyNetworkError(new DOMException('This operation was aborted', 'AbortError'));
    expect(nextStep(d, 'a', state(), NOW)).toBe(STOP_ANSWER);
  });
});

describe('500 and 529: retry with backoff, then the next account', () => {
  it.each([
    [500, body('api_error', 'Internal server error')],
    [529, body('overloaded_error', 'Overloaded')],
  ])('%i retries the same account after the backoff once, then moves on', (status, text) => {
    const d = answer({ status, body: text });
    expect(nextStep(d, 'a', state(), NOW)).toEqual({ type: 'retry_same', waitMs: 125, refresh: false });
    expect(nextStep(d, 'a', state({ retriedSame: new Set(['a']) }), NOW)).toBe(NEXT_ACCOUNT);
  });

  it('a retry-after beyond the deadline moves on at once', () => {
    const d = answer({ status: 503, headers: { 'retry-after': '30' } });
    expect(nextStep(d, 'a', state({ deadline: NOW + 10_000 }), NOW)).toBe(NEXT_ACCOUNT);
  });

  it('x-should-retry: false moves on at once', () => {
    expect(nextStep(answer({ status: 500, headers: { 'x-should-retry': 'false' } }), 'a', state(), NOW)).toBe(
      NEXT_ACCOUNT,
    );
  });

  it('an answer that arrives after the deadline does not become a 504 here (the next attempt stops)', () => {
    expect(nextStep(answer({ status: 500 }), 'a', state({ deadline: NOW - 1 }), NOW)).toBe(NEXT_ACCOUNT);
  });
});

describe('API-key per-minute 429: the next account now, this one again once none is left', () => {
  const limited = { 'retry-after': '20', 'anthropic-ratelimit-requests-remaining': '0' };

  it('remembers the account with its retry-after', () => {
    const d = answer({ status: 429, headers: limited, body: body('rate_limit_error', 'per-minute rate limit') });
    expect(nextStep(d, 'a', state(), NOW)).toEqual({ type: 'wait_for', waitMs: 20_000 });
  });

  it('remembers it even when the wait is longer than the deadline (whether to come back is decided then)', () => {
    const d = answer({ status: 429, headers: limited });
    expect(nextStep(d, 'a', state({ deadline: NOW + 1_000 }), NOW)).toEqual({ type: 'wait_for', waitMs: 20_000 });
  });

  it('after coming back once, a second 429 moves on', () => {
    const d = answer({ status: 429, headers: limited });
    expect(nextStep(d, 'a', state({ retriedSame: new Set(['a']) }), NOW)).toBe(NEXT_ACCOUNT);
  });

  it('without retry-after it only moves on', () => {
    const d = answer({ status: 429, headers: { 'anthropic-ratelimit-requests-remaining': '0' } });
    expect(nextStep(d, 'a', state(), NOW)).toBe(NEXT_ACCOUNT);
  });

  it('comes back when the account frees up within the deadline, not otherwise', () => {
    const s = state({ deadline: NOW + 30_000 });
    expect(comeBack(20_000, s, NOW)).toBe(true);
    expect(comeBack(0, s, NOW)).toBe(true);
    expect(comeBack(-5, state({ deadline: NOW }), NOW)).toBe(true);
    expect(comeBack(30_000, s, NOW)).toBe(false);
    expect(comeBack(45_000, s, NOW)).toBe(false);
  });
});

describe('rate-limit windows and bare 429: the next account, no retry', () => {
  it.each([
    ['5h window', { 'anthropic-ratelimit-unified-status': 'rejected' }],
    [
      'model window',
      {
        'anthropic-ratelimit-unified-7d_oi-status': 'rejected',
        'anthropic-ratelimit-unified-7d_oi-reset': String(NOW_MS / 1000 + 3600),
      },
    ],
    ['bare', { 'x-should-retry': 'true' }],
  ])('%s', (_label, headers) => {
    const d = answer({ status: 429, headers, model: 'claude-opus-4-5' }, 'max');
    expect(nextStep(d, 'a', state(), NOW)).toBe(NEXT_ACCOUNT);
  });
});

describe('answers that stop the request: passed through', () => {
  it.each([
    ['400 invalid_request_error', 400, body('invalid_request_error', 'messages: field required')],
    ['404', 404, body('not_found_error', 'model not found')],
    ['400 credits', 400, body('invalid_request_error', 'Your credit balance is too low')],
    ['501', 501, body('api_error', 'not implemented')],
  ])('%s', (_label, status, text) => {
    expect(nextStep(answer({ status, body: text }), 'a', state(), NOW)).toBe(STOP_ANSWER);
  });

  it('even after the deadline: the answer is there to pass through', () => {
    expect(nextStep(answer({ status: 400 }), 'a', state({ deadline: NOW - 1 }), NOW)).toBe(STOP_ANSWER);
  });
});

describe('an account refused for good (disable): next account on Messages, passed through elsewhere', () => {
  const forbidden = answer({ status: 403, body: body('permission_error', 'OAuth authentication is not supported') });
  const badKey = answer({ status: 401, body: body('authentication_error', 'invalid x-api-key') });

  it.each([
    ['403', forbidden],
    ['401 on an API key', badKey],
  ])('%s on /v1/messages moves on', (_label, d) => {
    expect(nextStep(d, 'a', state(), NOW)).toBe(NEXT_ACCOUNT);
    expect(nextStep(d, 'a', state({ path: '/api/v1/messages/count_tokens' }), NOW)).toBe(NEXT_ACCOUNT);
  });

  it.each([
    ['403', forbidden],
    ['401 on an API key', badKey],
  ])('%s on /v1/models stops with the answer, the account untouched', (_label, d) => {
    expect(nextStep(d, 'a', state({ path: '/v1/models' }), NOW)).toBe(STOP_REFUSED);
  });
});

describe('credentials that cannot be had (needs re-auth, refresh failed): the next account', () => {
  it.each([
    'Account "a" needs re-authentication: refresh token rejected (invalid_grant)',
    'OAuth token refresh failed: 503',
  ])('%s', (message) => {
    const d = classifyCredentialFailure(message);
    expect(d).toMatchObject({ kind: 'credentials', message });
    expect(nextStep(d, 'a', state(), NOW)).toBe(NEXT_ACCOUNT);
    // Nothing was sent: no deadline answer here, the next attempt checks the deadline.
    expect(nextStep(d, 'a', state({ deadline: NOW }), NOW)).toBe(NEXT_ACCOUNT);
  });
});

describe('before each attempt: attempts and deadline', () => {
  it('the first attempt goes', () => {
    expect(beforeAttempt(state({ attempts: 0 }), NOW)).toBeNull();
  });

  it('stops after the maximum number of attempts', () => {
    expect(beforeAttempt(state({ attempts: 5 }), NOW)).toBeNull();
    expect(beforeAttempt(state({ attempts: 6 }), NOW)).toBe(STOP_MAX_ATTEMPTS);
    expect(beforeAttempt(state({ attempts: 6, deadline: NOW }), NOW)).toBe(STOP_MAX_ATTEMPTS);
  });

  it('stops with 504 once the one deadline is spent, even before the first attempt', () => {
    expect(beforeAttempt(state({ attempts: 0, deadline: NOW }), NOW)).toBe(STOP_DEADLINE);
    expect(beforeAttempt(state({ attempts: 2, deadline: NOW + 1 }), NOW)).toBeNull();
  });
});

describe('retry budget: retries in progress at most 20% of requests in flight, minimum 3', () => {
  it('counts a second attempt on an account already used, except the one after a forced token refresh', () => {
    expect(countsAsRetry(state({ attempts: 0 }), true)).toBe(false);
    expect(countsAsRetry(state({ attempts: 1 }), false)).toBe(true);
    expect(countsAsRetry(state({ attempts: 1, rejectedToken: 'sk-ant-oat01-rejected' }), false)).toBe(false);
  });

  it('failing over to an untried, usable account is never refused by the budget', () => {
    expect(countsAsRetry(state({ attempts: 1 }), true)).toBe(false);
    expect(countsAsRetry(state({ attempts: 3 }), true)).toBe(false);
  });

  it('allows 3 retries at low load and 20% of requests in flight above that', () => {
    expect(retryBudgetLeft(2, 1)).toBe(true);
    expect(retryBudgetLeft(3, 1)).toBe(false);
    expect(retryBudgetLeft(3, 19)).toBe(false);
    expect(retryBudgetLeft(3, 20)).toBe(true);
    expect(retryBudgetLeft(20, 100)).toBe(false);
    expect(retryBudgetLeft(19, 100)).toBe(true);
  });
});

describe('the last allowed attempt: no wait for a retry that cannot happen', () => {
  const last = state({ attempts: 6, maxAttempts: 6 });

  it('a backoff retry after the last attempt stops at once instead of sleeping first', () => {
    expect(nextStep(networkError(), 'a', last, NOW)).toBe(STOP_MAX_ATTEMPTS);
    expect(nextStep(answer({ status: 529, body: body('overloaded_error', 'Overloaded') }), 'a', last, NOW)).toBe(
      STOP_MAX_ATTEMPTS,
    );
    // One attempt before the limit still retries after its backoff.
    expect(nextStep(networkError(), 'a', state({ attempts: 5, maxAttempts: 6 }), NOW)).toEqual({
      type: 'retry_same',
      waitMs: 125,
      refresh: false,
    });
  });

  it('a per-minute 429 on the last attempt is not remembered to wait for', () => {
    const d = answer({ status: 429, headers: { 'retry-after': '20', 'anthropic-ratelimit-requests-remaining': '0' } });
    expect(nextStep(d, 'a', last, NOW)).toBe(STOP_MAX_ATTEMPTS);
  });

  it('a 401 on the last attempt gets no forced refresh', () => {
    const d = answer({ status: 401, body: body('authentication_error', 'OAuth token has expired') }, 'max');
    expect(nextStep(d, 'a', last, NOW)).toBe(STOP_MAX_ATTEMPTS);
  });

  it('a network error at the deadline is still the 504', () => {
    expect(nextStep(networkError(), 'a', state({ attempts: 6, maxAttempts: 6, deadline: NOW }), NOW)).toBe(
      STOP_DEADLINE,
    );
  });

  it('answers that stop the request are still passed through', () => {
    expect(nextStep(answer({ status: 400 }), 'a', last, NOW)).toBe(STOP_ANSWER);
  });
});

describe('the time an attempt may wait for response headers: what is left of the one deadline when it is sent', () => {
  it('is the rest of the deadline at the moment of sending', () => {
    expect(attemptTimeoutMs(state({ deadline: NOW + 1_000 }), NOW)).toBe(1_000);
    expect(attemptTimeoutMs(state({ deadline: NOW + 1_000 }), NOW + 400.25)).toBe(600);
  });

  it('after a per-minute wait, the wait is taken off (the deadline is not pushed back by it)', () => {
    // Deadline 30 s away when the loop turn began; the account frees up 20 s later.
    const s = state({ deadline: NOW + 30_000 });
    expect(comeBack(20_000, s, NOW)).toBe(true);
    expect(attemptTimeoutMs(s, NOW + 20_000)).toBe(10_000);
  });

  it('is at most the attempt cap, so one hung account leaves the rest of the deadline to the next', () => {
    const s = state({ deadline: NOW + 600_000, attemptCapMs: 120_000 });
    expect(attemptTimeoutMs(s, NOW)).toBe(120_000);
    expect(attemptTimeoutMs(s, NOW + 500_000)).toBe(100_000);
  });

  it('never rounds past the deadline by more than a millisecond, and is at least 1 ms', () => {
    expect(attemptTimeoutMs(state({ deadline: NOW + 999.5 }), NOW)).toBe(1_000);
    expect(attemptTimeoutMs(state({ deadline: NOW }), NOW)).toBe(1);
    expect(attemptTimeoutMs(state({ deadline: NOW }), NOW + 50)).toBe(1);
  });
});
