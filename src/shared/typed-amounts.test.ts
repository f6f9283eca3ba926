import { describe, expect, it } from 'vitest';
import { typedCount, typedUsd } from './typed-amounts.js';

describe('typedUsd', () => {
  it('reads amounts as people type them', () => {
    expect(typedUsd('50')).toBe(50);
    expect(typedUsd(' $12.50 ')).toBe(12.5);
    expect(typedUsd('$ 5')).toBe(5);
    expect(typedUsd('1,000.25')).toBe(1000.25);
    expect(typedUsd('0.01')).toBe(0.01);
  });

  it('reads empty, off and none as no limit', () => {
    for (const s of ['', '  ', 'off', 'None', 'OFF']) expect(typedUsd(s)).toBeNull();
  });

  it('refuses what is not an amount above 0 instead of guessing', () => {
    for (const s of ['0', '$0', '-5', 'ten', '5$', '1e3', '12.', '.5', '1,00', '50 USD', 'NaN', 'Infinity']) {
      expect(typedUsd(s), s).toBe('invalid');
    }
  });
});

describe('typedCount', () => {
  it('reads whole counts with k and M', () => {
    expect(typedCount('60')).toBe(60);
    expect(typedCount('500k')).toBe(500_000);
    expect(typedCount('2M')).toBe(2_000_000);
    expect(typedCount('1.5m')).toBe(1_500_000);
    expect(typedCount('1.1k')).toBe(1100);
    expect(typedCount('2,000,000')).toBe(2_000_000);
    expect(typedCount(' 3 k ')).toBe(3000);
  });

  it('reads empty, off and none as no limit', () => {
    for (const s of ['', 'off', 'none']) expect(typedCount(s)).toBeNull();
  });

  it('refuses fractions, zero and text', () => {
    for (const s of ['0', '1.5', '0.0001k', '-1', 'k', 'ten', '2G', '1e6', '60/min']) {
      expect(typedCount(s), s).toBe('invalid');
    }
  });
});
