/**
 * Token windows in the dashboard (Chromium): the Overview's card of tokens and cost in the last
 * 5 hours per account, next to its own 5h/7d utilization, and per client key; and each active
 * client key's 5-hour and today figures in Settings. Records are seeded through the store's
 * batched write, so the figures come from the rollups the writer keeps.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, shot, usePage } from '../support/browser.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard token usage browser tests');
const HOUR = 3_600_000;

let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;

describe.skipIf(!hasChromium)('token windows in the dashboard', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([{ name: 'main', key: 'sk-ant-api03-token-usage-dashboard' }]);
    ({ page, gw } = rig);
    const main = await gw.account('main');
    const now = Date.now();
    await gw.store.accounts.update(main.id, {
      rateLimit: {
        observedAt: now - 60_000,
        status: 'allowed',
        resetAt: now + HOUR,
        fiveHour: { status: 'allowed', utilization: 0.37, resetAt: now + HOUR },
        sevenDay: { status: 'allowed', utilization: 0.12, resetAt: now + 50 * HOUR },
        representativeClaim: 'five_hour',
      },
    });
    // An active key locks the proxy; the test only reads.
    await gw.store.keys.insert({ name: 'laptop', prefix: 'ccf_lapt', digest: 'digest-laptop' }, now - HOUR);
    await gw.store.requests.writeBatch(
      [1, 2, 3].map((i) =>
        sampleRecord({
          id: `tw-${i}`,
          ts: now - i * 20 * 60_000,
          accountId: main.id,
          accountName: 'main',
          clientKey: 'laptop',
          inputTokens: 100,
          cacheReadTokens: 900,
          outputTokens: 50,
          costUsd: 0.25,
        }),
      ),
      [],
    );
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('shows the 5-hour tokens and cost per account and key on the Overview', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/`);
    const card = page.getByRole('region', { name: 'Tokens in the last 5 hours' });
    await card.locator('[data-token-total]').waitFor();
    expect(await card.locator('[data-token-total]').textContent()).toBe('3,000 in / 150 out · $0.75 · 3 requests');
    const accounts = card.getByRole('table', { name: 'Tokens and cost per account in the last 5 hours' });
    const main = accounts.getByRole('row', { name: /^main/ });
    const cells = await main.getByRole('cell').allTextContents();
    // The third cell is today's cost: within an hour of local midnight some of it is yesterday's.
    expect([cells[0], cells[1], cells[3]]).toEqual(['3,000 in / 150 out', '$0.75', '5 h 37% · 7 d 12% used']);
    const keys = card.getByRole('table', { name: 'Tokens and cost per client key in the last 5 hours' });
    expect(
      await keys
        .getByRole('row', { name: /^laptop/ })
        .getByRole('cell')
        .first()
        .textContent(),
    ).toBe('3,000 in / 150 out');
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'overview-token-windows-light');
    expect(errors).toEqual([]);
  });

  it("shows each active key's 5-hour and today usage in Settings", async () => {
    const errors = await usePage(page, 'dark');
    await page.goto(`${gw.url}/settings`);
    const keys = page.getByRole('region', { name: 'Client keys' });
    const row = keys.getByRole('row', { name: 'Client key laptop' });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('3,000 in / 150 out · $0.75');
    const headers = await keys.getByRole('columnheader').allTextContents();
    expect(headers).toContain('Tokens and cost, last 5 hours');
    expect(headers).toContain('Tokens and cost today');
    await shot(page, 'settings-key-usage-dark');
    expect(errors).toEqual([]);
  });
});
