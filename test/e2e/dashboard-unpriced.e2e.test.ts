/**
 * Requests of a model without a price (Claude Code's haiku sub-agents arrive as claude-haiku-5-5,
 * which protocol.md section 6 has no price for): the Overview and Analytics say the cost leaves
 * them out, and show that model's cost as "no price" rather than $0.00.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageFromRecords } from '../../src/storage/writer/usage.js';
import { chromiumAvailable, usePage } from '../support/browser.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard unpriced-model browser tests');
const PRICED = 'claude-sonnet-4-5';
const UNPRICED = 'claude-haiku-5-5';
const NOTE = 'Not in the cost: 2 requests of claude-haiku-5-5, which have no price (their cost is unknown, not $0)';

let rig: DashboardRig | undefined;
let page: Page;

describe.skipIf(!hasChromium)('a model without a price in the dashboard', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([{ name: 'alpha', key: 'sk-ant-api03-unpriced-alpha' }]);
    page = rig.page;
    const alpha = await rig.gw.account('alpha');
    const now = Date.now();
    const on = { accountId: alpha.id, accountName: 'alpha' };
    const records = [
      sampleRecord({ id: 'u1', ts: now - 60_000, ...on, modelRequested: PRICED, modelApplied: PRICED, costUsd: 0.5 }),
      sampleRecord({
        id: 'u2',
        ts: now - 50_000,
        ...on,
        modelRequested: UNPRICED,
        modelApplied: UNPRICED,
        costUsd: null,
      }),
      sampleRecord({
        id: 'u3',
        ts: now - 40_000,
        ...on,
        modelRequested: UNPRICED,
        modelApplied: UNPRICED,
        costUsd: null,
      }),
    ];
    await rig.gw.store.requests.writeBatch(records, usageFromRecords(records));
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('Overview and Analytics say the cost leaves those requests out, and show "no price" for the model', async () => {
    const errors = await usePage(page, 'light');
    const gw = rig?.gw;
    await page.goto(`${gw?.url}/`);
    await expect.poll(() => page.locator('[data-note="chart-cost"]').textContent()).toBe(NOTE);
    const mix = page.getByRole('region', { name: 'Model mix' });
    await mix.locator(`[data-mix="${UNPRICED}"]`).waitFor();
    expect(await mix.locator(`[data-mix="${UNPRICED}"] td`).last().textContent()).toContain('no price');

    await page.goto(`${gw?.url}/analytics`);
    await expect.poll(() => page.locator('[data-note="an-cost"]').textContent()).toBe(NOTE);
    const byModel = page.getByRole('table', { name: 'By model' });
    expect(await byModel.locator(`tr[data-row="${UNPRICED}"] [data-col="cost"]`).textContent()).toBe('no price');
    expect(await byModel.locator(`tr[data-row="${PRICED}"] [data-col="cost"]`).textContent()).toBe('$0.50');
    expect(errors).toEqual([]);
  });
});
