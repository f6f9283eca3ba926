import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, shot, usePage } from '../support/browser.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { NO_USAGE } from '../support/history-seed.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard Analytics browser tests');

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const SONNET = 'claude-sonnet-4-5';
const HAIKU = 'claude-haiku-4-5';

let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;

const stat = (page: Page, label: string) => page.locator(`[data-stat="${label}"]`);
const cell = (page: Page, table: string, row: string, col: string) =>
  page.getByRole('table', { name: table }).locator(`tr[data-row="${row}"] [data-col="${col}"]`);

/** Charts are drawn when they come near the viewport: scroll to each one not drawn yet until none is left. */
async function revealCharts(page: Page): Promise<void> {
  // A chart's placeholder keeps its height and stays empty until the chart is drawn.
  const undrawn = page.locator('div[style*="min-height"]:empty');
  for (let n = await undrawn.count(); n > 0; n = await undrawn.count()) {
    await undrawn.first().scrollIntoViewIfNeeded();
    await expect.poll(() => undrawn.count()).toBeLessThan(n);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
}

/** The breakdown rows of a table, as "label requests errors cost". */

function rows(page: Page, table: string): Promise<string[]> {
  return page
    .getByRole('table', { name: table })
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) =>
        [
          tr.getAttribute('data-row'),
          ...['requests', 'errors', 'avgLatency', 'cost'].map(
            (c) => tr.querySelector(`[data-col="${c}"]`)?.textContent ?? '',
          ),
        ].join(' '),
      ),
    );
}

describe.skipIf(!hasChromium)('dashboard Analytics screen in Chromium', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([
      { name: 'alpha', key: 'sk-ant-api03-analytics-alpha' },
      { name: 'beta', key: 'sk-ant-api03-analytics-beta', over: { priority: 1 } },
    ]);
    ({ page, gw } = rig);
    const alpha = await gw.account('alpha');
    const beta = await gw.account('beta');
    const now = Date.now();
    const a = { accountId: alpha.id, accountName: 'alpha' };
    const b = { accountId: beta.id, accountName: 'beta' };
    const failed = {
      success: false,
      error: 'upstream failed',
      modelApplied: null,
      ...NO_USAGE,
    };
    // Within the last 24 h (hand-computed figures in the tests below):
    //   s1 alpha sonnet ok   1000 ms ttft 200  in 100 out  50 read 300            $0.50  40 tok/s
    //   s2 alpha sonnet ok   2000 ms ttft 400  in 100 out 150 read 100 w5m 100    $0.25  60 tok/s
    //   h3 alpha haiku  529   500 ms
    //   h4 beta  haiku  ok   3000 ms ttft 600  in 200 out 100 w1h 200             $0.10  20 tok/s  (agent reviewer)
    //   s5 beta  sonnet 500  1500 ms
    // Totals: 5 requests, 2 failed (60.0%), latency 8000/5 = 1.60 s, ttft 1200/3 = 400 ms,
    // 120/3 = 40.0 tok/s, $0.85, tokens 400 + 300 + 400 + 100 + 200 = 1,400,
    // cache hit 400 / (400 + 400 + 100 + 200) = 36.4%.
    // Plus old-1, three days old: only in the 7-day range.
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          ...a,
          id: 's1',
          ts: now - 2 * MIN,
          modelApplied: SONNET,
          latencyMs: 1000,
          ttftMs: 200,
          inputTokens: 100,
          outputTokens: 50,
          cacheReadTokens: 300,
          cacheWrite5mTokens: 0,
          cacheWrite1hTokens: 0,
          costUsd: 0.5,
          outputTokensPerSecond: 40,
        }),
        sampleRecord({
          ...a,
          id: 's2',
          ts: now - 6 * MIN,
          modelApplied: SONNET,
          latencyMs: 2000,
          ttftMs: 400,
          inputTokens: 100,
          outputTokens: 150,
          cacheReadTokens: 100,
          cacheWrite5mTokens: 100,
          cacheWrite1hTokens: 0,
          costUsd: 0.25,
          outputTokensPerSecond: 60,
        }),
        sampleRecord({
          ...a,
          ...failed,
          id: 'h3',
          ts: now - 9 * MIN,
          modelRequested: HAIKU,
          status: 529,
          latencyMs: 500,
        }),
        sampleRecord({
          ...b,
          id: 'h4',
          agent: 'reviewer',
          ts: now - 12 * MIN,
          modelRequested: HAIKU,
          modelApplied: HAIKU,
          latencyMs: 3000,
          ttftMs: 600,
          inputTokens: 200,
          outputTokens: 100,
          cacheReadTokens: 0,
          cacheWrite5mTokens: 0,
          cacheWrite1hTokens: 200,
          costUsd: 0.1,
          outputTokensPerSecond: 20,
        }),
        sampleRecord({
          ...b,
          ...failed,
          id: 's5',
          ts: now - 15 * MIN,
          modelRequested: SONNET,
          status: 500,
          latencyMs: 1500,
        }),
        sampleRecord({ ...a, id: 'old-1', ts: now - 3 * DAY, modelApplied: SONNET }),
      ],
      [],
    );
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('shows the seeded totals, breakdowns and charts; filters live in the URL (light)', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/analytics`);
    await page.getByRole('heading', { name: 'Analytics', exact: true }).waitFor();
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('5');
    expect(await stat(page, 'Success rate').textContent()).toBe('60.0%');
    expect(await stat(page, 'Avg latency').textContent()).toBe('1.60 s');
    expect(await stat(page, 'P95 latency').textContent()).toMatch(/\d s$/);
    expect(await stat(page, 'Time to first token').textContent()).toBe('400 ms');
    expect(await stat(page, 'Output speed').textContent()).toBe('40.0 tok/s');
    expect(await stat(page, 'Tokens').textContent()).toBe('1,400');
    expect(await stat(page, 'Cost').textContent()).toBe('$0.85');
    expect(await stat(page, 'Cache hit rate').textContent()).toBe('36.4%');
    const tokens = await page
      .locator('[data-tokens]')
      .evaluateAll((dds) => dds.map((d) => `${d.getAttribute('data-tokens')}=${d.textContent}`));
    expect(tokens).toEqual(['input=400', 'output=300', 'cacheRead=400', 'cacheWrite5m=100', 'cacheWrite1h=200']);

    // Per model: sonnet s1 s2 s5 (latency 4500/3), haiku h3 h4 (3500/2); per account likewise.
    expect(await rows(page, 'By model')).toEqual([`${SONNET} 3 1 1.50 s $0.75`, `${HAIKU} 2 1 1.75 s $0.10`]);
    expect(await cell(page, 'By model', SONNET, 'share').textContent()).toBe('88.2%');
    expect(await rows(page, 'By account')).toEqual(['alpha 3 1 1.17 s $0.75', 'beta 2 1 2.25 s $0.10']);
    expect(await cell(page, 'By account', 'alpha', 'successRate').textContent()).toBe('66.7%');

    // Only the charts near the viewport are drawn at first; scrolling draws the rest: request bars,
    // token bars, lines, the per-model series and the breakdown bars.
    const charts = page.locator('.recharts-wrapper');
    await charts.first().waitFor();
    expect(await charts.count()).toBeLessThan(9);
    await revealCharts(page);
    await expect.poll(() => charts.count()).toBe(9);
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    expect(await page.locator('.recharts-line-curve').count()).toBeGreaterThan(0);
    expect(await page.getByRole('img', { name: /^Requests by model: claude-sonnet-4-5 3/ }).count()).toBe(1);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await shot(page, 'analytics-light');

    // One model: haiku is h3 + h4.
    await page.getByRole('group', { name: 'Models' }).getByLabel(HAIKU).check();
    await expect.poll(() => new URL(page.url()).searchParams.get('models')).toBe(HAIKU);
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('2');
    expect(await stat(page, 'Success rate').textContent()).toBe('50.0%');
    expect(await stat(page, 'Avg latency').textContent()).toBe('1.75 s');
    expect(await stat(page, 'Time to first token').textContent()).toBe('600 ms');
    expect(await stat(page, 'Cost').textContent()).toBe('$0.10');
    expect(await stat(page, 'Tokens').textContent()).toBe('500');
    expect(await stat(page, 'Cache hit rate').textContent()).toBe('0.0%');
    expect(await rows(page, 'By model')).toEqual([`${HAIKU} 2 1 1.75 s $0.10`]);
    // One request each: their order is not specified.
    expect((await rows(page, 'By account')).sort()).toEqual(['alpha 1 1 500 ms $0.00', 'beta 1 0 3.00 s $0.10']);

    // The filter survives a reload, and the other model is still offered.
    await page.reload();
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('2');
    expect(await page.getByRole('group', { name: 'Models' }).getByLabel(HAIKU).isChecked()).toBe(true);
    expect(await page.getByRole('group', { name: 'Models' }).getByLabel(SONNET).isChecked()).toBe(false);

    // Haiku on beta is h4 alone; it succeeded, so failures only leaves nothing.
    await page.getByRole('group', { name: 'Accounts' }).getByLabel('beta').check();
    await expect.poll(() => new URL(page.url()).searchParams.get('accounts')).toBe('beta');
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('1');
    expect(await stat(page, 'Avg latency').textContent()).toBe('3.00 s');
    await page.getByRole('form', { name: 'Filter analytics' }).getByLabel('Status').selectOption('error');
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('error');
    await page.getByText('No requests match these filters in the last 24 hours').waitFor();
    expect(await stat(page, 'Requests').textContent()).toBe('0');

    // Back steps through the filter history; the empty state's button clears them all.
    await page.goBack();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe(null);
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('1');
    await page.goForward();
    await page.getByText('No requests match these filters').waitFor();
    await page.getByRole('button', { name: 'clear the filters' }).click();
    await expect.poll(() => page.url()).toBe(`${gw.url}/analytics`);
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('5');

    // The account filter alone: beta is h4 + s5.
    await page.getByRole('group', { name: 'Accounts' }).getByLabel('beta').check();
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('2');
    expect(await stat(page, 'Avg latency').textContent()).toBe('2.25 s');
    expect(await stat(page, 'Cost').textContent()).toBe('$0.10');
    expect(await rows(page, 'By account')).toEqual(['beta 2 1 2.25 s $0.10']);
    await page.getByRole('button', { name: 'Clear filters' }).click();

    // The agent filter: the reviewer sub-agent's one request is h4.
    await page.getByRole('group', { name: 'Agents' }).getByLabel('reviewer').check();
    await expect.poll(() => new URL(page.url()).searchParams.get('agents')).toBe('reviewer');
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('1');
    expect(await rows(page, 'By model')).toEqual([`${HAIKU} 1 0 3.00 s $0.10`]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('5');

    // A longer range takes in the three-day-old request.
    await page.getByRole('combobox', { name: 'Range' }).selectOption('7d');
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('7d');
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('6');
    expect(errors).toEqual([]);
  });

  it('shows the same view in the dark theme, and an empty range says what to do', async () => {
    const errors = await usePage(page, 'dark');
    await page.goto(`${gw.url}/analytics?models=${SONNET}`);
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('3');
    expect(await stat(page, 'Cost').textContent()).toBe('$0.75');
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // Back to every model so the screenshot shows the whole seeded view.
    await page.getByRole('group', { name: 'Models' }).getByLabel(SONNET).uncheck();
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('5');
    await revealCharts(page);
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await shot(page, 'analytics-dark');

    // A model never used: the empty state offers a wider range and clearing the filters.
    await page.goto(`${gw.url}/analytics?range=1h&models=claude-none`);
    await page.getByText('No requests match these filters in the last hour').waitFor();
    const empty = page.getByRole('region', { name: /No requests/ });
    expect(await empty.textContent()).toContain('ANTHROPIC_BASE_URL=');
    await empty.getByRole('button', { name: 'show the last 30 days' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('30d');
    expect(new URL(page.url()).searchParams.get('models')).toBe('claude-none');
    await empty.getByRole('button', { name: 'clear the filters' }).click();
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('6');
    expect(await page.getByRole('table', { name: 'By account' }).locator('tbody tr').count()).toBe(2);
    expect(errors).toEqual([]);
  });

  it('says the output speed chart has nothing to draw when no request in the view measured one', async () => {
    const errors = await usePage(page, 'light');
    // h3 alone: a request, but no streamed answer long enough to measure.
    await page.goto(`${gw.url}/analytics?models=${HAIKU}&accounts=alpha`);
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('1');
    const speed = page.getByRole('region', { name: 'Output speed' });
    await speed.scrollIntoViewIfNeeded();
    await speed
      .getByText('No output speed in this range yet: it is measured on streamed answers that take at least 250 ms.')
      .waitFor();
    // Not bare axes and a legend.
    expect(await speed.locator('.recharts-wrapper, .recharts-legend-wrapper').count()).toBe(0);
    // The latency chart beside it still draws its line.
    await page.getByRole('region', { name: 'Latency and time to first token' }).locator('.recharts-wrapper').waitFor();
    expect(errors).toEqual([]);
  });

  it('refreshes live when a request goes through the proxy', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/analytics?range=1h&accounts=alpha`);
    await expect.poll(() => stat(page, 'Requests').textContent()).toBe('3');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: SONNET, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await expect.poll(() => stat(page, 'Requests').textContent(), { timeout: 5000 }).toBe('4');
    expect(errors).toEqual([]);
  });
});
