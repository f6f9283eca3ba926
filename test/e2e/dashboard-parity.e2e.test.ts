/**
 * The dashboard pieces ccflare had (issue 13): the Overview's trends against the previous period,
 * success-rate trend, model mix and system status; Analytics' cumulative view, per-model series
 * and speed range; the Requests agent and date-range filters and the copy buttons; the retention
 * card's cleanup, compact and clear history. The six requests of history-seed.ts are the data;
 * every figure below is worked out by hand from them.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import { usageFromRecords } from '../../src/storage/writer/usage.js';
import { chromiumAvailable, shot, shownMoment, switchTheme, usePage } from '../support/browser.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { historySeed } from '../support/history-seed.js';

const hasChromium = chromiumAvailable('dashboard parity browser tests');

const MIN = 60_000;
const HOUR = 60 * MIN;
const SONNET = 'claude-sonnet-4-5';
const OPUS = 'claude-opus-4-1';
const HAIKU = 'claude-haiku-4-5';

const REQUEST_JSON = { model: SONNET, max_tokens: 64, messages: [{ role: 'user', content: 'Say hi' }] };
const RESPONSE_JSON = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi!' }] };

let context: BrowserContext;
let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;
let alpha: AccountRow;
let T0: number;

const stat = (label: string) => page.locator(`[data-stat="${label}"]`);
const trend = (label: string) => page.locator(`[data-trend="${label}"]`);

/** A datetime-local value (the browser's time zone is this process's). */
function localInput(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The ids of the rows the request list shows. */
function listedIds(): Promise<(string | null)[]> {
  return page.locator('tr[data-id]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
}

describe.skipIf(!hasChromium)('dashboard parity pieces in Chromium', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([
      { name: 'alpha', key: 'sk-ant-api03-parity-alpha' },
      { name: 'beta', key: 'sk-ant-api03-parity-beta', over: { priority: 1 } },
    ]);
    ({ context, page, gw } = rig);
    alpha = await gw.account('alpha');
    const beta = await gw.account('beta');
    T0 = Date.now();
    // 1-3 in the last hour (5, 15, 25 min ago), 4 three hours ago: the last 24 hours. 5 and 6 (30 and
    // 40 hours ago) are in the 24 hours before.
    const records = historySeed({
      prefix: 'p',
      at: [T0 - 5 * MIN, T0 - 15 * MIN, T0 - 25 * MIN, T0 - 3 * HOUR, T0 - 30 * HOUR, T0 - 40 * HOUR],
      alpha,
      beta,
      models: { sonnet: SONNET, opus: OPUS, haiku: HAIKU },
    });
    // p1 carries its payload, a JSON request answered with JSON.
    records[0] = {
      ...(records[0] as (typeof records)[0]),
      stream: false,
      payload: {
        requestHeaders: '{"content-type":"application/json"}',
        requestBody: JSON.stringify(REQUEST_JSON),
        responseHeaders: '{"content-type":"application/json"}',
        responseBody: JSON.stringify(RESPONSE_JSON),
        requestTruncated: false,
        responseTruncated: false,
      },
    };
    // The account counters and recent errors as the writer keeps them: p3's 529s on alpha and beta.
    await gw.store.requests.writeBatch(records, usageFromRecords(records));
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('Overview: trends against the previous 24 hours, success-rate course, model mix and system status', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/`);
    // p1-p4 now; p5 and p6 (both succeeded, $1.0001) before.
    await expect.poll(() => stat('Requests').textContent()).toBe('4');
    expect(await trend('Requests').textContent()).toBe('▲+100% vs the previous 24 hours');
    expect(await stat('Success rate').textContent()).toBe('75.0%');
    // 100 % before: down 25 points, bad news.
    expect(await trend('Success rate').textContent()).toBe('▼−25.0 pts vs the previous 24 hours');
    expect(await trend('Success rate').getAttribute('class')).toContain('trend-bad');
    // $0.061 against $1.0001.
    expect(await trend('Cost').textContent()).toBe('▼−94% vs the previous 24 hours');
    // Latency 7,500 / 4 = 1.875 s against (400 + 1,200) / 2 = 800 ms: +134 %, worse.
    expect(await stat('Avg latency').textContent()).toBe('1.88 s');
    expect(await trend('Avg latency').textContent()).toBe('▲+134% vs the previous 24 hours');
    expect(await trend('Avg latency').getAttribute('class')).toContain('trend-bad');
    // The success rate's course: a line over the buckets that had requests.
    await page.getByRole('img', { name: 'Success rate per bucket over the range, 75.0% overall' }).waitFor();

    // Model mix: sonnet p1, p3, p4 ($0.011), opus p2 ($0.05) of $0.061.
    const mix = page.getByRole('region', { name: 'Model mix' });
    await mix.locator(`[data-mix="${SONNET}"]`).waitFor();
    expect(await mix.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-mix')))).toEqual([
      SONNET,
      OPUS,
    ]);
    expect(await mix.locator(`[data-mix-requests="${SONNET}"]`).textContent()).toBe('75.0%');
    expect(await mix.locator(`[data-mix-requests="${OPUS}"]`).textContent()).toBe('25.0%');
    expect(await mix.locator(`[data-mix-cost="${SONNET}"]`).textContent()).toBe('18.0%');
    expect(await mix.locator(`[data-mix-cost="${OPUS}"]`).textContent()).toBe('82.0%');

    // System status: /health, both accounts usable, p3's failed attempts as each account's recent error.
    const status = page.getByRole('region', { name: 'System status' });
    await expect.poll(() => status.locator('[data-status="gateway"]').textContent()).toBe('Healthy');
    expect(await status.locator('[data-status="records"]').textContent()).toBe('All saved');
    await expect.poll(() => status.locator('[data-status="accounts"]').textContent()).toBe('2 of 2');
    const recent = status.getByRole('list', { name: 'Recent errors' }).locator('li');
    expect((await recent.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-error-account')))).sort()).toEqual([
      'alpha',
      'beta',
    ]);
    expect(await recent.first().textContent()).toContain('529');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await shot(page, 'overview-trends-light');

    // The last hour: nothing in the hour before.
    await page.getByRole('combobox', { name: /^Range/ }).selectOption('1h');
    await expect.poll(() => stat('Requests').textContent()).toBe('3');
    expect(await trend('Requests').textContent()).toBe('No requests in the previous hour');
    await switchTheme(page, 'dark');
    await shot(page, 'overview-trends-dark');
    expect(errors).toEqual([]);
  });

  it('Analytics: cumulative view, per-model series of a chosen figure and the speed range, kept in the URL', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/analytics`);
    await expect.poll(() => stat('Requests').textContent()).toBe('4');
    // Per bucket: p1 40 tok/s, p2 60, p4 5 (p3 has none).
    await page
      .getByRole('img', {
        name: 'Output tokens per second per bucket (average, slowest and fastest request), 35.0 tok/s on average, 5.0 tok/s slowest, 60.0 tok/s fastest',
      })
      .waitFor();

    await page.getByText('Cumulative', { exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('view')).toBe('cumulative');
    await page.getByRole('heading', { name: 'Requests, running total' }).waitFor();
    await page
      .getByRole('img', { name: 'Running total of requests: 3 succeeded and 1 failed by the end of the range' })
      .waitFor();
    await page.getByRole('img', { name: 'Running total of cost, $0.06 by the end of the range' }).waitFor();

    // The running total at the last bucket, as the chart's read-out gives it.
    const volume = page.getByRole('region', { name: 'Requests, running total' });
    const plot = volume.locator('.recharts-wrapper');
    await plot.waitFor();
    const box = await plot.boundingBox();
    if (!box) throw new Error('the requests chart has no box');
    await page.mouse.move(box.x + box.width - 12, box.y + box.height / 2);
    const tip = volume.locator('.recharts-tooltip-wrapper');
    await expect.poll(() => tip.textContent()).toMatch(/Succeeded\s*:\s*3/);
    expect(await tip.textContent()).toMatch(/Failed\s*:\s*1/);

    // Tokens by model, summed over the range: sonnet 1,350 + 0 + 20, opus 600.
    const byModel = page.getByRole('region', { name: 'Requests per model over time, running total' });
    await byModel.getByRole('combobox', { name: /^Figure/ }).selectOption('tokens');
    await expect.poll(() => new URL(page.url()).searchParams.get('metric')).toBe('tokens');
    const tokens = page.getByRole('region', { name: 'Tokens per model over time, running total' });
    expect(await tokens.locator(`[data-model-total="${SONNET}"]`).textContent()).toBe('1,370');
    expect(await tokens.locator(`[data-model-total="${OPUS}"]`).textContent()).toBe('600');
    await tokens.scrollIntoViewIfNeeded();
    await expect.poll(() => tokens.locator('.recharts-line-curve').count()).toBe(2);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await shot(page, 'analytics-cumulative-light');

    // Averages do not add up: per bucket even in the cumulative view.
    await tokens.getByRole('combobox', { name: /^Figure/ }).selectOption('latency');
    const latency = page.getByRole('region', { name: 'Avg latency per model over time' });
    await latency.getByText('Averages do not add up: shown per bucket.').waitFor();
    // sonnet (800 + 2,500 + 3,000) / 3 = 2.10 s; opus 1.20 s.
    expect(await latency.locator(`[data-model-total="${SONNET}"]`).textContent()).toBe('2.10 s');

    // A shared link opens the same view.
    await page.goto(`${gw.url}/analytics?view=cumulative&metric=cost`);
    await page.getByRole('heading', { name: 'Cost per model over time, running total' }).waitFor();
    expect(await page.getByLabel('Cumulative').isChecked()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('Requests: agent and date-range filters in the URL, copy buttons for the request and response JSON', async () => {
    const errors = await usePage(page, 'light');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    await page.goto(`${gw.url}/requests`);
    await expect.poll(listedIds).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);

    // Agents seen in the last 30 days: planner (p5) and reviewer (p1).
    // A select's accessible name includes its options' text.
    const agent = page.getByRole('combobox', { name: /^Agent/ });
    await expect.poll(() => agent.locator('option').allTextContents()).toEqual(['All agents', 'planner', 'reviewer']);
    await agent.selectOption('reviewer');
    await expect.poll(listedIds).toEqual(['p1']);
    expect(new URL(page.url()).searchParams.get('agent')).toBe('reviewer');
    await agent.selectOption('');

    // From two hours ago until ten minutes ago: p2 and p3 (p1 is 5 minutes old, p4 3 hours).
    const from = localInput(T0 - 2 * HOUR);
    const to = localInput(T0 - 10 * MIN);
    await page.getByLabel('From', { exact: true }).fill(from);
    await expect.poll(listedIds).toEqual(['p1', 'p2', 'p3']);
    await page.getByLabel('To', { exact: true }).fill(to);
    await expect.poll(listedIds).toEqual(['p2', 'p3']);
    const url = new URL(page.url());
    expect([url.searchParams.get('from'), url.searchParams.get('to')]).toEqual([from, to]);
    await shot(page, 'requests-filters-light');

    // Reloading the link keeps the filters.
    await page.reload();
    await expect.poll(listedIds).toEqual(['p2', 'p3']);
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(from);

    // The detail's copy buttons put the bodies, pretty-printed, on the clipboard.
    await page.goto(`${gw.url}/requests/p1`);
    const raw = page.getByRole('region', { name: 'Raw JSON' });
    await raw.getByRole('button', { name: 'Copy request JSON' }).click();
    await raw.locator('[data-copy="request"]').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    expect(JSON.parse(String(await page.evaluate('navigator.clipboard.readText()')))).toEqual(REQUEST_JSON);
    await raw.getByRole('button', { name: 'Copy response JSON' }).click();
    await raw.locator('[data-copy="response"]').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(JSON.parse(copied)).toEqual(RESPONSE_JSON);
    expect(copied).toContain('\n  "id": "msg_1"');
    await shot(page, 'request-copy-light');
    expect(errors).toEqual([]);
  });

  it('Settings: cleanup now, compact, and clear history after typing the word, each with its result', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/settings`);
    const card = page.getByRole('region', { name: 'Retention and storage' });
    const result = card.locator('[data-maintenance="result"]');
    await expect.poll(() => card.locator('[data-maintenance="oldest"]').textContent()).not.toBe('…');
    expect(await card.locator('[data-maintenance="oldest"]').textContent()).toBe(
      await shownMoment(page, T0 - 40 * HOUR),
    );

    // Nothing is older than the 90 days kept.
    await card.getByRole('button', { name: 'Cleanup now' }).click();
    await expect
      .poll(() => result.textContent())
      .toBe('Nothing had expired: requests are kept 90 days, payloads 7 days.');
    await card.getByRole('button', { name: 'Compact' }).click();
    // VACUUM on a worker thread started for it: over a second when the whole suite shares the two cores.
    await expect
      .poll(() => result.textContent(), { timeout: 10_000 })
      .toMatch(/^Database compacted from [\d.]+ \w?B to [\d.]+ \w?B/);

    await card.getByRole('button', { name: 'Clear history…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear all request history?' });
    const confirm = dialog.getByRole('button', { name: 'Clear history' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type clear to confirm').fill('yes');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type clear to confirm').fill('clear');
    await shot(page, 'settings-clear-history-light');
    await confirm.click();
    await expect
      .poll(() => result.textContent())
      .toMatch(/^History cleared\. Requests deleted: 6\. Payloads deleted: \d+\. Analytics aggregates deleted: \d+\./);
    await expect.poll(() => card.locator('[data-maintenance="oldest"]').textContent()).toBe('none stored');
    expect(await gw.store.requests.count()).toBe(0);
    await shot(page, 'settings-maintenance-light');
    expect(errors).toEqual([]);
  });
});
