/**
 * Dashboard load benchmark: `npm run bench:dashboard` (= build, then `node dist/bench/dashboard-bench.js`).
 *
 * Seeds request records (bench/seed-records.ts, default 100,000, through the real writer), starts
 * the real server on that database and opens every dashboard screen in Debian's Chromium
 * (playwright-core), first with an empty cache (a new browser context) and then again in the
 * same context (assets from the cache, as on every later visit). A screen counts as loaded when
 * its figures are on the page: no "Loading" text left in the main region and the screen's own
 * content present. Prints, per screen, the median over the runs of that time (from navigation
 * start), the JavaScript and CSS bytes transferred and the API calls made.
 *
 * Target (issue 4): initial page load under 1 s on localhost with 100,000 stored requests.
 *
 * Options: --rows <n> (default 100000), --runs <n> (default 5), --home <dir> (reuse a seeded
 *          data directory), --keep, --json <file>.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { argValue } from './child-ipc.js';
import { seedRequests, serveSeeded } from './seed-records.js';

const argv = process.argv.slice(2);
const ROWS = Number(argValue(argv, 'rows') ?? 100_000);
const RUNS = Math.max(1, Number(argValue(argv, 'runs') ?? 5));
const KEEP = argv.includes('--keep');
const REUSE = argValue(argv, 'home');
const JSON_OUT = argValue(argv, 'json');
const CHROMIUM = '/usr/bin/chromium';
const TARGET_MS = 1000;

/**
 * Path, and what must be on the page once the screen shows its data: a selector, and optionally
 * a pattern its text must match. (Functions, not strings: the dashboard's CSP forbids eval.)
 */
const SCREENS: readonly { path: string; selector: string; text?: string }[] = [
  { path: '/', selector: '[data-stat="Requests"]', text: '\\d' },
  { path: '/requests', selector: '[data-row="0"]' },
  { path: '/accounts', selector: 'main tr, main li' },
  { path: '/analytics', selector: 'main h1' },
  { path: '/stats', selector: 'main h1' },
  { path: '/logs', selector: 'main h1' },
  { path: '/settings', selector: 'main h1' },
  { path: '/agents', selector: 'main h1' },
  { path: '/tools', selector: 'main h1' },
  { path: '/strategy', selector: 'main h1' },
  { path: '/prompts', selector: 'main h1' },
  { path: '/conversations', selector: 'main h1' },
  { path: '/workers', selector: 'main h1' },
];

/** The screen column fits the longest path. */
const PATH_W = Math.max(...SCREENS.map((s) => s.path.length));

interface Visit {
  ms: number;
  jsBytes: number;
  cssBytes: number;
  apiCalls: number;
}

async function visit(context: BrowserContext, url: string, ready: { selector: string; text?: string }): Promise<Visit> {
  const page = await context.newPage();
  let jsBytes = 0;
  let cssBytes = 0;
  let apiCalls = 0;
  page.on('response', async (res) => {
    const u = new URL(res.url());
    if (u.pathname.startsWith('/api/') && !u.pathname.startsWith('/api/events')) apiCalls += 1;
    if (res.fromServiceWorker() || res.status() !== 200) return;
    const type = res.headers()['content-type'] ?? '';
    // Cached answers transfer nothing: count only what came over the wire.
    const sizes = await res
      .request()
      .sizes()
      .catch(() => null);
    const bytes = sizes ? sizes.responseBodySize : 0;
    if (type.includes('javascript')) jsBytes += bytes;
    else if (type.includes('css')) cssBytes += bytes;
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(
    ({ selector, text }) => {
      // Runs in the page; this file is compiled without the DOM library.
      const doc = (
        globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }
      ).document;
      const main = doc.querySelector('main');
      if (main === null || main.textContent?.includes('Loading')) return false;
      const el = doc.querySelector(selector);
      return el !== null && (text === undefined || new RegExp(text).test(el.textContent ?? ''));
    },
    ready,
    { timeout: 30_000, polling: 'raf' },
  );
  const ms = (await page.evaluate('performance.now()')) as number;
  await page.close();
  if (errors.length > 0) throw new Error(`${url}: ${errors.join('; ')}`);
  return { ms, jsBytes, cssBytes, apiCalls };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.error(`bench:dashboard needs ${CHROMIUM} (apt-get install -y chromium)`);
    process.exit(2);
  }
  const home = REUSE ?? mkdtempSync(join(tmpdir(), 'ccflare-dashboard-bench-'));
  if (!REUSE) await seedRequests(join(home, 'ccflare.db'), ROWS);
  const server = await serveSeeded(home);
  // A reused data directory holds what it was seeded with, not --rows.
  const stored = REUSE
    ? ((await (await fetch(`${server.url}/api/stats`)).json()) as { totals: { requests: number } }).totals.requests
    : ROWS;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const rows: { path: string; cold: Visit[]; warm: Visit[] }[] = [];
  try {
    for (const { path, ...ready } of SCREENS) {
      const row = { path, cold: [] as Visit[], warm: [] as Visit[] };
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
        row.cold.push(await visit(context, `${server.url}${path}`, ready));
        row.warm.push(await visit(context, `${server.url}${path}`, ready));
        await context.close();
      }
      rows.push(row);
    }
  } finally {
    await browser.close();
    await server.close(1000);
    if (!KEEP && !REUSE) rmSync(home, { recursive: true, force: true });
    else console.log(`data kept in ${home} (reuse with --home ${home})`);
  }

  console.log(
    `\n${stored} stored requests; median of ${RUNS} loads per screen; time from navigation start until the screen shows its data\n`,
  );
  console.log(
    `${'screen'.padEnd(PATH_W)}  ${'empty cache'.padStart(11)}  ${'cached'.padStart(8)}  ${'JS KB'.padStart(7)}  ${'CSS KB'.padStart(7)}  API calls`,
  );
  let worst = 0;
  for (const r of rows) {
    const cold = median(r.cold.map((v) => v.ms));
    const warm = median(r.warm.map((v) => v.ms));
    worst = Math.max(worst, cold);
    const first = r.cold[0] as Visit;
    console.log(
      `${r.path.padEnd(PATH_W)}  ${`${cold.toFixed(0)} ms`.padStart(11)}  ${`${warm.toFixed(0)} ms`.padStart(8)}  ${(first.jsBytes / 1024).toFixed(0).padStart(7)}  ${(first.cssBytes / 1024).toFixed(0).padStart(7)}  ${first.apiCalls}`,
    );
  }
  console.log(
    `\ntarget: initial load < ${TARGET_MS} ms with ${stored} requests: slowest screen ${worst.toFixed(0)} ms ${worst < TARGET_MS ? 'PASS' : 'FAIL'}`,
  );
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ rows: stored, runs: RUNS, screens: rows }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
