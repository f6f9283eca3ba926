import { describe, expect, it } from 'vitest';
import { uuidv7, uuidv7Time } from './ids.js';

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10, the timestamp up front', () => {
    const t = 1_795_000_000_123;
    const id = uuidv7(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7Time(id)).toBe(t);
  });

  it('sorts by time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const same = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
    expect(new Set(same).size).toBe(same.length);
  });

  it('sorts ids made in the same millisecond in the order they were made', () => {
    const t = 1_796_000_000_000;
    const ids = Array.from({ length: 1000 }, () => uuidv7(t));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => uuidv7Time(id) === t)).toBe(true);
  });
});
