import { describe, expect, it } from 'vitest';
import { DROP_DEGRADES_MS, healthVerdict } from './health.js';

const calm = { journal: '/x.journal', waiting: 0, dropped: 0, lastDroppedAt: null, lastError: null };

describe('healthVerdict', () => {
  it('is ok while every record reaches the database', () => {
    expect(healthVerdict(calm, 1000)).toEqual({ status: 'ok', reasons: [] });
  });

  it('is degraded, with the database refusal, while records wait in the journal', () => {
    const v = healthVerdict({ ...calm, waiting: 12, lastError: 'SQLITE_FULL: database or disk is full' }, 1000);
    expect(v.status).toBe('degraded');
    expect(v.reasons).toEqual([
      '12 request record(s) wait in the journal for the database (SQLITE_FULL: database or disk is full)',
    ]);
  });

  it('is degraded for a while after a record was lost, then ok again', () => {
    const lost = { ...calm, dropped: 3, lastDroppedAt: 10_000 };
    expect(healthVerdict(lost, 70_000)).toEqual({
      status: 'degraded',
      reasons: ['3 request record(s) lost since start, the last 60 s ago'],
    });
    expect(healthVerdict(lost, 10_000 + DROP_DEGRADES_MS).status).toBe('ok');
  });
});
