import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ROUTES } from '../../src/server/static-files.js';
import { sampleRecord } from '../../src/storage/store-conformance.js';
import type { AccountRow } from '../../src/storage/types.js';
import { api } from '../support/api-request.js';
import { chromiumAvailable, launchChromium, newPage, shot } from '../support/browser.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const hasChromium = chromiumAvailable('dashboard browser tests');

const ADMIN_KEY = 'dashboard-e2e-admin-key-0123456789abcdef';
const THEMES = ['light', 'dark'] as const;
const MIN = 60_000;
const HOUR = 60 * MIN;

let browser: Browser;
let up: FakeUpstream;

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    up = await startFakeUpstream();
  });
  afterAll(async () => {
    await browser?.close();
    await up?.close();
  });

  describe('without an admin key', () => {
    let gw: TestGateway;
    let alpha: AccountRow;

    beforeAll(async () => {
      const now = Date.now();
      gw = await startGateway({
        upstreamUrl: up.url,
        setup: async (g) => {
          const future = { accessToken: 'at', refreshToken: 'rt', expiresAt: now + 24 * HOUR };
          await g.addOAuth('alpha', future, {
            rateLimit: {
              observedAt: now,
              status: 'allowed',
              resetAt: now + 2 * HOUR,
              fiveHour: { status: 'allowed', utilization: 0.42, resetAt: now + 2 * HOUR },
              sevenDay: { status: 'allowed', utilization: 0.15, resetAt: now + 3 * 24 * HOUR },
              representativeClaim: 'five_hour',
            },
          });
          await g.addOAuth('beta', future, {
            priority: 1,
            health: 'needs_reauth',
            healthReason: 'refresh token revoked',
          });
          await g.addApiKey('gamma', 'sk-ant-api03-dashboard-gamma', {
            priority: 2,
            health: 'disabled',
            healthReason: 'invalid x-api-key',
          });
        },
      });
      alpha = await gw.account('alpha');
      const base = { accountId: alpha.id, accountName: alpha.name, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0 };
      // 4 requests, 3 succeeded: avg latency 2 s, cost $1.00, 40 tok/s, cache hit 400/800.
      await gw.store.writeBatch(
        [
          sampleRecord({
            ...base,
            id: 'd1',
            ts: now - 5 * MIN,
            latencyMs: 1000,
            costUsd: 0.5,
            outputTokensPerSecond: 50,
            inputTokens: 100,
            cacheReadTokens: 300,
          }),
          sampleRecord({
            ...base,
            id: 'd2',
            ts: now - 15 * MIN,
            latencyMs: 2000,
            costUsd: 0.25,
            outputTokensPerSecond: 30,
            inputTokens: 100,
            cacheReadTokens: 100,
          }),
          sampleRecord({
            ...base,
            id: 'd3',
            ts: now - 25 * MIN,
            latencyMs: 3000,
            costUsd: 0.25,
            outputTokensPerSecond: 40,
            inputTokens: 200,
            cacheReadTokens: 0,
          }),
          sampleRecord({
            ...base,
            id: 'd4',
            ts: now - 35 * MIN,
            latencyMs: 2000,
            status: 529,
            success: false,
            error: 'overloaded_error: Overloaded',
            inputTokens: null,
            cacheReadTokens: null,
            cacheWrite5mTokens: null,
            cacheWrite1hTokens: null,
            outputTokens: null,
            costUsd: null,
            outputTokensPerSecond: null,
            ttftMs: null,
          }),
        ],
        [],
      );
    });
    afterAll(async () => {
      await gw?.close();
    });

    it('serves the shell with the right caching', async () => {
      const index = await fetch(`${gw.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const html = await index.text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toMatch(/^\/assets\/index-[\w-]+\.js$/);
      const js = await fetch(`${gw.url}${asset}`);
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(js.headers.get('content-type')).toContain('text/javascript');
      for (const route of DASHBOARD_ROUTES) expect((await fetch(`${gw.url}${route}`)).status, route).toBe(200);
      expect((await fetch(`${gw.url}/nope`)).status).toBe(404);
      expect((await fetch(`${gw.url}/assets/missing-abc.js`)).status).toBe(404);
    });

    for (const theme of THEMES) {
      it(`Overview shows the seeded figures and account windows (${theme})`, async () => {
        const { context, page, errors } = await newPage(browser, theme);
        await page.goto(`${gw.url}/`);
        await page.getByRole('heading', { name: 'Overview' }).waitFor();
        const stat = (label: string) => page.locator(`[data-stat="${label}"]`);
        await expect.poll(() => stat('Requests').textContent()).toBe('4');
        expect(await stat('Success rate').textContent()).toBe('75.0%');
        expect(await stat('Avg latency').textContent()).toBe('2.00 s');
        expect(await stat('Cost').textContent()).toBe('$1.00');
        expect(await stat('Output speed').textContent()).toBe('40.0 tok/s');
        expect(await stat('Cache hit rate').textContent()).toBe('50.0%');
        expect(await stat('P95 latency').textContent()).toMatch(/s$/);
        const alphaCard = page.getByRole('listitem', { name: 'Account alpha' });
        await expect.poll(() => alphaCard.textContent()).toContain('42% used');
        expect(await alphaCard.textContent()).toMatch(/resets in (1h 59m|2h 0m)/);
        expect(await alphaCard.textContent()).toContain('15% used');
        const beta = await page.getByRole('listitem', { name: 'Account beta' }).textContent();
        expect(beta).toContain('Needs re-auth');
        expect(beta).toContain('ccflare accounts add beta --mode max');
        expect(await page.getByRole('listitem', { name: 'Account gamma' }).textContent()).toContain(
          'invalid x-api-key',
        );
        expect(await page.evaluate('document.documentElement.dataset.theme')).toBe(theme);
        // Charts rendered (SVG bars for the seeded buckets).
        expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
        await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
        await shot(page, `overview-${theme}`);
        expect(errors).toEqual([]);
        await context.close();
      });
    }

    it('updates the Overview live when a request goes through the proxy', async () => {
      const { context, page, errors } = await newPage(browser, 'light');
      await page.goto(`${gw.url}/?range=1h`);
      const requests = page.locator('[data-stat="Requests"]');
      await expect.poll(() => requests.textContent()).toBe('4');
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(res.status).toBe(200);
      await res.text();
      await expect.poll(() => requests.textContent(), { timeout: 5000 }).toBe('5');
      expect(errors).toEqual([]);
      await context.close();
    });

    it('adds a key account, pauses and resumes it, and removes it with a typed confirmation', async () => {
      const { context, page, errors } = await newPage(browser, 'light');
      await page.goto(`${gw.url}/`);
      const nav = page.getByRole('navigation', { name: 'Main' });
      const hrefs = await nav.getByRole('link').evaluateAll((links) => links.map((l) => l.getAttribute('href')));
      expect(hrefs).toEqual([...DASHBOARD_ROUTES]);
      await nav.getByRole('link', { name: 'Accounts' }).click();
      await page.getByRole('heading', { name: 'Accounts', exact: true }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/accounts');
      await page.getByLabel('Name', { exact: true }).fill('delta');
      await page.getByLabel('API key', { exact: true }).fill('sk-ant-api03-dashboard-delta-key');
      await page.getByRole('button', { name: 'Add account' }).click();
      const row = page.getByRole('row', { name: 'Account delta' });
      await row.waitFor();
      await expect.poll(() => row.textContent()).toContain('Active');
      expect((await api(gw.url, 'GET', '/api/accounts/delta')).json.kind).toBe('api_key');

      await page.getByRole('button', { name: 'Pause delta' }).click();
      await page.getByRole('button', { name: 'Resume delta' }).waitFor();
      expect(await row.textContent()).toContain('Paused');
      expect((await api(gw.url, 'GET', '/api/accounts/delta')).json.paused).toBe(true);

      for (const theme of THEMES) {
        await page.emulateMedia({ colorScheme: theme });
        await shot(page, `accounts-${theme}`);
      }
      await page.emulateMedia({ colorScheme: 'light' });

      await page.getByRole('button', { name: 'Resume delta' }).click();
      await page.getByRole('button', { name: 'Pause delta' }).waitFor();
      expect((await api(gw.url, 'GET', '/api/accounts/delta')).json.paused).toBe(false);

      await page.getByRole('button', { name: 'Remove delta' }).click();
      const dialog = page.getByRole('dialog', { name: 'Remove delta?' });
      await dialog.waitFor();
      const confirm = dialog.getByRole('button', { name: 'Remove account' });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByRole('textbox').fill('delt');
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByRole('textbox').fill('delta');
      await confirm.click();
      await row.waitFor({ state: 'detached' });
      expect((await api(gw.url, 'GET', '/api/accounts/delta')).status).toBe(404);
      // The theme toggle overrides the system preference and is remembered.
      await page.getByLabel('Theme').selectOption('dark');
      expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
      await page.reload();
      await page.getByRole('heading', { name: 'Accounts', exact: true }).waitFor();
      expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
      expect(errors).toEqual([]);
      await context.close();
    });
  });

  describe('with an admin key', () => {
    let gw: TestGateway;

    beforeAll(async () => {
      gw = await startGateway({
        upstreamUrl: up.url,
        env: { CCFLARE_ADMIN_KEY: ADMIN_KEY },
        setup: (g) => g.addApiKey('main', 'sk-ant-api03-dashboard-main').then(() => {}),
      });
    });
    afterAll(async () => {
      await gw?.close();
    });

    for (const theme of THEMES) {
      it(`shows the login screen and signs in with the admin key (${theme})`, async () => {
        const { context, page, errors } = await newPage(browser, theme);
        await page.goto(`${gw.url}/`);
        await page.getByRole('heading', { name: 'Sign in to ccflare' }).waitFor();
        expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
        await shot(page, `login-${theme}`);

        await page.getByLabel('Admin key').fill('not-the-key');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();

        await page.getByLabel('Admin key').fill(ADMIN_KEY);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Overview' }).waitFor();
        await page.getByRole('listitem', { name: 'Account main' }).waitFor();
        // Live events through a ticket: the key never goes in the URL.
        await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
        expect(await page.evaluate("sessionStorage.getItem('ccflare.adminKey')")).toBe(ADMIN_KEY);
        // The key survives a reload of the tab.
        await page.reload();
        await page.getByRole('listitem', { name: 'Account main' }).waitFor();
        // Only the expected 401s of the unauthenticated first load and the wrong key.
        expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
        await context.close();
      });
    }
  });
});
