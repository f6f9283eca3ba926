import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ROUTES } from '../../src/server/static-files.js';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import { api } from '../support/api-request.js';
import {
  chromiumAvailable,
  launchChromium,
  sharedPage,
  shot,
  shownMoment,
  switchTheme,
  usePage,
} from '../support/browser.js';
import { type FakeOAuth, startFakeOAuth } from '../support/fake-oauth.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { NO_USAGE } from '../support/history-seed.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard browser tests');

const ADMIN_KEY = 'dashboard-e2e-admin-key-0123456789abcdef';
const MIN = 60_000;
const HOUR = 60 * MIN;

let browser: Browser;
let page: Page;
let up: FakeUpstream;

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    ({ page } = await sharedPage(browser));
    up = await startFakeUpstream();
  });
  afterAll(async () => {
    await browser?.close();
    await up?.close();
  });

  describe('without an admin key', () => {
    let gw: TestGateway;
    let alpha: AccountRow;
    let oldest: number;

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
      await gw.store.requests.writeBatch(
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
            ...NO_USAGE,
          }),
        ],
        [],
      );
      // Stored in the database, as the Settings screen would.
      const patched = await api(gw.url, 'PATCH', '/api/config', {
        requestRetentionDays: 45,
        payloadRetentionDays: 3,
        payloadCapture: false,
      });
      expect(patched.status).toBe(200);
      oldest = now - 35 * MIN;
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

    it('Overview shows the seeded figures and account windows (light, dark)', async () => {
      const errors = await usePage(page, 'light');
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
      expect(beta).toContain('Open Accounts and press Re-authenticate');
      expect(beta).toContain('Fix beta on Accounts');
      expect(await page.getByRole('listitem', { name: 'Account gamma' }).textContent()).toContain('invalid x-api-key');
      expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('light');
      // Charts: bars for the seeded buckets, one of them failed; hovering a bar reads it out.
      const reqChart = page.getByRole('img', { name: 'Requests per bucket, 4 in total' });
      await reqChart.locator('.svg-bar').first().waitFor();
      expect(await reqChart.locator('.svg-bar[data-series="errors"]').count()).toBe(1);
      expect(await reqChart.locator('.svg-bar[data-series="successes"]').count()).toBeGreaterThanOrEqual(2);
      await reqChart.locator('.svg-bar[data-series="errors"]').hover();
      await expect.poll(() => reqChart.locator('.svg-tooltip').textContent()).toContain('Failed: 1');
      // Tokens by kind: input 100+100+200, output 3 x 20 (sampleRecord), cache read 300+100, no cache writes.
      const tokens = (kind: string) => page.locator(`[data-tokens="${kind}"]`).textContent();
      expect(await tokens('Input')).toBe('400');
      expect(await tokens('Output')).toBe('60');
      expect(await tokens('Cache read')).toBe('400');
      expect(await tokens('Cache write')).toBe('0');
      const tokenChart = page.getByRole('img', { name: /^Tokens per bucket by kind, 860 in total$/ });
      expect(await tokenChart.locator('.svg-bar[data-series="input"]').count()).toBeGreaterThanOrEqual(2);
      expect(await tokenChart.locator('.svg-bar[data-series="cacheWrite"]').count()).toBe(0);
      const costChart = page.getByRole('img', { name: 'Cost per bucket, $1.00 in total' });
      expect(await costChart.locator('.svg-area').count()).toBe(1);
      // Retention as stored through /api/config, the oldest stored request and the stored size.
      const retention = page.getByRole('region', { name: 'Data retention' });
      const kept = (label: string) => retention.locator(`[data-retention="${label}"]`).textContent();
      await expect.poll(() => kept('Request history kept')).toBe('45 days');
      expect(await kept('Payloads kept')).toBe('3 days');
      expect(await kept('Payload capture')).toBe('Off');
      const oldestText = await shownMoment(page, oldest);
      await expect.poll(() => kept('Oldest request')).toBe(oldestText);
      // The database file exists and holds the rows: some KB at least; no payloads were seeded.
      expect(await kept('Stored')).toMatch(/^\d+(\.\d)? (KB|MB)$/);
      expect(await retention.textContent()).toContain('payload files 0 B');
      expect(await retention.getByRole('link', { name: 'Change retention in Settings' }).getAttribute('href')).toBe(
        '/settings',
      );
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      await shot(page, 'overview-light');
      await switchTheme(page, 'dark');
      await shot(page, 'overview-dark');
      expect(errors).toEqual([]);
    });

    it('updates the Overview live when a request goes through the proxy', async () => {
      const errors = await usePage(page, 'light');
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
    });

    it('adds a key account, pauses and resumes it, and removes it with a typed confirmation', async () => {
      const errors = await usePage(page, 'light');
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

      await shot(page, 'accounts-light');
      await switchTheme(page, 'dark');
      await shot(page, 'accounts-dark');
      await switchTheme(page, 'light');

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
      // Back to the system's choice, which the next tests rely on.
      await page.getByLabel('Theme').selectOption('system');
      await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe('light');
      expect(errors).toEqual([]);
    });

    it('is usable from the keyboard: skip link, number keys per screen, a shortcuts list, focus on the new screen', async () => {
      const errors = await usePage(page, 'light');
      await page.goto(`${gw.url}/`);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // The first Tab stop skips to the content.
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement?.id')).toBe('main');

      await page.keyboard.press('2');
      await page.getByRole('heading', { name: 'Requests', exact: true }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/requests');
      // Focus moved to the new screen's content, not left behind on the old one.
      expect(await page.evaluate('document.activeElement?.id')).toBe('main');
      await page.keyboard.press('7');
      await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
      await page.keyboard.press('3');
      await page.getByRole('heading', { name: 'Accounts', exact: true }).waitFor();

      // Typing a digit into a field is just typing.
      await page.getByLabel('Name', { exact: true }).fill('');
      await page.getByLabel('Name', { exact: true }).press('5');
      expect(new URL(page.url()).pathname).toBe('/accounts');
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('5');
      await page.getByLabel('Name', { exact: true }).fill('');

      await page.locator('#main').focus();
      await page.keyboard.press('?');
      const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await help.waitFor();
      expect(await help.textContent()).toContain('Analytics');
      // The tenth screen's key is 0.
      expect(
        await help
          .locator('div', { has: page.getByText('Strategy', { exact: true }) })
          .locator('kbd')
          .textContent(),
      ).toBe('0');
      await shot(page, 'shortcuts-light');
      await page.keyboard.press('Escape');
      await help.waitFor({ state: 'hidden' });
      // The nav links announce their keys.
      const keys = await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link')
        .evaluateAll((links) => links.map((l) => l.getAttribute('aria-keyshortcuts')));
      // Strategy (tenth) is 0; Prompts, Conversations and Workers (past the tenth) have no digit of their own.
      expect(keys).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', null, null, null]);
      expect(errors).toEqual([]);
    });
  });

  describe('Accounts with an OAuth server', () => {
    let gw: TestGateway;
    let oauth: FakeOAuth;

    /** Follows the authorize URL like the user's browser tab and returns the `code#state` it shows. */
    async function pastedCode(authorizeUrl: string): Promise<string> {
      const html = await (await fetch(authorizeUrl)).text();
      const m = /<code id="code">([^<]+)<\/code>/.exec(html);
      if (!m?.[1]) throw new Error('no code on the authorize page');
      return m[1];
    }
    const account = async (name: string) => (await api(gw.url, 'GET', `/api/accounts/${name}`)).json;
    // Chromium logs every non-2xx fetch: only the answers the test provoked may appear, nothing else.
    const httpError = (status: string) =>
      `console: Failed to load resource: the server responded with a status of ${status}`;

    beforeAll(async () => {
      oauth = await startFakeOAuth();
      const now = Date.now();
      gw = await startGateway({
        upstreamUrl: up.url,
        env: {
          CCFLARE_OAUTH_AUTHORIZE_URL: oauth.authorizeUrl,
          CCFLARE_OAUTH_CONSOLE_AUTHORIZE_URL: oauth.authorizeUrl,
          CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl,
          CCFLARE_OAUTH_REDIRECT_URI: oauth.redirectUri,
        },
        setup: async (g) => {
          await g.addOAuth('solo', { ...oauth.seedAccount(), expiresAt: now + 8 * HOUR }, { priority: 3 });
          await g.addOAuth(
            'stale',
            { accessToken: 'sk-ant-oat01-stale', refreshToken: 'sk-ant-ort01-stale', expiresAt: now - HOUR },
            { priority: 4, health: 'needs_reauth', healthReason: 'refresh token revoked' },
          );
          await g.addApiKey('keyed', 'sk-ant-api03-dashboard-keyed', { priority: 5 });
        },
      });
    });
    afterAll(async () => {
      await gw?.close();
      await oauth?.close();
    });

    it('adds a Claude Max account by OAuth; a paste of another login keeps the field and the login open', async () => {
      const errors = await usePage(page, 'light');
      await page.goto(`${gw.url}/accounts`);
      const form = page.getByRole('form', { name: 'Sign in with a Claude account' });
      await form.getByLabel('Account name').fill('newmax');
      await form.getByLabel('Priority').fill('2');
      expect(await form.getByRole('radio', { name: 'Claude Max/Pro subscription' }).isChecked()).toBe(true);
      await form.getByRole('button', { name: 'Start sign-in' }).click();
      const link = form.getByRole('link', { name: 'Open the sign-in page' });
      const href = (await link.getAttribute('href')) as string;
      expect(href.startsWith(`${oauth.authorizeUrl}?`)).toBe(true);
      expect(await link.getAttribute('target')).toBe('_blank');
      expect(await form.getByLabel('Sign-in link').inputValue()).toBe(href);
      expect(await form.textContent()).toContain('Adding newmax (Claude Max/Pro subscription)');
      const code = await pastedCode(href);

      // The state of another login: refused before the code is spent, so the same login goes on.
      const field = form.getByLabel('Code from the sign-in page');
      const wrong = `${code.split('#')[0]}#not-the-state`;
      await field.fill(wrong);
      await form.getByRole('button', { name: 'Finish sign-in' }).click();
      const alert = form.getByRole('alert');
      await expect.poll(() => alert.textContent()).toContain('state mismatch');
      expect(await alert.textContent()).toContain('The sign-in is still open');
      expect(await field.inputValue()).toBe(wrong);
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      await form.scrollIntoViewIfNeeded();
      await shot(page, 'accounts-oauth-light');
      await switchTheme(page, 'dark');
      await shot(page, 'accounts-oauth-dark');

      await field.fill(code);
      await form.getByRole('button', { name: 'Finish sign-in' }).click();
      const row = page.getByRole('row', { name: 'Account newmax' });
      await row.waitFor();
      await expect.poll(() => row.textContent()).toContain('Active');
      expect(await row.textContent()).toContain('Claude Max/Pro');
      await page.getByRole('status').filter({ hasText: 'Added newmax (Claude Max/Pro)' }).waitFor();
      expect(await account('newmax')).toMatchObject({ name: 'newmax', kind: 'max', status: 'active', priority: 2 });
      // The form is ready for the next one.
      expect(await form.getByLabel('Account name').inputValue()).toBe('');
      expect(errors).toEqual([httpError('400 (Bad Request)')]);
    });

    it('a code the OAuth server rejects shows why, keeps the paste, and a new sign-in completes (console)', async () => {
      const errors = await usePage(page, 'dark');
      await page.goto(`${gw.url}/accounts`);
      const form = page.getByRole('form', { name: 'Sign in with a Claude account' });
      await form.getByLabel('Account name').fill('newcon');
      await form.getByRole('radio', { name: 'Console (creates an API key)' }).check();
      await form.getByLabel('Priority').fill('7');
      await form.getByRole('button', { name: 'Start sign-in' }).click();
      const link = form.getByRole('link', { name: 'Open the sign-in page' });
      const first = (await link.getAttribute('href')) as string;
      const state = (await pastedCode(first)).split('#')[1];
      const field = form.getByLabel('Code from the sign-in page');
      const bogus = `not-a-real-code#${state}`;
      await field.fill(bogus);
      await form.getByRole('button', { name: 'Finish sign-in' }).click();
      const alert = form.getByRole('alert');
      await expect.poll(() => alert.textContent()).toContain('The authorization code was rejected');
      expect(await field.inputValue()).toBe(bogus);
      expect(await form.getByRole('button', { name: 'Finish sign-in' }).count()).toBe(0);
      expect((await api(gw.url, 'GET', '/api/accounts/newcon')).status).toBe(404);

      await form.getByRole('button', { name: 'Start a new sign-in' }).click();
      await expect.poll(() => link.getAttribute('href')).not.toBe(first);
      expect(await field.inputValue()).toBe(bogus);
      expect(await alert.count()).toBe(0);
      await field.fill(await pastedCode((await link.getAttribute('href')) as string));
      await form.getByRole('button', { name: 'Finish sign-in' }).click();
      const row = page.getByRole('row', { name: 'Account newcon' });
      await row.waitFor();
      await expect.poll(() => row.textContent()).toContain('Active');
      expect(await row.textContent()).toContain('Console');
      expect(await account('newcon')).toMatchObject({ kind: 'console', status: 'active', priority: 7 });
      expect(errors).toEqual([httpError('502 (Bad Gateway)')]);
    });

    it('re-authenticates a needs_reauth account from its row', async () => {
      const errors = await usePage(page, 'light');
      await page.goto(`${gw.url}/accounts`);
      const row = page.getByRole('row', { name: 'Account stale' });
      await row.waitFor();
      expect(await row.textContent()).toContain('Needs re-auth');
      expect(await row.textContent()).toContain('Press Re-authenticate and sign in again');
      // Resume cannot lift needs_reauth: the row offers the sign-in and no Resume.
      expect(await row.getByRole('button', { name: 'Resume stale' }).count()).toBe(0);
      await row.getByRole('button', { name: 'Re-authenticate stale' }).click();
      const form = page.getByRole('form', { name: 'Sign in with a Claude account' });
      const link = form.getByRole('link', { name: 'Open the sign-in page' });
      await link.waitFor();
      expect(await form.textContent()).toContain('Signing stale (Claude Max/Pro subscription) in again');
      // Focus moves to the link so keyboard users land on the next step.
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Open the sign-in page');
      await form
        .getByLabel('Code from the sign-in page')
        .fill(await pastedCode((await link.getAttribute('href')) as string));
      await form.getByRole('button', { name: 'Finish sign-in' }).click();
      await page.getByRole('status').filter({ hasText: 'Signed stale in again' }).waitFor();
      await expect.poll(() => row.textContent()).toContain('Active');
      expect(await row.textContent()).not.toContain('Needs re-auth');
      expect(await row.getByRole('button', { name: 'Re-authenticate stale' }).count()).toBe(0);
      expect(await account('stale')).toMatchObject({ kind: 'max', status: 'active', statusReason: null, priority: 4 });
      expect(errors).toEqual([]);
    });

    it('renames an account and sets its priority, with the messages next to each field', async () => {
      const errors = await usePage(page, 'light');
      await page.goto(`${gw.url}/accounts`);
      await page.getByRole('button', { name: 'Edit keyed' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit keyed' });
      await dialog.waitFor();
      const name = dialog.getByLabel('Name');
      const priority = dialog.getByLabel('Priority');
      expect(await name.inputValue()).toBe('keyed');
      expect(await priority.inputValue()).toBe('5');

      // Taken name: refused next to the name; the priority in the same save still applies.
      await name.fill('solo');
      await priority.fill('6');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => dialog.locator('#edit-name-msg').textContent()).toContain('"solo" already exists');
      expect(await name.getAttribute('aria-invalid')).toBe('true');
      expect(await name.inputValue()).toBe('solo');
      expect((await account('keyed')).priority).toBe(6);

      // Out of range: refused next to the priority; the rename in the same save applies.
      await name.fill('keyed-2');
      await priority.fill('1001');
      await dialog.getByRole('button', { name: 'Save' }).click();
      // Said plainly, not as the API's "Invalid body: priority: at most 1000".
      const range = 'Enter a whole number from 0 to 1000; lower is tried first.';
      await expect.poll(() => dialog.locator('#edit-priority-msg').textContent()).toBe(range);
      expect(await priority.getAttribute('aria-invalid')).toBe('true');
      expect(await dialog.locator('#edit-name-msg').textContent()).not.toContain('exists');
      expect(await priority.inputValue()).toBe('1001');
      expect((await account('keyed-2')).priority).toBe(6);
      await priority.fill('-1');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => dialog.locator('#edit-priority-msg').textContent()).toBe(range);
      expect((await account('keyed-2')).priority).toBe(6);

      await priority.fill('0');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'Saved keyed-2: priority 0.' }).waitFor();
      // Lowest priority first: it now leads the routing order, in the page and in the API.
      const first = page.getByRole('table', { name: 'Accounts in routing order' }).getByRole('row').nth(1);
      await expect.poll(() => first.getAttribute('aria-label')).toBe('Account keyed-2');
      expect(await first.locator('td.num').first().textContent()).toBe('0');
      expect(await page.getByRole('row', { name: 'Account keyed', exact: true }).count()).toBe(0);
      const list = (await api(gw.url, 'GET', '/api/accounts')).json as { name: string; priority: number }[];
      expect(list[0]).toMatchObject({ name: 'keyed-2', priority: 0 });
      expect(list.some((a) => a.name === 'keyed')).toBe(false);
      expect(errors).toEqual([httpError('409 (Conflict)')]);
    });
  });

  describe('with no account yet', () => {
    let gw: TestGateway;

    beforeAll(async () => {
      gw = await startGateway({ upstreamUrl: up.url });
    });
    afterAll(async () => {
      await gw?.close();
    });

    it('keeps the empty screens, with their ANTHROPIC_BASE_URL line, to the width of a phone', async () => {
      const errors = await usePage(page, 'light');
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const path of ['/', '/analytics', '/stats', '/requests']) {
          await page.goto(`${gw.url}${path}`);
          const line = page.locator('main code', { hasText: 'ANTHROPIC_BASE_URL=' }).first();
          await line.waitFor();
          const seen = await line.evaluate((code) => ({
            page: document.documentElement.scrollWidth,
            right: code.getBoundingClientRect().right,
            card: (code.closest('.card') ?? document.body).getBoundingClientRect().right,
          }));
          expect(seen.page, path).toBeLessThanOrEqual(390);
          expect(seen.right, path).toBeLessThanOrEqual(seen.card);
        }
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
      }
      expect(errors).toEqual([]);
    });

    it('puts adding an account first on the Overview, before pointing Claude Code at the gateway', async () => {
      const errors = await usePage(page, 'light');
      await page.goto(`${gw.url}/`);
      const first = page.locator('[data-first-step="account"]');
      await first.waitFor();
      expect(await first.textContent()).toBe(
        `No accounts yet: requests through the gateway have nowhere to go. Add an account. Then point Claude Code at this gateway: ANTHROPIC_BASE_URL=${gw.url}`,
      );
      await first.getByRole('link', { name: 'Add an account' }).click();
      await page.getByRole('heading', { name: 'Accounts', exact: true }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/accounts');

      // With an account, the Overview asks for requests instead.
      await gw.addApiKey('first', 'sk-ant-api03-dashboard-first');
      await page.goto(`${gw.url}/`);
      await page.getByRole('status').filter({ hasText: 'No requests in this range' }).waitFor();
      expect(await first.count()).toBe(0);
      expect(errors).toEqual([]);
    });

    it("draws the success rate's course only once two buckets have one: a single bucket is no course", async () => {
      const errors = await usePage(page, 'light');
      const account = await gw.addApiKey('spark', 'sk-ant-api03-dashboard-spark');
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      const at = (ts: number, id: string) =>
        sampleRecord({ id, ts, accountId: account.id, accountName: 'spark', modelApplied: 'claude-sonnet-4-5' });
      // Mid-hour, so the bucket is the same however the range's buckets are cut.
      await gw.store.requests.writeBatch([at(hour - 30 * 60_000, 'one-bucket')], []);
      await page.goto(`${gw.url}/`);
      const card = page.locator('.stat', { has: page.locator('[data-stat="Success rate"]') });
      await expect.poll(() => page.locator('[data-stat="Success rate"]').textContent()).toBe('100.0%');
      // It was one dot in the card's corner that looked like a glitch.
      expect(await card.locator('svg.sparkline').count()).toBe(0);

      await gw.store.requests.writeBatch([at(hour - 3 * 3_600_000 - 30 * 60_000, 'another-bucket')], []);
      await page.reload();
      await card.locator('svg.sparkline').waitFor();
      expect(await card.getByRole('img').getAttribute('aria-label')).toBe(
        'Success rate per bucket over the range, 100.0% overall',
      );
      expect(errors).toEqual([]);
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

    it('shows the login screen (light, dark) and signs in with the admin key', async () => {
      const errors = await usePage(page, 'light');
      await page.goto(`${gw.url}/`);
      await page.getByRole('heading', { name: 'Sign in to ccflare' }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
      await shot(page, 'login-light');
      await switchTheme(page, 'dark');
      await shot(page, 'login-dark');

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
    });
  });
});
