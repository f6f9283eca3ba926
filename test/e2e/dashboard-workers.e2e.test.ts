/**
 * The dashboard's Workers screen in Chromium against the real gateway, whose workers run on the
 * fake engine the test plays (fast and deterministic; the Agent SDK path is workers.e2e): cards
 * with state, progress, cost and last action; an edit waiting with its diff, approved with the
 * keyboard, and the worker going on to complete; a Bash call rejected by keyboard with a message
 * the worker receives; the streamed log; the template form with the gateway's error and then a
 * created worker; limits edited on a running worker; and the screen without the Agent SDK.
 * One path runs the real Agent SDK (when installed) against the fake upstream: its Bash call is
 * approved with the keyboard, the file is made and the worker completes, its log showing it.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WorkerViewData } from '../../src/shared/workers-schemas.js';
import type { ApprovalAnswer } from '../../src/workers/types.js';
import { chromiumAvailable, launchChromium, sharedPage, shot, switchTheme, usePage } from '../support/browser.js';
import { oneBashCallHandler } from '../support/claude-code-upstream.js';
import { REPO } from '../support/cli-io.js';
import { FakeEngine } from '../support/fake-worker-engine.js';
import { gatewayForFile } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';

const hasChromium = chromiumAvailable('dashboard Workers browser tests');
const SDK_PRESENT = existsSync(join(REPO, 'node_modules', '@anthropic-ai', 'claude-agent-sdk', 'sdk.mjs'));
/** Generous: Claude Code is a large binary and the machine is shared. */
const SDK_STEP_MS = 90_000;

let browser: Browser;
let page: Page;
let project: string;

describe.skipIf(!hasChromium)('dashboard Workers screen in Chromium', () => {
  const engine = new FakeEngine();
  const ctx = gatewayForFile({ workerEngine: engine });

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${ctx.gw.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const create = (body: Record<string, unknown>) =>
    api<WorkerViewData>('POST', '/api/workers', { cwd: project, ...body });
  const stateOf = async (name: string) => (await ctx.gw.server.workers.get(name)).state;
  const card = (name: string) => page.locator(`[data-worker="${name}"]`);

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'ccflare-dash-workers-'));
    mkdirSync(join(project, 'src'));
    writeFileSync(join(project, 'src', 'app.ts'), 'export function greet(name) {\n  return "Hi " + name;\n}\n');
    browser = await launchChromium();
    ({ page } = await sharedPage(browser));
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(project, { recursive: true, force: true });
  });
  beforeEach(() => {
    engine.available = true;
  });

  it('shows cards, approves an edit with its diff by keyboard, rejects a command with a message, and streams the log', async () => {
    const errors = await usePage(page, 'light');
    await create({ name: 'alpha', prompt: 'Type the greeting', policy: 'ask-all', maxTurns: 10, budgetUsd: 2 });
    await create({ name: 'beta', prompt: 'Clean up', policy: 'ask-all' });
    await create({ name: 'gamma', prompt: 'Later', start: false });
    await expect.poll(() => stateOf('beta')).toBe('running');
    const alpha = engine.runOf('alpha');
    const beta = engine.runOf('beta');
    const at = Date.now();
    alpha.hooks.log([
      { at, kind: 'system', text: 'Session started', data: null },
      { at, kind: 'assistant', text: 'I will add types to greet.', data: null },
      { at, kind: 'tool_use', text: 'Read src/app.ts', data: null },
      { at, kind: 'tool_result', text: 'export function greet(name) {…', data: null },
    ]);
    alpha.hooks.progress(2, 'Edit src/app.ts');
    const edit: Promise<ApprovalAnswer> = alpha.ask({
      tool: 'Edit',
      toolUseId: 'toolu_edit',
      input: {
        file_path: join(project, 'src', 'app.ts'),
        old_string: 'function greet(name)',
        new_string: 'function greet(name: string)',
      },
      risk: 'medium',
      reason: 'edits a file inside the working directory',
    });
    const rm: Promise<ApprovalAnswer> = beta.ask({
      tool: 'Bash',
      toolUseId: 'toolu_rm',
      input: { command: 'rm -rf /srv/shared' },
      risk: 'high',
      reason: 'deletes recursively outside the working directory',
    });

    await page.goto(`${ctx.gw.url}/`);
    await page.getByRole('link', { name: 'Workers' }).click();
    await page.getByRole('heading', { name: 'Approval queue' }).waitFor();
    await expect.poll(() => card('alpha').getByTestId('worker-state').textContent()).toBe('Waiting for approval');
    expect(await card('alpha').textContent()).toContain('2 of 10');
    expect(await card('alpha').textContent()).toContain('of $2.00');
    expect(await card('alpha').getByTestId('worker-last').textContent()).toBe('Waiting for approval: Edit');
    expect(await card('gamma').getByTestId('worker-state').textContent()).toBe('Paused');
    const items = page.locator('li[data-approval]');
    await expect.poll(() => items.count()).toBe(2);
    const first = items.nth(0);
    expect(await first.locator('.badge.risk').textContent()).toBe('Medium risk');
    const lines = (cls: string) => first.locator(cls).evaluateAll((els) => els.map((e) => e.textContent?.trimEnd()));
    expect(await lines('.diff-del')).toEqual(['-export function greet(name) {']);
    expect(await lines('.diff-add')).toEqual(['+export function greet(name: string) {']);
    // The time left to decide counts down while the page stays open.
    const deadline = first.getByTestId('approval-deadline');
    const shown = await deadline.textContent();
    expect(shown).toMatch(/^rejected if not decided within \d+m \d+s$/);
    await expect.poll(() => deadline.textContent()).not.toBe(shown);
    const second = items.nth(1);
    expect(await second.locator('.badge.risk').textContent()).toBe('High risk');
    expect(await second.getByTestId('approval-command').textContent()).toBe('$ rm -rf /srv/shared');
    await shot(page, 'workers-approval-diff');

    // The first is selected: `a` approves it, and the worker's run gets the go-ahead.
    expect(await first.getAttribute('aria-current')).toBe('true');
    await page.keyboard.press('a');
    expect(await edit).toMatchObject({ allow: true });
    await expect.poll(() => items.count()).toBe(1);
    await page.getByText('Edit of alpha approved.').waitFor();
    // The worker continues and completes; its card follows live.
    alpha.hooks.progress(3, 'Bash: npm test');
    await expect.poll(() => card('alpha').getByTestId('worker-last').textContent()).toBe('Bash: npm test');
    expect(await card('alpha').getByTestId('worker-state').textContent()).toBe('Running');
    alpha.hooks.log([{ at: Date.now(), kind: 'error', text: 'npm test: 1 failing', data: null }]);
    alpha.complete();
    await expect.poll(() => card('alpha').getByTestId('worker-state').textContent()).toBe('Completed');

    // `r` asks for the message the worker reads; Enter sends it.
    await page.keyboard.press('r');
    const message = page.locator('textarea[name="reject-message"]');
    await expect.poll(() => message.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByText('Write a message: the worker reads it.').waitFor();
    await message.fill('Never delete shared folders; leave them.');
    await page.keyboard.press('Enter');
    expect(await rm).toMatchObject({ allow: false, message: 'Never delete shared folders; leave them.' });
    await page.getByText('No tool call is waiting for approval.').waitFor();
    await shot(page, 'workers');

    // The log: replayed from the start, then live, each kind marked.
    await card('alpha').getByRole('button', { name: 'Log' }).click();
    await page.getByRole('heading', { name: 'Log of alpha' }).waitFor();
    expect(page.url()).toContain('?worker=alpha');
    const kinds = page.locator('.log-entry');
    await expect
      .poll(() => kinds.evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-kind')))]))
      .toEqual(expect.arrayContaining(['system', 'assistant', 'tool_use', 'tool_result', 'approval', 'error']));
    expect(await page.locator('.log-approval .log-text').allTextContents()).toEqual([
      'Waiting for approval (medium risk: edits a file inside the working directory): Edit',
      'Approved: Edit',
    ]);
    expect(await page.locator('.log-error').first().textContent()).toContain('npm test: 1 failing');
    await expect.poll(() => page.locator('.worker-log [role="status"]').textContent()).toBe('Streaming');
    await shot(page, 'workers-log');
    await switchTheme(page, 'dark');
    await shot(page, 'workers-log-dark');
    expect(errors).toEqual([]);
  });

  it("creates a worker from a template form, showing the gateway's error inline first, and edits its limits", async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${ctx.gw.url}/workers`);
    await page.getByRole('button', { name: 'New worker' }).click();
    const dialog = page.getByRole('dialog', { name: 'New worker' });
    await dialog.locator('input[name="name"]').fill('tests');
    await dialog.getByLabel('Template').check();
    await dialog.locator('select[name="template"]').selectOption('write-tests');
    await dialog.getByText('Writes tests for one file').waitFor();
    await dialog.locator('input[name="value-file"]').fill('src/app.ts');
    await dialog.locator('textarea[name="value-focus"]').fill('names with spaces');
    await dialog.locator('input[name="cwd"]').fill(join(project, 'missing'));
    await dialog.locator('select[name="policy"]').selectOption('auto-medium');
    await dialog.locator('input[name="maxTurns"]').fill('12');
    await dialog.locator('input[name="budgetUsd"]').fill('1.5');
    await dialog.getByRole('button', { name: 'Create worker' }).click();
    await expect
      .poll(() => dialog.getByRole('alert').textContent())
      .toBe(`Working directory ${join(project, 'missing')} does not exist or is not a directory`);
    await shot(page, 'workers-template-form');
    await dialog.locator('input[name="cwd"]').fill(project);
    await dialog.getByRole('button', { name: 'Create worker' }).click();
    await page.getByText('Worker tests created and queued.').waitFor();
    const w = await ctx.gw.server.workers.get('tests');
    expect(w).toMatchObject({ templateId: 'write-tests', policy: 'auto-medium', maxTurns: 12, budgetUsd: 1.5 });
    expect(w.prompt).toContain('Write tests for src/app.ts.');
    expect(w.prompt).toContain('Focus on: names with spaces');
    await expect.poll(() => stateOf('tests')).toBe('running');

    await card('tests').getByRole('button', { name: 'Limits' }).click();
    const limits = page.getByRole('dialog', { name: 'Limits of tests' });
    await limits.locator('input[name="budgetUsd"]').fill('-3');
    await limits.getByRole('button', { name: 'Save' }).click();
    await limits.getByText('Enter a positive number, or leave it empty.').waitFor();
    await limits.locator('input[name="budgetUsd"]').fill('4');
    await limits.locator('input[name="maxTurns"]').fill('');
    await limits.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Limits of tests saved.').waitFor();
    expect(await ctx.gw.server.workers.get('tests')).toMatchObject({ budgetUsd: 4, maxTurns: null, state: 'running' });
    await expect.poll(() => card('tests').textContent()).toContain('of $4.00');

    await card('tests').getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('dialog', { name: 'Delete worker tests?' })
      .getByRole('button', { name: 'Delete worker' })
      .click();
    await page.getByText('Worker tests deleted with its log and approvals.').waitFor();
    await expect.poll(() => card('tests').count()).toBe(0);
    // The browser reports the refused create (400) itself; nothing else went wrong.
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it('approves a call with edited input, refusing input that is not a JSON object first', async () => {
    const errors = await usePage(page, 'light');
    await create({ name: 'delta', prompt: 'Run the tests', policy: 'ask-all' });
    await expect.poll(() => stateOf('delta')).toBe('running');
    const answer = engine.runOf('delta').ask({ input: { command: 'npm test' }, reason: 'runs a shell command' });
    await page.goto(`${ctx.gw.url}/workers`);
    const item = page.locator('li[data-approval]');
    await item.getByTestId('approval-command').waitFor();
    await item.getByLabel('Approve with edited input').check();
    const input = item.locator('textarea[name="edited-input"]');
    expect(JSON.parse(await input.inputValue())).toEqual({ command: 'npm test' });
    await input.fill('{"command": ');
    await item.getByRole('button', { name: 'Approve' }).click();
    await item.getByText(/^Not valid JSON: /).waitFor();
    await input.fill('["npm test"]');
    await item.getByRole('button', { name: 'Approve' }).click();
    await item.getByText('The input must be a JSON object ({ … }).').waitFor();
    await input.fill('{"command": "npm test -- --run"}');
    await item.getByRole('button', { name: 'Approve' }).click();
    expect(await answer).toEqual({ allow: true, input: { command: 'npm test -- --run' } });
    await page.getByText('Bash of delta approved.').waitFor();
    const [decided] = (
      await api<{ approvals: { decidedInput: unknown }[] }>('GET', '/api/approvals?state=approved&worker=delta')
    ).approvals;
    expect(decided?.decidedInput).toEqual({ command: 'npm test -- --run' });
    expect(errors).toEqual([]);
  });

  it('says how to enable workers when the Agent SDK is not installed', async () => {
    const errors = await usePage(page, 'light');
    engine.available = false;
    await page.goto(`${ctx.gw.url}/workers`);
    await page.getByRole('heading', { name: 'Workers are not enabled' }).waitFor();
    expect(await page.getByTestId('unavailable-message').textContent()).toContain(
      'npm install @anthropic-ai/claude-agent-sdk',
    );
    expect(await page.getByRole('button', { name: 'New worker' }).isDisabled()).toBe(true);
    await shot(page, 'workers-sdk-missing');
    // The browser reports the 503 itself; nothing else went wrong.
    expect(errors.filter((e) => !e.includes('status of 503'))).toEqual([]);
  });
});

describe.skipIf(
  !hasChromium ||
    !requireTool(
      'dashboard Workers with the real Agent SDK',
      'The Claude Agent SDK (node_modules/@anthropic-ai/claude-agent-sdk)',
      SDK_PRESENT,
      '`npm install @anthropic-ai/claude-agent-sdk`, an optional dependency',
    ),
)('dashboard Workers screen with the real Agent SDK', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'ccflare-dash-workers-sdk-')));
  for (const d of ['home', 'tmp', 'project']) mkdirSync(join(root, d), { recursive: true });
  const ctx = gatewayForFile({
    setup: (g) => g.addApiKey('only', 'sk-ant-api03-dash-workers-sdk-account-00').then(() => undefined),
    workerSdk: { home: join(root, 'home'), env: { TMPDIR: join(root, 'tmp') } },
  });
  let sdkBrowser: Browser;
  let sdkPage: Page;

  beforeAll(async () => {
    sdkBrowser = await launchChromium();
    ({ page: sdkPage } = await sharedPage(sdkBrowser));
  });
  afterAll(async () => {
    await sdkBrowser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(
    "approves a real worker's Bash call with the keyboard; the file is made and the worker completes",
    async () => {
      const errors = await usePage(sdkPage, 'light');
      ctx.up.setHandler(oneBashCallHandler('touch made-in-browser.txt', 'Making the file.'));
      const cwd = join(root, 'project');
      await sdkPage.goto(`${ctx.gw.url}/workers`);
      await sdkPage.getByRole('button', { name: 'New worker' }).click();
      const dialog = sdkPage.getByRole('dialog', { name: 'New worker' });
      await dialog.locator('input[name="name"]').fill('browser-toucher');
      await dialog.locator('input[name="cwd"]').fill(cwd);
      await dialog.locator('textarea[name="prompt"]').fill('Create the marker file.');
      await dialog.getByRole('button', { name: 'Create worker' }).click();
      const item = sdkPage.locator('li[data-approval]');
      await item.getByTestId('approval-command').waitFor({ timeout: SDK_STEP_MS });
      expect(await item.getByTestId('approval-command').textContent()).toBe('$ touch made-in-browser.txt');
      expect(existsSync(join(cwd, 'made-in-browser.txt')), 'nothing runs before the approval').toBe(false);
      await sdkPage.keyboard.press('a');
      const state = sdkPage.locator('[data-worker="browser-toucher"]').getByTestId('worker-state');
      await state.filter({ hasText: /^(Completed|Failed|Stopped)$/ }).waitFor({ timeout: SDK_STEP_MS });
      expect(await state.textContent()).toBe('Completed');
      expect(existsSync(join(cwd, 'made-in-browser.txt'))).toBe(true);
      await sdkPage.locator('[data-worker="browser-toucher"]').getByRole('button', { name: 'Log' }).click();
      await sdkPage.locator('.log-tool_use', { hasText: 'Bash: touch made-in-browser.txt' }).waitFor();
      await sdkPage.locator('.log-assistant', { hasText: 'DONE. The tool said:' }).first().waitFor();
      expect(errors).toEqual([]);
    },
    4 * SDK_STEP_MS,
  );
});
