import { describe, expect, it } from 'vitest';
import { parseExportTime } from './export-schemas.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);

describe('parseExportTime', () => {
  it('reads a duration with a unit as that long before now', () => {
    expect(parseExportTime('7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseExportTime('24h', NOW)).toBe(NOW - 86_400_000);
    expect(parseExportTime('1h30m', NOW)).toBe(NOW - 5_400_000);
    expect(parseExportTime('7 days', NOW)).toBe(NOW - 7 * 86_400_000);
  });

  it('reads ISO dates (UTC midnight), date-times and Unix ms', () => {
    expect(parseExportTime('2026-01-05', NOW)).toBe(Date.UTC(2026, 0, 5));
    expect(parseExportTime('2026-01-05T10:30:00+02:00', NOW)).toBe(Date.UTC(2026, 0, 5, 8, 30));
    expect(parseExportTime('2026-01-05T10:30', NOW)).toBe(Date.UTC(2026, 0, 5, 10, 30));
    expect(parseExportTime('1767225600000', NOW)).toBe(1_767_225_600_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'yesterday', '7 weeks', '2026-02-30', '5x', '1h and more', '-3d']) {
      expect(parseExportTime(bad, NOW), bad).toBeNull();
    }
  });
});
