/**
 * Realistic request records for the benchmarks that need a full database (analytics, dashboard):
 * 30 days ending now, busier in working hours; 5 accounts and 6 models with uneven shares;
 * ~3% errors (429, 529, 500, client disconnects; most without an applied model or usage); 45% of
 * requests attributed to one of 4 agents; sessions that last about 45 minutes per account;
 * latencies and tokens drawn per model; cost from the real price table. No payloads.
 */
import { loadConfig } from '../src/config/config.js';
import { createPricer } from '../src/pricing/pricing.js';
import { type RunningServer, runServer } from '../src/server/serve.js';
import { prng as rng } from '../src/shared/prng.js';
import type { RequestRecord } from '../src/storage/contract/records.js';
import { openStoreFromUrl, openWriterForUrl } from '../src/storage/open-store.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

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

export function makeRecords(
  n: number,
  end: number,
  accounts: { id: string; name: string }[],
): (i: number) => RequestRecord {
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
      agentInstance: null,
      routeReason: null,
      modelFallback: false,
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

/** Seeds `rows` records through the real write path (worker-thread batches, rollups). */
export async function seedRequests(dbPath: string, rows: number): Promise<void> {
  const url = `sqlite:${dbPath}`;
  const store = await openStoreFromUrl(url);
  const accounts = [];
  for (let i = 1; i <= 5; i++)
    accounts.push(await store.accounts.insert({ name: `account-${i}`, kind: 'max' }, Date.now()));
  const end = Date.now();
  const next = makeRecords(rows, end, accounts);
  const writer = await openWriterForUrl(url, store, { onError: (err) => console.error('writer:', err) });
  const started = performance.now();
  for (let i = 0; i < rows; i++) {
    writer.enqueue(next(i));
    // Stay far below the writer's queue bound (50,000): a full queue drops records.
    if (writer.depth() >= 20_000) await writer.flush();
    if ((i + 1) % 100_000 === 0) {
      const s = (performance.now() - started) / 1000;
      process.stdout.write(`  ${i + 1} rows, ${s.toFixed(0)} s (${((i + 1) / s).toFixed(0)} rows/s)\n`);
    }
  }
  await writer.close();
  await store.close();
  const s = (performance.now() - started) / 1000;
  console.log(`seeded ${rows} rows in ${s.toFixed(1)} s (${(rows / s).toFixed(0)} rows/s)`);
}

/** The real server on a seeded data directory, on a free port, with no upstream to reach. */
export function serveSeeded(home: string): Promise<RunningServer> {
  const config = loadConfig({
    env: {
      CCFLARE_HOME: home,
      CCFLARE_PORT: '0',
      CCFLARE_LOG_LEVEL: 'warn',
      CCFLARE_LOG_FORMAT: 'json',
      CCFLARE_UPSTREAM_URL: 'http://127.0.0.1:9',
    },
  });
  return runServer(config, { signals: false });
}
