import { describe, expect, it } from 'vitest';
import type { AccountKind } from '../storage/contract/accounts.js';
import {
  backoffMs,
  CLASSIFY_DEFAULTS,
  classifyFailure,
  classifyNetworkError,
  classifyStreamError,
  type FailureInput,
  modelFamilyKey,
  parseErrorBody,
  retryAfterMs,
} from './classify.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const S = (ms: number) => String(Math.floor(ms / 1000));

const body = (type: string, message: string) =>
  JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_011CVMrB6yDtt5VdL1Hx9X6v' });

const RATE_LIMIT_BODY = body(
  'rate_limit_error',
  "This request would exceed your account's rate limit. Please try again later.",
);

function input(over: Partial<FailureInput> & { status: number }): FailureInput {
  return {
    headers: {},
    body: '',
    accountKind: 'max' as AccountKind,
    now: NOW,
    attempt: 0,
    random: () => 0,
    ...over,
  };
}

describe('429 with unified rejected (5h or 7d window)', () => {
  const reset5h = NOW + 2 * HOUR;
  const reset7d = NOW + 3 * DAY;
  const headers = {
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': S(reset5h),
    'anthropic-ratelimit-unified-5h-status': 'rejected',
    'anthropic-ratelimit-unified-5h-reset': S(reset5h),
    'anthropic-ratelimit-unified-5h-utilization': '1.02',
    'anthropic-ratelimit-unified-7d-status': 'allowed',
    'anthropic-ratelimit-unified-7d-reset': S(reset7d),
    'anthropic-ratelimit-unified-7d-utilization': '0.61',
    'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    'anthropic-ratelimit-unified-overage-status': 'rejected',
    'anthropic-ratelimit-unified-overage-disabled-reason': 'out_of_credits',
    'x-should-retry': 'true',
  };

  it('fails over and cools the account down until the window resets', () => {
    const d = classifyFailure(input({ status: 429, headers, body: RATE_LIMIT_BODY }));
    expect(d).toMatchObject({ kind: 'rate_limited_window', retrySame: false, retryAfterMs: null, nextAccount: true });
    expect(d.effect).toEqual({ type: 'cooldown', until: reset5h, reason: 'rate limited (5h)' });
  });

  it('takes the latest reset among rejected windows', () => {
    const both = {
      ...headers,
      'anthropic-ratelimit-unified-7d-status': 'rejected',
      'anthropic-ratelimit-unified-representative-claim': 'seven_day',
    };
    const d = classifyFailure(input({ status: 429, headers: both, body: RATE_LIMIT_BODY }));
    expect(d.effect).toMatchObject({ type: 'cooldown', until: reset7d });
  });

  it('uses the overall unified reset when no window header says more', () => {
    const d = classifyFailure(
      input({
        status: 429,
        headers: { 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-reset': S(reset5h) },
        body: RATE_LIMIT_BODY,
      }),
    );
    expect(d.kind).toBe('rate_limited_window');
    expect(d.effect).toMatchObject({ type: 'cooldown', until: reset5h });
  });

  it('is not mistaken for a credits error because overage is out_of_credits', () => {
    const d = classifyFailure(
      input({ status: 429, headers, body: body('rate_limit_error', 'You are out of extra usage.') }),
    );
    expect(d.kind).toBe('rate_limited_window');
    expect(d.nextAccount).toBe(true);
  });

  it('adds 0-30 s of jitter', () => {
    const lo = classifyFailure(input({ status: 429, headers, random: () => 0 }));
    const hi = classifyFailure(input({ status: 429, headers, random: () => 0.999_999 }));
    expect(lo.effect).toMatchObject({ until: reset5h });
    const until = (hi.effect as { until: number }).until;
    expect(until).toBeGreaterThan(reset5h + 29 * SEC);
    expect(until).toBeLessThan(reset5h + 30 * SEC);
    for (let i = 0; i < 200; i++) {
      const d = classifyFailure(input({ status: 429, headers, random: Math.random }));
      const u = (d.effect as { until: number }).until;
      expect(u).toBeGreaterThanOrEqual(reset5h);
      expect(u).toBeLessThan(reset5h + 30 * SEC);
    }
  });

  it('caps the cooldown at 7 days from now', () => {
    const far = NOW + 30 * DAY;
    const d = classifyFailure(
      input({
        status: 429,
        headers: {
          'anthropic-ratelimit-unified-7d-status': 'rejected',
          'anthropic-ratelimit-unified-7d-reset': S(far),
        },
        random: () => 0.5,
      }),
    );
    expect(d.effect).toMatchObject({ type: 'cooldown', until: NOW + 7 * DAY });
  });

  it('without a known reset, cools down 5 min doubling per strike, capped at 5 h', () => {
    const h = { 'anthropic-ratelimit-unified-status': 'rejected' };
    const until = (strikes: number) =>
      (classifyFailure(input({ status: 429, headers: h, strikes })).effect as { until: number }).until;
    expect(until(0)).toBe(NOW + 5 * MIN);
    expect(until(1)).toBe(NOW + 10 * MIN);
    expect(until(3)).toBe(NOW + 40 * MIN);
    expect(until(6)).toBe(NOW + 5 * HOUR);
    expect(until(1000)).toBe(NOW + 5 * HOUR);
    // A reset already in the past is no better than none.
    const past = { ...h, 'anthropic-ratelimit-unified-reset': S(NOW - MIN) };
    expect((classifyFailure(input({ status: 429, headers: past })).effect as { until: number }).until).toBe(
      NOW + 5 * MIN,
    );
  });
});

describe('429 with only a model-scoped window rejected (7d_oi)', () => {
  const reset = NOW + 2 * DAY;
  const headers = {
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': S(reset),
    'anthropic-ratelimit-unified-5h-status': 'allowed',
    'anthropic-ratelimit-unified-5h-utilization': '0.12',
    'anthropic-ratelimit-unified-7d-status': 'allowed',
    'anthropic-ratelimit-unified-7d-utilization': '0.55',
    'anthropic-ratelimit-unified-7d_oi-status': 'rejected',
    'anthropic-ratelimit-unified-7d_oi-reset': S(reset),
    'anthropic-ratelimit-unified-7d_oi-utilization': '1.0',
  };

  it('fails over and cools the account down for that model family only', () => {
    const d = classifyFailure(
      input({ status: 429, headers, body: RATE_LIMIT_BODY, model: 'claude-opus-4-5-20251101' }),
    );
    expect(d).toMatchObject({ kind: 'rate_limited_model', retrySame: false, nextAccount: true });
    expect(d.effect).toEqual({
      type: 'model_cooldown',
      modelKey: 'opus-4-5',
      until: reset,
      reason: 'rate limited (7d_oi)',
    });
  });

  it('changes nothing when the model is unknown to the caller', () => {
    const d = classifyFailure(input({ status: 429, headers }));
    expect(d.kind).toBe('rate_limited_model');
    expect(d.effect).toEqual({ type: 'none' });
    expect(d.nextAccount).toBe(true);
  });

  it('gives way to an account-wide window rejected at the same time', () => {
    const d = classifyFailure(
      input({
        status: 429,
        headers: { ...headers, 'anthropic-ratelimit-unified-5h-status': 'rejected' },
        model: 'claude-opus-4-5',
      }),
    );
    expect(d.kind).toBe('rate_limited_window');
  });
});

describe('bare 429', () => {
  it('fails over without touching the account', () => {
    for (const headers of [{ 'x-should-retry': 'true' }, {}, { 'x-should-retry': 'true', 'retry-after': '5' }]) {
      const d = classifyFailure(input({ status: 429, headers, body: RATE_LIMIT_BODY }));
      expect(d).toMatchObject({
        kind: 'bare_429',
        retrySame: false,
        retryAfterMs: null,
        nextAccount: true,
        effect: { type: 'none' },
      });
    }
  });

  it('stays bare when unified headers say allowed', () => {
    const d = classifyFailure(
      input({
        status: 429,
        headers: { 'anthropic-ratelimit-unified-status': 'allowed', 'x-should-retry': 'true' },
        body: RATE_LIMIT_BODY,
      }),
    );
    expect(d.kind).toBe('bare_429');
  });
});

describe('429 from API-key per-minute limits', () => {
  const minuteBody = body(
    'rate_limit_error',
    'This request would exceed the rate limit for your organization (7c1e5b1a-8d6f-4b8e-9b6a-1f2e3d4c5b6a) of 2,000,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
  );
  const headers = {
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': '3990',
    'anthropic-ratelimit-requests-reset': new Date(NOW + SEC).toISOString(),
    'anthropic-ratelimit-input-tokens-limit': '2000000',
    'anthropic-ratelimit-input-tokens-remaining': '0',
    'anthropic-ratelimit-input-tokens-reset': new Date(NOW + 20 * SEC).toISOString(),
    'anthropic-ratelimit-tokens-limit': '2000000',
    'anthropic-ratelimit-tokens-remaining': '0',
    'anthropic-ratelimit-tokens-reset': new Date(NOW + 20 * SEC).toISOString(),
    'x-should-retry': 'true',
  };

  it('retries the same key after retry-after and cools it down until then', () => {
    const d = classifyFailure(
      input({ status: 429, accountKind: 'api_key', headers: { ...headers, 'retry-after': '20' }, body: minuteBody }),
    );
    expect(d).toMatchObject({ kind: 'api_key_rate_limit', retrySame: true, retryAfterMs: 20 * SEC, nextAccount: true });
    expect(d.effect).toEqual({ type: 'cooldown', until: NOW + 20 * SEC, reason: 'API rate limit (per minute)' });
  });

  it('without retry-after, fails over and cools down until the exhausted limit resets', () => {
    const d = classifyFailure(input({ status: 429, accountKind: 'api_key', headers, body: minuteBody }));
    expect(d).toMatchObject({ kind: 'api_key_rate_limit', retrySame: false, retryAfterMs: null, nextAccount: true });
    expect(d.effect).toMatchObject({ type: 'cooldown', until: NOW + 20 * SEC });
  });

  it('treats retry-after alone on an API key as a per-minute limit', () => {
    const d = classifyFailure(
      input({ status: 429, accountKind: 'console', headers: { 'retry-after': '7' }, body: minuteBody }),
    );
    expect(d).toMatchObject({ kind: 'api_key_rate_limit', retrySame: true, retryAfterMs: 7 * SEC });
  });

  it('falls back to one minute when nothing says when', () => {
    const d = classifyFailure(
      input({
        status: 429,
        accountKind: 'api_key',
        headers: { 'anthropic-ratelimit-requests-remaining': '0' },
        body: minuteBody,
      }),
    );
    expect(d.effect).toMatchObject({ type: 'cooldown', until: NOW + MIN });
  });
});

describe('429/400 about credits, spend limit, extra usage', () => {
  const cases: Array<[number, AccountKind, string, Record<string, string>]> = [
    [
      400,
      'api_key',
      body(
        'invalid_request_error',
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      ),
      {},
    ],
    [
      400,
      'api_key',
      body(
        'invalid_request_error',
        'You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.',
      ),
      {},
    ],
    [
      429,
      'max',
      body('rate_limit_error', 'You have reached your extra usage spend limit.'),
      { 'x-should-retry': 'false' },
    ],
    [
      429,
      'max',
      body('rate_limit_error', 'Claude usage limit reached.'),
      { 'anthropic-ratelimit-unified-overage-disabled-reason': 'out_of_credits' },
    ],
  ];
  it.each(cases)('%i on %s: no retry, no failover, flag', (status, accountKind, text, headers) => {
    const d = classifyFailure(input({ status, accountKind, body: text, headers }));
    expect(d).toMatchObject({ kind: 'credits', retrySame: false, nextAccount: false });
    expect(d.effect.type).toBe('flag');
    expect((d.effect as { reason: string }).reason).toMatch(/^credits: /);
  });

  it('does not read "usage limit" alone as credits', () => {
    const d = classifyFailure(input({ status: 429, body: body('rate_limit_error', 'Claude usage limit reached.') }));
    expect(d.kind).toBe('bare_429');
  });
});

describe('401 authentication_error', () => {
  it('on OAuth: one forced refresh and one retry, then the next account', () => {
    const d = classifyFailure(
      input({
        status: 401,
        accountKind: 'max',
        body: body(
          'authentication_error',
          'OAuth token has expired. Please obtain a new token or refresh your existing token.',
        ),
      }),
    );
    expect(d).toMatchObject({ kind: 'auth_expired', retrySame: true, retryAfterMs: null, nextAccount: true });
    expect(d.effect).toEqual({ type: 'refresh' });
  });

  it('on an API key: disabled as an invalid key, next account', () => {
    for (const accountKind of ['api_key', 'console'] as const) {
      const d = classifyFailure(
        input({ status: 401, accountKind, body: body('authentication_error', 'invalid x-api-key') }),
      );
      expect(d).toMatchObject({ kind: 'auth_invalid', retrySame: false, nextAccount: true });
      expect(d.effect).toEqual({ type: 'disable', reason: 'invalid API key' });
    }
  });
});

describe('403 permission_error and 400 organization disabled', () => {
  it('disables the account and fails over on 403', () => {
    const d = classifyFailure(
      input({
        status: 403,
        body: body('permission_error', 'OAuth authentication is currently not allowed for this organization.'),
      }),
    );
    expect(d).toMatchObject({ kind: 'forbidden', retrySame: false, nextAccount: true });
    expect(d.effect).toEqual({
      type: 'disable',
      reason: 'permission_error: OAuth authentication is currently not allowed for this organization.',
    });
  });

  it('disables the account and fails over on 400 organization disabled', () => {
    const d = classifyFailure(
      input({
        status: 400,
        accountKind: 'api_key',
        body: body('invalid_request_error', 'This organization has been disabled.'),
      }),
    );
    expect(d).toMatchObject({ kind: 'forbidden', retrySame: false, nextAccount: true });
    expect(d.effect.type).toBe('disable');
  });
});

describe('400 invalid_request_error, 404, 413: pass through', () => {
  const cases: Array<[number, string]> = [
    [400, body('invalid_request_error', 'messages: roles must alternate between "user" and "assistant"')],
    [404, body('not_found_error', 'model: claude-opus-9')],
    [413, body('request_too_large', 'Request exceeds the maximum allowed number of bytes.')],
    [413, '<html><body><h1>413 Request Entity Too Large</h1></body></html>'],
    [422, ''],
  ];
  it.each(cases)('%i', (status, text) => {
    const d = classifyFailure(input({ status, body: text }));
    expect(d).toMatchObject({
      kind: 'client_error',
      retrySame: false,
      retryAfterMs: null,
      nextAccount: false,
      effect: { type: 'none' },
    });
  });
});

describe('500/502/503/504: retry with backoff, then fail over', () => {
  const cases: Array<[number, string]> = [
    [500, body('api_error', 'Internal server error')],
    [502, '<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>'],
    [503, ''],
    [504, body('api_error', 'upstream timeout')],
  ];
  it.each(cases)('%i leaves the account alone', (status, text) => {
    const d = classifyFailure(input({ status, body: text, attempt: 0, random: () => 1 }));
    expect(d).toMatchObject({ kind: 'server_error', retrySame: true, retryAfterMs: 250, nextAccount: true });
    expect(d.effect).toEqual({ type: 'none' });
  });

  it('backs off exponentially with jitter, capped at 4 s', () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const full = Math.min(4000, 250 * 2 ** attempt);
      expect(backoffMs(attempt, {}, () => 0)).toBe(full / 2);
      expect(backoffMs(attempt, {}, () => 0.999_999)).toBeLessThanOrEqual(full);
      for (let i = 0; i < 50; i++) {
        const b = backoffMs(attempt);
        expect(b).toBeGreaterThanOrEqual(full / 2);
        expect(b).toBeLessThanOrEqual(full);
      }
    }
  });

  it('obeys x-should-retry: false for the same account only', () => {
    const d = classifyFailure(input({ status: 500, headers: { 'x-should-retry': 'false' } }));
    expect(d).toMatchObject({ retrySame: false, retryAfterMs: null, nextAccount: true });
  });
});

describe('connection reset/refused, timeout before headers', () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  const refused = new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  });
  const headersTimeout = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
  it.each([
    ['reset', reset, 'connection reset by the upstream (ECONNRESET)'],
    ['refused (undici cause chain)', refused, 'connection refused (ECONNREFUSED)'],
    [
      'a code of its own',
      Object.assign(new Error('odd'), { code: 'UND_ERR_SOMETHING_NEW' }),
      'network error: UND_ERR_SOMETHING_NEW',
    ],
    [
      'per-attempt timeout signal',
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'timeout',
    ],
  ])('%s: retry with backoff, next account, account unchanged', (_label, err, text) => {
    const d = classifyNetworkError(err, 2, { random: () => 0 });
    expect(d).toMatchObject({ kind: 'network', retrySame: true, retryAfterMs: 500, nextAccount: true });
    expect(d.effect).toEqual({ type: 'none' });
    expect(d.message).toContain(text);
  });

  it('headers timeout (a hang): the next account at once, not the same one again, account unchanged', () => {
    const d = classifyNetworkError(headersTimeout, 0, { random: () => 0 });
    expect(d).toMatchObject({ kind: 'network', retrySame: false, nextAccount: true });
    expect(d.effect).toEqual({ type: 'none' });
    expect(d.message).toContain('no response headers in time (UND_ERR_HEADERS_TIMEOUT)');
  });

  it('does not retry an abort', () => {
    const d = classifyNetworkError(new DOMException('This operation was aborted', 'AbortError'));
    expect(d).toMatchObject({ kind: 'aborted', retrySame: false, nextAccount: false });
  });

  it('neither retries nor fails over a request undici refuses to send', () => {
    const err = Object.assign(new Error('expect header not supported'), { code: 'UND_ERR_NOT_SUPPORTED' });
    const d = classifyNetworkError(err, 0);
    expect(d).toMatchObject({ kind: 'client_error', retrySame: false, nextAccount: false });
    expect(d.effect).toEqual({ type: 'none' });
    expect(d.message).toBe('request not sendable: expect header not supported');
  });
});

describe('529 overloaded_error', () => {
  const overloaded = body('overloaded_error', 'Overloaded');
  it('retries with backoff and fails over without benching the account (the overload is global)', () => {
    const d = classifyFailure(input({ status: 529, body: overloaded, attempt: 1, random: () => 0 }));
    expect(d).toMatchObject({ kind: 'overloaded', retrySame: true, retryAfterMs: 250, nextAccount: true });
    expect(d.effect).toEqual({ type: 'none' });
    const opted = classifyFailure(input({ status: 529, body: overloaded, policy: { overloadedCooldownMs: 5 * SEC } }));
    expect((opted.effect as { until: number }).until - NOW).toBe(5 * SEC);
  });

  it('honours a short retry-after and ignores a long one', () => {
    expect(
      classifyFailure(input({ status: 529, body: overloaded, headers: { 'retry-after': '3' } })).retryAfterMs,
    ).toBe(3000);
    expect(
      classifyFailure(input({ status: 529, body: overloaded, headers: { 'retry-after': '3600' } })).retryAfterMs,
    ).toBe(125);
  });

  it('treats overloaded_error on a 503 the same way', () => {
    const d = classifyFailure(input({ status: 503, body: overloaded }));
    expect(d.kind).toBe('overloaded');
    expect(d.effect).toEqual({ type: 'none' });
  });
});

describe('event: error after bytes were sent', () => {
  it('never retries or fails over; marks the account from the error type', () => {
    const cases: Array<[string, string]> = [
      ['rate_limit_error', 'cooldown'],
      ['overloaded_error', 'none'],
      ['api_error', 'none'],
      ['authentication_error', 'refresh'],
      ['permission_error', 'flag'],
      ['invalid_request_error', 'none'],
      ['something_new', 'none'],
    ];
    for (const [type, effect] of cases) {
      const d = classifyStreamError(type, NOW);
      expect(d).toMatchObject({ kind: 'stream_error', retrySame: false, retryAfterMs: null, nextAccount: false });
      expect(d.effect.type).toBe(effect);
    }
    const rl = classifyStreamError('rate_limit_error', NOW).effect as { until: number };
    expect(rl.until).toBe(NOW + CLASSIFY_DEFAULTS.streamRateLimitCooldownMs);
    const ov = classifyStreamError('overloaded_error', NOW, { policy: { overloadedCooldownMs: 3 * SEC } });
    expect((ov.effect as { until: number }).until - NOW).toBe(3 * SEC);
  });
});

describe('helpers', () => {
  it('parses error bodies, JSON or not', () => {
    expect(parseErrorBody(body('api_error', 'Internal server error'))).toEqual({
      type: 'api_error',
      message: 'Internal server error',
    });
    expect(parseErrorBody('{"message":"plain"}')).toEqual({ type: null, message: 'plain' });
    expect(parseErrorBody('{broken')).toEqual({ type: null, message: '{broken' });
    expect(parseErrorBody('x'.repeat(1000)).message).toHaveLength(300);
    expect(parseErrorBody('')).toEqual({ type: null, message: '' });
  });

  it('reads retry-after as seconds, ms or an HTTP date', () => {
    expect(retryAfterMs({ 'retry-after': '12' }, NOW)).toBe(12_000);
    expect(retryAfterMs({ 'retry-after-ms': '1500', 'retry-after': '12' }, NOW)).toBe(1500);
    expect(retryAfterMs({ 'retry-after': new Date(NOW + 30_000).toUTCString() }, NOW)).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': 'never' }, NOW)).toBeNull();
    expect(retryAfterMs({}, NOW)).toBeNull();
  });

  it('keys model cooldowns by family', () => {
    expect(modelFamilyKey('claude-opus-4-5-20251101')).toBe(modelFamilyKey('claude-opus-4-5'));
    expect(modelFamilyKey('claude-opus-4-20250514')).not.toBe(modelFamilyKey('claude-opus-4-5'));
  });
});
