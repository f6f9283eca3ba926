/**
 * Debian's Chromium driven by playwright-core for the dashboard's browser tests: availability
 * (a skip note, or a failure under CI=true), launch with the flags this machine needs, pages that collect console and
 * page errors, and screenshots into test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { defaultDashboardRoot } from '../../src/server/static-files.js';
import { requireTool } from './required-tool.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

/** Whether Chromium is installed: skipped with a note when it is not, a failure under CI=true. */
export function chromiumAvailable(suite: string): boolean {
  return requireTool(suite, CHROMIUM, existsSync(CHROMIUM), 'apt-get install -y chromium');
}

/** Checks the dashboard is built, prepares the artifacts folder and starts Chromium. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(join(defaultDashboardRoot(), 'index.html'))) {
    throw new Error(`${defaultDashboardRoot()} is missing: run \`npm run build\` first (npm test does)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function newPage(
  browser: Browser,
  colorScheme: 'light' | 'dark',
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}
