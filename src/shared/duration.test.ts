import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads units, combinations and bare milliseconds', () => {
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1h 30m')).toBe(5_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(' 45s ')).toBe(45_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5H')).toBe(18_000_000);
    expect(parseDuration('18000000')).toBe(18_000_000);
    expect(parseDuration(18_000_000)).toBe(18_000_000);
  });

  it('reads units spelt out', () => {
    expect(parseDuration('5 hours')).toBe(18_000_000);
    expect(parseDuration('1 hour 30 minutes')).toBe(5_400_000);
    expect(parseDuration('90 min')).toBe(5_400_000);
    expect(parseDuration('2 days')).toBe(172_800_000);
    expect(parseDuration('30 secs')).toBe(30_000);
    expect(parseDuration('1 second')).toBe(1000);
    expect(parseDuration('250 milliseconds')).toBe(250);
    expect(parseDuration('2 hrs')).toBe(7_200_000);
    expect(parseDuration('5 Hours')).toBe(18_000_000);
    for (const bad of ['5 months', '5 hourss', '5 minutesx', 'hours']) expect(parseDuration(bad), bad).toBeNull();
  });

  it('refuses what is not a duration', () => {
    for (const bad of ['', ' ', 'soon', 'h', '1x', '-5m', '1h-', '5m30', '1.5', 1.5, -1, null, undefined, true]) {
      expect(parseDuration(bad), String(bad)).toBeNull();
    }
  });
});

describe('formatDuration', () => {
  it('shows the largest exact units', () => {
    expect(formatDuration(18_000_000)).toBe('5h');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1000, 61_000, 5_400_000, 90_061_000, 250]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
