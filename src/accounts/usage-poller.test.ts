import type { Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import { captureLogger } from '../../test/support/log-lines.js';
import type { AccountRow, RateLimitState } from '../storage/contract/accounts.js';
import { rateLimitFromUsage, UsagePoller } from './usage-poller.js';

const MIN = 60_000;
const INTERVAL = 5 * MIN;
const T0 = Date.UTC(2026, 3, 11, 5, 0, 0);
const RESET_5H = '2026-04-11T07:00:00.528743+00:00';
const RESET_7D = '2026-04-17T00:59:59.951713+00:00';

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function usage(five: number, seven: number): Answer {
  return {
    status: 200,
    body: {
      five_hour: { utilization: five, resets_at: RESET_5H },
      seven_day: { utilization: seven, resets_at: RESET_7D },
      seven_day_opus: null,
    },
  };
}

function setup(
  rows: AccountRow[],
  answer: (token: string) => Answer | Error,
  intervalMs = INTERVAL,
  isLeader?: () => boolean,
) {
  const calls: Array<{ path: string; headers: Record<string, string> }> = [];
  const upstream = {
    request: async (o: { path: string; headers: Record<string, string> }) => {
      calls.push({ path: o.path, headers: o.headers });
      const a = answer(o.headers.authorization?.slice('Bearer '.length) ?? '');
      if (a instanceof Error) throw a;
      return {
        statusCode: a.status,
        headers: a.headers ?? {},
        body: { text: async () => JSON.stringify(a.body ?? {}) },
      };
    },
  } as unknown as Dispatcher;
  const noted: Array<{ name: string; state: RateLimitState }> = [];
  const pool = {
    list: () => rows,
    get: (id: string) => rows.find((r) => r.id === id),
    noteRateLimit: (a: AccountRow, state: RateLimitState) => {
      a.rateLimit = state;
      noted.push({ name: a.name, state });
    },
  };
  const tokens = { accessToken: vi.fn(async (a: AccountRow) => `tok-${a.name}`) };
  const { logger, lines } = captureLogger('info');
  const poller = new UsagePoller({
    upstream,
    upstreamUrl: 'https://api.example',
    pool,
    tokens,
    clock: { now: () => Date.now() },
    logger,
    intervalMs,
    random: () => 0.5,
    ...(isLeader ? { isLeader } : {}),
  });
  return { poller, calls, noted, lines, tokens };
}

const oauth = (name: string, over: Partial<AccountRow> = {}) => accountRow(name, { kind: 'max', ...over });

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rateLimitFromUsage', () => {
  it('turns percent into the fractions and Unix ms the headers give, binding on the fuller window', () => {
    const s = rateLimitFromUsage(usage(33, 81).body, null, T0);
    expect(s).toEqual({
      observedAt: T0,
      status: 'allowed',
      resetAt: Date.parse(RESET_7D),
      fiveHour: { status: 'allowed', utilization: 0.33, resetAt: Date.parse(RESET_5H) },
      sevenDay: { status: 'allowed', utilization: 0.81, resetAt: Date.parse(RESET_7D) },
      representativeClaim: 'seven_day',
      // The body names seven_day_opus, as null: known to have no window of its own.
      sevenDayByFamily: {},
    });
  });

  it('reports a full window as rejected and a window not started as no reset', () => {
    const s = rateLimitFromUsage(
      { five_hour: { utilization: 100, resets_at: RESET_5H }, seven_day: { utilization: 0, resets_at: null } },
      null,
      T0,
    );
    expect(s?.status).toBe('rejected');
    expect(s?.representativeClaim).toBe('five_hour');
    expect(s?.sevenDay).toEqual({ status: 'allowed', utilization: 0, resetAt: null });
  });

  it('keeps the per-model weekly windows the endpoint gives, leaving out a family it gives as null', () => {
    const body = {
      ...(usage(10, 20).body as object),
      seven_day_opus: { utilization: 71, resets_at: RESET_7D },
      seven_day_sonnet: { utilization: 0, resets_at: null },
      seven_day_haiku: null,
    };
    expect(rateLimitFromUsage(body, null, T0)?.sevenDayByFamily).toEqual({
      opus: { status: 'allowed', utilization: 0.71, resetAt: Date.parse(RESET_7D) },
      sonnet: { status: 'allowed', utilization: 0, resetAt: null },
    });
    // A body naming no family keeps what an earlier reading found.
    const prev = rateLimitFromUsage(body, null, T0);
    const plain = { five_hour: { utilization: 1, resets_at: RESET_5H } };
    expect(rateLimitFromUsage(plain, prev, T0 + 1)?.sevenDayByFamily?.opus?.utilization).toBe(0.71);
  });

  it('gives nothing for a body with neither window (missing data is unknown, never exhausted)', () => {
    expect(rateLimitFromUsage({ extra_usage: null }, null, T0)).toBeNull();
    expect(rateLimitFromUsage('nope', null, T0)).toBeNull();
  });
});

describe('UsagePoller', () => {
  it('polls only while this instance leads the usage poll of the cluster', async () => {
    let leader = false;
    const { poller, calls } = setup(
      [oauth('idle')],
      () => usage(42, 7),
      INTERVAL,
      () => leader,
    );
    poller.start();
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(calls).toHaveLength(0);
    // The leader died and this instance took over: the next tick polls.
    leader = true;
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls).toHaveLength(1);
    poller.stop();
  });

  it('reads an idle subscription account after one interval, with its bearer token and the oauth beta', async () => {
    const rows = [oauth('idle')];
    const { poller, calls, noted } = setup(rows, () => usage(42, 7));
    poller.start();
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([
      {
        path: '/api/oauth/usage',
        headers: expect.objectContaining({ authorization: 'Bearer tok-idle', 'anthropic-beta': 'oauth-2025-04-20' }),
      },
    ]);
    expect(noted.map((n) => [n.name, n.state.fiveHour?.utilization, n.state.sevenDay?.utilization])).toEqual([
      ['idle', 0.42, 0.07],
    ]);
    poller.stop();
  });

  it('skips busy, paused, unhealthy and API-key accounts', async () => {
    const rows = [
      oauth('busy', { lastUsedAt: T0 + INTERVAL - MIN }),
      oauth('fresh-headers', {
        rateLimit: { observedAt: T0 + INTERVAL - MIN } as RateLimitState,
      }),
      oauth('paused', { paused: true }),
      oauth('reauth', { health: 'needs_reauth' }),
      accountRow('key'),
      oauth('idle', { lastUsedAt: T0 - MIN }),
    ];
    const { poller, calls } = setup(rows, () => usage(1, 1));
    poller.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls.map((c) => c.headers.authorization)).toEqual(['Bearer tok-idle']);
    poller.stop();
  });

  it('polls an account again only once it has been idle for another interval', async () => {
    const rows = [oauth('a')];
    const { poller, calls } = setup(rows, () => usage(10, 10));
    poller.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls).toHaveLength(2);
    poller.stop();
  });

  it('keeps the last windows on a 404, logs it once, and backs off', async () => {
    const prev = { observedAt: T0 - INTERVAL, fiveHour: { utilization: 0.5 } } as RateLimitState;
    const rows = [oauth('old', { rateLimit: prev })];
    const { poller, calls, noted, lines } = setup(rows, () => ({ status: 404 }));
    poller.start();
    await vi.advanceTimersByTimeAsync(6 * 3_600_000);
    expect(noted).toHaveLength(0);
    expect(rows[0]?.rateLimit).toBe(prev);
    // Backing off doubles the wait (10, 20, 40, ... min, capped at 6 h): far fewer than 72 tries.
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.length).toBeLessThan(8);
    expect(lines.filter((l) => l.includes('account usage not readable'))).toHaveLength(1);
    poller.stop();
  });

  it('waits out a 429 retry-after before asking again', async () => {
    const rows = [oauth('limited')];
    let answer: Answer = { status: 429, headers: { 'retry-after': '3600' } };
    const { poller, calls, noted } = setup(rows, () => answer);
    poller.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls).toHaveLength(1);
    answer = usage(5, 5);
    await vi.advanceTimersByTimeAsync(3_600_000 - 2 * MIN);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(INTERVAL + MIN);
    expect(calls).toHaveLength(2);
    expect(noted).toHaveLength(1);
    poller.stop();
  });

  it('survives a network error and a token that cannot be had', async () => {
    const rows = [oauth('net'), oauth('tok')];
    const { poller, noted, tokens } = setup(rows, () => new Error('ECONNREFUSED'));
    tokens.accessToken.mockImplementation(async (a: AccountRow) => {
      if (a.name === 'tok') throw new Error('needs re-authentication');
      return 'x';
    });
    poller.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(tokens.accessToken).toHaveBeenCalledTimes(2);
    expect(noted).toHaveLength(0);
    poller.stop();
  });

  it('asks nothing once stopped, nor when the interval is 0', async () => {
    const a = setup([oauth('a')], () => usage(1, 1));
    a.poller.start();
    a.poller.stop();
    const b = setup([oauth('b')], () => usage(1, 1), 0);
    b.poller.start();
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(a.calls).toHaveLength(0);
    expect(b.calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
