/**
 * Anthropic list prices, USD per million tokens (protocol.md section 6, the platform pricing
 * page). Data, not code: a price change is a new row with a later `effectiveFrom`, never an
 * edit of an old one, so requests recorded before the change keep their cost.
 */

export interface PriceEntry {
  /** Stable label for logs and tests. */
  id: string;
  /** Family keys as produced by `modelFamily` (model-family.ts), e.g. `opus-4-5`, `haiku-3-5`. */
  match: readonly string[];
  /**
   * ISO date (or date-time) from which the row applies; a bare date means 00:00 UTC. Absent =
   * since forever. For one family the row with the latest `effectiveFrom <= request time` wins.
   */
  effectiveFrom?: string;
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

/**
 * Where the pricing page gives only input/output, cache prices follow its rule of thumb:
 * 5m write = 1.25 x input, 1h write = 2 x input, read = 0.1 x input (protocol.md section 6).
 */
export const PRICES: readonly PriceEntry[] = [
  {
    id: 'opus-4.5+',
    match: ['opus-4-5', 'opus-4-6', 'opus-4-7', 'opus-4-8', 'opus-5'],
    input: 5,
    cacheWrite5m: 6.25,
    cacheWrite1h: 10,
    cacheRead: 0.5,
    output: 25,
  },
  // Cache prices derived by the rule of thumb above.
  { id: 'opus-5.5', match: ['opus-5-5'], input: 4, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.4, output: 20 },
  {
    id: 'opus-4',
    match: ['opus-4', 'opus-4-1'],
    input: 15,
    cacheWrite5m: 18.75,
    cacheWrite1h: 30,
    cacheRead: 1.5,
    output: 75,
  },
  {
    id: 'sonnet-4',
    match: ['sonnet-4', 'sonnet-4-5', 'sonnet-4-6'],
    input: 3,
    cacheWrite5m: 3.75,
    cacheWrite1h: 6,
    cacheRead: 0.3,
    output: 15,
  },
  { id: 'sonnet-5', match: ['sonnet-5'], input: 2, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2, output: 10 },
  { id: 'sonnet-5.5', match: ['sonnet-5-5'], input: 2, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2, output: 10 },
  {
    id: 'sonnet-5.5@2026-10-07',
    match: ['sonnet-5-5'],
    effectiveFrom: '2026-10-07',
    input: 2,
    cacheWrite5m: 2.5,
    cacheWrite1h: 4,
    cacheRead: 0.1,
    output: 10,
  },
  { id: 'haiku-4.5', match: ['haiku-4-5'], input: 1, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1, output: 5 },
  { id: 'haiku-3.5', match: ['haiku-3-5'], input: 0.8, cacheWrite5m: 1, cacheWrite1h: 1.6, cacheRead: 0.08, output: 4 },
];
