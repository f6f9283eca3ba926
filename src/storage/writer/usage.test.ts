import { describe, expect, it } from 'vitest';
import { sampleRecord } from '../../../test/support/sample-record.js';
import { usageFromRecords } from './usage.js';

describe('usageFromRecords', () => {
  it('counts every attempt on the account it tried, and the request on the one that served it', () => {
    const rec = sampleRecord({
      id: 'r',
      ts: 1000,
      latencyMs: 90,
      accountId: 'id-steady',
      accountName: 'steady',
      attemptLog: [
        { account: 'flaky', status: 529, error: '529 overloaded: Overloaded', ms: 10 },
        { account: 'flaky', status: null, error: 'ECONNRESET', ms: 20 },
        { account: 'steady', status: 200, error: null, ms: 30 },
      ],
    });
    expect(usageFromRecords([rec])).toEqual([
      {
        accountId: 'id-steady',
        accountName: 'steady',
        requests: 1,
        lastUsedAt: 1090,
        attempts: 1,
        failedAttempts: 0,
        errors: [],
      },
      {
        accountId: null,
        accountName: 'flaky',
        requests: 0,
        lastUsedAt: null,
        attempts: 2,
        failedAttempts: 2,
        errors: [
          { at: 1010, status: 529, error: '529 overloaded: Overloaded' },
          { at: 1030, status: null, error: 'ECONNRESET' },
        ],
      },
    ]);
  });

  it('keeps at most the 5 latest errors of an account per batch', () => {
    const recs = Array.from({ length: 8 }, (_, i) =>
      sampleRecord({
        id: `r${i}`,
        ts: i,
        accountId: null,
        attemptLog: [{ account: 'a', status: 500, error: `#${i}`, ms: 0 }],
      }),
    );
    const [d] = usageFromRecords(recs);
    expect(d?.failedAttempts).toBe(8);
    expect(d?.errors?.map((e) => e.error)).toEqual(['#3', '#4', '#5', '#6', '#7']);
  });
});
