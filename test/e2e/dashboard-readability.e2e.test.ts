/**
 * What a first-time user reads in the dashboard: token figures with one definition (the same as
 * the CLI and the TUI), a Claude Code request's page that opens on the prompt and the reply
 * rather than its system prompt, and stat cards whose figures stay on one line.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { chromiumAvailable, shot, switchTheme, usePage } from '../support/browser.js';
import { claudeCodeRequestBody, shortReplySse } from '../support/claude-code-request.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard readability browser tests');

const MIN = 60_000;
const VIEWPORT = { width: 1280, height: 900 };
const PROMPT = 'Why does `npm test` fail on CI but pass on my machine?';
const REPLY = 'The CI image runs Node 18; your lockfile needs Node 20. Pin it in .nvmrc.';

let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;

/** Lines each element's text takes: one per distinct line-box top. */
function lineCounts(p: Page, selector: string): Promise<{ text: string; lines: number; overflows: boolean }[]> {
  return p.locator(selector).evaluateAll((els) =>
    els.map((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      return { text: el.textContent ?? '', lines: tops.size, overflows: el.scrollWidth > el.clientWidth };
    }),
  );
}

describe.skipIf(!hasChromium)('dashboard readability in Chromium', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([{ name: 'work', key: 'sk-ant-api03-readability-work' }]);
    ({ page, gw } = rig);
    const work = await gw.account('work');
    const now = Date.now();
    const a = { accountId: work.id, accountName: 'work' };
    const records: RequestRecord[] = [
      // The request: input 10, cache read 6, cache write 4, output 20.
      sampleRecord({
        ...a,
        id: 'cc-1',
        ts: now - MIN,
        path: '/v1/messages?beta=true',
        inputTokens: 10,
        cacheReadTokens: 6,
        cacheWrite5mTokens: 4,
        cacheWrite1hTokens: 0,
        outputTokens: 20,
        latencyMs: 12_345,
        costUsd: 1234.56,
        // Stored before speeds needed a 250 ms span: wide enough to wrap a 150 px card.
        outputTokensPerSecond: 1234.5,
        payload: {
          requestHeaders: JSON.stringify({ 'content-type': 'application/json', 'x-app': 'cli' }),
          requestBody: claudeCodeRequestBody(PROMPT),
          responseHeaders: JSON.stringify({ 'content-type': 'text/event-stream' }),
          responseBody: shortReplySse(REPLY),
          requestTruncated: false,
          responseTruncated: false,
        },
      }),
      sampleRecord({ ...a, id: 'plain-2', ts: now - 2 * MIN, costUsd: 0.25, outputTokensPerSecond: null }),
    ];
    await gw.store.requests.writeBatch(records, []);
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('shows tokens as "in / out" with the definition on the column and the breakdown on the figure', async () => {
    const errors = await usePage(page, 'light');
    await page.setViewportSize(VIEWPORT);
    await page.goto(`${gw.url}/requests`);
    const row = page.locator('tbody tr[data-id="cc-1"]');
    await row.waitFor();
    const cell = row.locator('td').nth(4);
    expect(await cell.textContent()).toBe('20 in / 20 out');
    expect(await cell.getAttribute('title')).toBe('input 10 · cache read 6 · cache write 4 · output 20');
    const header = page.getByRole('columnheader', { name: 'Tokens' });
    expect(await header.getAttribute('title')).toBe('in = input + cache read + cache write; out = output');
    expect(await page.locator('#requests-keys').textContent()).toContain(
      'Tokens: in = input + cache read + cache write; out = output.',
    );
    expect(errors).toEqual([]);
  });

  it("opens a Claude Code request on the user's prompt and the reply; system prompt, tools and reminders folded (light, dark)", async () => {
    const errors = await usePage(page, 'light');
    await page.setViewportSize(VIEWPORT);
    await page.goto(`${gw.url}/requests/cc-1`);
    await page.getByRole('heading', { name: 'Request cc-1' }).waitFor();
    const field = (label: string) => page.locator(`[data-field="${label}"]`);
    expect(await field('Tokens').textContent()).toBe(
      '20 in / 20 outinput 10 · cache read 6 · cache write 4 · output 20',
    );

    const latest = page.getByRole('article', { name: 'User message 1' });
    const prompt = latest.getByText(PROMPT, { exact: true });
    await prompt.waitFor();
    // In the first viewport, without scrolling.
    const box = await prompt.boundingBox();
    expect(box).not.toBeNull();
    expect((box?.y ?? 0) + (box?.height ?? 0)).toBeLessThanOrEqual(VIEWPORT.height);
    const reply = page.getByRole('article', { name: 'Assistant message 2' });
    expect(await reply.textContent()).toContain(REPLY);
    expect(((await reply.boundingBox())?.y ?? Number.POSITIVE_INFINITY) < VIEWPORT.height).toBe(true);

    // The CLAUDE.md reminder, the system prompt and the tools are one click away, not on the page:
    // the reminders hidden behind a checkbox, the rest folded.
    const reminders = latest.locator('[data-block="reminder"]');
    expect(await reminders.count()).toBe(0);
    const showReminders = page.getByRole('checkbox', { name: 'Show 2 hidden system reminders' });
    expect(await showReminders.isVisible()).toBe(true);
    const system = page.getByRole('article', { name: 'System prompt', includeHidden: true });
    expect(await system.isVisible()).toBe(false);
    expect(await page.getByText(/^System prompt 3 blocks, 15,\d{3} characters$/).isVisible()).toBe(true);
    expect(await page.getByText(/^Tools offered 17$/).isVisible()).toBe(true);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    // It was 7,226 px: every system block and the pretty-printed raw body were open.
    expect(height).toBeLessThanOrEqual(2 * VIEWPORT.height);
    await shot(page, 'request-claude-code-light');
    await switchTheme(page, 'dark');
    await shot(page, 'request-claude-code-dark');

    await page.getByText(/^System prompt 3 blocks/).click();
    expect(await system.isVisible()).toBe(true);
    expect(await system.textContent()).toContain("You are Claude Code, Anthropic's official CLI for Claude.");
    await showReminders.check();
    expect(await reminders.count()).toBe(2);
    expect(await reminders.first().getByText('Contents of /home/me/app/CLAUDE.md', { exact: false }).isVisible()).toBe(
      false,
    );
    await reminders.first().locator('summary').click();
    expect(await reminders.first().textContent()).toContain('Contents of /home/me/app/CLAUDE.md');
    expect(errors).toEqual([]);
  });

  it('keeps every stat card figure on one line, at 1280 px and narrower', async () => {
    const errors = await usePage(page, 'light');
    for (const width of [1280, 900, 600]) {
      await page.setViewportSize({ width, height: 900 });
      for (const screen of ['/', '/analytics?range=24h']) {
        await page.goto(`${gw.url}${screen}`);
        const totals = page.locator('dl.stats[aria-label="Totals"]');
        await totals.locator('[data-stat="Cost"]').filter({ hasText: '$1,234.81' }).waitFor();
        expect(await totals.locator('[data-stat="Output speed"]').textContent()).toBe('1234.5 tok/s');
        const cells = await lineCounts(page, 'dl.stats[aria-label="Totals"] :is(.stat-label, .stat-value)');
        expect(cells.length).toBeGreaterThan(10);
        for (const c of cells) expect(c, `${screen} at ${width} px`).toMatchObject({ lines: 1, overflows: false });
        // No card sticks out of the row of cards.
        const edges = await totals.evaluate((dl) => ({
          right: dl.getBoundingClientRect().right,
          cards: [...dl.children].map((c) => c.getBoundingClientRect().right),
        }));
        for (const right of edges.cards) expect(right).toBeLessThanOrEqual(edges.right + 0.5);
        if (screen === '/') {
          const retention = await lineCounts(page, 'dd[data-retention]');
          for (const c of retention)
            expect(c, `retention at ${width} px`).toMatchObject({ lines: 1, overflows: false });
          await shot(page, `overview-stats-${width}`);
        }
      }
    }
    await page.setViewportSize(VIEWPORT);
    expect(errors).toEqual([]);
  });

  it('does not scroll sideways at 900 or 600 px: the top bar wraps', async () => {
    const errors = await usePage(page, 'light');
    for (const width of [900, 600]) {
      await page.setViewportSize({ width, height: 900 });
      for (const screen of ['/', '/requests', '/accounts', '/analytics', '/logs', '/stats', '/settings']) {
        await page.goto(`${gw.url}${screen}`);
        await page.locator('main h1, main h2').first().waitFor();
        const wide = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          bar: document.querySelector('.topbar')?.scrollWidth ?? 0,
        }));
        expect(wide.bar, `top bar on ${screen} at ${width} px`).toBeLessThanOrEqual(wide.viewport);
        expect(wide.page, `${screen} at ${width} px`).toBeLessThanOrEqual(wide.viewport);
      }
    }
    await shot(page, 'topbar-600');
    await page.setViewportSize(VIEWPORT);
    expect(errors).toEqual([]);
  });
});
