import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, shot, shownMoment, switchTheme, usePage } from '../support/browser.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import { errorBody, type FakeUpstream } from '../support/fake-upstream.js';
import type { TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard Logs and Stats browser tests');

const MIN = 60_000;
const ALPHA_KEY = 'sk-ant-api03-logs-stats-alpha';
const BETA_KEY = 'sk-ant-api03-logs-stats-beta';
const RATE_LIMIT_MSG = 'Number of request tokens has exceeded your per-minute rate limit';

let rig: DashboardRig | undefined;
let page: Page;
let up: FakeUpstream;
let gw: TestGateway;
let now: number;

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function cell(page: Page, account: string, col: string) {
  // The figure itself, without the small hint line under some of them.
  return page
    .getByRole('row', { name: `Account ${account}` })
    .locator(`[data-col="${col}"] .cell-value, td[data-col="${col}"]:not(:has(.cell-value))`);
}

describe.skipIf(!hasChromium)('dashboard Stats and Logs screens in Chromium', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([
      { name: 'alpha', key: ALPHA_KEY },
      { name: 'beta', key: BETA_KEY, over: { priority: 1 } },
    ]);
    ({ page, up, gw } = rig);
    const alpha = (await gw.account('alpha')).id;
    const beta = (await gw.account('beta')).id;
    now = Date.now();
    const a = { accountId: alpha, accountName: 'alpha' };
    const b = { accountId: beta, accountName: 'beta' };
    const ok = { inputTokens: 100, outputTokens: 50, costUsd: 0.01 };
    const failed = { success: false, inputTokens: null, outputTokens: null, costUsd: null, ttftMs: null };
    await gw.store.requests.writeBatch(
      [
        sampleRecord({ ...a, ...ok, id: 'a1', ts: now - 30 * MIN, latencyMs: 1000 }),
        sampleRecord({ ...a, ...ok, id: 'a2', ts: now - 25 * MIN, latencyMs: 2000 }),
        sampleRecord({ ...a, ...ok, id: 'a3', ts: now - 20 * MIN, latencyMs: 3000 }),
        sampleRecord({
          ...a,
          ...failed,
          id: 'a4-failed',
          ts: now - 15 * MIN,
          latencyMs: 400,
          status: 500,
          error: 'api_error: Internal server error',
          modelApplied: 'claude-opus-4-1',
        }),
        sampleRecord({
          ...b,
          id: 'b1',
          ts: now - 10 * MIN,
          latencyMs: 600,
          inputTokens: 200,
          outputTokens: 100,
          costUsd: 0.02,
        }),
        sampleRecord({
          ...b,
          ...failed,
          id: 'b2-failed',
          ts: now - 5 * MIN,
          latencyMs: 100,
          status: 429,
          error: `rate_limit_error: ${RATE_LIMIT_MSG}`,
        }),
      ],
      [
        { accountId: alpha, requests: 4, lastUsedAt: now - 15 * MIN },
        { accountId: beta, requests: 2, lastUsedAt: now - 5 * MIN },
      ],
    );
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('shows totals, per-account figures and recent errors computed from the records (light, dark)', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/stats`);
    await page.getByRole('heading', { name: 'Stats', exact: true }).waitFor();
    const stat = (label: string) => page.locator(`[data-stat="${label}"]`).textContent();
    await page.locator('[data-stat="Requests"]').waitFor();
    // 6 requests, 4 succeeded; latency (1000+2000+3000+400+600+100)/6 = 1183 ms; tokens 3×150 + 300;
    // cost 3×$0.01 + $0.02.
    expect(await stat('Requests')).toBe('6');
    expect(await stat('Success rate')).toBe('66.7%');
    expect(await stat('Avg latency')).toBe('1.18 s');
    expect(await stat('Tokens')).toBe('750');
    expect(await stat('Cost')).toBe('$0.05');

    // alpha: 4 requests, 1 failed, latency (1000+2000+3000+400)/4 = 1600 ms, 450 tokens, $0.03.
    expect(await cell(page, 'alpha', 'requests').textContent()).toBe('4');
    expect(await cell(page, 'alpha', 'success').textContent()).toBe('75.0%');
    expect(await cell(page, 'alpha', 'errors').textContent()).toBe('1');
    expect(await cell(page, 'alpha', 'avg-latency').textContent()).toBe('1.60 s');
    expect(await cell(page, 'alpha', 'p95-latency').textContent()).toMatch(/^\d[\d.]* (ms|s)$/);
    expect(await cell(page, 'alpha', 'tokens').textContent()).toBe('450');
    expect(await cell(page, 'alpha', 'cost').textContent()).toBe('$0.03');
    expect(await cell(page, 'alpha', 'counter').textContent()).toBe('4');
    expect(await cell(page, 'alpha', 'last-used').textContent()).toBe(await shownMoment(page, now - 15 * MIN));
    // beta: 2 requests, 1 failed, latency (600+100)/2 = 350 ms, 300 tokens, $0.02.
    expect(await cell(page, 'beta', 'requests').textContent()).toBe('2');
    expect(await cell(page, 'beta', 'success').textContent()).toBe('50.0%');
    expect(await cell(page, 'beta', 'errors').textContent()).toBe('1');
    expect(await cell(page, 'beta', 'avg-latency').textContent()).toBe('350 ms');
    expect(await cell(page, 'beta', 'tokens').textContent()).toBe('300');
    expect(await cell(page, 'beta', 'cost').textContent()).toBe('$0.02');
    expect(await cell(page, 'beta', 'counter').textContent()).toBe('2');

    // Recent errors, newest first, each linked to its request.
    const errorsTable = page.getByRole('table', { name: 'Recent errors' });
    const rows = errorsTable.locator('tbody tr');
    expect(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-id')))).toEqual(['b2-failed', 'a4-failed']);
    const newest = await rows.first().locator('td').allTextContents();
    expect(newest.slice(0, 5)).toEqual([
      await shownMoment(page, now - 5 * MIN),
      'beta',
      'claude-sonnet-4-5',
      '429',
      `rate_limit_error: ${RATE_LIMIT_MSG}`,
    ]);
    expect(await rows.nth(1).textContent()).toContain('claude-opus-4-1');
    await shot(page, 'stats-light');
    await switchTheme(page, 'dark');
    await shot(page, 'stats-dark');

    await page.getByRole('link', { name: 'Details of request b2-failed' }).click();
    await page.getByRole('heading', { name: 'Request b2-failed' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/requests/b2-failed');
    expect(errors).toEqual([]);
  });

  it('resets the counters after confirmation only, and keeps the history', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/stats`);
    await cell(page, 'alpha', 'requests').waitFor();
    const open = page.getByRole('button', { name: 'Reset counters…' });

    await open.click();
    const dialog = page.getByRole('dialog', { name: 'Reset the request counters?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('History is kept');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await cell(page, 'alpha', 'counter').textContent()).toBe('4');
    expect((await gw.account('alpha')).requestCount).toBe(4);

    await open.click();
    await dialog.getByRole('button', { name: 'Reset counters', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Counters reset to 0 on 2 accounts' }).waitFor();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => cell(page, 'alpha', 'counter').textContent()).toBe('0');
    expect(await cell(page, 'beta', 'counter').textContent()).toBe('0');
    expect(
      await page.getByRole('row', { name: 'Account alpha' }).locator('[data-col="counter"]').textContent(),
    ).toContain('0 this session');
    expect((await gw.account('alpha')).requestCount).toBe(0);
    // History is not touched.
    expect(await cell(page, 'alpha', 'requests').textContent()).toBe('4');
    expect(await page.locator('[data-stat="Requests"]').textContent()).toBe('6');
    expect(await page.getByRole('table', { name: 'Recent errors' }).locator('tbody tr').count()).toBe(2);
    expect(errors).toEqual([]);
  });

  it('tails the gateway log live: level filter, pause and resume, clear', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/logs`);
    await page.getByRole('heading', { name: 'Logs', exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Following the gateway log' }).waitFor();
    const log = page.getByRole('region', { name: 'Log lines, oldest first' });
    const lines = log.locator('li.log-line');

    await gw.settle();
    // alpha answers 429: a warning, then the request fails over to beta, which succeeds.
    up.setHandler((req) =>
      req.headers['x-api-key'] === ALPHA_KEY
        ? {
            kind: 'json',
            status: 429,
            headers: { 'retry-after': '60' },
            body: errorBody('rate_limit_error', RATE_LIMIT_MSG),
          }
        : undefined,
    );
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    up.setHandler(null);
    const [record] = await gw.records(1);

    const warn = lines.filter({ has: page.locator('.log-level', { hasText: 'WARN' }) }).filter({ hasText: 'alpha' });
    await warn.first().waitFor({ timeout: 3000 });
    const warnText = await warn.first().textContent();
    expect(warnText).toContain('account=alpha');
    expect(warnText).toContain('status=429');
    // The request id field links to the request's detail.
    expect(await warn.first().getByRole('link').getAttribute('href')).toBe(`/requests/${record?.id}`);
    const info = lines.filter({ has: page.locator('.log-level', { hasText: 'INFO' }) });
    await info.filter({ hasText: 'session window started' }).first().waitFor();
    await shot(page, 'logs-light');

    // Minimum level: warnings and up hide the info lines; back to all shows them again.
    await page.getByLabel('Level').selectOption('warn');
    await expect.poll(() => new URL(page.url()).searchParams.get('level')).toBe('warn');
    await expect.poll(() => info.count()).toBe(0);
    expect(await warn.count()).toBeGreaterThan(0);
    expect(await page.getByTestId('log-counts').textContent()).toMatch(/^Showing \d+ of \d+ lines/);
    await page.getByLabel('Level').selectOption('info');
    await expect.poll(() => info.count()).toBeGreaterThan(0);

    // Pause: a new line is counted but not shown until resume.
    await page.getByRole('button', { name: 'Clear' }).click();
    await log.getByText('No log lines yet').waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: '(paused)' }).waitFor();
    const reset = await fetch(`${gw.url}/api/stats/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    const resume = page.getByRole('button', { name: /^Resume \(\d+ new\)$/ });
    await resume.waitFor({ timeout: 3000 });
    expect(await lines.count()).toBe(0);
    await resume.click();
    await lines.filter({ hasText: 'account usage counters reset' }).waitFor();
    expect(await lines.filter({ hasText: 'account usage counters reset' }).textContent()).toContain('accountsReset=2');
    await page.getByRole('button', { name: 'Pause' }).waitFor();

    await page.getByRole('button', { name: 'Clear' }).click();
    await log.getByText('No log lines yet').waitFor();
    expect(errors).toEqual([]);
  });

  it('opens on the log file and the lines the gateway still buffers, each once (dark)', async () => {
    const errors = await usePage(page, 'dark');
    await page.goto(`${gw.url}/logs?level=warn`);
    const lines = page.getByRole('region', { name: 'Log lines, oldest first' }).locator('li.log-line');
    // The warning of the previous test (still among the last 1000 events), replayed from the gateway's buffer.
    await lines.filter({ hasText: 'account=alpha' }).first().waitFor();
    expect(await page.getByLabel('Level').inputValue()).toBe('warn');
    expect(await lines.evaluateAll((l) => l.every((x) => x.getAttribute('data-level') !== 'info'))).toBe(true);
    await page.getByLabel('Level').selectOption('info');
    await lines.filter({ hasText: 'account usage counters reset' }).first().waitFor();
    // Logged at start, before anything followed the log: only the log file has it (GET /api/logs/history).
    await lines.filter({ hasText: 'ccflare listening' }).first().waitFor();
    expect(await lines.filter({ hasText: 'ccflare listening' }).count()).toBe(1);
    await shot(page, 'logs-dark');
    expect(errors).toEqual([]);
  });

  it('follows the newest line unless scrolled up, and keeps only the newest 2,000 lines', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/logs`);
    await page.getByRole('status').filter({ hasText: 'Following the gateway log' }).waitFor();
    const log = page.getByRole('region', { name: 'Log lines, oldest first' });
    const resets = log.locator('li.log-line').filter({ hasText: 'account usage counters reset' });
    // Every counter reset logs one info line: an easy way to make the gateway log on demand.
    const logLines = async (n: number) => {
      for (let i = 0; i < n; i += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, () =>
            fetch(`${gw.url}/api/stats/reset`, { method: 'POST' }).then((r) => r.text()),
          ),
        );
      }
    };
    // The lines the gateway still buffers come first: every counter reset logged so far (far fewer
    // than the 1,000 events it keeps).
    const before = gw.logs.filter(
      (l) => (JSON.parse(l) as { msg?: string }).msg === 'account usage counters reset',
    ).length;
    await expect.poll(() => resets.count()).toBe(before);
    await logLines(60);
    await expect.poll(() => resets.count()).toBe(before + 60);
    const gapToBottom = () => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    await expect.poll(gapToBottom).toBeLessThan(2);

    // Scrolled up: new lines arrive without moving the view; a button jumps back.
    await log.evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    const jump = page.getByRole('button', { name: 'Jump to the newest line' });
    await jump.waitFor();
    await logLines(5);
    await expect.poll(() => resets.count()).toBe(before + 65);
    expect(await log.evaluate((el) => el.scrollTop)).toBe(0);
    await jump.click();
    await expect.poll(gapToBottom).toBeLessThan(2);
    await jump.waitFor({ state: 'hidden' });

    // Past 2,000 lines the oldest are let go and the count says so. So many lines go straight onto
    // the gateway's event bus, where the logger's tee puts each line it writes; in rounds the page
    // has read before the next, as the gateway drops a client that falls 1,000 events behind.
    const lines = log.locator('li.log-line');
    const filler = (i: number) => `filler ${String(i).padStart(4, '0')}`;
    for (let i = 0; i < 2040; ) {
      for (const end = i + 255; i < end; i++) {
        gw.server.events.emit('log', { level: 'info', time: Date.now(), msg: filler(i), fields: {} });
      }
      await expect.poll(() => lines.last().textContent()).toContain(filler(i - 1));
    }
    expect(await lines.count()).toBe(2000);
    expect(await lines.first().textContent()).toContain('filler 0040');
    await page.getByTestId('log-counts').filter({ hasText: '2,000 lines' }).waitFor();
    expect(await page.getByTestId('log-counts').textContent()).toMatch(/older lines let go/);
    await expect.poll(gapToBottom).toBeLessThan(2);
    expect(errors).toEqual([]);
  }, 60_000);

  it('updates the stats live when a request finishes, without reload', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/stats`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const requests = page.locator('[data-stat="Requests"]');
    await requests.waitFor();
    const before = Number((await requests.textContent())?.replace(/,/g, ''));
    const betaBefore = Number(await cell(page, 'beta', 'requests').textContent());
    await gw.settle();
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    // alpha is still cooling down after its 429 of the Logs test: beta serves it.
    await expect.poll(() => requests.textContent(), { timeout: 5000 }).toBe(fmt(before + 1));
    await expect.poll(() => cell(page, 'beta', 'requests').textContent()).toBe(String(betaBefore + 1));
    expect(errors).toEqual([]);
  });
});
