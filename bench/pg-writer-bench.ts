/**
 * The record writer alone, SQLite against PostgreSQL: `node dist/bench/pg-writer-bench.js`.
 * Records shaped like the bench's a-json / a-stream requests (payload captured, conversation
 * body, one session, one account) are enqueued at a fixed rate in ticks of 16, as a busy gateway
 * finishes them, then flushed. Per record: the event loop's busy time (what the writer takes
 * from the proxy on the same thread), the process's CPU (all threads: SQLite's worker included),
 * and the CPU of the PostgreSQL backends serving this database (from /proc/<pid>/stat); the
 * queue's lag (enqueue to commit), max and p99 of 10 ms samples; and records/s at `--rate max`.
 *
 *   --records <n>     per run (default 20000)          --rate <list>  records/s, or max (default 2000,max)
 *   --db <list>       sqlite,postgres (default both)   --kind json|stream (default json)
 *   --repeat <n>      interleaved runs (default 3)     --pg-url <url> (default CCFLARE_TEST_PG_URL)
 *   --flush-ms <n>    the writers' flush interval (default: each writer's own)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { RequestRecord } from '../src/storage/contract/records.js';
import type { RecordWriter, Store } from '../src/storage/contract/store.js';
import { openStoreFromUrl, openWriterForUrl } from '../src/storage/open-store.js';
import { JSON_ANSWER, requestBody } from './bench-body.js';
import { argValue } from './child-ipc.js';
import { processCpuMs } from './proc-cpu.js';

const argv = process.argv.slice(2);
const RECORDS = Number(argValue(argv, 'records') ?? 20_000);
const RATES = (argValue(argv, 'rate') ?? '2000,max').split(',').map((r) => (r === 'max' ? 0 : Number(r)));
const DBS = (argValue(argv, 'db') ?? 'sqlite,postgres').split(',');
const STREAM = (argValue(argv, 'kind') ?? 'json') === 'stream';
const REPEAT = Math.max(1, Number(argValue(argv, 'repeat') ?? 3));
const PG_URL =
  argValue(argv, 'pg-url') ?? process.env.CCFLARE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FLUSH_MS = argValue(argv, 'flush-ms');
const PER_TICK = 16;

const REQUEST_HEADERS = JSON.stringify({
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'user-agent': 'ccflare-bench/1',
  'x-api-key': '[redacted]',
});
const STREAM_RESPONSE = Array.from(
  { length: 20 },
  (_, i) =>
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word ${i} "}}\n\n`,
).join('');

function benchRecord(i: number, run: string, accountId: string, body: Buffer): RequestRecord {
  return {
    id: `${run}-${i}`,
    ts: Date.now(),
    method: 'POST',
    path: '/v1/messages',
    accountId,
    accountName: 'bench',
    status: 200,
    success: true,
    error: null,
    latencyMs: 3.5,
    ttftMs: STREAM ? 1.2 : null,
    attempts: 1,
    attemptLog: [{ account: 'bench', status: 200, error: null, ms: 3.5 }],
    modelRequested: 'claude-sonnet-4-5-20250929',
    modelApplied: 'claude-sonnet-4-5-20250929',
    agent: null,
    agentInstance: null,
    routeReason: null,
    modelFallback: false,
    sessionId: '00000000-0000-4000-8000-000000000000',
    clientKey: null,
    stream: STREAM,
    stopReason: 'end_turn',
    inputTokens: 180,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 64,
    costUsd: 0.0015,
    outputTokensPerSecond: STREAM ? 180 : null,
    payload: {
      requestHeaders: REQUEST_HEADERS,
      requestBody: body,
      responseHeaders: JSON.stringify({ 'content-type': STREAM ? 'text/event-stream' : 'application/json' }),
      responseBody: STREAM ? STREAM_RESPONSE : JSON_ANSWER,
      requestTruncated: false,
      responseTruncated: false,
    },
    linkBody: body,
  };
}

/** CPU ms of the PostgreSQL backends serving `db`, summed over every backend seen while sampling. */
class PgBackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly client: pg.Client;

  constructor(url: string) {
    this.client = new pg.Client({ connectionString: url, application_name: 'pg-writer-bench-probe' });
  }

  async start(): Promise<void> {
    await this.client.connect();
    await this.sample();
    this.timer = setInterval(() => void this.sample().catch(() => {}), 100);
  }

  private async sample(): Promise<void> {
    const { rows } = await this.client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    for (const { pid } of rows) {
      const ms = processCpuMs(pid);
      if (ms === null) continue;
      if (!this.first.has(pid)) this.first.set(pid, ms);
      this.last.set(pid, ms);
    }
  }

  /** CPU since the last call. */
  async take(): Promise<number> {
    await this.sample();
    let total = 0;
    for (const [pid, ms] of this.last) total += ms - (this.first.get(pid) ?? ms);
    for (const [pid, ms] of this.last) this.first.set(pid, ms);
    return total;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client.end();
  }
}

interface RunFigures {
  db: string;
  rate: number;
  records: number;
  wallMs: number;
  loopMsPerRec: number;
  cpuMsPerRec: number;
  pgMsPerRec: number | null;
  lagMaxMs: number;
  lagP99Ms: number;
  stored: number;
}

interface Target {
  db: string;
  store: Store;
  writer: RecordWriter;
  accountId: string;
  pgCpu: PgBackendCpu | null;
  close(): Promise<void>;
}

async function openTarget(db: string, dir: string): Promise<Target> {
  let url: string;
  let drop: (() => Promise<void>) | null = null;
  if (db === 'sqlite') url = `sqlite:${join(dir, 'writer.db')}`;
  else {
    const name = `ccflare_wbench_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(PG_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const store = await openStoreFromUrl(url);
  const account = await store.accounts.insert(
    { name: 'bench', kind: 'api_key', apiKeyEnc: 'x', priority: 0 },
    Date.now(),
  );
  const writer = await openWriterForUrl(url, store, {
    journalDir: null,
    ...(FLUSH_MS === undefined ? {} : { flushIntervalMs: Number(FLUSH_MS) }),
  });
  const pgCpu = db === 'sqlite' ? null : new PgBackendCpu(url);
  await pgCpu?.start();
  return {
    db,
    store,
    writer,
    accountId: account.id,
    pgCpu,
    close: async () => {
      await writer.close();
      await store.close();
      await pgCpu?.stop();
      await drop?.();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function runOnce(t: Target, rate: number, run: string): Promise<RunFigures> {
  const body = Buffer.from(requestBody(STREAM));
  const before = await t.store.requests.count();
  await t.pgCpu?.take();
  const lags: number[] = [];
  const lagTimer = setInterval(() => lags.push(t.writer.lagMs()), 10);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < RECORDS; i += PER_TICK) {
    for (let j = i; j < Math.min(i + PER_TICK, RECORDS); j++) t.writer.enqueue(benchRecord(j, run, t.accountId, body));
    if (rate > 0) {
      const due = started + ((i + PER_TICK) * 1000) / rate;
      const wait = due - performance.now();
      await new Promise((r) => (wait > 1 ? setTimeout(r, wait) : setImmediate(r)));
    } else await new Promise((r) => setImmediate(r));
  }
  await t.writer.flush();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  clearInterval(lagTimer);
  const pgMs = (await t.pgCpu?.take()) ?? null;
  const stored = (await t.store.requests.count()) - before;
  lags.sort((a, b) => a - b);
  return {
    db: t.db,
    rate,
    records: RECORDS,
    wallMs,
    loopMsPerRec: (elu.active + 0) / RECORDS,
    cpuMsPerRec: (cpu.user + cpu.system) / 1000 / RECORDS,
    pgMsPerRec: pgMs === null ? null : pgMs / RECORDS,
    lagMaxMs: lags.at(-1) ?? 0,
    lagP99Ms: percentile(lags, 99),
    stored,
  };
}

const us = (ms: number | null) => (ms === null ? '-' : (ms * 1000).toFixed(0));

async function main(): Promise<void> {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`record writer: ${RECORDS} ${STREAM ? 'stream' : 'json'} records per run, load average ${load}`);
  const dir = mkdtempSync(join(tmpdir(), 'ccflare-pg-writer-bench-'));
  const targets: Target[] = [];
  try {
    for (const db of DBS) targets.push(await openTarget(db, dir));
    // Warm-up: connections, prepared plans, the day's payload partition.
    for (const t of targets) await runOnce(t, 0, 'warm');
    const all: RunFigures[] = [];
    for (const rate of RATES)
      for (let r = 0; r < REPEAT; r++)
        for (const t of targets) {
          const f = await runOnce(t, rate, `r${rate}-${r}`);
          all.push(f);
          console.log(
            `  ${t.db.padEnd(8)} ${rate === 0 ? 'max' : `${rate}/s`} #${r + 1}: ${((f.records * 1000) / f.wallMs).toFixed(0)} rec/s, loop ${us(f.loopMsPerRec)} µs/rec, CPU ${us(f.cpuMsPerRec)} µs/rec, PG ${us(f.pgMsPerRec)} µs/rec, lag max ${f.lagMaxMs.toFixed(0)} ms p99 ${f.lagP99Ms.toFixed(0)} ms, stored ${f.stored}/${f.records}`,
          );
        }
    console.log('\nmedian by rec/s (loop: event-loop busy time; CPU: the process, all threads; PG: its backends)');
    console.log('db        rate   rec/s  loop µs  CPU µs  PG µs  lag max  lag p99');
    for (const rate of RATES)
      for (const t of targets) {
        const runs = all.filter((f) => f.db === t.db && f.rate === rate).sort((a, b) => b.wallMs - a.wallMs);
        const m = runs[Math.floor((runs.length - 1) / 2)] as RunFigures;
        console.log(
          `${t.db.padEnd(8)} ${(rate === 0 ? 'max' : String(rate)).padStart(5)} ${((m.records * 1000) / m.wallMs).toFixed(0).padStart(7)} ${us(m.loopMsPerRec).padStart(8)} ${us(m.cpuMsPerRec).padStart(7)} ${us(m.pgMsPerRec).padStart(6)} ${m.lagMaxMs.toFixed(0).padStart(8)} ${m.lagP99Ms.toFixed(0).padStart(8)}`,
        );
      }
  } finally {
    for (const t of targets) await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error('pg-writer-bench failed:', err);
  process.exit(1);
});
