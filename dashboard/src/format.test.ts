import { describe, expect, it } from 'vitest';
import {
  DASH,
  fmtDateTime,
  fmtDuration,
  fmtInt,
  fmtMomentsIn,
  fmtMs,
  fmtPercent,
  fmtRate,
  fmtSize,
  fmtTime,
  fmtUsd,
} from './format.js';

// Times are shown in the viewer's zone; the tests read them in UTC (Node honours a changed TZ).
process.env.TZ = 'UTC';
const TS = Date.UTC(2025, 0, 2, 15, 4, 5);

describe('figures', () => {
  it('show a dash where a figure is unknown, never "0" or "NaN"', () => {
    for (const f of [fmtInt, fmtPercent, fmtMs, fmtUsd, fmtRate, fmtDateTime]) {
      expect(f(null), f.name).toBe(DASH);
      expect(f(undefined), f.name).toBe(DASH);
    }
    expect(DASH).toBe('—');
  });

  it('counts: zero, thousands separators, huge numbers', () => {
    expect(fmtInt(0)).toBe('0');
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtInt(-1500)).toBe('-1,500');
    expect(fmtInt(Number.MAX_SAFE_INTEGER)).toBe('9,007,199,254,740,991');
  });

  it('percentages of a fraction, one decimal unless asked', () => {
    expect(fmtPercent(0)).toBe('0.0%');
    expect(fmtPercent(1)).toBe('100.0%');
    expect(fmtPercent(0.12345)).toBe('12.3%');
    expect(fmtPercent(0.876, 0)).toBe('88%');
  });

  it('durations under a second in ms, longer ones in seconds', () => {
    expect(fmtMs(0)).toBe('0 ms');
    expect(fmtMs(0.4)).toBe('0 ms');
    expect(fmtMs(999.4)).toBe('999 ms');
    expect(fmtMs(1000)).toBe('1.00 s');
    expect(fmtMs(1234)).toBe('1.23 s');
    expect(fmtMs(12_345)).toBe('12.3 s');
    expect(fmtMs(600_000)).toBe('600.0 s');
  });

  it('costs in dollars with cents, tiny ones with four decimals so they do not read as free', () => {
    expect(fmtUsd(0)).toBe('$0.00');
    expect(fmtUsd(0.01)).toBe('$0.01');
    expect(fmtUsd(0.004)).toBe('$0.0040');
    expect(fmtUsd(0.00012)).toBe('$0.0001');
    expect(fmtUsd(1234.5)).toBe('$1,234.50');
    expect(fmtUsd(1e9)).toBe('$1,000,000,000.00');
  });

  it('output speed in tokens per second', () => {
    expect(fmtRate(0)).toBe('0.0 tok/s');
    expect(fmtRate(45.67)).toBe('45.7 tok/s');
  });

  it('sizes in binary units', () => {
    expect(fmtSize(0)).toBe('0 B');
    expect(fmtSize(1023)).toBe('1023 B');
    expect(fmtSize(1024)).toBe('1.0 KB');
    expect(fmtSize(1536)).toBe('1.5 KB');
    expect(fmtSize(12.3 * 1024 ** 2)).toBe('12.3 MB');
    expect(fmtSize(1.2 * 1024 ** 3)).toBe('1.2 GB');
    expect(fmtSize(5 * 1024 ** 4)).toBe('5120.0 GB');
  });
});

describe('countdowns', () => {
  it('show the two largest units, and 0s for the past', () => {
    expect(fmtDuration(0)).toBe('0s');
    expect(fmtDuration(-5000)).toBe('0s');
    expect(fmtDuration(400)).toBe('0s');
    expect(fmtDuration(45_000)).toBe('45s');
    expect(fmtDuration(59_500)).toBe('1m 0s');
    expect(fmtDuration(10 * 60_000 + 5000)).toBe('10m 5s');
    expect(fmtDuration((2 * 60 + 13) * 60_000)).toBe('2h 13m');
    expect(fmtDuration((4 * 24 + 3) * 3_600_000 + 59 * 60_000)).toBe('4d 3h');
    expect(fmtDuration(400 * 86_400_000)).toBe('400d 0h');
  });
});

describe('times', () => {
  it('the UTC moments in a server message as local moments, the rest of it as it was', () => {
    expect(fmtMomentsIn('429 rate limited (5h) until 2025-01-02T15:40:58.556Z', 'en-US', TS)).toBe(
      '429 rate limited (5h) until Jan 2, 03:40:58 PM',
    );
    expect(fmtMomentsIn('benched until 2025-01-02T15:40:58Z; was 2024-12-31T23:59:58.000Z.', 'zh-CN', TS)).toBe(
      'benched until 1月2日 15:40:58; was 2024年12月31日 23:59:58.',
    );
    expect(fmtMomentsIn('529 overloaded: Overloaded (req 2025-01-02)', 'en-US', TS)).toBe(
      '529 overloaded: Overloaded (req 2025-01-02)',
    );
  });

  it('a moment to the second (the year only when it is not this one), hours and minutes on a chart axis', () => {
    expect(fmtDateTime(TS, 'en-US', TS)).toBe('Jan 2, 03:04:05 PM');
    expect(fmtDateTime(Date.UTC(2024, 11, 31, 23, 59, 58), 'en-US', TS)).toBe('Dec 31, 2024, 11:59:58 PM');
    expect(fmtDateTime(0, 'en-US', TS)).toBe('Jan 1, 1970, 12:00:00 AM');
    // In the viewer's language: in Chinese the year (when shown) first, then month and day, and a 24-hour clock.
    expect(fmtDateTime(TS, 'zh-CN', TS)).toBe('1月2日 15:04:05');
    expect(fmtDateTime(Date.UTC(2024, 11, 31, 23, 59, 58), 'zh-CN', TS)).toBe('2024年12月31日 23:59:58');
    expect(fmtTime(TS, 60_000)).toBe('03:04 PM');
    expect(fmtTime(TS, 3_600_000)).toBe('Jan 2, 03:04 PM');
  });
});
