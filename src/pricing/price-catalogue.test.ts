import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock.js';
import { PRICES_CACHE_FILE, PriceRefresher, pricesFromCatalogue } from './price-catalogue.js';
import { PRICES } from './prices.js';
import { createPricer } from './pricing.js';

const FIXTURE = readFileSync(join(import.meta.dirname, '__fixtures__', 'models-dev-api.json'), 'utf8');
const DAY = 24 * 3_600_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2027-03-01T12:00:00Z');
const MILLION_IN = { inputTokens: 1_000_000 };

/** The catalogue server: answers the fixture (or what `answer` says) and counts requests. */
let server: Server;
let url: string;
let hits = 0;
let answer: { status: number; body: string } = { status: 200, body: FIXTURE };

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api.json`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  vi.useRealTimers();
  answer = { status: 200, body: FIXTURE };
});

function setup(over: { url?: string; home?: string } = {}) {
  const home = over.home ?? mkdtempSync(join(tmpdir(), 'ccflare-prices-'));
  const clock = new ManualClock(T0);
  const logger = { info: vi.fn(), warn: vi.fn() };
  const pricer = createPricer();
  const refresher = new PriceRefresher({
    url: over.url ?? url,
    cachePath: join(home, PRICES_CACHE_FILE),
    bundled: PRICES,
    clock,
    logger: logger as never,
    apply: (p) => pricer.supplement(p),
    fetchTimeoutMs: 2000,
  });
  return { home, clock, logger, pricer, refresher };
}

describe('prices from a models catalogue (models.dev api.json shape)', () => {
  it('adds only Claude families the bundled table lacks, from the anthropic block, with sane numbers', () => {
    const { prices, skipped } = pricesFromCatalogue(JSON.parse(FIXTURE), PRICES);
    expect(prices).toEqual([
      {
        id: 'catalogue:claude-opus-6',
        match: ['opus-6'],
        input: 6,
        output: 30,
        cacheRead: 0.6,
        cacheWrite5m: 7.5,
        cacheWrite1h: 12,
      },
      // No cache prices given: Anthropic's rule of thumb.
      {
        id: 'catalogue:claude-sonnet-7',
        match: ['sonnet-7'],
        input: 2,
        output: 10,
        cacheRead: 0.2,
        cacheWrite5m: 2.5,
        cacheWrite1h: 4,
      },
    ]);
    expect(skipped.map((s) => s.id).sort()).toEqual([
      'claude-haiku-6',
      'claude-haiku-7',
      'claude-opus-7',
      'claude-sonnet-6',
    ]);
    expect(pricesFromCatalogue(null, PRICES).prices).toEqual([]);
    expect(pricesFromCatalogue({ anthropic: { models: 'x' } }, PRICES).prices).toEqual([]);
  });

  it('prices a model only the catalogue knows; bundled prices stay; an unknown model stays unknown (null, not 0)', async () => {
    const { home, pricer, refresher } = setup();
    const bundledOpus = pricer.cost('claude-opus-4-5', MILLION_IN, T0);
    expect(pricer.cost('claude-opus-6', MILLION_IN, T0)).toBeNull();
    await refresher.start();
    refresher.stop();
    expect(pricer.cost('claude-opus-6', MILLION_IN, T0)).toBe(6);
    expect(pricer.cost('claude-opus-6-20270101', { outputTokens: 1_000_000 }, T0)).toBe(30);
    // The catalogue's nonsense for a bundled family changes nothing.
    expect(pricer.cost('claude-opus-4-5', MILLION_IN, T0)).toBe(bundledOpus);
    expect(bundledOpus).toBe(5);
    expect(pricer.cost('claude-opus-9', MILLION_IN, T0)).toBeNull();
    expect(pricer.cost('claude-haiku-6', MILLION_IN, T0)).toBeNull();
    // A reseller's block is not read.
    expect(pricer.cost('claude-opus-8', MILLION_IN, T0)).toBeNull();
    const cache = JSON.parse(readFileSync(join(home, PRICES_CACHE_FILE), 'utf8'));
    expect(cache).toMatchObject({ url, fetchedAt: T0 });
    expect(cache.prices.map((p: { id: string }) => p.id)).toEqual([
      'catalogue:claude-opus-6',
      'catalogue:claude-sonnet-7',
    ]);
    expect(statSync(join(home, PRICES_CACHE_FILE)).mode & 0o777).toBe(0o600);
  });

  it('uses the disk cache for a day across a restart, then fetches again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const first = setup();
    await first.refresher.start();
    first.refresher.stop();
    const fetched = hits;

    // A restart an hour later: the cached prices apply at once, nothing is fetched.
    const again = setup({ home: first.home });
    again.clock.set(T0 + HOUR);
    await again.refresher.start();
    expect(hits).toBe(fetched);
    expect(again.pricer.cost('claude-sonnet-7', MILLION_IN, T0)).toBe(2);

    // The catalogue changes; a day after the fetch the gateway reads it again.
    answer = { status: 200, body: FIXTURE.replace('"input": 2, "output": 10', '"input": 2.5, "output": 12') };
    again.clock.set(T0 + DAY - 1);
    await vi.advanceTimersByTimeAsync(DAY - HOUR - 2);
    await again.refresher.settled();
    expect(hits).toBe(fetched);
    again.clock.set(T0 + DAY);
    await vi.advanceTimersByTimeAsync(2);
    await again.refresher.settled();
    expect(hits).toBe(fetched + 1);
    expect(again.pricer.cost('claude-sonnet-7', MILLION_IN, T0)).toBe(2.5);
    again.refresher.stop();
  });

  it('offline: keeps the bundled table, says so, and retries in an hour', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    answer = { status: 503, body: '{"error":"down"}' };
    const { pricer, refresher, logger } = setup();
    await refresher.start();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ url, err: 'HTTP 503' }),
      expect.stringContaining('price catalogue not fetched'),
    );
    expect(pricer.cost('claude-opus-6', MILLION_IN, T0)).toBeNull();
    expect(pricer.cost('claude-sonnet-4-6', MILLION_IN, T0)).toBe(3);
    answer = { status: 200, body: FIXTURE };
    await vi.advanceTimersByTimeAsync(HOUR);
    await refresher.settled();
    expect(pricer.cost('claude-opus-6', MILLION_IN, T0)).toBe(6);
    refresher.stop();
  });

  it('with nothing listening, or an answer that is not a catalogue, start still resolves with the bundled table', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api.json`;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = setup({ url: deadUrl });
    await dead.refresher.start();
    dead.refresher.stop();
    expect(dead.logger.warn).toHaveBeenCalledTimes(1);
    expect(dead.pricer.cost('claude-sonnet-4-6', MILLION_IN, T0)).toBe(3);

    answer = { status: 200, body: '<html>not json</html>' };
    const html = setup();
    await html.refresher.start();
    html.refresher.stop();
    expect(html.logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ err: 'answer is not JSON' }),
      expect.any(String),
    );
  });

  it('applies a stale cache when the catalogue cannot be fetched; ignores a corrupt cache or one for another URL', async () => {
    const { home, refresher } = setup();
    await refresher.start();
    refresher.stop();

    // Two days later, offline: the old prices are better than none.
    answer = { status: 503, body: '' };
    const stale = setup({ home });
    stale.clock.set(T0 + 2 * DAY);
    await stale.refresher.start();
    stale.refresher.stop();
    expect(stale.pricer.cost('claude-opus-6', MILLION_IN, T0)).toBe(6);

    const other = setup({ home, url: `${url}?other` });
    await other.refresher.start();
    other.refresher.stop();
    expect(other.pricer.cost('claude-opus-6', MILLION_IN, T0)).toBeNull();

    writeFileSync(join(home, PRICES_CACHE_FILE), '{"url": "tor');
    answer = { status: 200, body: FIXTURE };
    const before = hits;
    const corrupt = setup({ home });
    await corrupt.refresher.start();
    corrupt.refresher.stop();
    expect(hits).toBe(before + 1);
    expect(corrupt.pricer.cost('claude-opus-6', MILLION_IN, T0)).toBe(6);
  });
});
