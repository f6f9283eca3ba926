/**
 * The Conversations screen (Chromium, issue 16): the list with its filters, a conversation's tree
 * with a retried turn's branch and with two sub-agent runs beside the request that started them,
 * and a request's detail linking to its conversation with system reminders hidden. The rows are
 * the requests recorded from the real Claude Code CLI (src/conversations/__fixtures__), written
 * through the store's batched writer so the writer links them as it does on the request path.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationPage } from '../../src/shared/conversation-schemas.js';
import { api } from '../support/api-request.js';
import { chromiumAvailable, shot, usePage } from '../support/browser.js';
import { conversationFixture } from '../support/conversation-fixtures.js';
import { type DashboardRig, startDashboardRig } from '../support/dashboard-rig.js';
import type { TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const hasChromium = chromiumAvailable('dashboard conversations browser tests');

let rig: DashboardRig | undefined;
let page: Page;
let gw: TestGateway;
let branched: string;
let delegated: string;

/** The page is no wider than the viewport: nothing scrolls sideways. */
async function noSideScroll(p: Page): Promise<void> {
  const wide = await p.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    widest: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
      .slice(0, 3)
      .map((e) => `${e.tagName}.${e.className}`),
  }));
  expect(wide.page, wide.widest.join(' ')).toBeLessThanOrEqual(wide.viewport);
}

describe.skipIf(!hasChromium)('the Conversations screen', () => {
  beforeAll(async () => {
    rig = await startDashboardRig([{ name: 'main', key: 'sk-ant-api03-conversations-dashboard' }]);
    ({ page, gw } = rig);
    const main = await gw.account('main');
    // One batch per request, in the order Claude Code sent them: linking reads the earlier rows.
    for (const [name, rs] of [
      ['branch', conversationFixture('branch')],
      ['subtasks', conversationFixture('subtasks')],
    ] as const) {
      for (const [i, r] of rs.entries()) {
        const body = JSON.stringify(r.body);
        await gw.store.requests.writeBatch(
          [
            sampleRecord({
              id: `${name}-${i}`,
              ts: r.at,
              accountId: main.id,
              accountName: 'main',
              clientKey: 'laptop',
              sessionId: r.sessionId,
              agentInstance: r.agentId,
              agent: r.agentId ? 'reviewer' : null,
              modelRequested: r.body.model,
              modelApplied: r.body.model,
              inputTokens: 100,
              cacheReadTokens: 900,
              outputTokens: 50,
              costUsd: 0.25,
              payload: {
                requestHeaders: '{}',
                requestBody: body,
                responseHeaders: null,
                responseBody: null,
                requestTruncated: false,
                responseTruncated: false,
              },
              linkBody: body,
            }),
          ],
          [],
        );
      }
    }
    const list = (await api(gw.url, 'GET', '/api/conversations')).json as ConversationPage;
    branched = list.items.find((c) => c.branches > 1 && c.subtasks === 0)?.id ?? '';
    delegated = list.items.find((c) => c.subtasks === 2)?.id ?? '';
    expect(branched).not.toBe('');
    expect(delegated).not.toBe('');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('lists conversations with their figures and filters them by the first message, kept in the URL', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/conversations`);
    const table = page.getByRole('table', { name: 'Conversations, most recently active first' });
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(2);
    const row = table.locator(`tr[data-id="${delegated}"]`);
    expect(await row.locator('[data-col="requests"]').textContent()).toBe('4');
    expect(await row.locator('[data-col="subtasks"]').textContent()).toBe('2');
    expect(await row.locator('[data-col="cost"]').textContent()).toBe('$1.00');
    expect(await row.locator('[data-col="accounts"]').textContent()).toBe('main');
    expect(await row.getByRole('rowheader').textContent()).toContain('DELEGATE-TWO');
    await shot(page, 'conversations-list-light');
    await page.getByRole('searchbox', { name: 'First message' }).fill('DELEGATE');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.url()).toContain('q=DELEGATE');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('shows a retried turn as a branch growing from its branch point', async () => {
    const errors = await usePage(page, 'dark');
    await page.goto(`${gw.url}/conversations/${branched}`);
    const tree = page.getByRole('region', { name: 'Branches and sub-tasks' });
    await tree.locator('[data-branch="main"]').waitFor();
    const names = await tree
      .locator('[data-branch]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-branch')));
    expect(names).toEqual(['main', 'branch_1']);
    const point = tree.locator('[data-branch-point]');
    expect(await point.textContent()).toContain('branch_1');
    await point.getByRole('link', { name: 'branch_1' }).click();
    await expect.poll(() => page.url()).toContain('branch=branch_1');
    await shot(page, 'conversation-branches-dark');
    expect(errors).toEqual([]);
  });

  it('shows two sub-task boxes beside the request that started them, prompt on focus, and opens one', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/conversations/${delegated}`);
    const tree = page.getByRole('region', { name: 'Branches and sub-tasks' });
    const boxes = tree.getByRole('region', { name: 'Sub-tasks started by request 1' });
    await boxes.waitFor();
    const subtasks = boxes.locator('[data-subtask]');
    expect(await subtasks.evaluateAll((els) => els.map((e) => e.getAttribute('data-subtask')))).toEqual([
      'subtask_1',
      'subtask_2',
    ]);
    // Keyboard: the box is a button; its prompt is its description and shows while it has focus.
    const first = subtasks.first().getByRole('button');
    await first.focus();
    const tip = subtasks.first().getByRole('tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toMatch(/Review/);
    await shot(page, 'conversation-subtasks-light');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('branch=subtask_1');
    const branch = tree.locator('[data-branch="subtask_1"]');
    // The branch opens on the render that follows the address change, not with it.
    await expect.poll(() => branch.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await expect.poll(() => branch.locator('.conv-node').count()).toBe(1);
    await noSideScroll(page);
    expect(errors).toEqual([]);
  });

  it('fits a 390 px wide phone without sideways scroll', async () => {
    const errors = await usePage(page, 'dark');
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${gw.url}/conversations`);
      await page.getByRole('table').waitFor();
      await noSideScroll(page);
      await page.goto(`${gw.url}/conversations/${delegated}`);
      await page.locator('[data-subtask]').first().waitFor();
      await noSideScroll(page);
      await shot(page, 'conversation-subtasks-390-dark');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    expect(errors).toEqual([]);
  });

  it("links a request's detail to its conversation and hides its system reminders until asked", async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${gw.url}/requests/subtasks-0`);
    const link = page.getByRole('link', { name: 'Open the conversation (branch main)' });
    await link.waitFor();
    const conversation = page.getByRole('region', { name: 'Conversation' });
    expect(await conversation.textContent()).not.toContain('Codebase and user instructions');
    const toggle = conversation.getByRole('checkbox', { name: 'Show 2 hidden system reminders' });
    await toggle.check();
    await expect.poll(() => conversation.locator('.turn-user [data-block="reminder"]').count()).toBe(2);
    await link.click();
    await expect.poll(() => page.url()).toBe(`${gw.url}/conversations/${delegated}?branch=main`);
    expect(errors).toEqual([]);
  });

  // Last: its conversation would be a third row for the tests above.
  it('names the models of a conversation of sub-agent requests alone, and keeps dates and model ids on one line', async () => {
    const errors = await usePage(page, 'light');
    const main = await gw.account('main');
    const body = JSON.stringify({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'SOLO-SUBAGENT task' }],
    });
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          id: 'solo-0',
          accountId: main.id,
          accountName: 'main',
          agentInstance: 'agent-solo',
          agent: 'solo',
          modelRequested: 'claude-haiku-4-5',
          modelApplied: 'claude-haiku-4-5',
          linkBody: body,
        }),
      ],
      [],
    );
    const solo = ((await api(gw.url, 'GET', '/api/conversations')).json as ConversationPage).items.find((c) =>
      c.agents.includes('solo'),
    );
    expect(solo?.model).toBeNull();

    await page.setViewportSize({ width: 1400, height: 900 });
    try {
      await page.goto(`${gw.url}/conversations`);
      const row = page.locator(`tr[data-id="${solo?.id}"]`);
      await row.waitFor();
      // Not a bare dash, which read as a model not recorded.
      const model = row.locator('[data-col="model"]');
      expect(await model.textContent()).toBe('sub-agents only');
      expect(await model.locator('span').getAttribute('title')).toContain('main agent');
      // "claude-sonnet-4-" / "5" and dates over two or three lines, before.
      const lines = (col: string) =>
        page.locator(`tr[data-id="${delegated}"] [data-col="${col}"]`).evaluate((td) => {
          const range = document.createRange();
          range.selectNodeContents(td);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        });
      for (const col of ['firstAt', 'lastAt', 'model', 'tokens']) expect(await lines(col), col).toBe(1);
      expect(await page.locator(`tr[data-id="${delegated}"] [data-col="model"]`).textContent()).toMatch(/^claude-/);

      await page.goto(`${gw.url}/conversations/${solo?.id}`);
      const model2 = page.locator('.stat', { has: page.locator('dt', { hasText: 'Model' }) }).locator('dd');
      await model2.waitFor();
      expect(await model2.textContent()).toBe('claude-haiku-4-5 (sub-agents)');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    expect(errors).toEqual([]);
  });
});
