import { describe, expect, it } from 'vitest';
import {
  headerValue,
  modelScopedRejection,
  parseRateLimit,
  parseResetTime,
  rejectedWindows,
} from './rate-limit-headers.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const S = (iso: string) => String(Date.parse(iso) / 1000);

const MAX_OK = {
  'content-type': 'application/json',
  'anthropic-ratelimit-unified-status': 'allowed',
  'anthropic-ratelimit-unified-reset': S('2026-11-21T15:00:00Z'),
  'anthropic-ratelimit-unified-5h-status': 'allowed',
  'anthropic-ratelimit-unified-5h-reset': S('2026-11-21T15:00:00Z'),
  'anthropic-ratelimit-unified-5h-utilization': '0.42',
  'anthropic-ratelimit-unified-7d-status': 'allowed',
  'anthropic-ratelimit-unified-7d-reset': S('2026-11-25T00:00:00Z'),
  'anthropic-ratelimit-unified-7d-utilization': '0.18',
  'anthropic-ratelimit-unified-representative-claim': 'five_hour',
  'anthropic-ratelimit-unified-fallback-percentage': '0.5',
  'anthropic-ratelimit-unified-overage-status': 'rejected',
  'anthropic-ratelimit-unified-overage-disabled-reason': 'org_level_disabled',
  'request-id': 'req_011CVMrB6yDtt5VdL1Hx9X6v',
};

const API_KEY_OK = {
  'anthropic-ratelimit-requests-limit': '4000',
  'anthropic-ratelimit-requests-remaining': '3999',
  'anthropic-ratelimit-requests-reset': '2026-11-21T12:00:01Z',
  'anthropic-ratelimit-tokens-limit': '2000000',
  'anthropic-ratelimit-tokens-remaining': '1990000',
  'anthropic-ratelimit-tokens-reset': '2026-11-21T12:00:03Z',
  'anthropic-ratelimit-input-tokens-limit': '2000000',
  'anthropic-ratelimit-input-tokens-remaining': '1992000',
  'anthropic-ratelimit-input-tokens-reset': '2026-11-21T12:00:03Z',
  'anthropic-ratelimit-output-tokens-limit': '400000',
  'anthropic-ratelimit-output-tokens-remaining': '396000',
  'anthropic-ratelimit-output-tokens-reset': '2026-11-21T12:00:02Z',
};

describe('parseResetTime', () => {
  it('reads Unix seconds, ms and RFC 3339', () => {
    expect(parseResetTime('1763780400')).toBe(1_763_780_400_000);
    expect(parseResetTime('1763780400000')).toBe(1_763_780_400_000);
    expect(parseResetTime('2026-11-21T12:00:01Z')).toBe(Date.parse('2026-11-21T12:00:01Z'));
    expect(parseResetTime('2026-11-21T13:00:01+01:00')).toBe(Date.parse('2026-11-21T12:00:01Z'));
    expect(parseResetTime('soon')).toBeNull();
    expect(parseResetTime('')).toBeNull();
    expect(parseResetTime(undefined)).toBeNull();
  });
});

describe('headerValue', () => {
  it('takes the first of repeated headers', () => {
    expect(headerValue({ a: ['1', '2'] }, 'a')).toBe('1');
    expect(headerValue({ a: '1' }, 'a')).toBe('1');
    expect(headerValue({}, 'a')).toBeUndefined();
  });
});

describe('parseRateLimit', () => {
  it('returns null without rate-limit headers', () => {
    expect(parseRateLimit({ 'content-type': 'text/event-stream', 'request-id': 'req_1' }, NOW)).toBeNull();
    expect(parseRateLimit({}, NOW)).toBeNull();
  });

  it('reads the unified subscription headers', () => {
    expect(parseRateLimit(MAX_OK, NOW)).toEqual({
      observedAt: NOW,
      status: 'allowed',
      resetAt: Date.parse('2026-11-21T15:00:00Z'),
      fiveHour: { status: 'allowed', utilization: 0.42, resetAt: Date.parse('2026-11-21T15:00:00Z') },
      sevenDay: { status: 'allowed', utilization: 0.18, resetAt: Date.parse('2026-11-25T00:00:00Z') },
      representativeClaim: 'five_hour',
      overageStatus: 'rejected',
      overageDisabledReason: 'org_level_disabled',
    });
  });

  it('reads a rejected 7d window with utilization above 1', () => {
    const s = parseRateLimit(
      {
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': S('2026-11-25T00:00:00Z'),
        'anthropic-ratelimit-unified-7d-status': 'rejected',
        'anthropic-ratelimit-unified-7d-utilization': '1.04',
        'anthropic-ratelimit-unified-7d-reset': S('2026-11-25T00:00:00Z'),
        'anthropic-ratelimit-unified-representative-claim': 'seven_day',
      },
      NOW,
    );
    expect(s?.status).toBe('rejected');
    expect(s?.fiveHour).toBeNull();
    expect(s?.sevenDay).toEqual({ status: 'rejected', utilization: 1.04, resetAt: Date.parse('2026-11-25T00:00:00Z') });
    expect(s?.representativeClaim).toBe('seven_day');
    expect(s?.resetAt).toBe(Date.parse('2026-11-25T00:00:00Z'));
  });

  it('takes the binding window reset when the overall reset is missing', () => {
    const s = parseRateLimit(
      {
        'anthropic-ratelimit-unified-status': 'allowed_warning',
        'anthropic-ratelimit-unified-5h-status': 'allowed_warning',
        'anthropic-ratelimit-unified-5h-utilization': '0.91',
        'anthropic-ratelimit-unified-5h-reset': S('2026-11-21T14:00:00Z'),
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      },
      NOW,
    );
    expect(s?.status).toBe('allowed_warning');
    expect(s?.resetAt).toBe(Date.parse('2026-11-21T14:00:00Z'));
    expect(s?.overageStatus).toBeUndefined();
  });

  it('tolerates junk values', () => {
    const s = parseRateLimit(
      { 'anthropic-ratelimit-unified-5h-utilization': 'lots', 'anthropic-ratelimit-unified-5h-reset': 'later' },
      NOW,
    );
    expect(s?.fiveHour).toEqual({ status: null, utilization: null, resetAt: null });
    expect(s?.status).toBeNull();
  });

  it('reads API-key per-minute headers and derives a status', () => {
    const s = parseRateLimit(API_KEY_OK, NOW);
    expect(s).toMatchObject({
      observedAt: NOW,
      status: 'allowed',
      requestsRemaining: 3999,
      tokensRemaining: 1_990_000,
      fiveHour: null,
      sevenDay: null,
      representativeClaim: null,
    });
    // The tightest limit is output tokens (99% left), resetting at :02.
    expect(s?.resetAt).toBe(Date.parse('2026-11-21T12:00:02Z'));
  });

  it('reports an API key near a per-minute limit as allowed_warning', () => {
    const s = parseRateLimit({ ...API_KEY_OK, 'anthropic-ratelimit-requests-remaining': '12' }, NOW);
    expect(s?.status).toBe('allowed_warning');
    expect(s?.resetAt).toBe(Date.parse('2026-11-21T12:00:01Z'));
  });

  it('reports an exhausted per-minute limit as rejected until its reset', () => {
    const s = parseRateLimit(
      {
        ...API_KEY_OK,
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-input-tokens-remaining': '0',
        'anthropic-ratelimit-input-tokens-reset': '2026-11-21T12:00:40Z',
        'retry-after': '40',
      },
      NOW,
    );
    expect(s?.status).toBe('rejected');
    expect(s?.tokensRemaining).toBe(0);
    expect(s?.resetAt).toBe(Date.parse('2026-11-21T12:00:40Z'));
  });

  it('reads repeated headers', () => {
    const s = parseRateLimit({ 'anthropic-ratelimit-unified-status': ['allowed', 'rejected'] }, NOW);
    expect(s?.status).toBe('allowed');
  });
});

describe('modelScopedRejection', () => {
  it('finds a rejected 7d_oi window', () => {
    const h = {
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-5h-status': 'allowed',
      'anthropic-ratelimit-unified-7d-status': 'allowed',
      'anthropic-ratelimit-unified-7d_oi-status': 'rejected',
      'anthropic-ratelimit-unified-7d_oi-reset': S('2026-11-24T08:00:00Z'),
      'anthropic-ratelimit-unified-7d_oi-utilization': '1.0',
      'anthropic-ratelimit-unified-overage-status': 'rejected',
    };
    expect(modelScopedRejection(h)).toEqual({ window: '7d_oi', resetAt: Date.parse('2026-11-24T08:00:00Z') });
  });

  it('ignores allowed model windows, account windows and overage', () => {
    expect(
      modelScopedRejection({
        'anthropic-ratelimit-unified-7d_oi-status': 'allowed',
        'anthropic-ratelimit-unified-5h-status': 'rejected',
        'anthropic-ratelimit-unified-overage-status': 'rejected',
      }),
    ).toBeNull();
    expect(modelScopedRejection(MAX_OK)).toBeNull();
  });

  it('lists every rejected window', () => {
    const w = rejectedWindows({
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-5h-status': 'rejected',
      'anthropic-ratelimit-unified-5h-reset': '1763780400',
      'anthropic-ratelimit-unified-7d_oi-status': 'rejected',
      'anthropic-ratelimit-unified-overage-status': 'rejected',
    });
    expect(w).toEqual([
      { window: '5h', modelScoped: false, resetAt: 1_763_780_400_000 },
      { window: '7d_oi', modelScoped: true, resetAt: null },
    ]);
  });
});
