import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../errors.js';
import { type ClientKeyLimits, type ClientKeyRow, NO_LIMITS } from '../storage/contract/keys.js';
import type { RequestRecord } from '../storage/contract/records.js';
import { KeyLimiter, ModelAllowList, retryAfterSeconds } from './key-limits.js';
import { InProcessKeyUsage, usageWindows, utcDayStart, utcMonthStart, utcNextMonthStart } from './key-usage.js';

const NOON = Date.UTC(2026, 11, 5, 12, 0, 0); // 2026-12-05T12:00:00Z

function row(name: string, limits: Partial<ClientKeyLimits>, revokedAt: number | null = null): ClientKeyRow {
  return {
    id: `id-${name}`,
    name,
    prefix: 'ccf_x',
    digest: `d-${name}`,
    createdAt: 0,
    lastUsedAt: null,
    revokedAt,
    limits: { ...NO_LIMITS, ...limits },
  };
}

function used(name: string, ts: number, tokens: number, costUsd: number | null): RequestRecord {
  return {
    clientKey: name,
    ts,
    inputTokens: tokens - 10,
    cacheReadTokens: 4,
    cacheWrite5mTokens: 3,
    cacheWrite1hTokens: null,
    outputTokens: 3,
    costUsd,
  } as RequestRecord;
}

function limiter(...rows: ClientKeyRow[]): KeyLimiter {
  const l = new KeyLimiter(new InProcessKeyUsage());
  l.apply(rows);
  return l;
}

describe('windows', () => {
  it('are UTC days and calendar months, including the year end', () => {
    expect(new Date(utcDayStart(NOON)).toISOString()).toBe('2026-12-05T00:00:00.000Z');
    expect(new Date(utcMonthStart(NOON)).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(utcNextMonthStart(NOON)).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(usageWindows(NOON).minuteStart).toBe(NOON - 60_000);
  });
});

describe('retry-after', () => {
  it('rounds up to whole seconds and is at least 1', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(59_999)).toBe(60);
  });
});

describe('model allow-list', () => {
  const list = new ModelAllowList(['sonnet', 'claude-haiku-4-5']);
  it('takes family aliases and the family of a listed id (dated ids, aliases)', () => {
    expect(list.allows('claude-sonnet-4-6')).toBe(true);
    expect(list.allows('claude-sonnet-5-5[1m]')).toBe(true);
    expect(list.allows('claude-haiku-4-5-20251001')).toBe(true);
    expect(list.allows('CLAUDE-HAIKU-4-5')).toBe(true);
  });
  it('refuses other families, other versions of a listed id and unknown ids', () => {
    expect(list.allows('claude-opus-5-5')).toBe(false);
    expect(list.allows('claude-haiku-3-5')).toBe(false);
    expect(list.allows('gpt-4o')).toBe(false);
  });
});

describe('KeyLimiter', () => {
  it('lets keys without limits and requests without a key through', () => {
    const l = limiter(row('open', {}), row('capped', { rpm: 1 }));
    for (let i = 0; i < 5; i++) expect(l.check('open', 'claude-opus-5-5', NOON)).toBeNull();
    expect(l.check(null, 'claude-opus-5-5', NOON)).toBeNull();
    expect(l.check('unknown', null, NOON)).toBeNull();
  });

  it('admits rpm requests in any 60 s and says when the oldest leaves the window', () => {
    const l = limiter(row('k', { rpm: 2 }));
    expect(l.check('k', null, NOON)).toBeNull();
    expect(l.check('k', null, NOON + 10_000)).toBeNull();
    const refused = l.check('k', null, NOON + 20_500);
    expect(refused).not.toBeNull();
    const r = toErrorResponse(refused);
    expect(r.status).toBe(429);
    expect(r.body.error.type).toBe('rate_limit_error');
    expect(r.body.error.message).toContain('2 requests per minute');
    // The first request leaves the window at NOON + 60 s: 39.5 s later, rounded up.
    expect(r.headers['retry-after']).toBe('40');
    expect(r.headers['x-should-retry']).toBe('true');
    // A refused request is not counted: the window frees on time.
    expect(l.check('k', null, NOON + 60_000)).toBeNull();
    expect(l.check('k', null, NOON + 60_001)).not.toBeNull();
    expect(l.check('k', null, NOON + 70_000)).toBeNull();
    expect(l.use('k', NOON + 70_000).requestsLastMinute).toBe(2);
  });

  it('keeps the newest requests when the rpm limit changes', () => {
    const l = limiter(row('k', { rpm: 3 }));
    for (const t of [0, 1000, 2000]) expect(l.check('k', null, NOON + t)).toBeNull();
    l.apply([row('k', { rpm: 2 })]);
    // The two newest (1 s and 2 s) hold the window until 61 s.
    const r = toErrorResponse(l.check('k', null, NOON + 3000));
    expect(r.headers['retry-after']).toBe('58');
    l.apply([row('k', { rpm: 5 })]);
    expect(l.check('k', null, NOON + 3000)).toBeNull();
  });

  it('refuses past the tokens of the UTC day until midnight, not to be retried', () => {
    const l = limiter(row('k', { tokensPerDay: 1000 }));
    l.note(used('k', NOON, 600, 0.1));
    expect(l.check('k', null, NOON)).toBeNull();
    l.note(used('k', NOON + 1, 400, 0.1));
    expect(l.use('k', NOON).tokensToday).toBe(1000);
    const r = toErrorResponse(l.check('k', null, NOON + 1000));
    expect(r.status).toBe(429);
    expect(r.body.error.message).toContain('1,000 tokens per day');
    expect(r.headers['retry-after']).toBe(String(12 * 3600 - 1));
    expect(r.headers['x-should-retry']).toBe('false');
    // The next UTC day starts from zero.
    expect(l.check('k', null, NOON + 12 * 3600_000)).toBeNull();
  });

  it('refuses past the cost of the month until the 1st; a request of unknown cost adds nothing', () => {
    const l = limiter(row('k', { costPerMonthUsd: 1 }));
    l.note(used('k', NOON, 100, null));
    l.note(used('k', NOON, 100, 0.99));
    expect(l.check('k', null, NOON)).toBeNull();
    l.note(used('k', NOON, 100, 0.02));
    const r = toErrorResponse(l.check('k', null, NOON));
    expect(r.body.error.message).toContain('$1 per month ($1.01 used');
    expect(Number(r.headers['retry-after'])).toBe((Date.UTC(2027, 0, 1) - NOON) / 1000);
    expect(l.check('k', null, Date.UTC(2027, 0, 1))).toBeNull();
  });

  it('does not count a request that started yesterday towards today', () => {
    const l = limiter(row('k', { tokensPerDay: 100 }));
    expect(l.check('k', null, NOON)).toBeNull();
    l.note(used('k', utcDayStart(NOON) - 1, 500, 0));
    expect(l.use('k', NOON).tokensToday).toBe(0);
  });

  it('refuses a model outside the allow-list with 400 invalid_request_error, and lets model-less requests by', () => {
    const l = limiter(row('k', { models: ['sonnet', 'haiku'] }));
    expect(l.check('k', 'claude-haiku-4-5', NOON)).toBeNull();
    const r = toErrorResponse(l.check('k', 'claude-opus-5-5', NOON));
    expect(r.status).toBe(400);
    expect(r.body.error.type).toBe('invalid_request_error');
    expect(r.body.error.message).toContain('may not use model claude-opus-5-5 (allowed: sonnet, haiku)');
    expect(l.check('k', null, NOON)).toBeNull();
  });

  it('refuses a model-running request whose model the gateway could not read, only for keys with a list', () => {
    const l = limiter(row('k', { models: ['sonnet'] }), row('free', { rpm: 5 }));
    const r = toErrorResponse(l.check('k', null, NOON, true));
    expect(r.status).toBe(400);
    expect(r.body.error.type).toBe('invalid_request_error');
    expect(r.body.error.message).toContain('key limit: client key "k"');
    expect(r.body.error.message).toContain('could not read one model for this request');
    expect(r.body.error.message).toContain('content-type: application/json');
    // GET /v1/models and the like name no model: nothing to check.
    expect(l.check('k', null, NOON, false)).toBeNull();
    expect(l.check('free', null, NOON, true)).toBeNull();
    expect(l.check(null, null, NOON, true)).toBeNull();
  });

  it('answers the allow-list alone for the fallback model, without counting a request', () => {
    const l = limiter(row('k', { models: ['opus'], rpm: 1 }), row('free', { rpm: 1 }));
    expect(l.allowsModel('k', 'claude-sonnet-4-5')).toBe(false);
    expect(l.allowsModel('k', 'claude-opus-4-5')).toBe(true);
    expect(l.allowsModel('free', 'claude-sonnet-4-5')).toBe(true);
    expect(l.allowsModel(null, 'claude-sonnet-4-5')).toBe(true);
    expect(l.allowsModel('unknown', 'claude-sonnet-4-5')).toBe(true);
    // The one request the rpm limit admits is still there: allowsModel counted nothing.
    expect(l.check('k', 'claude-opus-4-5', NOON)).toBeNull();
  });

  it('forgets the limits of a revoked key and of keys whose limits were cleared', () => {
    const l = limiter(row('k', { rpm: 1 }, 5));
    expect(l.check('k', null, NOON)).toBeNull();
    expect(l.check('k', null, NOON)).toBeNull();
    l.apply([row('k', { rpm: 1 })]);
    expect(l.check('k', null, NOON)).toBeNull();
    expect(l.check('k', null, NOON)).not.toBeNull();
    l.apply([row('k', {})]);
    expect(l.check('k', null, NOON)).toBeNull();
  });

  it('starts from the stored use (seed) and keeps counting on top', () => {
    const l = limiter(row('k', { tokensPerDay: 1000, costPerMonthUsd: 5 }));
    l.seed([{ name: 'k', requestsLastMinute: 3, tokensToday: 990, costThisMonthUsd: 4.5 }], NOON);
    expect(l.check('k', null, NOON)).toBeNull();
    l.note(used('k', NOON, 10, 0));
    expect(l.check('k', null, NOON)?.message).toContain('tokens per day');
    expect(l.use('k', NOON)).toEqual({ requestsLastMinute: null, tokensToday: 1000, costThisMonthUsd: 4.5 });
  });

  it("counts a new key under a revoked key's name from zero, not with that key's use", () => {
    const first = row('k', { tokensPerDay: 1000 });
    const l = limiter(first);
    l.note(used('k', NOON - 60_000, 1000, 0.5));
    expect(l.check('k', null, NOON)?.message).toContain('tokens per day');
    const second = { ...row('k', { tokensPerDay: 1000 }), id: 'id-k-2', createdAt: NOON - 1000 };
    l.apply([{ ...first, revokedAt: NOON - 2000 }, second]);
    expect(l.check('k', null, NOON)).toBeNull();
    expect(l.use('k', NOON)).toEqual({ requestsLastMinute: null, tokensToday: 0, costThisMonthUsd: 0 });
    // The old key's request recorded late (it started before the new key existed) stays the old key's.
    l.note(used('k', NOON - 30_000, 500, 0.25));
    expect(l.use('k', NOON).tokensToday).toBe(0);
    l.note(used('k', NOON, 400, 0.1));
    expect(l.use('k', NOON)).toEqual({ requestsLastMinute: null, tokensToday: 400, costThisMonthUsd: 0.1 });
  });
});
