import { readFileSync, writeFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api-request.js';
import { chromiumAvailable, launchChromium, sharedPage, shot, switchTheme, usePage } from '../support/browser.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const hasChromium = chromiumAvailable('dashboard Settings browser tests');

const HOUR = 3_600_000;
const ADMIN_KEY = 'dashboard-settings-admin-key-0123456789';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let up: FakeUpstream;

/** A proxied request the way Claude Code sends it, with the given client-key headers. */
async function proxy(gw: TestGateway, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  return res.status;
}

async function openSettings(page: Page, gw: TestGateway): Promise<void> {
  await page.goto(`${gw.url}/settings`);
  await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
  await page.getByRole('list', { name: 'Runtime settings' }).waitFor();
}

describe.skipIf(!hasChromium)('dashboard Settings in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    ({ context, page } = await sharedPage(browser));
    up = await startFakeUpstream();
  });
  afterAll(async () => {
    await browser?.close();
    await up?.close();
  });

  describe('without an admin key, payload retention pinned by the environment', () => {
    let gw: TestGateway;

    beforeAll(async () => {
      gw = await startGateway({
        upstreamUrl: up.url,
        env: { CCFLARE_PAYLOAD_RETENTION_DAYS: '14' },
        setup: (g) => g.addApiKey('main', 'sk-ant-api03-settings-main').then(() => {}),
      });
    });
    afterAll(async () => {
      await gw?.close();
    });

    it('shows every setting with its value, source and doc; the pinned one read-only (light, dark)', async () => {
      const errors = await usePage(page, 'light');
      await openSettings(page, gw);
      const form = (name: string) => page.getByRole('form', { name });

      const session = form('Session window');
      expect(await session.locator('[data-current="sessionMs"]').textContent()).toBe('5 h');
      expect(await session.locator('.source').textContent()).toBe('Default');
      expect(await session.textContent()).toContain('Session window of the session strategy');
      expect(await session.getByLabel('Session window hours').inputValue()).toBe('5');
      expect(await session.getByLabel('Session window minutes').inputValue()).toBe('0');
      // Nothing stored yet: there is no stored value to reset.
      expect(await session.getByRole('button', { name: /Reset/ }).count()).toBe(0);

      const requests = form('Request retention');
      expect(await requests.locator('[data-current="requestRetentionDays"]').textContent()).toBe('90 days');
      expect(await requests.getByLabel('Request retention days').inputValue()).toBe('90');
      expect(await requests.textContent()).toContain('Days request rows are kept');

      const payloads = form('Payload retention');
      expect(await payloads.locator('[data-setting="payloadRetentionDays"]').textContent()).toBe('14 days');
      expect(await payloads.locator('.source').textContent()).toBe('Environment');
      expect(await payloads.textContent()).toContain(
        'Read-only: set by the environment variable CCFLARE_PAYLOAD_RETENTION_DAYS',
      );
      expect(await payloads.getByRole('button').count()).toBe(0);
      expect(await payloads.locator('input').count()).toBe(0);

      const capture = form('Payload capture');
      expect(await capture.getByLabel('Store request and response bodies').isChecked()).toBe(true);
      expect(await capture.locator('[data-current="payloadCapture"]').textContent()).toBe('On');

      const cap = form('Max payload size');
      expect(await cap.locator('[data-current="payloadMaxBytes"]').textContent()).toBe('256 KB');
      expect(await cap.getByLabel('Max payload size', { exact: true }).inputValue()).toBe('256');
      expect(await cap.getByLabel('Max payload size unit').inputValue()).toBe('KB');

      expect(await form('Strategy').getByLabel('Strategy', { exact: true }).inputValue()).toBe('session');

      expect(await page.locator('[data-proxy-state]').getAttribute('data-proxy-state')).toBe('open');
      expect(await page.locator('[data-admin-key]').getAttribute('data-admin-key')).toBe('unset');
      expect(await page.getByRole('region', { name: 'Admin key' }).textContent()).toContain('Not set');
      await shot(page, 'settings-light');
      await switchTheme(page, 'dark');
      await shot(page, 'settings-dark');
      expect(errors).toEqual([]);
    });

    it('saves the session window in hours, refuses an invalid one without saving, and resets it', async () => {
      const errors = await usePage(page, 'light');
      await openSettings(page, gw);
      const session = page.getByRole('form', { name: 'Session window' });
      const hours = session.getByLabel('Session window hours');
      const minutes = session.getByLabel('Session window minutes');

      await hours.fill('2');
      await session.getByText('Not saved yet').waitFor();
      await session.getByRole('button', { name: 'Save Session window' }).click();
      await session.getByRole('status').filter({ hasText: 'Saved: now 2 h.' }).waitFor();
      expect(await session.locator('.source').textContent()).toBe('Saved here');
      expect(await session.locator('[data-current="sessionMs"]').textContent()).toBe('2 h');
      let config = (await api(gw.url, 'GET', '/api/config')).json;
      expect(config.sessionMs).toMatchObject({ value: 2 * HOUR, source: 'database', pinned: false });

      // 30 seconds is below the 1-minute floor: said next to the field, nothing sent, input kept.
      await hours.fill('0');
      await minutes.fill('0.5');
      const error = session.getByRole('alert');
      await error.filter({ hasText: 'Choose between 1 min and 168 h. Not saved.' }).waitFor();
      expect(await hours.getAttribute('aria-invalid')).toBe('true');
      await session.getByRole('button', { name: 'Save Session window' }).click();
      // 200 h is above the 7-day ceiling.
      await hours.fill('200');
      await minutes.fill('0');
      await error.filter({ hasText: 'Choose between 1 min and 168 h' }).waitFor();
      await session.getByRole('button', { name: 'Save Session window' }).click();
      expect(await hours.inputValue()).toBe('200');
      config = (await api(gw.url, 'GET', '/api/config')).json;
      expect(config.sessionMs.value).toBe(2 * HOUR);
      expect(await session.locator('[data-current="sessionMs"]').textContent()).toBe('2 h');

      // 1 h 30 min, then back to the default.
      await hours.fill('1');
      await minutes.fill('30');
      await session.getByRole('button', { name: 'Save Session window' }).click();
      await session.getByRole('status').filter({ hasText: 'Saved: now 1 h 30 min.' }).waitFor();
      expect((await api(gw.url, 'GET', '/api/config')).json.sessionMs.value).toBe(90 * 60_000);

      await session.getByRole('button', { name: 'Reset Session window to default' }).click();
      await session.getByRole('status').filter({ hasText: 'Reset: now 5 h (default).' }).waitFor();
      expect(await hours.inputValue()).toBe('5');
      expect(await session.locator('.source').textContent()).toBe('Default');
      expect(await session.getByRole('button', { name: /Reset/ }).count()).toBe(0);
      config = (await api(gw.url, 'GET', '/api/config')).json;
      expect(config.sessionMs).toMatchObject({ value: 5 * HOUR, source: 'default' });

      // The payload cap in MB and capture off, each saved on its own.
      const cap = page.getByRole('form', { name: 'Max payload size' });
      await cap.getByLabel('Max payload size', { exact: true }).fill('2');
      await cap.getByLabel('Max payload size unit').selectOption('MB');
      await cap.getByRole('button', { name: 'Save Max payload size' }).click();
      await cap.getByRole('status').filter({ hasText: 'Saved: now 2 MB.' }).waitFor();
      const capture = page.getByRole('form', { name: 'Payload capture' });
      await capture.getByLabel('Store request and response bodies').uncheck();
      await capture.getByRole('button', { name: 'Save Payload capture' }).click();
      await capture.getByRole('status').filter({ hasText: 'Saved: now Off.' }).waitFor();
      config = (await api(gw.url, 'GET', '/api/config')).json;
      expect(config.payloadMaxBytes).toMatchObject({ value: 2 * 1024 * 1024, source: 'database' });
      expect(config.payloadCapture).toMatchObject({ value: false, source: 'database' });
      // Back to defaults for the other tests.
      expect((await api(gw.url, 'PATCH', '/api/config', { payloadMaxBytes: null, payloadCapture: null })).status).toBe(
        200,
      );
      // When the gateway refuses a value the screen let through (here the body is rewritten on its
      // way out, as if the two disagreed), its 400 message shows next to the field and the typed
      // value stays.
      await page.route('**/api/config', (route) =>
        route.request().method() === 'PATCH'
          ? route.continue({ postData: JSON.stringify({ requestRetentionDays: 5000 }) })
          : route.continue(),
      );
      const requests = page.getByRole('form', { name: 'Request retention' });
      const days = requests.getByLabel('Request retention days');
      await days.fill('30');
      await requests.getByRole('button', { name: 'Save Request retention' }).click();
      await requests
        .getByRole('alert')
        .filter({ hasText: 'The gateway refused this value: Invalid requestRetentionDays: 5000' })
        .waitFor();
      expect(await requests.getByRole('alert').textContent()).toContain('your input is kept');
      expect(await days.inputValue()).toBe('30');
      expect((await api(gw.url, 'GET', '/api/config')).json.requestRetentionDays).toMatchObject({
        value: 90,
        source: 'default',
      });
      await page.unroute('**/api/config');
      await requests.getByRole('button', { name: 'Save Request retention' }).click();
      await requests.getByRole('status').filter({ hasText: 'Saved: now 30 days.' }).waitFor();
      expect(await requests.getByRole('alert').count()).toBe(0);
      expect((await api(gw.url, 'GET', '/api/config')).json.requestRetentionDays).toMatchObject({
        value: 30,
        source: 'database',
      });
      await requests.getByRole('button', { name: 'Reset Request retention to default' }).click();
      await requests.getByRole('status').filter({ hasText: 'Reset: now 90 days (default).' }).waitFor();

      // The pinned setting is refused by the API too, as the screen says.
      expect((await api(gw.url, 'PATCH', '/api/config', { payloadRetentionDays: 3 })).status).toBe(409);
      // Only the expected refusal of the rewritten value.
      expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
      expect(errors).toHaveLength(1);
    });

    it('refuses an empty analysis model, saying what to enter, and saves nothing', async () => {
      const errors = await usePage(page, 'light');
      await openSettings(page, gw);
      const form = page.getByRole('form', { name: 'Analysis model' });
      const field = form.getByLabel('Analysis model', { exact: true });
      await field.fill('');
      await form.getByRole('button', { name: 'Save Analysis model' }).click();
      await form.getByRole('alert').filter({ hasText: 'An analysis has to ask some model' }).waitFor();
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      expect(await form.getByText(/^Saved/).count()).toBe(0);
      expect((await api(gw.url, 'GET', '/api/config')).json.conversationAnalysisModel).toMatchObject({
        value: 'claude-sonnet-4-6',
        source: 'default',
      });
      expect(errors).toEqual([]);
    });

    it('creates a client key shown once, which then locks the proxy, and revokes it', async () => {
      const errors = await usePage(page, 'light');
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
      expect(await proxy(gw)).toBe(200);
      await openSettings(page, gw);
      const keys = page.getByRole('region', { name: 'Client keys' });
      // The card renders before its list arrives ("Loading client keys…").
      await keys.getByText('No active client key').waitFor();

      await keys.getByLabel('Key name').fill('laptop');
      await keys.getByRole('button', { name: 'Create key' }).click();
      const reveal = keys.getByRole('region', { name: 'New client key “laptop”' });
      await reveal.waitFor();
      const key = (await reveal.getByTestId('new-key').textContent()) ?? '';
      expect(key).toMatch(/^ccf_[A-Za-z0-9]{40}$/);
      expect(await reveal.textContent()).toContain("Copy it now: it won't be shown again.");
      await reveal.getByRole('button', { name: 'Copy' }).click();
      await reveal.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
      await shot(page, 'settings-new-key-light');

      const row = keys.getByRole('row', { name: 'Client key laptop' });
      await row.waitFor();
      expect(await row.textContent()).toContain(`${key.slice(0, 8)}…`);
      expect(await row.textContent()).toContain('Never');
      expect(await keys.locator('[data-proxy-state]').getAttribute('data-proxy-state')).toBe('locked');
      expect(await keys.textContent()).toContain('Key required');

      // The proxy now wants a client key, in either header Claude Code uses.
      await expect.poll(() => proxy(gw), { timeout: 3000 }).toBe(401);
      expect(await proxy(gw, { 'x-api-key': key })).toBe(200);
      expect(await proxy(gw, { authorization: `Bearer ${key}` })).toBe(200);
      // The last character changed (never to itself: a key ending in "x" must not stay valid).
      expect(await proxy(gw, { 'x-api-key': `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}` })).toBe(401);

      // A taken name: the server's message next to the field, the typed name kept.
      await keys.getByLabel('Key name').fill('laptop');
      await keys.getByRole('button', { name: 'Create key' }).click();
      await keys.getByRole('alert').filter({ hasText: 'laptop' }).waitFor();
      expect(await keys.getByLabel('Key name').inputValue()).toBe('laptop');
      expect(await keys.getByLabel('Key name').getAttribute('aria-invalid')).toBe('true');

      // Dismissed, the key is gone from the page for good.
      await reveal.getByRole('button', { name: 'Done, I saved it' }).click();
      await reveal.waitFor({ state: 'detached' });
      await expect.poll(async () => (await api(gw.url, 'GET', '/api/keys')).json.keys[0].lastUsedAt).not.toBeNull();
      await page.reload();
      await row.waitFor();
      expect(await page.content()).not.toContain(key);
      expect(await row.textContent()).not.toContain('Never');

      await row.getByRole('button', { name: 'Revoke laptop' }).click();
      const dialog = page.getByRole('dialog', { name: 'Revoke laptop?' });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('last active key');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await row.count()).toBe(1);
      await row.getByRole('button', { name: 'Revoke laptop' }).click();
      await dialog.getByRole('button', { name: 'Revoke key' }).click();
      await row.waitFor({ state: 'detached' });
      await keys.getByRole('status').filter({ hasText: 'Revoked laptop.' }).waitFor();
      expect(await keys.locator('[data-proxy-state]').getAttribute('data-proxy-state')).toBe('open');
      expect(await keys.getByText('Revoked keys (1)').count()).toBe(1);
      const listed = (await api(gw.url, 'GET', '/api/keys')).json.keys;
      expect(listed).toMatchObject([{ name: 'laptop', active: false }]);
      // No active key is left, so the proxy is open again, as the screen says.
      await expect.poll(() => proxy(gw), { timeout: 3000 }).toBe(200);
      // Only the expected refusal of the taken name.
      expect(errors.filter((e) => !e.includes('409'))).toEqual([]);
    });

    it("edits a key's limits: 0 and text that is no amount refused in the dialog (sent as NaN, text would arrive as no limit), 2M and $50 read as the CLI does, saved limits shown as use bars; over them the proxy answers 429", async () => {
      const errors = await usePage(page, 'light');
      const created = (await api(gw.url, 'POST', '/api/keys', { name: 'team' })).json;
      const key = created.key as string;
      await openSettings(page, gw);
      const keys = page.getByRole('region', { name: 'Client keys' });
      const row = keys.getByRole('row', { name: 'Client key team' });
      await row.waitFor();
      expect(await row.textContent()).toContain('No limits');

      await row.getByRole('button', { name: 'Edit the limits of team' }).click();
      const dialog = page.getByRole('dialog', { name: 'Limits of team' });
      await dialog.waitFor();
      await dialog.getByLabel('Requests per minute').fill('0');
      await dialog.getByRole('button', { name: 'Save limits' }).click();
      await dialog
        .getByRole('alert')
        .filter({ hasText: 'Requests per minute: enter a whole number of at least 1 (60, 500k, 2M)' })
        .waitFor();
      await dialog.getByLabel('Requests per minute').fill('2');
      await dialog.getByLabel('Cost per month (USD)').fill('fifty');
      await dialog.getByRole('button', { name: 'Save limits' }).click();
      await dialog
        .getByRole('alert')
        .filter({ hasText: 'Cost per month (USD): enter an amount in USD above 0' })
        .waitFor();
      expect(
        (await api(gw.url, 'GET', '/api/keys')).json.keys.find((k: { name: string }) => k.name === 'team').limits,
      ).toEqual({ rpm: null, tokensPerDay: null, costPerMonthUsd: null, models: null });
      // Read as the CLI reads them.
      await dialog.getByLabel('Tokens per day (in + out)').fill('2M');
      await dialog.getByLabel('Cost per month (USD)').fill('$50');
      await dialog.getByLabel(/Allowed models/).fill('sonnet, haiku');
      await dialog.getByRole('button', { name: 'Save limits' }).click();
      await dialog.waitFor({ state: 'detached' });
      await keys.getByRole('status').filter({ hasText: 'Limits of team saved' }).waitFor();
      expect(
        (await api(gw.url, 'GET', '/api/keys')).json.keys.find((k: { name: string }) => k.name === 'team').limits,
      ).toEqual({
        rpm: 2,
        tokensPerDay: 2_000_000,
        costPerMonthUsd: 50,
        models: ['sonnet', 'haiku'],
      });

      // Applied before the API answered: two requests pass, the third is over the rpm limit.
      expect(await proxy(gw, { 'x-api-key': key })).toBe(200);
      expect(await proxy(gw, { 'x-api-key': key })).toBe(200);
      expect(await proxy(gw, { 'x-api-key': key })).toBe(429);
      await page.reload();
      const limits = keys.getByTestId('limits-team');
      await expect
        .poll(async () => await limits.textContent(), { timeout: 3000 })
        .toContain('Requests in the last minute: 2 / 2');
      expect(await limits.locator('meter').count()).toBe(3);
      expect(await limits.textContent()).toContain('Models: sonnet, haiku');
      expect(await limits.textContent()).toMatch(/Tokens today \(UTC\): [\d,]+ \/ 2,000,000/);
      await shot(page, 'settings-key-limits-light');
      await switchTheme(page, 'dark');
      await shot(page, 'settings-key-limits-dark');
      await switchTheme(page, 'light');

      expect((await api(gw.url, 'DELETE', '/api/keys/team')).status).toBe(200);
      expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
    });

    it("connects Claude Code: the planned change shown, written after confirming with the user's keys kept, and undone", async () => {
      const errors = await usePage(page, 'light');
      const file = gw.config.claudeSettingsFile;
      const original = `${JSON.stringify({ model: 'opus', env: { FOO: 'bar' } }, null, 2)}\n`;
      writeFileSync(file, original);
      await openSettings(page, gw);
      const card = page.getByRole('region', { name: 'Connect Claude Code' });
      await card.locator('[data-connect-state="not-connected"]').waitFor();
      expect(await card.textContent()).toContain(file);
      const planned = card.getByRole('figure', { name: 'Change to connect' });
      expect(await planned.textContent()).toBe(`+ "ANTHROPIC_BASE_URL": "${gw.url}"`);
      await shot(page, 'settings-connect-claude-code-light');

      await card.getByRole('button', { name: 'Connect Claude Code' }).click();
      const dialog = page.getByRole('dialog', { name: 'Connect Claude Code?' });
      await dialog.waitFor();
      expect(await dialog.getByRole('figure', { name: 'Planned change' }).textContent()).toBe(
        `+ "ANTHROPIC_BASE_URL": "${gw.url}"`,
      );
      // Cancel writes nothing.
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(readFileSync(file, 'utf8')).toBe(original);

      await card.getByRole('button', { name: 'Connect Claude Code' }).click();
      await dialog.getByRole('button', { name: 'Write settings' }).click();
      await card
        .getByRole('status')
        .filter({ hasText: `Claude Code now uses ccflare at ${gw.url}` })
        .waitFor();
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
        model: 'opus',
        env: { FOO: 'bar', ANTHROPIC_BASE_URL: gw.url },
      });
      await card.locator('[data-connect-state="connected"]').waitFor();
      expect(await card.getByRole('button', { name: 'Connect Claude Code' }).isDisabled()).toBe(true);

      await card.getByRole('button', { name: 'Disconnect' }).click();
      const undo = page.getByRole('dialog', { name: 'Disconnect Claude Code?' });
      await undo.waitFor();
      expect(await undo.getByRole('figure', { name: 'Planned change' }).textContent()).toBe(
        `- "ANTHROPIC_BASE_URL": "${gw.url}"`,
      );
      await undo.getByRole('button', { name: 'Restore settings' }).click();
      await card.getByRole('status').filter({ hasText: 'Claude Code no longer uses ccflare' }).waitFor();
      expect(readFileSync(file, 'utf8')).toBe(original);
      await card.locator('[data-connect-state="not-connected"]').waitFor();
      expect(errors).toEqual([]);
    });
  });

  describe('with an admin key', () => {
    let gw: TestGateway;

    beforeAll(async () => {
      gw = await startGateway({ upstreamUrl: up.url, env: { CCFLARE_ADMIN_KEY: ADMIN_KEY } });
    });
    afterAll(async () => {
      await gw?.close();
    });

    it('signs in on /settings and lands on the Settings screen, saying an admin key is set', async () => {
      const errors = await usePage(page, 'light');
      await page.goto(`${gw.url}/settings`);
      await page.getByRole('heading', { name: 'Sign in to ccflare' }).waitFor();
      await page.getByLabel('Admin key').fill(ADMIN_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/settings');
      const session = page.getByRole('form', { name: 'Session window' });
      await session.locator('[data-current="sessionMs"]').waitFor();
      expect(await session.locator('[data-current="sessionMs"]').textContent()).toBe('5 h');
      expect(await page.locator('[data-admin-key]').getAttribute('data-admin-key')).toBe('set');
      // Saving works with the key of the tab.
      await session.getByLabel('Session window hours').fill('3');
      await session.getByRole('button', { name: 'Save Session window' }).click();
      await session.getByRole('status').filter({ hasText: 'Saved: now 3 h.' }).waitFor();
      const config = await api(gw.url, 'GET', '/api/config', undefined, { authorization: `Bearer ${ADMIN_KEY}` });
      expect(config.json.sessionMs).toMatchObject({ value: 3 * HOUR, source: 'database' });
      // Only the 401s of the first, unauthenticated load.
      expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
    });
  });
});
