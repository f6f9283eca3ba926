/**
 * Output tokens per second of one request, or null when the span it would be measured over is
 * too short to mean anything. Deltas that arrive in the same network read share one timestamp,
 * so a short reply could span a millisecond and read as 64,884 tok/s; the fastest models stream
 * a few hundred tokens per second, so below a quarter of a second the division is mostly noise.
 */

/** Shortest span (ms) a speed is computed over. */
export const MIN_SPEED_SPAN_MS = 250;

export function outputSpeed(outputTokens: number | null | undefined, spanMs: number): number | null {
  if (!outputTokens || !(spanMs >= MIN_SPEED_SPAN_MS)) return null;
  return outputTokens / (spanMs / 1000);
}
