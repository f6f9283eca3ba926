import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPromptTemplate } from '../../src/shared/agents-schemas.js';
import { api } from '../support/api-request.js';
import { chromiumAvailable, launchChromium, sharedPage, shot, switchTheme, usePage } from '../support/browser.js';
import { gatewayForFile } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';
import { timeUntil } from '../support/wait.js';

const hasChromium = chromiumAvailable('dashboard Agents and Tools browser tests');

const MIN = 60_000;
const userDir = mkdtempSync(join(tmpdir(), 'ccflare-agents-user-'));
const workspace = mkdtempSync(join(tmpdir(), 'ccflare-agents-ws-'));
/** A workspace named in traffic from another machine: listed, its agents not loaded. */
const elsewhere = join(tmpdir(), `ccflare-agents-elsewhere-${randomUUID()}`);

const REVIEWER = `---
name: reviewer
description: Reviews diffs for bugs
tools: Read, Grep, Glob
color: blue
x-team: platform
---
You review code changes and report bugs.
`;

function agentFile(name: string, description: string, body: string): string {
  return `---\nname: ${name}\ndescription: ${description}\n---\n${body}\n`;
}

/** A main-agent request the way Claude Code 2.1.328 sends it (protocol.md §7), naming `dir` as its workspace. */
async function claudeCodeRequest(url: string, dir: string): Promise<void> {
  const res = await fetch(`${url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'user-agent': 'claude-cli/2.1.328 (external, cli)',
      'x-app': 'cli',
      'x-claude-code-session-id': randomUUID(),
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 32,
      system: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.328; cc_entrypoint=cli;' },
        { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
        {
          type: 'text',
          text: `You are an interactive CLI tool that helps users with software engineering tasks.\n\nHere is useful information about the environment you are running in:\n<env>\nWorking directory: ${dir}\nIs directory a git repo: No\nPlatform: linux\n</env>\n\nAnswer briefly.`,
        },
      ],
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'text',
              text: `<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# claudeMd\nCodebase and user instructions are shown below.\n\nContents of ${dir}/CLAUDE.md (project instructions, checked into the codebase):\n\n# Project rules\n</system-reminder>`,
            },
            { type: 'text', text: 'hi' },
          ],
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

function group(page: Page, path: string) {
  return page.locator(`section[data-group="${path}"]`);
}

function row(page: Page, name: string) {
  return page.getByRole('row', { name: `Agent ${name}`, exact: true });
}

async function openAgents(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/agents`);
  await page.getByRole('heading', { name: 'Agents', exact: true }).waitFor();
  await row(page, 'reviewer').waitFor();
}

let browser: Browser;
let page: Page;

describe.skipIf(!hasChromium)('dashboard Agents and Tools screens in Chromium', () => {
  const ctx = gatewayForFile({
    env: { CCFLARE_CLAUDE_AGENTS_DIR: userDir },
    setup: async (g) => {
      await g.addApiKey('alpha', 'sk-ant-api03-agents-alpha');
    },
  });

  beforeAll(async () => {
    writeFileSync(join(userDir, 'reviewer.md'), REVIEWER);
    writeFileSync(join(userDir, 'remover.md'), agentFile('remover', 'Removes dead code', 'You delete unused code.'));
    writeFileSync(join(userDir, 'broken.md'), '---\nname: [unclosed\ndescription: oops\n---\nbody\n');
    writeFileSync(join(workspace, 'CLAUDE.md'), '# Project rules\n');
    mkdirSync(join(workspace, '.claude', 'agents'), { recursive: true });
    writeFileSync(
      join(workspace, '.claude', 'agents', 'tester.md'),
      agentFile('tester', 'Runs the tests', 'You run the test suite.'),
    );
    browser = await launchChromium();
    ({ page } = await sharedPage(browser));
    const { gw } = ctx;
    const alpha = await gw.account('alpha');
    await gw.store.requests.writeBatch(
      [
        sampleRecord({
          id: 'agent-req-1',
          ts: Date.now() - MIN,
          accountId: alpha.id,
          accountName: 'alpha',
          agent: 'reviewer',
          modelRequested: 'claude-opus-4-5',
          modelApplied: 'claude-haiku-4-5',
          costUsd: 0.25,
        }),
        sampleRecord({
          id: 'agent-req-2',
          ts: Date.now() - MIN,
          accountId: alpha.id,
          accountName: 'alpha',
          agent: 'remover',
          costUsd: 0.0008,
        }),
      ],
      [],
    );
    // Workspaces are found in traffic: one that exists here, one from another machine.
    await claudeCodeRequest(gw.url, workspace);
    await claudeCodeRequest(gw.url, elsewhere);
    await gw.settle();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(userDir, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  });

  it('lists agents by workspace with the broken file, the workspace not on this machine, requests and cost (light, dark)', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await page.goto(`${gw.url}/`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Keys 8 and 9 open the new screens, after the seven existing ones.
    await page.keyboard.press('9');
    await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
    await page.keyboard.press('8');
    await page.getByRole('heading', { name: 'Agents', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/agents');

    const user = group(page, userDir);
    await user.getByRole('row', { name: 'Agent reviewer' }).waitFor();
    const reviewer = row(page, 'reviewer');
    expect(await reviewer.textContent()).toContain('Reviews diffs for bugs');
    expect(await reviewer.getByLabel('Tools of reviewer').inputValue()).toBe('custom');
    // The seeded request attributed to reviewer: its count and cost from /api/analytics.
    await expect.poll(() => reviewer.locator('td.num').allTextContents()).toEqual(['1', '$0.25']);
    const broken = user.getByRole('row', { name: 'Agent broken' });
    expect(await broken.textContent()).toContain('Broken file');
    expect(await broken.getByRole('button', { name: 'Edit broken' }).isDisabled()).toBe(true);

    // Found in traffic, so listed; its agents loaded because the folder exists here.
    await group(page, workspace).getByRole('row', { name: 'Agent tester' }).waitFor({ timeout: 10_000 });
    const away = group(page, elsewhere);
    await away.waitFor();
    expect(await away.textContent()).toContain('Not on this machine');
    // One request named it: counted in the singular.
    expect(await away.textContent()).toContain('1 request named it');
    // User agents come first.
    const order = await page
      .locator('section[data-group]')
      .evaluateAll((s) => s.map((x) => x.getAttribute('data-group')));
    expect(order[0]).toBe(userDir);

    await shot(page, 'agents-light');
    await switchTheme(page, 'dark');
    await shot(page, 'agents-dark');
    expect(errors).toEqual([]);
  });

  it('keeps a small cost on one line, and counts one agent in the singular', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await openAgents(page, gw.url);
    const cost = row(page, 'remover').locator('td.num').nth(1);
    await expect.poll(() => cost.textContent()).toBe('$0.0008');
    // One line box: anywhere-wrapping broke it into "$0.000" and "8".
    const lines = await cost.evaluate((td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    });
    expect(lines).toBe(1);

    // With one agent that can be set: "Apply to 1 agent", not "1 agents".
    await page.route('**/api/agents', async (route) => {
      const res = await route.fetch();
      const list = await res.json();
      await route.fulfill({
        response: res,
        json: { ...list, agents: list.agents.filter((a: { name: string }) => a.name === 'reviewer') },
      });
    });
    try {
      await openAgents(page, gw.url);
      await page.getByRole('button', { name: 'Apply to 1 agent', exact: true }).waitFor();
    } finally {
      await page.unroute('**/api/agents');
    }
    expect(errors).toEqual([]);
  });

  it('edits description and prompt in the dialog: the file is rewritten and keeps the key it does not know', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await openAgents(page, gw.url);
    await page.getByRole('button', { name: 'Edit reviewer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit reviewer' });
    await dialog.waitFor();
    expect((await dialog.getByLabel('Prompt').inputValue()).trimEnd()).toBe('You review code changes and report bugs.');
    await dialog.getByLabel('Description').fill('Reviews diffs for security bugs');
    await dialog.getByLabel('Prompt').fill('You review code changes.\nReport security bugs first.\n');
    await shot(page, 'agents-edit');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved reviewer' }).waitFor();
    await dialog.waitFor({ state: 'detached' });

    const file = readFileSync(join(userDir, 'reviewer.md'), 'utf8');
    expect(file).toMatch(/^description: Reviews diffs for security bugs$/m);
    expect(file).toMatch(/^x-team: platform$/m);
    expect(file).toMatch(/^color: blue$/m);
    expect(file).toContain('Read, Grep, Glob');
    expect(file.split(/^---$/m).pop()?.trim()).toBe('You review code changes.\nReport security bugs first.');
    await expect.poll(() => row(page, 'reviewer').textContent()).toContain('Reviews diffs for security bugs');
    expect(errors).toEqual([]);
  });

  it('sets and clears a model preference from the list', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await openAgents(page, gw.url);
    const reviewer = row(page, 'reviewer');
    await reviewer.getByLabel('Model preference of reviewer').selectOption('claude-haiku-4-5');
    await expect
      .poll(() => reviewer.locator('[data-field="effective-model"]').textContent())
      .toContain('claude-haiku-4-5');
    const listed = async () =>
      (await api(gw.url, 'GET', '/api/agents')).json.agents.find((a: { name: string }) => a.name === 'reviewer');
    expect(await listed()).toMatchObject({ preference: 'claude-haiku-4-5', effectiveModel: 'claude-haiku-4-5' });
    await reviewer.getByLabel('Model preference of reviewer').selectOption({ label: "Client's choice" });
    await expect.poll(async () => (await listed()).preference).toBeNull();
    expect(errors).toEqual([]);
  });

  it('sets the default model for all agents, then one preference for every agent at once', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await openAgents(page, gw.url);
    const effective = () => row(page, 'reviewer').locator('[data-field="effective-model"]').textContent();
    await page.getByLabel('Default model').selectOption('claude-sonnet-4-6');
    await page.getByText('Agents without a preference now use claude-sonnet-4-6.').waitFor();
    expect((await api(gw.url, 'GET', '/api/config')).json.defaultAgentModel.value).toBe('claude-sonnet-4-6');
    await expect.poll(effective).toContain('claude-sonnet-4-6');
    expect(await effective()).toContain('default for all agents');

    await page.getByLabel('Preference for every agent').selectOption('claude-haiku-4-5');
    await page.getByRole('button', { name: /^Apply to \d+ agents$/ }).click();
    await page.getByText(/^Preference set to claude-haiku-4-5 for \d+ agents?\./).waitFor();
    await expect.poll(effective).toContain('claude-haiku-4-5');
    const prefs = (await api(gw.url, 'GET', '/api/agents')).json.agents
      .filter((a: { error: string | null }) => a.error === null)
      .map((a: { preference: string | null }) => a.preference);
    expect(new Set(prefs)).toEqual(new Set(['claude-haiku-4-5']));

    // Back to no preference and no default, for the tests that follow.
    await page.getByLabel('Preference for every agent').selectOption({ label: 'Clear preferences' });
    await page.getByRole('button', { name: /^Apply to \d+ agents$/ }).click();
    await page.getByText(/^Preference cleared for/).waitFor();
    await page.getByLabel('Default model').selectOption({ label: "None (client's choice)" });
    await page.getByText('No default model: agents keep their own.').waitFor();
    await expect.poll(effective).toContain("Client's choice");
    expect(errors).toEqual([]);
  });

  it('shows an agent file edited by hand within 2 s', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await openAgents(page, gw.url);
    writeFileSync(join(userDir, 'reviewer.md'), REVIEWER.replace('Reviews diffs for bugs', 'Edited by hand'));
    await timeUntil(async () => expect(await row(page, 'reviewer').textContent()).toContain('Edited by hand'), 2000);
    expect(errors).toEqual([]);
  });

  it('deletes an agent file only after confirmation', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await openAgents(page, gw.url);
    const file = join(userDir, 'remover.md');
    await page.getByRole('button', { name: 'Delete remover' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete remover?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(file);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(existsSync(file)).toBe(true);

    await page.getByRole('button', { name: 'Delete remover' }).click();
    await dialog.getByRole('button', { name: 'Delete agent' }).click();
    await row(page, 'remover').waitFor({ state: 'detached' });
    expect(existsSync(file)).toBe(false);
    await page.getByRole('status').filter({ hasText: 'Deleted remover' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('creates an agent file in the user folder, refusing a name an agent there has', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await openAgents(page, gw.url);
    await page.getByRole('button', { name: 'New agent' }).click();
    const dialog = page.getByRole('dialog', { name: 'New agent' });
    await dialog.getByLabel('Name', { exact: true }).fill('Planner');
    await dialog.getByLabel('Description').fill('Plans the work');
    await dialog.getByLabel('Prompt').fill('You plan.');
    await dialog.getByRole('button', { name: 'Create agent' }).click();
    // Refused before sending: the name rule is said beside the field.
    expect(await dialog.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // A name an agent there already has is said as it is typed: Claude Code would see one agent,
    // and the screen would count its requests under both.
    await dialog.getByLabel('Name', { exact: true }).fill('reviewer');
    expect(await dialog.locator('#agent-new-name-msg').textContent()).toBe(
      `An agent named "reviewer" is already there (${join(userDir, 'reviewer.md')}): pick another name, or edit that one.`,
    );
    expect(await dialog.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await dialog.getByRole('button', { name: 'Create agent' }).click();
    expect(await dialog.isVisible()).toBe(true);
    // The same name in a workspace is another agent.
    await dialog.getByLabel('Name', { exact: true }).fill('tester');
    expect(await dialog.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('false');
    await dialog.getByLabel('Name', { exact: true }).fill('planner');
    await dialog.getByLabel('Tools', { exact: true }).selectOption('read-only');
    await dialog.getByRole('button', { name: 'Create agent' }).click();
    await group(page, userDir).getByRole('row', { name: 'Agent planner' }).waitFor();
    const file = readFileSync(join(userDir, 'planner.md'), 'utf8');
    expect(file).toMatch(/^name: planner$/m);
    expect(file).toMatch(/^description: Plans the work$/m);
    expect(file).toContain('You plan.');
    expect(errors).toEqual([]);
  });

  it('Tools: the last seen prompt, a template from it and its preview with the env text (light, dark); saves the interceptor and a rule', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    const state = (await api(gw.url, 'GET', '/api/tools/interceptors/system-prompt')).json;
    expect(state.enabled).toBe(false);
    // One of the two Claude Code requests sent in beforeAll (which one the interceptor keeps is its business).
    expect(state.lastSeen?.envBlock).toMatch(/^Working directory: \/\S+$/m);

    await page.goto(`${gw.url}/tools`);
    await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
    const lastSeen = page.getByRole('region', { name: 'Last prompt from a client' });
    expect(await lastSeen.locator('pre').textContent()).toBe(state.lastSeen.prompt);
    await lastSeen.getByRole('button', { name: 'Start from it' }).click();
    const template = page.getByLabel('Template');
    expect(await template.inputValue()).toContain('{{env_block}}');
    await template.fill('You are a terse assistant.\n{{env_block}}\nNever apologise.');
    const preview = page.getByRole('region', { name: 'Preview' }).locator('pre');
    const expected = applyPromptTemplate(
      'You are a terse assistant.\n{{env_block}}\nNever apologise.',
      state.lastSeen.envBlock,
    );
    await expect.poll(() => preview.textContent()).toBe(expected);
    expect(expected).toContain(state.lastSeen.envBlock);
    expect(expected).not.toContain('{{env_block}}');

    await page.getByLabel('Replace the main system prompt').check();
    await page.getByRole('form', { name: 'Interceptor settings' }).getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved: main-agent requests now get this prompt.').waitFor();
    const saved = (await api(gw.url, 'GET', '/api/tools/interceptors/system-prompt')).json;
    expect(saved).toMatchObject({
      enabled: true,
      stripTools: false,
      template: 'You are a terse assistant.\n{{env_block}}\nNever apologise.',
    });
    await shot(page, 'tools-light');
    await switchTheme(page, 'dark');
    await shot(page, 'tools-dark');
    await switchTheme(page, 'light');

    const rules = page.getByRole('form', { name: 'Model rules and fallback' });
    await rules.getByRole('button', { name: 'Add rule' }).click();
    const n = await rules.getByRole('row', { name: /^Rule \d+$/ }).count();
    await rules.getByLabel(`Rule ${n} pattern`).fill('claude-opus-*');
    await rules.getByLabel(`Rule ${n} model`).fill('claude-sonnet-4-6');
    await rules.getByRole('button', { name: 'Save rules and fallback' }).click();
    await rules.getByText('Saved: applies to the next request.').waitFor();
    const stored = (await api(gw.url, 'GET', '/api/models/rules')).json;
    expect(stored.rules.at(-1)).toEqual({ pattern: 'claude-opus-*', model: 'claude-sonnet-4-6', enabled: true });
    expect(errors).toEqual([]);
  });

  it('request detail shows the agent, the requested and the applied model', async () => {
    const errors = await usePage(page, 'light');
    const { gw } = ctx;
    await page.goto(`${gw.url}/requests/agent-req-1`);
    await page.getByRole('heading', { name: 'Request agent-req-1' }).waitFor();
    const field = (label: string) => page.locator(`dd[data-field="${label}"]`);
    expect(await field('Agent').textContent()).toBe('reviewer');
    expect(await field('Requested model').textContent()).toBe('claude-opus-4-5');
    expect(await field('Applied model').textContent()).toContain('claude-haiku-4-5');
    expect(await field('Applied model').textContent()).toContain('rewritten by the gateway');
    expect(errors).toEqual([]);
  });
});
