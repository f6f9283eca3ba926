/**
 * The dashboard's notifications in Chromium: adding a channel, its event switches, "send test",
 * the thresholds and the delivery log in Settings, and the bell in the header. Screenshots go to
 * test-artifacts/ (dashboard-notify-*.png).
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerApprovalEvent } from '../../src/notify/detector.js';
import { api } from '../support/api-request.js';
import { ARTIFACTS, chromiumAvailable, launchChromium, sharedPage, shot, usePage } from '../support/browser.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const hasChromium = chromiumAvailable('dashboard notifications browser tests');
const TOKEN = 'HOOKTOKEN42';

let browser: Browser;
let page: Page;
let up: FakeUpstream;
let gw: TestGateway;
let ok: WebhookReceiver;
let failing: WebhookReceiver;

describe.skipIf(!hasChromium)('dashboard notifications in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    ({ page } = await sharedPage(browser));
    up = await startFakeUpstream();
    ok = await startWebhookReceiver(() => 200);
    failing = await startWebhookReceiver(() => 500);
    gw = await startGateway({ upstreamUrl: up.url });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await up?.close();
    await ok?.close();
    await failing?.close();
  });

  it('adds channels, switches events, sends tests and shows the delivery log and thresholds', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/settings`);
    const section = page.getByRole('region', { name: 'Notifications' });
    await section.getByRole('row', { name: 'Channel dashboard' }).waitFor();

    const add = section.getByRole('form', { name: 'Add a channel' });
    await add.getByLabel('Name').fill('ops-hook');
    await add.getByLabel('URL').fill(`${ok.url}/hooks/${TOKEN}`);
    await add.getByLabel(/Signing secret/).fill('a-signing-secret');
    await add.getByLabel('Worker waiting for approval').uncheck();
    await add.getByRole('button', { name: 'Add channel' }).click();
    await section.getByText('Channel ops-hook added.').waitFor();
    const row = section.getByRole('row', { name: 'Channel ops-hook' });
    await row.waitFor();
    expect(await row.textContent()).toContain('signed');
    expect(await row.locator('[data-col="url"]').textContent()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/••••/);
    expect(await page.content()).not.toContain(TOKEN);
    expect(await row.locator('[data-col="events"] summary').textContent()).toBe('7 of 8 events');

    await add.getByLabel('Name').fill('broken');
    await add.getByLabel('Kind').selectOption('slack');
    await add.getByLabel('URL').fill(`${failing.url}/services/T/B/x`);
    await add.getByRole('button', { name: 'Add channel' }).click();
    await section.getByRole('row', { name: 'Channel broken' }).waitFor();

    // A name in use: refused, and the refusal goes once the name is changed.
    await add.getByLabel('Name').fill('broken');
    await add.getByLabel('URL').fill(`${failing.url}/services/T/B/y`);
    await add.getByRole('button', { name: 'Add channel' }).click();
    await add.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    await add.getByLabel('Name').fill('broken-2');
    expect(await add.getByRole('alert').count()).toBe(0);
    await add.getByLabel('Name').fill('');
    // Each kind's name whole in the select, not "Webhook (J".
    await add.getByLabel('Kind').selectOption('webhook');
    const kind = await add.getByLabel('Kind').evaluate((el) => {
      const select = el as HTMLSelectElement;
      const probe = document.createElement('span');
      probe.style.font = getComputedStyle(select).font;
      probe.textContent = select.selectedOptions[0]?.textContent ?? '';
      document.body.append(probe);
      const text = probe.getBoundingClientRect().width;
      probe.remove();
      return { text, box: select.clientWidth };
    });
    expect(kind.box, 'the select against its text').toBeGreaterThan(kind.text + 16);

    // An event switch applies at once.
    await row.locator('[data-col="events"] summary').click();
    // click, not uncheck(): the box shows the saved state, which comes back with the API's answer
    // (uncheck() fails when that takes longer than its one look after the click).
    await row.getByLabel('Accounts serving again').click();
    await expect.poll(() => row.getByLabel('Accounts serving again').isChecked()).toBe(false);
    await expect
      .poll(async () => {
        const { channels } = (await api(gw.url, 'GET', '/api/notify/channels')).json;
        return channels.find((c: { name: string }) => c.name === 'ops-hook').events;
      })
      .not.toContain('pool.recovered');
    expect(await row.locator('[data-col="events"] summary').textContent()).toBe('6 of 8 events');

    await section.getByRole('button', { name: 'Send a test to ops-hook' }).click();
    await section.getByText('Test delivered to ops-hook.').waitFor();
    await section.getByRole('button', { name: 'Send a test to broken' }).click();
    await section.getByText('Test to broken failed: HTTP 500: receiver says no').waitFor();
    expect(ok.received[0]?.json).toMatchObject({ type: 'test', subject: 'ops-hook' });
    expect(ok.received[0]?.headers['x-ccflare-signature']).toMatch(/^sha256=/);

    const log = section.getByRole('table', { name: 'Delivery log' });
    await log.locator('tr[data-status="failed"]').waitFor();
    expect(await log.locator('tr[data-status="failed"] [data-col="error"]').textContent()).toBe(
      'HTTP 500: receiver says no',
    );
    expect(await log.locator('tr[data-status="delivered"] th').textContent()).toBe('ops-hook');

    const rules = section.getByRole('form', { name: 'Thresholds' });
    await rules.getByLabel('Spend per day').fill('25');
    await rules.getByLabel('Failed requests in 5 min (%)').fill('30');
    await rules.getByRole('button', { name: 'Save thresholds' }).click();
    await rules.getByText('Saved. Applied at once.').waitFor();
    const saved = (await api(gw.url, 'GET', '/api/notify/rules')).json;
    expect(saved).toMatchObject({ spend: { dailyUsd: 25 }, errorRate: { percent: 30 } });

    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: join(ARTIFACTS, 'dashboard-notify-settings.png') });
    await log.screenshot({ path: join(ARTIFACTS, 'dashboard-notify-delivery-log.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await section.screenshot({ path: join(ARTIFACTS, 'dashboard-notify-settings-dark.png') });
    // The browser logs the refused add.
    expect(errors).toEqual([expect.stringContaining('409 (Conflict)')]);
  });

  it('edits a channel: name, URL (write-only, masked), secret removed, events and on/off', async () => {
    const errors = await usePage(page, 'light');
    const moved = await startWebhookReceiver(() => 200);
    try {
      await page.goto(`${gw.url}/settings`);
      const section = page.getByRole('region', { name: 'Notifications' });
      await section.getByRole('button', { name: 'Edit ops-hook' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit channel ops-hook' });
      await dialog.waitFor();
      // The URL is never sent back: the field is empty, its placeholder and help show the masked origin.
      const urlField = dialog.getByLabel('New URL');
      expect(await urlField.inputValue()).toBe('');
      expect(await urlField.getAttribute('placeholder')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/••••$/);
      expect(await page.content()).not.toContain(TOKEN);

      await dialog.getByLabel('Name', { exact: true }).fill('ops-edited');
      await urlField.fill(`${moved.url}/hooks/NEWTOKEN`);
      await dialog.getByLabel('Remove the signing secret').check();
      await dialog.getByLabel('No usable account (503s)').uncheck();
      await dialog.getByLabel('On', { exact: true }).uncheck();
      await dialog.screenshot({ path: join(ARTIFACTS, 'dashboard-notify-edit-channel.png') });
      await dialog.getByRole('button', { name: 'Save' }).click();
      await section.getByText('Channel ops-edited saved.').waitFor();

      const row = section.getByRole('row', { name: 'Channel ops-edited' });
      await row.waitFor();
      expect(await section.getByRole('row', { name: 'Channel ops-hook' }).count()).toBe(0);
      expect(await row.textContent()).not.toContain('signed');
      expect(await row.getByLabel('Send to ops-edited').isChecked()).toBe(false);
      expect((await row.locator('[data-col="url"]').textContent())?.trim()).toBe(`${new URL(moved.url).origin}/••••`);
      const { channels } = (await api(gw.url, 'GET', '/api/notify/channels')).json;
      const saved = channels.find((c: { name: string }) => c.name === 'ops-edited');
      expect(saved).toMatchObject({ signed: false, enabled: false });
      expect(saved.events).not.toContain('pool.exhausted');

      // The new URL is the one used: a test reaches the new receiver, unsigned.
      await section.getByRole('button', { name: 'Send a test to ops-edited' }).click();
      await section.getByText('Test delivered to ops-edited.').waitFor();
      expect(moved.received[0]?.path).toBe('/hooks/NEWTOKEN');
      expect(moved.received[0]?.headers['x-ccflare-signature']).toBeUndefined();
      expect(await page.content()).not.toContain('NEWTOKEN');
      expect(errors).toEqual([]);
    } finally {
      await moved.close();
    }
  });

  it('shows unread events under the bell and marks them read', async () => {
    const errors = await usePage(page, 'light');
    gw.server.notifier.notify(workerApprovalEvent('builder', 'wants to push to main'));
    await expect.poll(async () => (await api(gw.url, 'GET', '/api/notify/inbox')).json.unread).toBeGreaterThan(0);
    await page.goto(`${gw.url}/`);
    const bell = page.getByRole('button', { name: /unread notification/ });
    await bell.waitFor();
    const unread = (await api(gw.url, 'GET', '/api/notify/inbox')).json.unread as number;
    expect(await page.getByTestId('bell-count').textContent()).toBe(String(unread));
    await bell.click();
    const panel = page.getByRole('region', { name: 'Notifications' });
    await panel.getByText('Worker builder is waiting for approval').waitFor();
    await shot(page, 'notify-bell');
    await panel.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
    expect(await page.getByTestId('bell-count').count()).toBe(0);
    expect((await api(gw.url, 'GET', '/api/notify/inbox')).json.unread).toBe(0);

    // A new notice arrives over the live stream, without a reload and long before the fallback
    // poll (60 s): the open panel lists it and the count comes back.
    gw.server.notifier.notify(workerApprovalEvent('deployer', 'wants to tag a release'));
    await panel.getByText('Worker deployer is waiting for approval').waitFor({ timeout: 5000 });
    await page.getByTestId('bell-count').waitFor({ timeout: 5000 });
    expect(await page.getByTestId('bell-count').textContent()).toBe('1');
    expect(errors).toEqual([]);
  });
});
