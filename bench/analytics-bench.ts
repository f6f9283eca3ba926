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
 * Data: 30 days ending now, busier in working hours; 5 accounts and 6 models with uneven shares;
 * ~3% errors (429, 529, 500, client disconnects; most without an applied model or usage); 45% of
 * requests attributed to one of 4 agents; sessions that last about 45 minutes per account;
 * latencies and tokens drawn per model; cost from the real price table. No payloads (they live in
 * their own table and do not enter these queries).
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
import { loadConfig } from '../src/config/config.js';
import { createPricer } from '../src/pricing/pricing.js';
import { runServer } from '../src/server/serve.js';
import { SqliteStore } from '../src/storage/sqlite-store.js';
import type { RequestRecord } from '../src/storage/types.js';
import { BatchedRecordWriter } from '../src/storage/write-queue.js';
import { argValue } from './child-ipc.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const argv = process.argv.slice(2);
const ROWS = Number(argValue(argv, 'rows') ?? 1_000_000);
const RUNS = Math.max(1, Number(argValue(argv, 'runs') ?? 9));
const KEEP = argv.includes('--keep');
const REUSE = argValue(argv, 'home');
const JSON_OUT = argValue(argv, 'json');

/** Deterministic, so every run benchmarks the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: number, items: readonly (readonly [T, number])[]): T {
  let acc = 0;
  for (const [v, w] of items) {
    acc += w;
    if (r < acc) return v;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

interface ModelProfile {
  latency: number;
  tps: number;
  output: number;
}

const MODELS: readonly (readonly [string, number])[] = [
  ['claude-sonnet-4-5-20250929', 0.42],
  ['claude-opus-4-1-20250805', 0.12],
  ['claude-haiku-4-5-20251001', 0.2],
  ['claude-sonnet-4-20250514', 0.1],
  ['claude-opus-4-5-20251101', 0.1],
  ['claude-3-5-haiku-20241022', 0.06],
];
const PROFILES: Record<string, ModelProfile> = {
  'claude-sonnet-4-5-20250929': { latency: 9000, tps: 70, output: 600 },
  'claude-opus-4-1-20250805': { latency: 16000, tps: 35, output: 700 },
  'claude-haiku-4-5-20251001': { latency: 2500, tps: 150, output: 250 },
  'claude-sonnet-4-20250514': { latency: 8000, tps: 65, output: 500 },
  'claude-opus-4-5-20251101': { latency: 12000, tps: 50, output: 650 },
  'claude-3-5-haiku-20241022': { latency: 2000, tps: 120, output: 200 },
};
const ACCOUNT_SHARES = [0.35, 0.25, 0.2, 0.12, 0.08];
const AGENTS: readonly (readonly [string | null, number])[] = [
  [null, 0.55],
  ['code-reviewer', 0.15],
  ['test-writer', 0.12],
  ['planner', 0.1],
  ['doc-writer', 0.08],
];

/** Request times: 30 days ending now, three times as dense from 08:00 to 20:00 UTC. */
function timestamps(n: number, end: number, rand: () => number): number[] {
  const start = end - 30 * DAY;
  const ts: number[] = [];
  while (ts.length < n) {
    const t = start + rand() * (end - start - 1000);
    const h = new Date(t).getUTCHours();
    if (h >= 8 && h < 20 ? true : rand() < 1 / 3) ts.push(Math.floor(t));
  }
  return ts.sort((a, b) => a - b);
}

function makeRecords(n: number, end: number, accounts: { id: string; name: string }[]): (i: number) => RequestRecord {
  const rand = rng(42);
  const ts = timestamps(n, end, rand);
  const pricer = createPricer();
  let seq = 0;
  return (i) => {
    const t = ts[i] as number;
    const acc = accounts[
      pick(
        rand(),
        ACCOUNT_SHARES.map((w, k) => [k, w] as const),
      )
    ] as { id: string; name: string };
    const model = pick(rand(), MODELS);
    const p = PROFILES[model] as ModelProfile;
    const failed = rand() < 0.03;
    const status = failed
      ? pick(rand(), [
          [429, 0.5],
          [529, 0.3],
          [500, 0.1],
          [499, 0.1],
        ] as const)
      : 200;
    const answered = !failed || status === 499;
    const latency = Math.max(80, p.latency * Math.exp((rand() - 0.5) * 1.6));
    const output = answered ? Math.round(p.output * (0.2 + rand() * 1.6)) : null;
    const input = answered ? Math.round(5 + rand() * 400) : null;
    const cacheRead = answered ? Math.round(rand() * 60_000) : null;
    const cacheWrite5m = answered ? Math.round(rand() < 0.3 ? rand() * 8000 : 0) : null;
    const cacheWrite1h = answered ? Math.round(rand() < 0.05 ? rand() * 4000 : 0) : null;
    const usage = {
      inputTokens: input,
      cacheReadTokens: cacheRead,
      cacheWrite5mTokens: cacheWrite5m,
      cacheWrite1hTokens: cacheWrite1h,
      outputTokens: output,
    };
    const accountIndex = accounts.indexOf(acc);
    seq += 1;
    return {
      // Time-ordered like the UUIDv7 ids the proxy assigns.
      id: `${t.toString(16).padStart(12, '0')}-7${seq.toString(16).padStart(11, '0')}`,
      ts: t,
      method: 'POST',
      path: '/v1/messages?beta=true',
      accountId: acc.id,
      accountName: acc.name,
      status,
      success: !failed,
      error: failed ? (status === 499 ? 'client disconnected' : `HTTP ${status}`) : null,
      latencyMs: Math.round(latency * 10) / 10,
      ttftMs: answered ? Math.round(latency * (0.1 + rand() * 0.3)) : null,
      attempts: status === 429 && rand() < 0.5 ? 2 : 1,
      attemptLog: [],
      modelRequested: model.replace(/-\d{8}$/, ''),
      modelApplied: answered ? model : null,
      agent: pick(rand(), AGENTS),
      sessionId: `session-${accountIndex}-${Math.floor(t / (45 * MIN))}`,
      clientKey: null,
      stream: rand() < 0.9,
      stopReason: answered && !failed ? 'end_turn' : null,
      ...usage,
      costUsd: answered ? pricer.cost(model, usage, t) : null,
      outputTokensPerSecond: output === null ? null : Math.round((output / (latency / 1000)) * 10) / 10,
      payload: null,
    };
  };
}

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

async function seed(home: string, dbPath: string): Promise<void> {
  const store = SqliteStore.open(dbPath);
  const accounts = [];
  for (let i = 1; i <= 5; i++)
    accounts.push(await store.insertAccount({ name: `account-${i}`, kind: 'max' }, Date.now()));
  await store.close();
  const end = Date.now();
  const next = makeRecords(ROWS, end, accounts);
  const writer = new BatchedRecordWriter({ dbPath, onError: (err) => console.error('writer:', err) });
  const started = performance.now();
  for (let i = 0; i < ROWS; i++) {
    writer.enqueue(next(i));
    // Stay far below the writer's queue bound (50,000): a full queue drops records.
    if (writer.depth() >= 20_000) await writer.flush();
    if ((i + 1) % 100_000 === 0) {
      const s = (performance.now() - started) / 1000;
      process.stdout.write(`  ${i + 1} rows, ${s.toFixed(0)} s (${((i + 1) / s).toFixed(0)} rows/s)\n`);
    }
  }
  await writer.close();
  const s = (performance.now() - started) / 1000;
  console.log(`seeded ${ROWS} rows in ${s.toFixed(1)} s (${(ROWS / s).toFixed(0)} rows/s) into ${home}`);
}

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
  if (!REUSE) await seed(home, dbPath);
  const config = loadConfig({
    env: {
      CCFLARE_HOME: home,
      CCFLARE_PORT: '0',
      CCFLARE_LOG_LEVEL: 'warn',
      CCFLARE_LOG_FORMAT: 'json',
      CCFLARE_UPSTREAM_URL: 'http://127.0.0.1:9',
    },
  });
  const server = await runServer(config, { signals: false });
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
