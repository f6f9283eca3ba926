/**
 * Debian's Chromium driven by playwright-core for the dashboard's browser tests: availability
 * (a skip note, or a failure under CI=true), the run's shared Chromium (see chromium-server.ts),
 * pages that collect console and page errors, and screenshots into test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect, inject, onTestFinished } from 'vitest';
import { defaultDashboardRoot } from '../../src/server/static-files.js';
import { requireTool } from './required-tool.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Answers GET with the WebSocket endpoint of the run's Chromium, starting it on the first call. */
    chromiumBroker: string;
  }
}

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

/** Whether Chromium is installed: skipped with a note when it is not, a failure under CI=true. */
export function chromiumAvailable(suite: string): boolean {
  return requireTool(suite, CHROMIUM, existsSync(CHROMIUM), 'apt-get install -y chromium');
}

/**
 * Checks the dashboard is built, prepares the artifacts folder and connects to the run's Chromium
 * (its own one when the config has no globalSetup for it). Closing the returned Browser closes
 * only what this file opened.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(join(defaultDashboardRoot(), 'index.html'))) {
    throw new Error(`${defaultDashboardRoot()} is missing: run \`npm run build\` first (npm test does)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const broker = inject('chromiumBroker');
  if (!broker) return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const res = await fetch(broker);
  const answer = await res.text();
  if (!res.ok) throw new Error(`Chromium did not start: ${answer}`);
  return chromium.connect(answer);
}

function collectErrors(page: Page): { errors: string[]; stop: () => void } {
  const errors: string[] = [];
  const onPageError = (e: Error) => errors.push(`pageerror: ${e.message}`);
  const onConsole = (m: { type(): string; text(): string }) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  };
  page.on('pageerror', onPageError);
  page.on('console', onConsole);
  return {
    errors,
    stop: () => {
      page.off('pageerror', onPageError);
      page.off('console', onConsole);
    },
  };
}

/**
 * The browser language of the dashboard tests unless one says otherwise: the dashboard follows
 * navigator.languages, and the tests assert its English text whatever the machine's locale.
 */
export const TEST_LOCALE = 'en-US';

/**
 * A moment as the dashboard shows it, written by the page's browser (its zone): month, day and the
 * time to the second, with the year only when it is not this year's.
 */
export function shownMoment(page: Page, ts: number, locale = TEST_LOCALE): Promise<string> {
  return page.evaluate(
    ([t, l]) => {
      const d = new Date(t);
      return d.toLocaleString(l, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        ...(d.getFullYear() === new Date().getFullYear() ? {} : { year: 'numeric' }),
      });
    },
    [ts, locale] as const,
  );
}

/**
 * A page in a context of its own, for a test that needs its own storage, permissions, routes or
 * browser language (`locale`, as Playwright sets navigator.languages and Accept-Language).
 */
export async function newPage(
  browser: Browser,
  colorScheme: 'light' | 'dark',
  locale = TEST_LOCALE,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ colorScheme, locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  return { context, page, errors: collectErrors(page).errors };
}

/**
 * One page shared by the tests of a file that leave nothing behind for the next (every test
 * navigates afresh, so only storage and cookies carry over): a new context per test costs more
 * than most of the test.
 */
export async function sharedPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    colorScheme: 'light',
    locale: TEST_LOCALE,
    viewport: { width: 1280, height: 900 },
  });
  return { context, page: await context.newPage() };
}

/**
 * Starts a test on a shared page: sets its theme and returns the console and page errors of this
 * test only. The page the previous test left is closed first: its live event stream and polls
 * reconnected to that test's gateway, stopped after it, and a refused connection landed among this
 * test's errors when it came before this test's own navigation (seen on a loaded machine).
 */
export async function usePage(page: Page, colorScheme: 'light' | 'dark'): Promise<string[]> {
  await page.goto('about:blank');
  await page.emulateMedia({ colorScheme });
  const { errors, stop } = collectErrors(page);
  onTestFinished(stop);
  return errors;
}

/** Switches the system colour scheme and waits until the dashboard follows it. */
export async function switchTheme(page: Page, colorScheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme });
  await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe(colorScheme);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}
