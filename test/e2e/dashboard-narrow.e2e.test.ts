/**
 * The dashboard on a 390 px wide phone (Chromium): every screen in the nav, a request's detail and
 * a conversation, with data on them, fit the screen without scrolling sideways; one page walks the
 * routes in turn, as a phone user would. The data has more models than the Analytics charts have
 * colours, with long dated names: their names on the By model chart and the models past the
 * coloured ones on the Requests per model chart. And on the Accounts screen with that data: a
 * refused add whose message goes once the form is edited, and an account's single attempt. Two
 * details besides: a broken prompt file's error said once, the analysis model's label apart from
 * its select.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationPage } from '../../src/shared/conversation-schemas.js';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { usageFromRecords } from '../../src/storage/writer/usage.js';
import { api } from '../support/api-request.js';
import { chromiumAvailable, shot, usePage } from '../support/browser.js';
import { conversationFixture } from '../support/conversation-fixtures.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { samplePayload, sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard narrow-screen browser tests');

const MIN = 60_000;
const HOUR = 60 * MIN;
/** More models than the charts have colours, with the long dated names the API reports. */
const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-3-5-haiku-20241022',
  'claude-opus-4-1-20250805',
  'claude-sonnet-4-20250514',
  'claude-3-7-sonnet-20250219',
  'claude-opus-4-20250514',
  'claude-haiku-4-5-20251001',
  'claude-3-opus-20240229',
];

let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;
let conversation: string;

describe.skipIf(!hasChromium)('the dashboard with many models, at 1280 px and on a 390 px phone', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([
      { name: 'work-account-primary', key: 'sk-ant-api03-narrow-dashboard-work' },
      { name: 'home', key: 'sk-ant-api03-narrow-dashboard-home' },
      { name: 'flaky', key: 'sk-ant-api03-narrow-dashboard-flaky' },
    ]);
    ({ page, gw } = rig);
    const work = await gw.account('work-account-primary');
    const now = Date.now();
    await gw.store.accounts.update(work.id, {
      rateLimit: {
        observedAt: now - MIN,
        status: 'allowed',
        resetAt: now + HOUR,
        fiveHour: { status: 'allowed', utilization: 0.37, resetAt: now + HOUR },
        sevenDay: { status: 'allowed', utilization: 0.12, resetAt: now + 50 * HOUR },
        representativeClaim: 'five_hour',
      },
    });
    const a = { accountId: work.id, accountName: 'work-account-primary' };
    const records: RequestRecord[] = MODELS.flatMap((model, m) =>
      Array.from({ length: MODELS.length - m }, (_, i) =>
        sampleRecord({
          ...a,
          id: `narrow-${m}-${i}`,
          ts: now - (m * 7 + i) * 3 * MIN,
          modelRequested: model,
          modelApplied: model,
          inputTokens: 12,
          cacheReadTokens: 100,
          cacheWrite5mTokens: 20,
          cacheWrite1hTokens: 10,
          outputTokens: 14,
          costUsd: 1.5,
        }),
      ),
    );
    await gw.store.requests.writeBatch(records, []);
    // Long before the Analytics range: flaky's one attempt failed over to work.
    const failedOver = [
      sampleRecord({
        ...a,
        id: 'failed-over',
        attempts: 2,
        attemptLog: [
          { account: 'flaky', status: 529, error: 'overloaded', ms: 80 },
          { account: 'work-account-primary', status: 200, error: null, ms: 1200 },
        ],
      }),
    ];
    await gw.store.requests.writeBatch(failedOver, usageFromRecords(failedOver));
    for (const [i, r] of conversationFixture('branch').entries()) {
      const body = JSON.stringify(r.body);
      await gw.store.requests.writeBatch(
        [
          sampleRecord({
            ...a,
            id: `branch-${i}`,
            ts: r.at,
            sessionId: r.sessionId,
            modelRequested: r.body.model,
            modelApplied: r.body.model,
            payload: samplePayload({
              requestHeaders: '{}',
              requestBody: body,
              responseHeaders: null,
              responseBody: null,
            }),
            linkBody: body,
          }),
        ],
        [],
      );
    }
    const list = (await api(gw.url, 'GET', '/api/conversations')).json as ConversationPage;
    conversation = list.items[0]?.id ?? '';
    expect(conversation).not.toBe('');
    mkdirSync(gw.config.promptsDir, { recursive: true });
    writeFileSync(join(gw.config.promptsDir, 'review.md'), '---\ndescription: Review a change\n---\nReview {{diff}}\n');
    writeFileSync(join(gw.config.promptsDir, 'broken.yaml'), 'description: never finished\n');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('fits every screen to the width of the phone', async () => {
    const errors = await usePage(page, 'light');
    await page.setViewportSize({ width: 390, height: 844 });
    const screens: [name: string, path: string, ready: string][] = [
      ['overview', '/', 'main h1'],
      ['requests', '/requests', 'main table tbody tr'],
      ['request', '/requests/narrow-0-0', '.token-breakdown'],
      ['conversations', '/conversations', 'main table tbody tr'],
      ['conversation', `/conversations/${conversation}`, '.conv-node'],
      ['accounts', '/accounts', 'main table tbody tr'],
      ['analytics', '/analytics', 'main dl.stats'],
      ['stats', '/stats', 'main h1'],
      ['logs', '/logs', 'main h1'],
      ['agents', '/agents', 'main h1'],
      ['tools', '/tools', 'main h1'],
      ['prompts', '/prompts', 'main h1'],
      ['strategy', '/strategy', 'main input'],
      ['settings', '/settings', 'main h1'],
      ['workers', '/workers', 'main h1'],
    ];
    const wide: string[] = [];
    try {
      for (const [name, path, ready] of screens) {
        await page.goto(`${gw.url}${path}`);
        await page.locator(ready).first().waitFor({ state: 'attached' });
        // Let queries that load after the heading lay out before measuring.
        await page.waitForLoadState('networkidle');
        const seen = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          // Where the overflow starts: sticking out while the parent does not.
          widest: [...document.querySelectorAll('main *')]
            .filter(
              (e) =>
                e.getBoundingClientRect().right > window.innerWidth + 1 &&
                (e.parentElement?.getBoundingClientRect().right ?? 0) <= window.innerWidth + 1,
            )
            .slice(0, 3)
            .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
        }));
        if (seen.page > seen.viewport) wide.push(`${path}: ${seen.page} px (${seen.widest.join(', ')})`);
        await shot(page, `390-${name}`);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    expect(wide).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('keeps the header to two short rows on a phone, with the bell’s panel inside the screen', async () => {
    const errors = await usePage(page, 'light');
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${gw.url}/requests`);
      await page.locator('main table tbody tr').first().waitFor();
      const header = await page.locator('header.topbar').boundingBox();
      // It wrapped to ~270 px, a third of the screen, on every page.
      expect(header?.height).toBeLessThan(110);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Workers' }).scrollIntoViewIfNeeded();
      const workers = await nav.getByRole('link', { name: 'Workers' }).boundingBox();
      expect(workers && workers.x >= 0 && workers.x + workers.width <= 390).toBe(true);

      await page.getByRole('button', { name: /Notifications/ }).click();
      const panel = await page.getByRole('region', { name: 'Notifications' }).boundingBox();
      expect(panel).not.toBeNull();
      expect(panel?.x).toBeGreaterThanOrEqual(0);
      expect((panel?.x ?? 0) + (panel?.width ?? 0)).toBeLessThanOrEqual(390);
      expect(panel?.width).toBeGreaterThan(300);
      await shot(page, '390-bell');
      await page.keyboard.press('Escape');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    expect(errors).toEqual([]);
  });

  it("keeps a request's session id inside its Summary card on a phone", async () => {
    const errors = await usePage(page, 'light');
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${gw.url}/requests/branch-0`);
      const session = page.locator('[data-field="Session"]');
      await session.waitFor();
      expect(await session.textContent()).toMatch(/^[0-9a-f-]{36}$/);
      // The page did not scroll sideways, but the Session box stuck out of its card.
      const outside = await page.locator('section.card:has([data-field="Session"])').evaluate((card) => {
        const right = card.getBoundingClientRect().right;
        return [...card.querySelectorAll('.stat')]
          .filter((s) => s.getBoundingClientRect().right > right + 0.5)
          .map((s) => s.querySelector('dt')?.textContent);
      });
      expect(outside).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    expect(errors).toEqual([]);
  });

  /** The By model chart's names as drawn, each with its hover title and whether it starts inside the chart. */
  async function modelTicks(): Promise<{ shown: string; title: string | null; inside: boolean }[]> {
    const chart = page.getByRole('region', { name: 'By model' }).locator('.an-bars');
    await chart.scrollIntoViewIfNeeded();
    await chart.locator('.recharts-yAxis-tick-labels text').first().waitFor();
    return chart.evaluate((el) => {
      const svg = el.querySelector('.recharts-wrapper > svg') as SVGSVGElement;
      const left = svg.getBoundingClientRect().left;
      return [...el.querySelectorAll('.recharts-yAxis-tick-labels text')].map((text) => ({
        shown: [...text.childNodes]
          .filter((n) => n.nodeName !== 'title')
          .map((n) => n.textContent)
          .join(''),
        title: text.querySelector('title')?.textContent ?? null,
        inside: text.getBoundingClientRect().left >= left - 0.5,
      }));
    });
  }

  it('shows whole model names on the By model chart, cut at the end with the name on hover when narrow', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/analytics`);
    const wide = await modelTicks();
    expect(wide.map((w) => w.shown).sort()).toEqual([...MODELS].sort());
    for (const w of wide) expect(w, w.shown).toMatchObject({ inside: true, title: null });
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const narrow = await modelTicks();
      expect(narrow).toHaveLength(MODELS.length);
      for (const n of narrow) {
        expect(n.inside, n.shown).toBe(true);
        if (n.title === null) expect(MODELS).toContain(n.shown);
        else {
          expect(MODELS).toContain(n.title);
          expect(n.shown.endsWith('…') && n.title.startsWith(n.shown.slice(0, -1)), n.shown).toBe(true);
        }
      }
      expect(narrow.some((n) => n.title !== null)).toBe(true);
      await shot(page, '390-analytics-by-model');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    expect(errors).toEqual([]);
  });

  it('adds the models past the coloured ones up as "Other" on Requests per model, with one legend', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/analytics`);
    const card = page.getByRole('region', { name: 'Requests per model over time' });
    await card.scrollIntoViewIfNeeded();
    await card.locator('.recharts-line').first().waitFor();
    const totals = card.getByRole('definition');
    const legend = await card
      .locator('dl > div')
      .evaluateAll((rows) => rows.map((r) => [r.querySelector('dt')?.textContent, r.querySelector('dd')?.textContent]));
    // Requests per model: 8, 7, … 1; the two smallest (2 + 1) are past the six colours.
    expect(legend).toEqual([
      ...MODELS.slice(0, 6).map((m, i) => [m, String(MODELS.length - i)]),
      ['Other models (2)', '3'],
    ]);
    expect(await totals.count()).toBe(7);
    expect(await card.locator('.recharts-line').count()).toBe(7);
    expect(await card.locator('.recharts-legend-wrapper').count()).toBe(0);
    await shot(page, 'analytics-models-other');
    expect(errors).toEqual([]);
  });

  it('drops the refusal of an added key once its name is edited, and counts one attempt as one', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/accounts`);
    const flaky = page.getByRole('row', { name: 'Account flaky' });
    await flaky.waitFor();
    expect(await flaky.textContent()).toContain('1 attempt, 1 failed');
    expect(await flaky.textContent()).not.toContain('1 attempts');

    const form = page.getByRole('form', { name: 'Add an account by API key' });
    await form.getByLabel('Name', { exact: true }).fill('home');
    await form.getByLabel('API key', { exact: true }).fill('sk-ant-api03-narrow-dashboard-second');
    await form.getByRole('button', { name: 'Add account' }).click();
    const refusal = form.getByRole('alert');
    await expect.poll(() => refusal.textContent()).toContain('"home" already exists');
    await form.getByLabel('Name', { exact: true }).fill('home-2');
    expect(await refusal.count()).toBe(0);
    expect(errors).toEqual([expect.stringContaining('409 (Conflict)')]);
  });

  it('warns of a key that does not look like an Anthropic one, before adding it and in the result', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/accounts`);
    const form = page.getByRole('form', { name: 'Add an account by API key' });
    await form.getByLabel('Name', { exact: true }).fill('k4');
    const help = form.locator('#add-key-help');
    await form.getByLabel('API key', { exact: true }).fill('sk-ant-api03-narrow-k4');
    expect(await help.textContent()).toBe('Stored encrypted; never shown again.');
    await form.getByLabel('API key', { exact: true }).fill('not-a-key');
    expect(await help.textContent()).toBe(
      'This does not start with sk-ant-, as Anthropic API keys do; it will be stored anyway.',
    );
    await form.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('row', { name: 'Account k4' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Added k4' }).textContent()).toBe(
      'Added k4. Its key does not start with sk-ant-, as Anthropic API keys do: if requests fail with 401, check it.',
    );
    expect(errors).toEqual([]);
  });

  it("says a broken prompt file's error once, and sets the analysis model's label apart from its select", async () => {
    const errors = await usePage(page, 'light');
    const previewed = page.waitForResponse((r) => r.url().endsWith('/api/prompts/preview'));
    await page.goto(`${gw.url}/prompts?prompt=broken`);
    await page.getByRole('heading', { name: 'Prompt broken' }).waitFor();
    await previewed;
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    const editor = page.getByRole('region', { name: 'Prompt broken' });
    expect(await editor.getByText('no "template:"').count()).toBe(1);

    await page.goto(`${gw.url}/conversations/${conversation}`);
    const analysis = page.getByRole('region', { name: 'Analysis' });
    const select = analysis.getByLabel('Model');
    await select.waitFor();
    const label = await analysis.locator('label', { hasText: 'Model' }).boundingBox();
    const box = await select.boundingBox();
    expect(label && box && (box.y >= label.y + label.height || box.x >= label.x + label.width + 4)).toBe(true);
    expect(errors).toEqual([]);
  });
});
