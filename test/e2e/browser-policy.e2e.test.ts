/**
 * The browser policy over sockets (docs/access-control.md, "Browsers"): what a web page in the
 * user's browser could do to a gateway on 127.0.0.1 without it — reset stats with a text/plain
 * POST, read the request history after DNS rebinding, have a preflight spend an account, send a
 * cross-origin message — and that the gateway's own clients (same-origin dashboard, Node
 * CLI/TUI with no Origin) still get through.
 */

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { api } from '../support/api-request.js';
import { chromiumAvailable, launchChromium, newPage } from '../support/browser.js';
import { messageJson } from '../support/fake-upstream.js';
import { gatewayForFile, startGateway, type TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const EVIL = 'http://evil.example';
const hasChromium = chromiumAvailable('browser policy in Chromium');
const message = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [] });

const g = gatewayForFile({
  env: { CCFLARE_CORS_ORIGINS: 'https://app.example' },
  setup: async (s) => {
    await s.addApiKey('work', 'sk-ant-api03-work', { requestCount: 7 });
  },
});
let host: string;

beforeAll(async () => {
  host = new URL(g.gw.url).host;
  await g.gw.store.requests.writeBatch([sampleRecord({ id: 'secret-history', ts: Date.now() })], []);
});

beforeEach(() => g.up.reset());

/**
 * Opens another site's page in `page`: another port of the same machine (a page from the internet
 * would be the same to the gateway, but headless Chromium blocks a routed public page from loopback).
 */
async function visitOtherSite(page: Page): Promise<void> {
  const site = createServer((_req, res) => res.end('<p>cats</p>')).listen(0, '127.0.0.1');
  onTestFinished(() => {
    site.closeAllConnections();
    site.close();
  });
  await once(site, 'listening');
  await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
}

describe('cross-site requests to the management API', () => {
  it('refuses a text/plain POST from another site and leaves the counters alone', async () => {
    const r = await api(g.gw.url, 'POST', '/api/stats/reset', 'x', { origin: EVIL, 'content-type': 'text/plain' });
    expect(r.status, r.text).toBe(403);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(r.json.error.message).toContain('CCFLARE_CORS_ORIGINS');
    expect((await g.gw.account('work')).requestCount).toBe(7);
  });

  it('refuses a request a browser marks cross-site even without an Origin', async () => {
    const r = await api(g.gw.url, 'POST', '/api/accounts/work/pause', undefined, { 'sec-fetch-site': 'cross-site' });
    expect(r.status, r.text).toBe(403);
    expect((await g.gw.account('work')).paused).toBe(false);
  });

  it('refuses a form or text body on the same origin with 415', async () => {
    const r = await api(g.gw.url, 'POST', '/api/maintenance/cleanup', 'a=1', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(r.status, r.text).toBe(415);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('lets the dashboard (same origin, JSON) and Node clients (no Origin) change state', async () => {
    const dashboard = await api(g.gw.url, 'POST', '/api/accounts/work/pause', undefined, {
      origin: `http://${host}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(dashboard.status, dashboard.text).toBe(200);
    const cli = await api(g.gw.url, 'POST', '/api/accounts/work/resume');
    expect(cli.status, cli.text).toBe(200);
    const patch = await api(g.gw.url, 'PATCH', '/api/config', { sessionMs: 3_600_000 }, { origin: `http://${host}` });
    expect(patch.status, patch.text).toBe(200);
  });

  it('refuses the event stream to another origin and never sends CORS headers', async () => {
    // Only the status is read: on a gateway without the check the stream would stay open.
    const events = await request(`${g.gw.url}/api/events`, { headers: { origin: EVIL, accept: 'text/event-stream' } });
    events.body.on('error', () => {}).destroy();
    expect(events.statusCode).toBe(403);
    const read = await api(g.gw.url, 'GET', '/api/requests', undefined, { origin: EVIL });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

/** The refusal warnings of the management API's rule for other sites, as logged. */
function apiRefusals(gw: TestGateway): { path: string; suppressed?: number }[] {
  return gw.logs.map((l) => JSON.parse(l)).filter((l) => /management API refuses requests from web pages/.test(l.msg));
}

describe('expensive reads from other sites', () => {
  // Its own gateway: the refusal log holds back lines per reason for a minute, and the tests above
  // already had the file's gateway refuse requests for the same reason.
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreamUrl: g.up.url });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses reads and scrapes a browser marks as from another site, logging one line for all', async () => {
    // What <img> tags on another port of 127.0.0.1 send: same-site, no Origin.
    const reads = await Promise.all(
      Array.from({ length: 30 }, () =>
        api(gw.url, 'GET', '/api/analytics?range=30d', undefined, { 'sec-fetch-site': 'same-site' }),
      ),
    );
    expect(reads.map((r) => r.status)).toEqual(Array(30).fill(403));
    expect(reads[0]?.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    const scrape = await api(gw.url, 'GET', '/metrics', undefined, { 'sec-fetch-site': 'cross-site' });
    expect(scrape.status, scrape.text).toBe(403);
    expect(apiRefusals(gw)).toEqual([expect.objectContaining({ path: '/api/analytics' })]);
  });

  it('still answers the dashboard, the address bar, Prometheus and the CLI', async () => {
    const own = `http://${new URL(gw.url).host}`;
    const dashboard = await api(gw.url, 'GET', '/api/analytics?range=30d', undefined, {
      origin: own,
      'sec-fetch-site': 'same-origin',
    });
    expect(dashboard.status, dashboard.text).toBe(200);
    const typed = await api(gw.url, 'GET', '/metrics', undefined, { 'sec-fetch-site': 'none' });
    expect(typed.status).toBe(200);
    expect((await api(gw.url, 'GET', '/metrics')).text).toContain('ccflare_requests_total');
    expect((await api(gw.url, 'GET', '/api/analytics?range=30d')).status).toBe(200);
  });
});

describe('DNS rebinding', () => {
  it('refuses a foreign Host on every route, naming the setting', async () => {
    for (const path of ['/api/requests', '/health', '/metrics', '/', '/v1/models']) {
      const r = await api(g.gw.url, 'GET', path, undefined, { host: 'evil.example:8080' });
      expect(r.status, `${path}: ${r.text}`).toBe(403);
      expect(r.text).not.toContain('secret-history');
      expect(r.json.error.message).toContain('CCFLARE_ALLOWED_HOSTS');
    }
    expect(g.up.requests).toHaveLength(0);
  });

  it('accepts loopback names and IP literals with any port', async () => {
    for (const h of ['localhost:1234', '127.0.0.1', `[::1]:${new URL(g.gw.url).port}`, 'LOCALHOST']) {
      const r = await api(g.gw.url, 'GET', '/api/requests', undefined, { host: h });
      expect(r.status, `${h}: ${r.text}`).toBe(200);
    }
  });
});

describe('/v1 from browsers', () => {
  it('answers a preflight itself without spending an account', async () => {
    const r = await api(g.gw.url, 'OPTIONS', '/v1/messages', undefined, {
      origin: EVIL,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-api-key',
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(g.up.requests).toHaveLength(0);
  });

  it('refuses a cross-origin POST before choosing an account', async () => {
    const r = await api(g.gw.url, 'POST', '/v1/messages', message, { origin: EVIL, 'content-type': 'text/plain' });
    expect(r.status, r.text).toBe(403);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(g.up.requests).toHaveLength(0);
  });

  it('answers an allow-listed origin with CORS headers and strips the upstream ones', async () => {
    g.up.setHandler(() => ({
      kind: 'json',
      headers: { 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' },
      body: messageJson(),
    }));
    const pre = await api(g.gw.url, 'OPTIONS', '/v1/messages', undefined, {
      origin: 'https://app.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-api-key,anthropic-version',
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toBe('content-type,x-api-key,anthropic-version');
    expect(g.up.requests).toHaveLength(0);

    const r = await api(g.gw.url, 'POST', '/v1/messages', message, {
      origin: 'https://app.example',
      'content-type': 'application/json',
    });
    expect(r.status, r.text).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    expect(g.up.requests).toHaveLength(1);
  });

  it('still serves Claude Code (no Origin)', async () => {
    const r = await api(g.gw.url, 'POST', '/v1/messages', message, { 'content-type': 'application/json' });
    expect(r.status, r.text).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe.skipIf(!hasChromium)('a page from another site in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('cannot reset the stats or send a message with requests that need no preflight', async () => {
    const { context, page } = await newPage(browser, 'light');
    await visitOtherSite(page);
    // The earlier tests' requests counted first: their records may still be on the way to the database.
    await g.gw.settle();
    const before = (await g.gw.account('work')).requestCount;
    expect(before).toBeGreaterThan(0);
    // no-cors fetches resolve (opaquely) once the gateway has answered, whatever it answered.
    await page.evaluate(
      async ({ base, body }) => {
        const opts = { method: 'POST', mode: 'no-cors' as const, headers: { 'content-type': 'text/plain' } };
        await fetch(`${base}/api/stats/reset`, { ...opts, body: 'x' });
        await fetch(`${base}/v1/messages`, { ...opts, body });
      },
      { base: g.gw.url, body: message },
    );
    await context.close();
    expect((await g.gw.account('work')).requestCount).toBe(before);
    expect(g.up.requests).toHaveLength(0);
  });

  it('cannot make the gateway compute analytics with <img> tags from another port', async () => {
    const gw = await startGateway({ upstreamUrl: g.up.url });
    onTestFinished(() => gw.close());
    const { context, page } = await newPage(browser, 'light');
    onTestFinished(() => context.close());
    await visitOtherSite(page);
    // Every image ends in an error (a refusal and a JSON answer alike): wait for all of them.
    await page.evaluate(async (base) => {
      const urls = [
        ...Array.from({ length: 20 }, (_, i) => `${base}/api/analytics?range=30d&n=${i}`),
        `${base}/metrics`,
      ];
      await Promise.all(
        urls.map(
          (src) =>
            new Promise((done) => {
              const img = document.createElement('img');
              img.onload = done;
              img.onerror = done;
              img.src = src;
              document.body.append(img);
            }),
        ),
      );
    }, gw.url);
    // Refused before any route ran; the 20 refusals and the scrape's are one log line.
    expect(apiRefusals(gw)).toEqual([
      expect.objectContaining({ path: expect.stringMatching(/^\/(api\/analytics|metrics)$/) }),
    ]);
  });
});
