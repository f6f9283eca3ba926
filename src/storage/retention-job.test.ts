import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock.js';
import type { PruneCutoffs, PruneResult } from './contract/maintenance.js';
import { RetentionJob, type RetentionSettings } from './retention-job.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 15, 12);

function fakeStore(result: PruneResult = { requestsDeleted: 0, payloadsDeleted: 0, rollupRowsDeleted: 0 }) {
  const calls: PruneCutoffs[] = [];
  let active = 0;
  let maxActive = 0;
  return {
    calls,
    maxActive: () => maxActive,
    maintenance: {
      async prune(c: PruneCutoffs): Promise<PruneResult> {
        calls.push(c);
        active++;
        maxActive = Math.max(maxActive, active);
        // Still pruning when the other runs are asked for.
        await new Promise((r) => setImmediate(r));
        active--;
        return result;
      },
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RetentionJob', () => {
  it('cuts at now minus each retention, read at every run', async () => {
    const store = fakeStore({ requestsDeleted: 3, payloadsDeleted: 2, rollupRowsDeleted: 1 });
    const clock = new ManualClock(NOW);
    const settings: RetentionSettings = { requestRetentionDays: 90, payloadRetentionDays: 7 };
    const job = new RetentionJob({ store, clock, logger: pino({ level: 'silent' }), settings: () => settings });
    const run = await job.runNow();
    expect(store.calls[0]).toEqual({ requestsBefore: NOW - 90 * DAY, payloadsBefore: NOW - 7 * DAY, now: NOW });
    expect(run).toMatchObject({
      requestsDeleted: 3,
      payloadsDeleted: 2,
      rollupRowsDeleted: 1,
      requestRetentionDays: 90,
      payloadRetentionDays: 7,
      requestsBefore: NOW - 90 * DAY,
      payloadsBefore: NOW - 7 * DAY,
    });
    settings.requestRetentionDays = 30;
    clock.advance(DAY);
    await job.runNow();
    expect(store.calls[1]).toEqual({ requestsBefore: NOW - 29 * DAY, payloadsBefore: NOW - 6 * DAY, now: NOW + DAY });
  });

  it('never runs twice at once', async () => {
    const store = fakeStore();
    const job = new RetentionJob({
      store,
      clock: new ManualClock(NOW),
      logger: pino({ level: 'silent' }),
      settings: () => ({ requestRetentionDays: 1, payloadRetentionDays: 1 }),
    });
    await Promise.all([job.runNow(), job.runNow(), job.runNow()]);
    expect(store.calls).toHaveLength(3);
    expect(store.maxActive()).toBe(1);
  });

  it('runs shortly after start, then on its interval, until stopped; a failure does not stop it', async () => {
    vi.useFakeTimers();
    let fail = true;
    const calls: number[] = [];
    const errors: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => errors.push(line) });
    const job = new RetentionJob({
      store: {
        maintenance: {
          async prune() {
            calls.push(Date.now());
            if (fail) {
              fail = false;
              throw new Error('disk full');
            }
            return { requestsDeleted: 0, payloadsDeleted: 0, rollupRowsDeleted: 0 };
          },
        },
      },
      clock: new ManualClock(NOW),
      logger,
      settings: () => ({ requestRetentionDays: 1, payloadRetentionDays: 1 }),
      firstRunDelayMs: 1000,
      intervalMs: 60_000,
    });
    job.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    expect(String(errors[0])).toMatch(/retention cleanup failed/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
    job.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(3);
  });

  it('skips scheduled runs while another instance leads, and runs once this one does', async () => {
    vi.useFakeTimers();
    const calls: number[] = [];
    const store = {
      maintenance: {
        async prune() {
          calls.push(Date.now());
          return { requestsDeleted: 0, payloadsDeleted: 0, rollupRowsDeleted: 0 };
        },
      },
    };
    let leader = false;
    const job = new RetentionJob({
      store,
      clock: new ManualClock(NOW),
      logger: pino({ level: 'silent' }),
      settings: () => ({ requestRetentionDays: 1, payloadRetentionDays: 1 }),
      firstRunDelayMs: 1000,
      intervalMs: 60_000,
      isLeader: () => leader,
    });
    job.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(0);
    // A cleanup asked for through the API is not a scheduled one: it runs anyway.
    await job.runNow();
    expect(calls).toHaveLength(1);
    leader = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    job.stop();
  });
});
