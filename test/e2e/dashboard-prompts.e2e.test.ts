/**
 * The dashboard's Prompts screen in Chromium against the real gateway: the prompt files with the
 * skipped one and its reason, a prompt previewed with arguments (rendered by the gateway), a new
 * prompt refused with the gateway's reason and then created, edited and deleted on disk.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, sharedPage, shot, switchTheme, usePage } from '../support/browser.js';
import { gatewayForFile } from '../support/gateway.js';

const hasChromium = chromiumAvailable('dashboard Prompts browser tests');

const REVIEW = `description: Review a change
arguments:
  - name: diff
    description: The diff to review
    required: true
  - name: focus
    description: What to look at first
template: |
  Review this change{{#if focus}}, looking at {{focus}} first{{/if}}:
  {{diff}}
`;

let browser: Browser;
let page: Page;

describe.skipIf(!hasChromium)('dashboard Prompts screen in Chromium', () => {
  const ctx = gatewayForFile({});
  const dir = () => ctx.gw.config.promptsDir;

  beforeAll(async () => {
    mkdirSync(dir(), { recursive: true });
    writeFileSync(join(dir(), 'review.yaml'), REVIEW);
    writeFileSync(join(dir(), 'commit.md'), '---\ndescription: Write a commit message\n---\nWrite it: {{summary}}\n');
    writeFileSync(join(dir(), 'broken.yaml'), 'description: never finished\n');
    // Served, with a likely typo: the declared argument is never used, the template's variable not declared.
    writeFileSync(
      join(dir(), 'typo.md'),
      '---\ndescription: Summarize\narguments:\n  - name: summary\n---\nSummarize {{sumary}}\n',
    );
    browser = await launchChromium();
    ({ page } = await sharedPage(browser));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lists the files with the skipped one and previews a prompt with arguments (light, dark)', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${ctx.gw.url}/`);
    await page.getByRole('link', { name: 'Prompts' }).click();
    await page.getByRole('heading', { name: 'Prompt files' }).waitFor();
    const rows = page.locator('tr[data-prompt]');
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-prompt'))))
      .toEqual(['broken', 'commit', 'review', 'typo']);
    const broken = page.locator('tr[data-prompt="broken"]');
    expect(await broken.textContent()).toContain('Skipped');
    expect(await broken.textContent()).toContain('no "template:"');
    expect(await page.locator('tr[data-prompt="review"]').textContent()).toContain('Served');
    expect(await page.locator('tr[data-prompt="review"]').getByTestId('prompt-warning').count()).toBe(0);
    const typo = page.locator('tr[data-prompt="typo"]');
    expect(await typo.textContent()).toContain('Served');
    expect(await typo.getByTestId('prompt-warning').allTextContents()).toEqual([
      'argument "summary" is declared but the template never uses it',
      'the template uses "sumary", which "arguments" does not declare; it is served as a required argument',
    ]);
    await expect.poll(() => page.locator('.prompts-command').textContent()).toContain(`${ctx.gw.url}/mcp`);

    await page.getByRole('button', { name: 'review' }).click();
    await page.getByRole('heading', { name: 'Prompt review' }).waitFor();
    expect(page.url()).toContain('?prompt=review');
    // The required argument is missing at first: asked for, not an error (which named the
    // preview's "draft" rather than the prompt).
    await expect.poll(() => page.getByTestId('preview-needs').textContent()).toBe('Fill in diff to see it.');
    expect(await page.getByTestId('preview-error').count()).toBe(0);
    await page.locator('textarea[name="arg-diff"]').fill('- old\n+ new');
    await page.locator('textarea[name="arg-focus"]').fill('naming');
    await expect
      .poll(() => page.getByTestId('preview-text').textContent())
      .toBe('Review this change, looking at naming first:\n- old\n+ new\n');
    await shot(page, 'prompts-light');
    await switchTheme(page, 'dark');
    await shot(page, 'prompts-dark');
    expect(errors).toEqual([]);
  });

  it('refuses a prompt that would not load with the reason, then creates, edits and deletes it', async () => {
    const errors = await usePage(page, 'light');
    await page.goto(`${ctx.gw.url}/prompts`);
    await page.getByRole('button', { name: 'New prompt' }).click();
    await page.getByRole('heading', { name: 'New prompt', level: 2 }).waitFor();
    // Nothing typed yet: the starter's required argument is asked for, nothing shows in red.
    await page.getByTestId('preview-needs').waitFor();
    expect(await page.locator('main .field-error').count()).toBe(0);
    // Each format's name whole in its select.
    for (const format of ['markdown', 'yaml']) {
      await page.getByLabel('Format').selectOption(format);
      const fit = await page.getByLabel('Format').evaluate((el) => {
        const select = el as HTMLSelectElement;
        const probe = document.createElement('span');
        probe.style.font = getComputedStyle(select).font;
        probe.textContent = select.selectedOptions[0]?.textContent ?? '';
        document.body.append(probe);
        const text = probe.getBoundingClientRect().width;
        probe.remove();
        return { text, box: select.clientWidth };
      });
      expect(fit.box, format).toBeGreaterThan(fit.text + 16);
    }
    await page.getByLabel('Name').fill('../escape');
    expect(await page.locator('#prompt-name-msg').textContent()).toMatch(/without "\.\."/);
    expect(await page.getByRole('button', { name: 'Create' }).isDisabled()).toBe(true);

    await page.getByLabel('Name').fill('greet');
    await page.getByLabel('Format').selectOption('markdown');
    await page.locator('#prompt-source').fill('---\ndescription: Greet someone\n---\nHello {{#if who}}{{who}}');
    await expect.poll(() => page.getByTestId('preview-error').textContent()).toMatch(/Not served: invalid template/);
    await page.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => page.getByTestId('save-error').textContent())
      .toMatch(/^Not a valid prompt: invalid template/);
    await shot(page, 'prompts-invalid');
    expect(existsSync(join(dir(), 'greet.md'))).toBe(false);

    await page
      .locator('#prompt-source')
      .fill('---\ndescription: Greet someone\n---\nHello {{#if who}}{{who}}{{else}}there{{/if}}!');
    await expect.poll(() => page.getByTestId('preview-text').textContent()).toBe('Hello there!');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.locator('.prompts-notice').textContent()).toBe('Created greet.');
    expect(readFileSync(join(dir(), 'greet.md'), 'utf8')).toContain('{{else}}there');
    await page.getByRole('heading', { name: 'Prompt greet' }).waitFor();

    await page.locator('#prompt-source').fill('---\ndescription: Greet warmly\n---\nWelcome!');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => readFileSync(join(dir(), 'greet.md'), 'utf8'))
      .toBe('---\ndescription: Greet warmly\n---\nWelcome!');
    await expect.poll(() => page.locator('tr[data-prompt="greet"]').textContent()).toContain('Greet warmly');

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('.prompts-notice').textContent()).toBe('Deleted greet.');
    expect(existsSync(join(dir(), 'greet.md'))).toBe(false);
    await expect.poll(() => page.locator('tr[data-prompt="greet"]').count()).toBe(0);
    // The refused create is the one failed request the browser reports.
    expect(errors).toEqual([
      'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
  });
});
