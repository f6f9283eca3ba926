/**
 * Analytics benchmark: `npm run bench:analytics` (= build, then `node dist/bench/analytics-bench.js`).
 *
 * Seeds request records through the real write path (BatchedRecordWriter: batches committed by
 * the worker thread, rollups maintained in the same transactions), applies retention once as
 * the hourly job would (minute rollups older than two days go), then starts the real server on
 * that database and times, over HTTP, `/api/analytics` for every range (and with filters) and the
 * first page of `/api/requests` without and with each filter. Prints p50 / max over the runs and
 * the database size.
 *
 * Data: bench/seed-records.ts (30 days of realistic traffic over 5 accounts and 6 models). No
 * payloads (they live in segment files and do not enter these queries).
 *
 * Targets (issue 3): `/api/analytics` 30d < 300 ms, first page of `/api/requests` < 50 ms.
 *
 * Options: --rows <n> (default 1000000), --runs <n> (default 9), --keep (keep the data directory),
 *          --home <dir> (reuse a seeded data directory: skips seeding), --json <file>.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { argValue } from './child-ipc.js';
import { DAY, seedRequests, serveSeeded } from './seed-records.js';

const argv = process.argv.slice(2);
const ROWS = Number(argValue(argv, 'rows') ?? 1_000_000);
const RUNS = Math.max(1, Number(argValue(argv, 'runs') ?? 9));
const KEEP = argv.includes('--keep');
const REUSE = argValue(argv, 'home');
const JSON_OUT = argValue(argv, 'json');

function dbBytes(path: string): number {
  let n = 0;
  for (const p of [path, `${path}-wal`]) {
    try {
      n += statSync(p).size;
    } catch {
      // no WAL
    }
  }
  return n;
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

interface Timing {
  name: string;
  p50: number;
  max: number;
  detail: string;
}

async function time(url: string, name: string, path: string, describe: (json: unknown) => string): Promise<Timing> {
  const ms: number[] = [];
  let detail = '';
  // One warm-up: statements are prepared on first use.
  for (let i = 0; i <= RUNS; i++) {
    const t = performance.now();
    const res = await request(`${url}${path}`);
    const body = await res.body.json();
    const elapsed = performance.now() - t;
    if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode} ${JSON.stringify(body)}`);
    if (i > 0) ms.push(elapsed);
    detail = describe(body);
  }
  ms.sort((a, b) => a - b);
  return { name, p50: ms[Math.floor(ms.length / 2)] as number, max: ms[ms.length - 1] as number, detail };
}

async function main(): Promise<void> {
  const home = REUSE ?? mkdtempSync(join(tmpdir(), 'ccflare-analytics-bench-'));
  const dbPath = join(home, 'ccflare.db');
  if (!REUSE) {
    await seedRequests(dbPath, ROWS);
    console.log(`data directory: ${home}`);
  }
  const server = await serveSeeded(home);
  const url = server.url;
  try {
    const seededBytes = dbBytes(dbPath);
    const cleanup = (await (await request(`${url}/api/maintenance/cleanup`, { method: 'POST' })).body.json()) as {
      rollupRowsDeleted: number;
    };
    // Seeding wrote 30 days of minute rollups at once; live, the hourly retention keeps two days of them.
    const compact = (await (await request(`${url}/api/maintenance/compact`, { method: 'POST' })).body.json()) as {
      afterBytes: number;
      durationMs: number;
    };
    console.log(
      `database: ${mb(seededBytes)} after seeding; retention removed ${cleanup.rollupRowsDeleted} minute-rollup ` +
        `rows; ${mb(compact.afterBytes)} after compaction (${(compact.durationMs / 1000).toFixed(1)} s)`,
    );
    const list = (await (await request(`${url}/api/requests?limit=1`)).body.json()) as {
      items: { accountId: string; sessionId: string }[];
    };
    const newest = list.items[0];
    const weekAgo = Date.now() - 7 * DAY;
    const analytics = (j: unknown) => {
      const a = j as { totals: { requests: number; p95LatencyMs: number | null }; series: unknown[] };
      return `${a.totals.requests} requests, ${a.series.length} buckets, p95 ${Math.round(a.totals.p95LatencyMs ?? 0)} ms`;
    };
    const page = (j: unknown) => {
      const p = j as { items: unknown[]; nextCursor: string | null };
      return `${p.items.length} items${p.nextCursor ? ', more' : ''}`;
    };
    const timings: Timing[] = [];
    for (const range of ['1h', '6h', '24h', '7d', '30d']) {
      timings.push(await time(url, `analytics ${range}`, `/api/analytics?range=${range}`, analytics));
    }
    timings.push(
      await time(
        url,
        'analytics 30d, 2 accounts, 1 model, errors',
        '/api/analytics?range=30d&accounts=account-1,account-3&models=claude-opus-4-1-20250805&status=error',
        analytics,
      ),
    );
    timings.push(
      await time(
        url,
        'stats (all history)',
        '/api/stats',
        (j) => `${(j as { totals: { requests: number } }).totals.requests} requests`,
      ),
    );
    const first = (await (await request(`${url}/api/requests?limit=50`)).body.json()) as { nextCursor: string };
    const lists: [string, string][] = [
      ['requests, no filter', ''],
      ['requests, next page (cursor)', `&cursor=${first.nextCursor}`],
      ['requests, account', '&account=account-4'],
      ['requests, model', '&model=claude-3-5-haiku-20241022'],
      ['requests, status=error', '&status=error'],
      ['requests, status=500', '&status=500'],
      ['requests, agent', '&agent=doc-writer'],
      ['requests, session', `&session=${newest?.sessionId ?? 'none'}`],
      ['requests, one day a week ago', `&since=${weekAgo - DAY}&until=${weekAgo}`],
      ['requests, account+model', '&account=account-5&model=claude-3-5-haiku-20241022'],
      ['requests, account+model+error', '&account=account-5&model=claude-sonnet-4-5-20250929&status=error'],
      ['requests, model+error', '&model=claude-3-5-haiku-20241022&status=error'],
      ['requests, account+agent', '&account=account-4&agent=planner'],
      ['requests, unknown model (no match)', '&model=no-such-model'],
      ['requests, removed account name', '&account=nobody'],
    ];
    for (const [name, q] of lists) timings.push(await time(url, name, `/api/requests?limit=50${q}`, page));

    const bytes = dbBytes(dbPath);
    console.log(`\n${ROWS} request rows; database ${mb(bytes)} (file + WAL); ${RUNS} runs each after one warm-up\n`);
    const w = Math.max(...timings.map((t) => t.name.length));
    console.log(`${'endpoint'.padEnd(w)}  ${'p50 ms'.padStart(8)}  ${'max ms'.padStart(8)}  result`);
    for (const t of timings) {
      console.log(`${t.name.padEnd(w)}  ${t.p50.toFixed(1).padStart(8)}  ${t.max.toFixed(1).padStart(8)}  ${t.detail}`);
    }
    const a30 = timings.find((t) => t.name === 'analytics 30d') as Timing;
    const l0 = timings.find((t) => t.name === 'requests, no filter') as Timing;
    const slowestList = Math.max(...timings.filter((t) => t.name.startsWith('requests')).map((t) => t.p50));
    console.log(
      `\ntargets: analytics 30d p50 ${a30.p50.toFixed(1)} ms (< 300: ${a30.p50 < 300 ? 'PASS' : 'FAIL'}); ` +
        `first page p50 ${l0.p50.toFixed(1)} ms, slowest filtered ${slowestList.toFixed(1)} ms ` +
        `(< 50: ${slowestList < 50 ? 'PASS' : 'FAIL'})`,
    );
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ rows: ROWS, runs: RUNS, bytes, timings }, null, 2));
  } finally {
    await server.close(1000);
    if (!KEEP && !REUSE) rmSync(home, { recursive: true, force: true });
    else console.log(`data kept in ${home} (reuse with --home ${home})`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
