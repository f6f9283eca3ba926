/**
 * The dashboard shows an account whose attempts fail as failing, with its last upstream errors,
 * and a failed request with the accounts it tried and its retries apart from its failovers.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord, RequestRecord } from '../../src/storage/contract/records.js';
import { usageFromRecords } from '../../src/storage/writer/usage.js';
import { api } from '../support/api-request.js';
import { chromiumAvailable, shot, shownMoment, switchTheme, usePage } from '../support/browser.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { NO_USAGE } from '../support/history-seed.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard failing-account browser tests');

const MIN = 60_000;
const RATE_LIMITED: AttemptRecord = {
  account: 'flaky',
  status: 429,
  error: '429 rate limited (no rate-limit headers): Too many requests',
  ms: 40,
};
const OVERLOADED: AttemptRecord = { account: 'flaky', status: 529, error: '529 overloaded: Overloaded', ms: 30 };
const SERVED: AttemptRecord = { account: 'steady', status: 200, error: null, ms: 900 };

let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;

describe.skipIf(!hasChromium)('dashboard: failing accounts', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([
      { name: 'flaky', key: 'sk-ant-api03-dashboard-flaky', over: { priority: 0 } },
      { name: 'steady', key: 'sk-ant-api03-dashboard-steady', over: { priority: 1 } },
      {
        name: 'cool',
        key: 'sk-ant-api03-dashboard-cool',
        over: { priority: 2, cooldownUntil: Date.now() + 60 * MIN, cooldownReason: 'rate_limited' },
      },
    ]);
    ({ page, gw } = rig);
    const steady = await gw.account('steady');
    const now = Date.now();
    const served = { accountId: steady.id, accountName: 'steady' };
    // The account: one 429 and four 529s, while another account served what it could.
    const records: RequestRecord[] = [
      sampleRecord({ ...served, id: 'f1', ts: now - 4 * MIN, attempts: 2, attemptLog: [RATE_LIMITED, SERVED] }),
      sampleRecord({
        ...served,
        id: 'f2',
        ts: now - 3 * MIN,
        attempts: 3,
        attemptLog: [OVERLOADED, OVERLOADED, SERVED],
      }),
      sampleRecord({
        ...NO_USAGE,
        id: 'f3',
        ts: now - 2 * MIN,
        status: 529,
        success: false,
        error: 'overloaded_error: Overloaded',
        latencyMs: 600,
        attempts: 2,
        attemptLog: [OVERLOADED, OVERLOADED],
      }),
    ];
    await gw.store.requests.writeBatch(records, usageFromRecords(records));
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('Accounts shows it as Failing, with its attempts and last errors, instead of Active', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/accounts`);
    const flaky = page.getByRole('row', { name: 'Account flaky' });
    await flaky.waitFor();
    await expect.poll(() => flaky.textContent()).toContain('Failing');
    const text = (await flaky.textContent()) ?? '';
    expect(text).not.toContain('Active');
    expect(text).toContain('529 ×4, 429 ×1 (its last 5 errors, all in the last 5 min)');
    expect(text).toContain('5 attempts, 5 failed');
    const list = page.getByRole('list', { name: 'Last errors of flaky' });
    expect(await list.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/529 529 overloaded: Overloaded$/),
      expect.stringMatching(/529 529 overloaded: Overloaded$/),
      expect.stringMatching(/529 529 overloaded: Overloaded$/),
      expect.stringMatching(/529 529 overloaded: Overloaded$/),
      expect.stringMatching(/429 429 rate limited \(no rate-limit headers\): Too many requests$/),
    ]);
    // The account that served since its one failure is fine.
    const steady = page.getByRole('row', { name: 'Account steady' });
    expect(await steady.textContent()).toContain('Active');
    expect(await steady.textContent()).toContain('2 attempts');

    await shot(page, 'accounts-failing-light');
    await switchTheme(page, 'dark');
    await shot(page, 'accounts-failing-dark');
    expect(errors).toEqual([]);
  });

  it('pauses a cooling-down account, and lifts its cooldown with an action named for it', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/accounts`);
    const cool = page.getByRole('row', { name: 'Account cool' });
    await cool.waitFor();
    expect(await cool.textContent()).toContain('Cooling down');
    // It offered only Resume: no way to hold it back once the cooldown ends.
    const end = cool.getByRole('button', { name: 'End the cooldown of cool' });
    expect(await end.textContent()).toBe('End cooldown');
    expect(await end.getAttribute('title')).toContain('before its rate limit says it may');
    await cool.getByRole('button', { name: 'Pause cool' }).click();
    await cool.getByRole('button', { name: 'Resume cool' }).waitFor();
    const paused = (await api(gw.url, 'GET', '/api/accounts/cool')).json;
    expect(paused).toMatchObject({ paused: true, status: 'paused' });
    expect(paused.cooldownUntil).toBeGreaterThan(Date.now());
    expect(await end.count()).toBe(0);

    await cool.getByRole('button', { name: 'Resume cool' }).click();
    await cool.getByRole('button', { name: 'Pause cool' }).waitFor();
    expect(await cool.textContent()).toContain('Active');
    expect(await end.count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('shows the moment in a rate-limit error in local time, as every other time on screen', async () => {
    const errors = await usePage(page, 'light');
    const cool = await gw.account('cool');
    const now = Date.now();
    const until = now + 30 * MIN;
    const error = `429 rate limited (5h) until ${new Date(until).toISOString()}`;
    const limited = [
      sampleRecord({
        ...NO_USAGE,
        accountId: cool.id,
        accountName: 'cool',
        id: 'limited',
        ts: now - MIN,
        status: 429,
        success: false,
        error,
        attempts: 1,
        attemptLog: [{ account: 'cool', status: 429, error, ms: 20 }],
      }),
    ];
    await gw.store.requests.writeBatch(limited, usageFromRecords(limited));
    await gw.store.notify.insertInbox({
      id: 'limited-note',
      type: 'account.rate_limited',
      subject: 'cool',
      severity: 'warning',
      title: 'Account cool is rate limited (5h)',
      text: `The 5h window was rejected; the account is benched until ${new Date(until).toISOString()}.`,
      at: now - MIN,
      readAt: null,
    });
    const local = `429 rate limited (5h) until ${await shownMoment(page, until)}`;
    // The gateway rereads accounts whose counters moved within 2 s (their revision).
    await expect
      .poll(async () => (await api(gw.url, 'GET', '/api/accounts/cool')).json.recentErrors.length, { timeout: 5000 })
      .toBe(1);

    await page.goto(`${gw.url}/accounts`);
    await page.getByRole('row', { name: 'Account cool' }).locator('details.recent-errors summary').click();
    const list = page.getByRole('list', { name: 'Last errors of cool' });
    expect(await list.getByRole('listitem').first().textContent()).toContain(local);

    await page.goto(`${gw.url}/`);
    const recent = page.getByRole('list', { name: 'Recent errors' });
    await expect.poll(async () => (await recent.textContent()) ?? '').toContain(local);
    await page.getByRole('button', { name: /unread notification/ }).click();
    expect(await page.getByRole('region', { name: 'Notifications' }).textContent()).toContain(
      `the account is benched until ${await shownMoment(page, until)}.`,
    );

    await page.goto(`${gw.url}/requests/limited`);
    await page.getByRole('note').filter({ hasText: '429' }).waitFor();
    expect(await page.getByRole('note').filter({ hasText: '429' }).textContent()).toBe(local);
    expect(await page.locator('main').textContent()).not.toContain(new Date(until).toISOString());
    expect(errors).toEqual([]);
  });

  it('Requests names the accounts a failed request tried, and tells retries from failovers', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/requests`);
    const failed = page.locator('tr[data-id="f3"]');
    await failed.waitFor();
    expect(await failed.textContent()).toContain('none (tried flaky)');
    expect(await failed.textContent()).toContain('1 retry');
    expect(await page.locator('tr[data-id="f2"]').textContent()).toContain('1 retry, 1 failover');
    expect(await page.locator('tr[data-id="f1"]').textContent()).toContain('1 failover');
    await shot(page, 'requests-failing-light');

    await page.goto(`${gw.url}/requests/f3`);
    await page.getByRole('heading', { name: 'Attempts (1 retry)' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('none (tried flaky)');
    expect(errors).toEqual([]);
  });
});
