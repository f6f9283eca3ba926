import { describe, expect, it } from 'vitest';
import { MIN_SPEED_SPAN_MS, outputSpeed } from './output-speed.js';

describe('outputSpeed', () => {
  it('divides the output tokens by a span of at least a quarter second', () => {
    expect(outputSpeed(100, 2000)).toBe(50);
    expect(outputSpeed(50, MIN_SPEED_SPAN_MS)).toBe(200);
  });

  it('gives no speed over a span too short to measure, or without tokens', () => {
    // 649 tokens whose deltas came in two reads 10 ms apart: 64,900 tok/s is not a speed.
    expect(outputSpeed(649, 10)).toBeNull();
    expect(outputSpeed(649, MIN_SPEED_SPAN_MS - 1)).toBeNull();
    expect(outputSpeed(649, 0)).toBeNull();
    expect(outputSpeed(0, 2000)).toBeNull();
    expect(outputSpeed(null, 2000)).toBeNull();
    expect(outputSpeed(10, Number.NaN)).toBeNull();
  });
});
