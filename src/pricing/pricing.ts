/**
 * Request cost from token usage and the effective-dated price table (protocol.md section 6).
 * An unknown model costs "unknown" (null), never 0, and is reported once per model id.
 */
import { GatewayError } from '../errors.js';
import type { RequestTokens } from '../storage/contract/records.js';
import { modelFamily } from './model-family.js';
import { PRICES, type PriceEntry } from './prices.js';

/**
 * Token counts of one request; null/undefined count as 0.
 *
 * Cache writes are priced by TTL. When a response carries only the total
 * `cache_creation_input_tokens` (no `cache_creation` split), the caller puts the whole total in
 * `cacheWrite5mTokens` and 0 in `cacheWrite1hTokens`: 5 minutes is the default TTL. The
 * trackers in proxy/sse-usage.ts already do this.
 */
export type Usage = Partial<RequestTokens>;

interface Dated {
  from: number;
  entry: PriceEntry;
}

/** Family -> rows sorted by `effectiveFrom` ascending. Built once; lookups allocate nothing. */
export type PriceIndex = Map<string, readonly Dated[]>;

/** Throws GatewayError('config_invalid') on a bad date, a negative price or two rows for the same family and date. */
export function compilePrices(prices: readonly PriceEntry[]): PriceIndex {
  const index = new Map<string, Dated[]>();
  for (const entry of prices) {
    const from = entry.effectiveFrom === undefined ? Number.NEGATIVE_INFINITY : Date.parse(entry.effectiveFrom);
    if (Number.isNaN(from)) {
      throw new GatewayError('config_invalid', `price ${entry.id}: bad effectiveFrom ${entry.effectiveFrom}`);
    }
    for (const p of [entry.input, entry.cacheWrite5m, entry.cacheWrite1h, entry.cacheRead, entry.output]) {
      if (!(Number.isFinite(p) && p >= 0))
        throw new GatewayError('config_invalid', `price ${entry.id}: bad price ${p}`);
    }
    for (const family of entry.match) {
      let rows = index.get(family);
      if (rows === undefined) {
        rows = [];
        index.set(family, rows);
      }
      if (rows.some((r) => r.from === from)) {
        throw new GatewayError('config_invalid', `price ${entry.id}: ${family} already has a price from that date`);
      }
      rows.push({ from, entry });
    }
  }
  for (const rows of index.values()) rows.sort((a, b) => a.from - b.from);
  return index;
}

const DEFAULT_INDEX = compilePrices(PRICES);

function lookup(index: PriceIndex, model: string | null, at: number): PriceEntry | null {
  if (model === null) return null;
  const family = modelFamily(model);
  if (family === null) return null;
  const rows = index.get(family);
  if (rows === undefined) return null;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i] as Dated;
    if (r.from <= at) return r.entry;
  }
  return null;
}

function tokens(n: number | null | undefined): number {
  return typeof n === 'number' && n > 0 ? n : 0;
}

function price(p: PriceEntry, u: Usage): number {
  return (
    (tokens(u.inputTokens) * p.input +
      tokens(u.cacheReadTokens) * p.cacheRead +
      tokens(u.cacheWrite5mTokens) * p.cacheWrite5m +
      tokens(u.cacheWrite1hTokens) * p.cacheWrite1h +
      tokens(u.outputTokens) * p.output) /
    1_000_000
  );
}

/** The price row for `model` at `at` (Unix ms), or null when the model is unknown. */
export function findPrice(model: string | null, at: number): PriceEntry | null {
  return lookup(DEFAULT_INDEX, model, at);
}

/** Cost in USD at the prices in force at `at` (Unix ms); null when the model is unknown. */
export function costUsd(model: string | null, usage: Usage, at: number): number | null {
  const p = lookup(DEFAULT_INDEX, model, at);
  return p === null ? null : price(p, usage);
}

export interface Pricer {
  /** As `costUsd`, and calls `warn` the first time it sees each unknown model. */
  cost(model: string | null, usage: Usage, at: number): number | null;
  find(model: string | null, at: number): PriceEntry | null;
  /**
   * Prices for families the table does not know (a refreshed catalogue, price-catalogue.ts),
   * replacing the previous supplement. The table wins for every family it has.
   */
  supplement(prices: readonly PriceEntry[]): void;
}

export interface PricerOptions {
  /** Called once per distinct unknown model id (not for a null model). */
  warn?: (model: string) => void;
  /** Replaces the built-in table (configuration override). */
  prices?: readonly PriceEntry[];
  /**
   * Distinct unknown ids remembered; past this, further unknown ids are not reported so a
   * client sending random model names cannot flood the log or grow memory.
   */
  maxWarned?: number;
}

export function createPricer(opts: PricerOptions = {}): Pricer {
  const index = opts.prices === undefined ? DEFAULT_INDEX : compilePrices(opts.prices);
  const warn = opts.warn;
  const maxWarned = opts.maxWarned ?? 1000;
  const warned = new Set<string>();
  // Consulted only when the table has no row: a model the table knows never pays for it.
  let extra: PriceIndex | null = null;
  const find = (model: string | null, at: number): PriceEntry | null =>
    lookup(index, model, at) ?? (extra === null ? null : lookup(extra, model, at));
  return {
    cost(model, usage, at) {
      const p = find(model, at);
      if (p !== null) return price(p, usage);
      if (model !== null && warn !== undefined && warned.size < maxWarned && !warned.has(model)) {
        warned.add(model);
        warn(model);
      }
      return null;
    },
    find,
    supplement(prices) {
      const next = compilePrices(prices);
      for (const family of index.keys()) next.delete(family);
      extra = next.size === 0 ? null : next;
    },
  };
}
