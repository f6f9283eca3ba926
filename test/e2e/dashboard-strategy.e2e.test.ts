/**
 * The dashboard's Strategy screen in Chromium against a gateway whose fake upstream reports each
 * account's 5h utilization (protocol.md section 3): the switch applies to the next request, the
 * next order shown is the one the next proxied request takes, thresholds edited there (global,
 * per family, per account) move the order, and the bars carry their threshold markers. Also the
 * strategy settings on the Settings screen (percent, JSON text area with its error).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrategyView } from '../../src/shared/strategy-schemas.js';
import { api } from '../support/api-request.js';
import { chromiumAvailable, launchChromium, sharedPage, shot, switchTheme, usePage } from '../support/browser.js';
import { type FakeUpstream, messageJson, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const hasChromium = chromiumAvailable('dashboard Strategy browser tests');
const HOUR = 3_600_000;

const ACCTS = [
  { name: 'a', key: 'sk-ant-api03-strategy-ui-a-0000000000', util: 0.7, resetH: 3, priority: 0 },
  { name: 'b', key: 'sk-ant-api03-strategy-ui-b-1111111111', util: 0.2, resetH: 4, priority: 1 },
  { name: 'c', key: 'sk-ant-api03-strategy-ui-c-2222222222', util: 0.5, resetH: 1, priority: 2 },
];

let browser: Browser;
let context: BrowserContext;
let page: Page;
let up: FakeUpstream;
let gw: TestGateway;

/** Sends one request through the proxy; the account that served it. */
async function send(): Promise<string | null> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  expect(res.status).toBe(200);
  const [rec] = await gw.records(1);
  return rec?.accountName ?? null;
}

/** The next order as the screen shows it. */
async function shownOrder(): Promise<string[]> {
  const items = page.getByRole('list', { name: 'Next order' }).locator('li');
  return items.evaluateAll((els) => els.map((e) => e.getAttribute('data-account') ?? ''));
}

async function openStrategy(): Promise<void> {
  await page.goto(`${gw.url}/`);
  await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
  // The tenth screen opens with 0.
  await page.keyboard.press('0');
  await page.getByRole('heading', { name: 'Strategy', exact: true, level: 1 }).waitFor();
  await page.getByRole('list', { name: 'Next order' }).waitFor();
}

describe.skipIf(!hasChromium)('dashboard Strategy in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    ({ context, page } = await sharedPage(browser));
    up = await startFakeUpstream();
    const resetOf = new Map(ACCTS.map((a) => [a.key, Math.floor((Date.now() + a.resetH * HOUR) / 1000)]));
    up.setHandler((req) => {
      const a = ACCTS.find((x) => x.key === req.headers['x-api-key']);
      if (!a) return undefined;
      return {
        kind: 'json',
        body: messageJson(),
        headers: {
          'anthropic-ratelimit-unified-status': 'allowed',
          'anthropic-ratelimit-unified-5h-status': 'allowed',
          'anthropic-ratelimit-unified-5h-utilization': String(a.util),
          'anthropic-ratelimit-unified-5h-reset': String(resetOf.get(a.key)),
          'anthropic-ratelimit-unified-reset': String(resetOf.get(a.key)),
        },
      };
    });
    gw = await startGateway({
      upstreamUrl: up.url,
      setup: async (g) => {
        for (const a of ACCTS) {
          const reset = (resetOf.get(a.key) as number) * 1000;
          await g.addApiKey(a.name, a.key, {
            priority: a.priority,
            rateLimit: {
              observedAt: Date.now(),
              status: 'allowed',
              resetAt: reset,
              fiveHour: { status: 'allowed', utilization: a.util, resetAt: reset },
              sevenDay: null,
              representativeClaim: 'five_hour',
            },
          });
        }
      },
    });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gw?.close();
    await up?.close();
  });

  it('switches the strategy for the next request, warns about spreading, and its next order is what the next request does', async () => {
    const errors = await usePage(page, 'light');
    await openStrategy();
    expect(await shownOrder()).toEqual(['a', 'b', 'c']);
    expect(await page.getByRole('note').count()).toBe(0);
    expect(await page.getByText('Keeps a session on one account').count()).toBe(1);

    await page.getByRole('radio', { name: 'least-used' }).check();
    expect(await page.getByRole('note').textContent()).toMatch(/cold prompt cache.*account sharing/);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'Now least-used: the next request uses it.' }).waitFor();
    expect((await api(gw.url, 'GET', '/api/config')).json.strategy.value).toBe('least-used');
    await expect.poll(shownOrder).toEqual(['b', 'c', 'a']);
    expect(await send()).toBe('b');

    // hybrid: the order moves with each request (token buckets); the screen keeps up.
    await page.getByRole('radio', { name: 'hybrid' }).check();
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'Now hybrid' }).waitFor();
    for (let i = 0; i < 2; i++) {
      await page.reload();
      await page.getByRole('list', { name: 'Next order' }).waitFor();
      const first = (await shownOrder())[0];
      expect(await send()).toBe(first);
    }
    const card = page.getByRole('listitem', { name: 'b' });
    expect(await card.textContent()).toMatch(/Hybrid score.*health .* \+ bucket .* \+ quota .* \+ rest/);
    await shot(page, 'strategy-light');
    await switchTheme(page, 'dark');
    await shot(page, 'strategy-dark');
    expect(errors).toEqual([]);
  });

  it('edits global, per-family and per-account thresholds; the bars mark them and the order follows', async () => {
    const errors = await usePage(page, 'light');
    await api(gw.url, 'PATCH', '/api/config', { strategy: 'least-used' });
    await openStrategy();
    const form = page.getByRole('form', { name: 'Quota thresholds' });
    expect(await page.locator('.threshold-marker').count()).toBe(0);

    await form.getByLabel('5h window threshold (%)', { exact: true }).fill('60');
    await form.getByLabel('sonnet 7d window threshold (%)').fill('95');
    await form.getByRole('button', { name: 'Save thresholds' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const a = page.getByRole('listitem', { name: 'a' });
    await a.getByText('Past its threshold').waitFor();
    expect(await a.textContent()).toContain('threshold 60%');
    expect(await page.locator('.threshold-marker').count()).toBe(3);
    await expect.poll(shownOrder).toEqual(['b', 'c']);

    // a's own threshold wins over the global one.
    const own = page.getByRole('form', { name: 'Thresholds of a' });
    await own.getByLabel('5h window threshold (%)').fill('90');
    await own.getByRole('button', { name: 'Save thresholds of a' }).click();
    await own.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await expect.poll(() => a.getByText('Past its threshold').count()).toBe(0);
    expect(await a.textContent()).toContain('threshold 90%');
    const view = (await api(gw.url, 'GET', '/api/strategy')).json as StrategyView;
    expect(view.thresholdSettings.thresholds).toEqual({
      global: { '5h': 60, '7d': null },
      perFamily: { sonnet: { '7d': 95 } },
      perAccount: { a: { '5h': 90 } },
    });
    await expect.poll(shownOrder).toEqual(['b', 'c', 'a']);
    expect(await send()).toBe((await shownOrder())[0]);

    // Not a percent: said next to the fields, nothing sent.
    await form.getByLabel('5h window threshold (%)', { exact: true }).fill('lots');
    await form.getByRole('alert').filter({ hasText: 'percents from 0 to 1000' }).waitFor();
    expect(
      ((await api(gw.url, 'GET', '/api/strategy')).json as StrategyView).thresholdSettings.thresholds.global,
    ).toEqual({ '5h': 60, '7d': null });
    await shot(page, 'strategy-thresholds');
    expect(errors).toEqual([]);
  });

  it('shows the strategy settings on the Settings screen: percent, and the JSON one as a text area with its error', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/settings`);
    await page.getByRole('list', { name: 'Runtime settings' }).waitFor();
    const json = page.getByRole('form', { name: 'Thresholds per family and account' });
    const area = json.getByRole('textbox');
    expect(await area.evaluate((e) => e.tagName)).toBe('TEXTAREA');
    await area.fill('{"perAccount":');
    await json.getByRole('alert').filter({ hasText: 'Not a JSON object' }).waitFor();
    await area.fill('{"perAccount":{"a":{"5h":"ninety"}}}');
    await json.getByRole('button', { name: /^Save/ }).click();
    await json.getByRole('alert').filter({ hasText: 'The gateway refused this value' }).waitFor();
    expect(await json.getByRole('alert').textContent()).toContain('perAccount.a.5h');

    const weekly = page.getByRole('form', { name: '7d quota threshold' });
    expect(await weekly.locator('[data-current="quotaThreshold7d"]').textContent()).toBe('Off');
    await weekly.getByRole('textbox').or(weekly.getByRole('spinbutton')).fill('85');
    await weekly.getByRole('button', { name: /^Save/ }).click();
    await weekly.getByRole('status').filter({ hasText: 'Saved: now 85 %' }).waitFor();
    expect((await api(gw.url, 'GET', '/api/config')).json.quotaThreshold7d.value).toBe(85);
    expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
  });
});
