import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseTime, RequestListQuerySchema } from './requests-schemas.js';

describe('parseTime', () => {
  it('takes Unix ms and ISO 8601, reading a missing offset as UTC', () => {
    expect(parseTime('1735689600000')).toBe(1_735_689_600_000);
    expect(parseTime('2025-01-01')).toBe(Date.UTC(2025, 0, 1));
    expect(parseTime('2025-01-01T10:30')).toBe(Date.UTC(2025, 0, 1, 10, 30));
    expect(parseTime('2025-01-01T10:30:15.250Z')).toBe(Date.UTC(2025, 0, 1, 10, 30, 15, 250));
    expect(parseTime('2025-01-01T10:30:00+02:00')).toBe(Date.UTC(2025, 0, 1, 8, 30));
    expect(parseTime('2025-01-01 10:30:00')).toBe(Date.UTC(2025, 0, 1, 10, 30));
  });

  it('refuses anything else', () => {
    for (const v of [
      '',
      'yesterday',
      '2025-13-01',
      '2025-02-30T00:00',
      '1e12',
      '-5',
      '2025-01-01T25:00',
      'Jan 1 2025',
    ]) {
      expect(parseTime(v), v).toBeNull();
    }
  });
});

describe('cursor', () => {
  it('round-trips (ts, id), ids with any characters included', () => {
    for (const id of ['0199a0b4-5c1e-7000-8000-000000000000', 'a:b:c', 'ünï côdé']) {
      expect(decodeCursor(encodeCursor(1_735_689_600_000, id))).toEqual({ ts: 1_735_689_600_000, id });
    }
  });

  it('refuses what this API did not produce', () => {
    for (const c of [
      '',
      '!!',
      'abc',
      Buffer.from('x:y').toString('base64url'),
      Buffer.from(':id').toString('base64url'),
    ]) {
      expect(decodeCursor(c), c).toBeNull();
    }
  });
});

describe('RequestListQuerySchema', () => {
  it('defaults the limit and converts the parameters', () => {
    expect(
      RequestListQuerySchema.parse({ since: '2025-01-01', status: '429', cursor: encodeCursor(5, 'x'), model: 'm' }),
    ).toEqual({ limit: 50, since: Date.UTC(2025, 0, 1), status: 429, cursor: { ts: 5, id: 'x' }, model: 'm' });
    expect(RequestListQuerySchema.parse({ status: 'error', limit: '500' })).toEqual({ limit: 500, status: 'error' });
  });

  it('names the parameter it refuses', () => {
    const r = RequestListQuerySchema.safeParse({ limit: '0', status: 'teapot', acount: 'x' });
    expect(r.success).toBe(false);
    const where = r.error?.issues.map((i) => (i.path.length ? i.path.join('.') : i.message));
    expect(where).toEqual(expect.arrayContaining(['limit', 'status', expect.stringContaining('acount')]));
  });
});
