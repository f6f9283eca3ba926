import { describe, expect, it } from 'vitest';
import { NO_USAGE, REVIEWER_REQUEST } from '../../../test/support/history-seed.js';
import { sampleRecord } from '../../../test/support/sample-record.js';
import {
  HOUR_MS,
  LATENCY_BOUNDS_MS,
  LATENCY_BUCKETS,
  latencyBucket,
  MINUTE_MS,
  percentileFromHistogram,
  rollupDeltas,
} from './rollup.js';

// 2025-01-15T12:07:30Z: mid-minute, mid-hour.
const NOW = Date.UTC(2025, 0, 15, 12, 7, 30);

function hist(entries: Record<number, number>): number[] {
  const h = new Array<number>(LATENCY_BUCKETS).fill(0);
  for (const [i, n] of Object.entries(entries)) h[Number(i)] = n;
  return h;
}

describe('latencyBucket', () => {
  it('puts a value in the bucket whose upper bound is the first one above it', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(49.9)).toBe(0);
    expect(latencyBucket(50)).toBe(1);
    expect(latencyBucket(800)).toBe(8); // [750, 1000)
    expect(latencyBucket(1000)).toBe(9); // [1000, 1500)
    expect(latencyBucket(2500)).toBe(11); // [2000, 3000)
    expect(latencyBucket(600_000)).toBe(LATENCY_BOUNDS_MS.length);
    expect(latencyBucket(10_000_000)).toBe(LATENCY_BUCKETS - 1);
  });
});

describe('percentileFromHistogram', () => {
  it('is null for an empty histogram', () => {
    expect(percentileFromHistogram(hist({}), 0.95, 0)).toBeNull();
  });

  it('interpolates linearly inside the bucket that holds the rank, capped by the largest value', () => {
    // 800, 1200, 2500 ms: rank 1 + 0.95 * 2 = 2.9 lands in [2000, 3000) capped at 2500: 2000 + 500 * 0.9.
    expect(percentileFromHistogram(hist({ 8: 1, 9: 1, 11: 1 }), 0.95, 2500)).toBeCloseTo(2450, 9);
    // Median of the same: rank 2, the top of the second value's bucket [1000, 1500).
    expect(percentileFromHistogram(hist({ 8: 1, 9: 1, 11: 1 }), 0.5, 2500)).toBeCloseTo(1500, 9);
    // 20 values in [300, 400), the largest 399: rank 19.05, p95 = 300 + (399 - 300) * 19.05 / 20.
    expect(percentileFromHistogram(hist({ 5: 20 }), 0.95, 399)).toBeCloseTo(394.2975, 9);
    // One value: itself.
    expect(percentileFromHistogram(hist({ 11: 1 }), 0.95, 2500)).toBe(2500);
  });

  it('closes the open last bucket with the largest value seen', () => {
    const h = hist({ [LATENCY_BUCKETS - 1]: 2 });
    expect(percentileFromHistogram(h, 1, 900_000)).toBe(900_000);
    expect(percentileFromHistogram(h, 0.5, 900_000)).toBe(600_000 + (300_000 * 1.5) / 2);
  });
});

describe('rollupDeltas', () => {
  it('folds a batch into one cell per minute/hour bucket, account, model and outcome', () => {
    const d = rollupDeltas([
      sampleRecord({
        id: '1',
        ts: NOW,
        accountId: 'a',
        accountName: 'alpha',
        ...REVIEWER_REQUEST,
      }),
      sampleRecord({
        id: '2',
        ts: NOW + 20_000,
        accountId: 'a',
        accountName: 'alpha',
        latencyMs: 1200,
        ttftMs: null,
        inputTokens: 200,
        cacheReadTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 300,
        outputTokens: 100,
        costUsd: 0.05,
        outputTokensPerSecond: null,
        // A retry on beta, then two failovers: the retry is no failover.
        attempts: 4,
        attemptLog: [
          { account: 'beta', status: 529, error: null, ms: 1 },
          { account: 'beta', status: 529, error: null, ms: 1 },
          { account: 'gamma', status: 529, error: null, ms: 1 },
          { account: 'alpha', status: 200, error: null, ms: 1 },
        ],
      }),
      // Next minute, same hour; an error with no applied model and no account.
      sampleRecord({
        id: '3',
        ts: NOW + 40_000,
        success: false,
        status: 503,
        modelApplied: null,
        modelRequested: 'claude-opus-4-1',
        ...NO_USAGE,
        latencyMs: 5,
      }),
    ]);
    const minute = NOW - (NOW % MINUTE_MS);
    const hour = NOW - (NOW % HOUR_MS);
    expect(d.minute).toHaveLength(2);
    expect(d.hour).toHaveLength(2);
    expect(d.minute[0]).toMatchObject({
      bucket: minute,
      accountId: 'a',
      accountName: 'alpha',
      model: 'claude-sonnet-4-5',
      success: 1,
      requests: 2,
      successes: 2,
      latencySum: 2000,
      latencyMax: 1200,
      ttftSum: 200,
      ttftCount: 1,
      tpsSum: 40,
      tpsCount: 1,
      inputTokens: 300,
      cacheReadTokens: 1000,
      cacheWrite5mTokens: 200,
      cacheWrite1hTokens: 300,
      outputTokens: 150,
      failovers: 2,
      lastTs: NOW + 20_000,
      hist: hist({ 8: 1, 9: 1 }),
    });
    expect(d.minute[0]?.costUsd).toBeCloseTo(0.06, 12);
    expect(d.minute[1]).toMatchObject({
      bucket: minute + MINUTE_MS,
      accountId: '',
      accountName: null,
      model: 'claude-opus-4-1',
      success: 0,
      requests: 1,
      successes: 0,
      inputTokens: 0,
      costUsd: 0,
      hist: hist({ 0: 1 }),
    });
    expect(d.hour.map((c) => [c.bucket, c.requests])).toEqual([
      [hour, 2],
      [hour, 1],
    ]);
    expect(d.agentMinute).toEqual([
      expect.objectContaining({
        bucket: minute,
        agent: 'reviewer',
        accountId: 'a',
        requests: 1,
        cacheReadTokens: 1000,
      }),
    ]);
    expect(d.agentHour).toEqual([expect.objectContaining({ bucket: hour, agent: 'reviewer', requests: 1 })]);
  });

  it('sums tokens and cost per client key per minute and hour, leaving requests without a key out', () => {
    const minute = NOW - (NOW % MINUTE_MS);
    const hour = NOW - (NOW % HOUR_MS);
    const d = rollupDeltas([
      sampleRecord({ id: 'k1', ts: NOW, clientKey: 'laptop', inputTokens: 5, outputTokens: 7, costUsd: 0.5 }),
      sampleRecord({ id: 'k2', ts: NOW - 2 * MINUTE_MS, clientKey: 'laptop', inputTokens: null, costUsd: null }),
      sampleRecord({ id: 'k3', ts: NOW, clientKey: null }),
    ]);
    expect(d.keyMinute).toEqual([
      expect.objectContaining({
        bucket: minute,
        clientKey: 'laptop',
        requests: 1,
        inputTokens: 5,
        outputTokens: 7,
        costUsd: 0.5,
      }),
      expect.objectContaining({
        bucket: minute - 2 * MINUTE_MS,
        clientKey: 'laptop',
        requests: 1,
        inputTokens: 0,
        costUsd: 0,
      }),
    ]);
    expect(d.keyHour).toEqual([
      {
        bucket: hour,
        clientKey: 'laptop',
        requests: 2,
        inputTokens: 5,
        cacheReadTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens: 27,
        costUsd: 0.5,
      },
    ]);
  });

  it('is empty for an empty batch', () => {
    expect(rollupDeltas([])).toEqual({
      minute: [],
      hour: [],
      agentMinute: [],
      agentHour: [],
      keyMinute: [],
      keyHour: [],
    });
  });
});
