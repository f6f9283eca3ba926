/**
 * CCFLARE_PRICES_URL: a gateway pointed at a models catalogue (a local server serving a
 * models.dev-shaped fixture) records a cost for a Claude model only the catalogue prices, keeps
 * "unknown" (null) for a model nobody prices, and caches the catalogue in <home>/prices-cache.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const FIXTURE = readFileSync(join(import.meta.dirname, '../../src/pricing/__fixtures__/models-dev-api.json'), 'utf8');

let catalogue: Server;
let up: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  catalogue = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(FIXTURE);
  });
  await new Promise<void>((r) => catalogue.listen(0, '127.0.0.1', r));
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    env: { CCFLARE_PRICES_URL: `http://127.0.0.1:${(catalogue.address() as AddressInfo).port}/api.json` },
    setup: async (g) => {
      await g.addApiKey('main', 'sk-ant-api03-prices-main-000000000000');
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
  await new Promise<void>((r) => catalogue.close(() => r()));
});

async function send(model: string): Promise<void> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

describe('price refresh from a models catalogue', () => {
  it('costs a model only the catalogue knows; a model nobody prices stays unknown', async () => {
    await vi.waitFor(() => expect(existsSync(join(gw.home, 'prices-cache.json'))).toBe(true), {
      timeout: 5000,
      interval: 20,
    });
    await send('claude-opus-6');
    const [opus6] = await gw.records(1);
    expect(opus6?.modelApplied).toBe('claude-opus-6');
    // The fixture's Opus 6: input 6, 5m write 7.5, 1h write 12 (2x input), read 0.6, output 30 per million.
    const t = opus6 as NonNullable<typeof opus6>;
    const expected =
      ((t.inputTokens ?? 0) * 6 +
        (t.cacheWrite5mTokens ?? 0) * 7.5 +
        (t.cacheWrite1hTokens ?? 0) * 12 +
        (t.cacheReadTokens ?? 0) * 0.6 +
        (t.outputTokens ?? 0) * 30) /
      1e6;
    expect(expected).toBeGreaterThan(0);
    expect(t.costUsd).toBeCloseTo(expected, 10);

    await send('claude-opus-9');
    const [unknown] = await gw.records(1);
    expect(unknown?.modelApplied).toBe('claude-opus-9');
    expect(unknown?.costUsd).toBeNull();
  });
});
