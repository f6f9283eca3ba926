/**
 * Optional price refresh from a public models catalogue (`CCFLARE_PRICES_URL`): the shape of
 * models.dev's `api.json`, which ccflare read for its costs: `{ <provider>: { models: { <id>:
 * { cost: { input, output, cache_read?, cache_write? } } } } }`, USD per million tokens.
 *
 * Rules:
 * - Off unless the URL is set: a gateway never phones out on its own, and offline always works.
 * - Only the `anthropic` block is read: the catalogue lists the same ids under resellers with
 *   their own rates.
 * - The bundled table (prices.ts) wins for every family it has, at every date: its rows are
 *   reviewed and effective-dated, a catalogue is neither. A fetched price only fills a family the
 *   table does not know (a model newer than this build), so an unknown model gets a cost instead
 *   of "unknown". A model neither knows stays unknown (cost null), never 0.
 * - A catalogue entry is taken only when its numbers make sense (input and output above 0 and at
 *   most MAX_PER_MILLION, cache read at most the input price, cache write at most 10x it);
 *   missing cache prices follow Anthropic's rule of thumb (protocol.md section 6).
 * - Fetched at start and then daily; the result (only the entries taken) is cached in
 *   `<home>/prices-cache.json` for a day, so a restart does not fetch again. A failed fetch keeps
 *   the last good prices (memory, else the cache file, however old), else the bundled table only,
 *   and is retried in an hour.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { modelFamily } from './model-family.js';
import type { PriceEntry } from './prices.js';
import { compilePrices } from './pricing.js';

export const PRICES_CACHE_FILE = 'prices-cache.json';
const DAY_MS = 24 * 3_600_000;
const RETRY_MS = 3_600_000;
const FETCH_TIMEOUT_MS = 15_000;
/** Above any Claude price so far (Opus 4: $75 per million output tokens) by a wide margin. */
const MAX_PER_MILLION = 1000;
/** models.dev's api.json is a few MB; a larger answer is not a catalogue. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface CataloguePrices {
  /** Entries taken, one per family the bundled table lacks. */
  prices: PriceEntry[];
  /** Claude ids skipped, with why (logged once per fetch). */
  skipped: { id: string; reason: string }[];
}

function perMillion(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The price entries a catalogue adds to `bundled` (families `bundled` lacks), validated. */
export function pricesFromCatalogue(catalogue: unknown, bundled: readonly PriceEntry[]): CataloguePrices {
  const known = new Set(bundled.flatMap((p) => p.match));
  const models = (catalogue as { anthropic?: { models?: unknown } } | null)?.anthropic?.models;
  const out: CataloguePrices = { prices: [], skipped: [] };
  if (models === null || typeof models !== 'object') return out;
  const taken = new Set<string>();
  // Sorted: which of two ids of one family wins does not depend on the catalogue's key order.
  for (const id of Object.keys(models).sort()) {
    const family = modelFamily(id);
    if (family === null || known.has(family) || taken.has(family)) continue;
    const cost = (models as Record<string, { cost?: Record<string, unknown> } | null>)[id]?.cost;
    const input = perMillion(cost?.input);
    const output = perMillion(cost?.output);
    if (input === null || output === null || input <= 0 || output <= 0) {
      out.skipped.push({ id, reason: 'no input and output price' });
      continue;
    }
    if (input > MAX_PER_MILLION || output > MAX_PER_MILLION) {
      out.skipped.push({ id, reason: `a price above $${MAX_PER_MILLION} per million tokens` });
      continue;
    }
    const read = cost?.cache_read === undefined ? input * 0.1 : perMillion(cost.cache_read);
    const write = cost?.cache_write === undefined ? input * 1.25 : perMillion(cost.cache_write);
    if (read === null || read < 0 || read > input || write === null || write < 0 || write > input * 10) {
      out.skipped.push({ id, reason: 'cache prices out of line with the input price' });
      continue;
    }
    taken.add(family);
    out.prices.push({
      id: `catalogue:${id}`,
      match: [family],
      input,
      output,
      cacheRead: read,
      cacheWrite5m: write,
      // Catalogues carry one cache-write price; the 1-hour TTL costs 2x input (protocol.md section 6).
      cacheWrite1h: input * 2,
    });
  }
  return out;
}

interface CacheFile {
  url: string;
  fetchedAt: number;
  prices: PriceEntry[];
}

/** The cache file's prices for `url`, or null when it is missing, unreadable, for another URL or invalid. */
export function readPricesCache(path: string, url: string, bundled: readonly PriceEntry[]): CacheFile | null {
  let parsed: CacheFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.url !== url || typeof parsed.fetchedAt !== 'number') {
    return null;
  }
  if (!Array.isArray(parsed.prices)) return null;
  try {
    compilePrices(parsed.prices);
  } catch {
    return null;
  }
  const known = new Set(bundled.flatMap((p) => p.match));
  // A newer build may have bundled a family the cache filled: the bundled row wins from now on.
  return { ...parsed, prices: parsed.prices.filter((p) => !p.match.some((f) => known.has(f))) };
}

export interface PriceRefresherOptions {
  url: string;
  /** `<home>/prices-cache.json`. */
  cachePath: string;
  bundled: readonly PriceEntry[];
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Receives the prices to add (the pricer's `supplement`). */
  apply: (prices: readonly PriceEntry[]) => void;
  /** Default 15 s. */
  fetchTimeoutMs?: number;
}

export class PriceRefresher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Aborts a fetch in flight on stop, so a shutdown never waits for the catalogue. */
  private readonly abort = new AbortController();

  constructor(private readonly opts: PriceRefresherOptions) {}

  /** Applies the cached prices, fetches when they are a day old (or missing), and schedules the next refresh. */
  async start(): Promise<void> {
    const cached = readPricesCache(this.opts.cachePath, this.opts.url, this.opts.bundled);
    if (cached !== null) this.opts.apply(cached.prices);
    const age = cached === null ? Number.POSITIVE_INFINITY : this.opts.clock.now() - cached.fetchedAt;
    if (age >= 0 && age < DAY_MS) this.schedule(DAY_MS - age);
    else await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Fetches the catalogue now; never throws (a failure keeps the prices in use). */
  refresh(): Promise<void> {
    this.running ??= this.fetchAndApply().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no fetch is running (tests; shutdown). */
  async settled(): Promise<void> {
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, ms);
    this.timer.unref();
  }

  private async fetchAndApply(): Promise<void> {
    const { url, logger } = this.opts;
    let catalogue: unknown;
    try {
      catalogue = await fetchJson(url, this.opts.fetchTimeoutMs ?? FETCH_TIMEOUT_MS, this.abort.signal);
    } catch (err) {
      if (this.stopped) return;
      logger.warn(
        { url, err: (err as Error).message },
        'price catalogue not fetched: keeping the prices in use (the bundled table for models it knows); retrying in an hour',
      );
      this.schedule(RETRY_MS);
      return;
    }
    const { prices, skipped } = pricesFromCatalogue(catalogue, this.opts.bundled);
    if (skipped.length > 0) {
      logger.warn(
        { url, skipped: skipped.slice(0, 20) },
        'price catalogue entries skipped: their prices make no sense',
      );
    }
    if (this.stopped) return;
    this.opts.apply(prices);
    this.writeCache({ url, fetchedAt: this.opts.clock.now(), prices });
    logger.info(
      { url, added: prices.map((p) => p.match[0]) },
      `price catalogue fetched: ${prices.length} model famil${prices.length === 1 ? 'y' : 'ies'} added to the bundled prices`,
    );
    this.schedule(DAY_MS);
  }

  private writeCache(file: CacheFile): void {
    const path = this.opts.cachePath;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, path);
    } catch (err) {
      this.opts.logger.warn(
        { path, err: (err as Error).message },
        'price cache not written: the catalogue is fetched again at the next start',
      );
    }
  }
}

async function fetchJson(url: string, timeoutMs: number, stop: AbortSignal): Promise<unknown> {
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const length = Number(res.headers.get('content-length'));
  if (length > MAX_BODY_BYTES) {
    await res.body?.cancel();
    throw new Error(`answer of ${length} bytes is too large for a catalogue`);
  }
  const text = await res.text();
  if (text.length > MAX_BODY_BYTES) throw new Error('answer too large for a catalogue');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('answer is not JSON');
  }
}
