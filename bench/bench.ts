/**
 * ccflare benchmark: `npm run bench` (= build, then `node dist/bench/bench.js`).
 *
 * Processes, each on its own so both cores are used and CPU is measured per process:
 *   fake upstream (bench/fake-upstream-main.ts, no recording), minimal pass-through proxy
 *   (bench/minimal-proxy.ts, the floor of a Node proxy hop), ccflare (`node bin/ccflare serve`,
 *   throw-away CCFLARE_HOME with one API-key account), and the load generator (bench/load.ts),
 *   started once per run.
 *
 * Scenarios, each against the upstream directly, the minimal proxy and ccflare:
 *   a-json    saturation, 32 connections, non-streaming messages
 *   a-stream  saturation, 32 connections, streams of 20 deltas written at once
 *   b-paced   16 concurrent streams, upstream paces 50 events 5 ms apart; time to first byte
 *   c-long    1,000 streams open at once, one event per 100 ms for 60 s, against the minimal
 *             proxy and ccflare only: CPU per stream and peak RSS of each, every stream recorded
 * Pacing is chosen per request with the header `x-fake-sse: deltas=50;interval=5`, which the
 * fake upstream understands and a proxy must forward as an unknown header.
 *   a-events  a-json against ccflare alone, with no /api/events listener and with --listeners of
 *             them (--stalled of those never read after the response head), alternated: req/s of
 *             each, their ratio, the gateway's peak RSS, clients dropped, events the readers got
 *   writer    event-loop delay while the request writer commits 256 KB payloads, in this process
 *             (bench/writer-bench.ts): the worker-thread writer and, for reference, the main thread
 *   kill9     a ccflare of its own under saturation load (non-streaming, then streaming) is killed
 *             with SIGKILL, restarted on the same database, and the answered requests missing
 *             from its requests table are counted (bench/kill9-bench.ts)
 *
 * With --db sqlite,postgres: ccflare on PostgreSQL >= 0.8x the req/s of ccflare on SQLite in
 * a-json and a-stream (issue 18); the CPU of the PostgreSQL backends serving it is shown apart.
 *
 * Targets (issue 15), all against the minimal proxy: (a) ccflare >= 0.9x its req/s and CPU/request
 * <= 1.25x; (b) added TTFB over it <= 0.15 ms at p50 and <= 0.5 ms at p99 (difference of the
 * percentiles); (c) CPU per stream <= 1.3x, peak RSS <= 150 MB above it, every stream run to its
 * end; every request ccflare answered is in its `requests` table within 1 s after the load;
 * (writer) event-loop delay p99 < 10 ms while the worker writer commits 256 KB payloads;
 * (a-events) req/s with the listeners >= 80% of req/s without;
 * (kill9) at most as many answered requests unrecorded as were in flight (the connections).
 *
 * CPU per request comes from /proc/<pid>/stat (all threads, plus child processes) over the measured
 * window. "outside CPU" is the share of the machine busy with processes that are not part of the
 * bench (from /proc/stat): on a shared 2-core machine, figures from runs above ~10% are noise.
 * Use --repeat 3 there. ccflare runs with CCFLARE_LOG_LEVEL=warn; other CCFLARE_* variables in the
 * environment are passed through.
 *
 * Options (argv or env):
 *   --quick                 1 s runs, 0.3 s warm-up (smoke test)          BENCH_QUICK=1
 *   --duration <ms>         measured window per run (default 5000)       BENCH_DURATION_MS
 *   --warmup <ms>           warm-up per run (default 1000)               BENCH_WARMUP_MS
 *   --connections <n>       saturation connections (default 32)
 *   --streams <n>           concurrent paced streams (default 16)
 *   --long-streams <n>      c-long's concurrent streams (default 1000; quick 100)  BENCH_LONG_STREAMS
 *   --long-duration <ms>    c-long's stream length (default 60000; quick 3000)  BENCH_LONG_DURATION_MS
 *   --long-interval <ms>    c-long's time between events (default 100)
 *   --listeners <n>         /api/events clients in a-events (default 256, the gateway's maximum)
 *   --stalled <n>           of those, clients that never read (default a quarter)
 *   --listener-types all    listeners take every event (default: the dashboard's subscription)
 *   --targets <list>        subset of direct,minimal,ccflare,ccflare-nolink,ccflare-nolink2
 *                           (ccflare-nolink: a second ccflare with CCFLARE_CONVERSATIONS=false,
 *                           measured in the same interleaved rounds; a side-by-side table and the
 *                           ratio of the two. ccflare-nolink2: a third, the same as the second,
 *                           whose ratio to it is the noise: with --repeat >= 2, linking PASSes when
 *                           its median ratio lies within that A/A range)
 *   --scenarios <list>      subset of a-json,a-stream,b-paced,c-long,a-events,writer,kill9
 *   --ccflare <path>        ccflare launcher (default <repo>/bin/ccflare)  CCFLARE_BENCH_BIN
 *   --ccflare-node-args <s> Node/V8 flags for the ccflare processes only, space-separated
 *   --no-ccflare            bench only direct and the minimal proxy
 *   --keep-home             keep ccflare's temporary CCFLARE_HOME
 *   --repeat <n>            run every (scenario, target) n times, interleaved, and report the
 *                           median run (by req/s; b-paced by TTFB p50; c-long by CPU/stream)
 *                                                                        BENCH_REPEAT
 *   --agents <n>x<w>        n agent files in w workspaces (and the user folder) in ccflare's home,
 *                           and Claude Code-like bodies (workspace paths, one in four a sub-agent
 *                           request) for every target (bench/agents-load.ts)
 *   --strategy <list>       run ccflare under these strategies (CCFLARE_STRATEGY), one ccflare
 *                           process each, measured in the same interleaved rounds; with two or
 *                           more, a side-by-side table (req/s, TTFB, CPU per request) compares
 *                           them against the first. The targets' verdicts are the first one's.
 *                           Default: the environment's CCFLARE_STRATEGY     BENCH_STRATEGY
 *   --accounts <n>          API-key accounts in each ccflare (default 1)  BENCH_ACCOUNTS
 *   --db <list>             sqlite (default), postgres or both: one ccflare per database (and per
 *                           strategy), side by side like --strategy; postgres always runs
 *                           beside SQLite, the reference its target (>= 0.8x) is judged by;
 *                           PostgreSQL gets a new
 *                           database on --pg-url, dropped at the end; before each ccflare
 *                           run the server is checkpointed and its autovacuum waited for
 *                           (superuser; else the run says so)               BENCH_DB
 *   --pg-url <url>          PostgreSQL server for --db postgres (default CCFLARE_TEST_PG_URL,
 *                           else postgres://postgres@127.0.0.1:5432/postgres)
 *   --pg-front <n>          with --db postgres, also n ccflares on one new database behind a
 *                           round-robin TCP front (bench/round-robin-front.ts), measured like the
 *                           others: CPU is both gateways'; 0 for none (default 2)  BENCH_PG_FRONT
 *   --json <file>           also write all results as JSON
 *   --cpu-prof <dir>        ccflare and the minimal proxy write V8 CPU profiles there when they stop
 *                           (bench/cpu-profile-summary.ts sums them per function in µs/request)
 *   --cpu-prof-interval <µs> their sampling interval (V8's default: 1000)
 *   --strict                exit 1 when a target FAILs
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentLoadSpec, type LoadVariant, parseAgentSpec, prepareAgentLoad } from './agents-load.js';
import { requestBody, SESSION_PLACEHOLDER } from './bench-body.js';
import { forkReady, freePort, table } from './bench-support.js';
import { argValue, finishOnSignals } from './child-ipc.js';
import type { ListenersConfig, ListenersResult } from './event-listeners.js';
import { benchJournal, type JournalCost } from './journal-bench.js';
import { benchKill9, type Kill9Run } from './kill9-bench.js';
import type { LoadConfig, LoadResult } from './load.js';
import { benchWriter, WRITER_P99_TARGET_MS, type WriterBenchResult } from './writer-bench.js';

type TargetName = 'direct' | 'minimal' | 'ccflare';
type ScenarioId = 'a-json' | 'a-stream' | 'b-paced' | 'c-long';

interface Scenario {
  id: ScenarioId;
  title: string;
  connections: number;
  stream: boolean;
  headers: Record<string, string>;
  /** One request per connection, all at once (c-long): the run lasts as long as the streams. */
  oneShot?: boolean;
}

interface Target {
  name: TargetName;
  /** Unique per target: the name, or `ccflare/<strategy>` with --strategy. */
  label: string;
  url: string;
  pid: number;
  /** The other ccflare processes behind a front: their CPU counts as the target's. */
  morePids?: number[];
  /** The front's process, measured apart (it stands for HAProxy, not for ccflare). */
  frontPid?: number;
  /** The PostgreSQL database it records to, whose backends' CPU is measured apart. */
  pgDb?: string;
  /** A ccflare that is gone: how it exited and the end of its log (read before the home is removed); null while it runs. */
  exitReport?: () => string | null;
}

interface RunResult {
  scenario: ScenarioId;
  target: TargetName;
  label: string;
  result: LoadResult;
  /** CPU ms per measured request of the target process (the upstream itself for direct). */
  cpuPerReq: number | null;
  /** The same for the target's main thread alone (its event loop; ccflare's record writer excluded). */
  mainCpuPerReq: number | null;
  upstreamCpuPerReq: number | null;
  /** CPU ms per measured request of the PostgreSQL backends serving the target (null: not on PostgreSQL). */
  dbCpuPerReq: number | null;
  /** Share (%) of the machine's CPU used by processes outside the bench during the window. */
  outsideCpuPct: number | null;
  /** Peak resident memory of the target process during the run, MB. */
  peakRssMb: number | null;
  /** ccflare: the most records waiting for the writer at once (/health `writeQueue`, sampled every 100 ms). */
  peakWriteQueue?: number | null;
  recorded?: { expected: number; found: number | null; pass: boolean; note: string };
}

interface EventsRun {
  listeners: number;
  result: LoadResult;
  peakRssMb: number | null;
  /** Clients the gateway dropped for not reading during the run. */
  dropped: number | null;
  /** Event frames each reading client received, on average. */
  framesPerReader: number | null;
  reconnects: number | null;
  cpuPerReq: number | null;
  /** Share (%) of the machine's CPU used by processes outside the bench during the window. */
  outsideCpuPct: number | null;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const has = (flag: string) => argv.includes(`--${flag}`);
const env = process.env;

function findRepoRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ccflare') return dir;
      } catch {
        // keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve(from, '..', '..');
    dir = up;
  }
}

const REPO = findRepoRoot(HERE);
const quick = has('quick') || env.BENCH_QUICK === '1';
const DURATION_MS = Number(argValue(argv, 'duration') ?? env.BENCH_DURATION_MS ?? (quick ? 1000 : 5000));
const WARMUP_MS = Number(argValue(argv, 'warmup') ?? env.BENCH_WARMUP_MS ?? (quick ? 300 : 1000));
const SAT_CONNECTIONS = Number(argValue(argv, 'connections') ?? 32);
const STREAMS = Number(argValue(argv, 'streams') ?? 16);
const PACED_DELTAS = 50;
const PACED_INTERVAL_MS = 5;
// c-long: what Claude Code traffic looks like to a gateway, many slow streams open at once
const LONG_STREAMS = Number(argValue(argv, 'long-streams') ?? env.BENCH_LONG_STREAMS ?? (quick ? 100 : 1000));
const LONG_INTERVAL_MS = Number(argValue(argv, 'long-interval') ?? 100);
const LONG_DURATION_MS = Number(
  argValue(argv, 'long-duration') ?? env.BENCH_LONG_DURATION_MS ?? (quick ? 3000 : 60_000),
);
const LONG_EVENTS = Math.max(1, Math.round(LONG_DURATION_MS / LONG_INTERVAL_MS));

// The issue 15 targets, against the minimal proxy (the floor of a Node hop on this machine).
const THROUGHPUT_TARGET = 0.9;
const CPU_TARGET = 1.25;
const TTFB_P50_TARGET_MS = 0.15;
const TTFB_P99_TARGET_MS = 0.5;
const LONG_CPU_TARGET = 1.3;
const LONG_RSS_TARGET_MB = 150;
const CCFLARE_BIN = resolve(argValue(argv, 'ccflare') ?? env.CCFLARE_BENCH_BIN ?? join(REPO, 'bin', 'ccflare'));
const WANT_TARGETS = new Set((argValue(argv, 'targets') ?? 'direct,minimal,ccflare').split(','));
if (has('no-ccflare')) WANT_TARGETS.delete('ccflare');
const WANT_SCENARIOS = new Set(
  (argValue(argv, 'scenarios') ?? 'a-json,a-stream,b-paced,c-long,a-events,writer,kill9').split(','),
);
const LISTENERS = Number(argValue(argv, 'listeners') ?? 256);
// What the dashboard subscribes to (dashboard/src/live.ts): one event per request, its id only;
// `all` takes every event whole (request.started, the summaries, the log lines).
const LISTENER_PATH =
  argValue(argv, 'listener-types') === 'all'
    ? '/api/events'
    : '/api/events?types=request.finished,account.changed,account.refreshed,reset&fields=id';
const STALLED = Math.min(LISTENERS, Number(argValue(argv, 'stalled') ?? Math.floor(LISTENERS / 4)));
const EVENTS_RATIO_TARGET = 0.8;
/** Issue 18: ccflare on PostgreSQL against ccflare on SQLite, req/s. */
const PG_THROUGHPUT_TARGET = 0.8;
const JSON_OUT = argValue(argv, 'json');
/** Where ccflare writes a V8 CPU profile (`--cpu-prof`) when it exits; none by default. */
const CPU_PROF_DIR = argValue(argv, 'cpu-prof');
const CPU_PROF_INTERVAL = argValue(argv, 'cpu-prof-interval');
const cpuProfArgs = () =>
  CPU_PROF_DIR === undefined
    ? []
    : [
        '--cpu-prof',
        `--cpu-prof-dir=${CPU_PROF_DIR}`,
        ...(CPU_PROF_INTERVAL === undefined ? [] : [`--cpu-prof-interval=${CPU_PROF_INTERVAL}`]),
      ];
const REPEAT = Math.max(1, Number(argValue(argv, 'repeat') ?? env.BENCH_REPEAT ?? 1));
/** Node or V8 flags for the ccflare processes alone (e.g. `--max-semi-space-size=16`), space-separated. */
const CCFLARE_NODE_ARGS = (argValue(argv, 'ccflare-node-args') ?? '').split(' ').filter((a) => a !== '');
const AGENTS: AgentLoadSpec | null = parseAgentSpec(argValue(argv, 'agents'));
/** ccflare's strategies to bench, one process each; [null]: the environment's (or the default). */
const STRATEGIES: Array<string | null> = (() => {
  const raw = argValue(argv, 'strategy') ?? env.BENCH_STRATEGY;
  if (raw === undefined || raw.trim() === '') return [null];
  return [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
})();
const ACCOUNTS = Math.max(1, Number(argValue(argv, 'accounts') ?? env.BENCH_ACCOUNTS ?? 1));
type DbKind = 'sqlite' | 'postgres';
/** The databases to bench ccflare on, one process each (crossed with the strategies). */
const DBS: DbKind[] = (() => {
  const raw = (argValue(argv, 'db') ?? env.BENCH_DB ?? 'sqlite').split(',').map((s) => s.trim());
  const bad = raw.filter((d) => d !== 'sqlite' && d !== 'postgres');
  if (bad.length > 0) throw new Error(`--db: unknown database ${bad.join(', ')} (sqlite, postgres)`);
  // PostgreSQL's target is a ratio to SQLite in the same rounds: `--db postgres` runs both.
  return raw.includes('postgres') ? ['sqlite', 'postgres'] : ['sqlite'];
})();
const PG_URL = argValue(argv, 'pg-url') ?? env.CCFLARE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** ccflares on one PostgreSQL database behind a round-robin front (with --db postgres). */
const PG_FRONT = Math.max(0, Number(argValue(argv, 'pg-front') ?? env.BENCH_PG_FRONT ?? 2));
/** PostgreSQL databases made for ccflares, dropped at the end. */
const pgDatabases: string[] = [];

/** A new, empty PostgreSQL database on PG_URL's server; its URL. */
async function createPgDatabase(): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `ccflare_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  pgDatabases.push(name);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropPgDatabases(): Promise<void> {
  if (pgDatabases.length === 0) return;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const name of pgDatabases.splice(0)) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
/**
 * Before each run while a PostgreSQL server is in the bench: its dirty pages written out and its
 * autovacuum done, so no run (on either back-end) pays for the writes of the run before it. The
 * two-instance front's database, written just before, had kept the checkpointer and autovacuum
 * busy into the next runs (12-20 % outside CPU in them; 1-4 % otherwise), as pgbench's own
 * `CHECKPOINT` before a run avoids. The time it took, or why it could not (not a superuser).
 */
async function settlePostgres(): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  const t0 = performance.now();
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    for (let i = 0; i < 100; i++) {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
      );
      if ((rows[0]?.n ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return `PostgreSQL settled in ${Math.round(performance.now() - t0)} ms`;
  } catch (err) {
    return `PostgreSQL not settled: ${(err as Error).message}`;
  } finally {
    await client.end();
  }
}

/**
 * Stops (SIGSTOP) every other target's processes while `t` is measured and returns their restart:
 * each run has the machine to itself, as the settled PostgreSQL gives it. An idle ccflare still
 * wakes for its revision polls, key-usage sync and heartbeats: ~1 % of a core on PostgreSQL
 * (its backends besides) and ~0.7 % on SQLite, measured from /proc over 30 s of an idle
 * `ccflare serve`. With the two-instance front a run had up to four idle ccflares and the front
 * beside it, and their share fell on whichever target ran.
 */
function freezeOthers(targets: readonly Target[], t: Target): () => void {
  const pids = targets
    .filter((x) => x !== t && x.name !== 'direct')
    .flatMap((x) => [x.pid, ...(x.morePids ?? []), ...(x.frontPid === undefined ? [] : [x.frontPid])]);
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // exited: the run reports it
      }
    }
  };
  signal('SIGSTOP');
  return () => signal('SIGCONT');
}

/**
 * The server processes of the connections to database `name` now (the pool's, open before a run
 * begins): their CPU over the run is PostgreSQL's share of serving the target. Linux only.
 */
async function pgBackendPids(name: string): Promise<number[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
    return rows.map((r) => r.pid);
  } catch {
    return [];
  } finally {
    await client.end();
  }
}

/** With --agents: the request variants per scenario, set once ccflare's home is made. */
let agentVariants: ((scenario: string) => LoadVariant[]) | null = null;

const SCENARIOS: Scenario[] = [
  {
    id: 'a-json',
    title: `saturation, ${SAT_CONNECTIONS} conns, non-streaming`,
    connections: SAT_CONNECTIONS,
    stream: false,
    headers: {},
  },
  {
    id: 'a-stream',
    title: `saturation, ${SAT_CONNECTIONS} conns, stream of 20 deltas at once`,
    connections: SAT_CONNECTIONS,
    stream: true,
    headers: {},
  },
  {
    id: 'b-paced',
    title: `${STREAMS} streams, ${PACED_DELTAS} events ${PACED_INTERVAL_MS} ms apart`,
    connections: STREAMS,
    stream: true,
    headers: { 'x-fake-sse': `deltas=${PACED_DELTAS};interval=${PACED_INTERVAL_MS}` },
  },
  {
    id: 'c-long',
    title: `${LONG_STREAMS} concurrent streams, ${LONG_EVENTS} events ${LONG_INTERVAL_MS} ms apart`,
    connections: LONG_STREAMS,
    stream: true,
    headers: { 'x-fake-sse': `deltas=${LONG_EVENTS};interval=${LONG_INTERVAL_MS}` },
    oneShot: true,
  },
];

const BASE_HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'x-api-key': 'sk-ant-api03-client-side-bench-key',
  'user-agent': 'ccflare-bench/1',
};

// ---------------------------------------------------------------------------------------------
// processes

const children: ChildProcess[] = [];
const track = (child: ChildProcess) => {
  children.push(child);
};
/** ccflare's temporary CCFLARE_HOMEs (one per --strategy), removed at the end unless --keep-home. */
const ccHomes: string[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

interface Ccflare {
  target: Target;
  home: string;
  /** The database URL it records to (sqlite:<path> or postgres://...). */
  dbUrl: string;
  child: ChildProcess;
}

/**
 * A ccflare with a new CCFLARE_HOME and its accounts (--accounts), or on `reuseHome` as it was left
 * (a restart); under `strategy` when given (CCFLARE_STRATEGY).
 */
async function startCcflare(
  upstreamUrl: string,
  reuseHome?: string,
  strategy: string | null = null,
  db: DbKind | string = 'sqlite',
  /** Another instance of the same installation: its secret key decrypts the shared accounts. */
  secretFrom?: string,
  linking = true,
  /** Told apart from another ccflare of the same settings (`-nolink2`, the A/A control). */
  variant = linking ? '' : '-nolink',
): Promise<Ccflare | { error: string }> {
  if (!existsSync(CCFLARE_BIN)) return { error: `launcher not found: ${CCFLARE_BIN}` };
  const home = reuseHome ?? mkdtempSync(join(tmpdir(), 'ccflare-bench-'));
  if (secretFrom !== undefined) copyFileSync(join(secretFrom, 'secret.key'), join(home, 'secret.key'));
  // A database named by URL exists already (a restart, another instance): its accounts too.
  const newDatabase = db === 'sqlite' || db === 'postgres';
  // A restart (`reuseHome`) passes the database URL it had; a new ccflare on PostgreSQL gets a new database.
  let dbUrl: string;
  try {
    dbUrl = db === 'sqlite' ? `sqlite:${join(home, 'ccflare.db')}` : db === 'postgres' ? await createPgDatabase() : db;
  } catch (err) {
    return { error: `cannot create a PostgreSQL database on ${PG_URL}: ${(err as Error).message}` };
  }
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    CCFLARE_HOME: home,
    CCFLARE_PORT: String(port),
    CCFLARE_UPSTREAM_URL: upstreamUrl,
    CCFLARE_DATABASE_URL: dbUrl,
    CCFLARE_LOG_LEVEL: env.CCFLARE_LOG_LEVEL ?? 'warn',
    // c-long holds LONG_STREAMS client connections open at once (plus the bench's own requests)
    CCFLARE_MAX_CONNECTIONS: env.CCFLARE_MAX_CONNECTIONS ?? String(Math.max(512, LONG_STREAMS + 64)),
  };
  if (strategy !== null) childEnv.CCFLARE_STRATEGY = strategy;
  if (!linking) childEnv.CCFLARE_CONVERSATIONS = 'false';
  const fail = (msg: string) => {
    if (!has('keep-home')) rmSync(home, { recursive: true, force: true });
    return { error: msg };
  };
  if (AGENTS !== null && !reuseHome) {
    const prepared = prepareAgentLoad(AGENTS, join(home, 'agents-bench'), (id) => id !== 'a-json');
    Object.assign(childEnv, prepared.env);
    agentVariants = prepared.variants;
  }
  for (let i = 0; i < (reuseHome || !newDatabase ? 0 : ACCOUNTS); i++) {
    const name = i === 0 ? 'bench' : `bench-${i + 1}`;
    const add = spawnSync(
      process.execPath,
      [CCFLARE_BIN, 'accounts', 'add-key', name, '--key', `sk-ant-api03-${name}`],
      { env: childEnv, encoding: 'utf8', timeout: 30_000 },
    );
    if (add.status !== 0) {
      return fail(
        `\`ccflare accounts add-key ${name} --key ...\` failed (exit ${add.status ?? add.signal}):\n${tail(`${add.stdout ?? ''}\n${add.stderr ?? ''}`)}`,
      );
    }
  }
  const logPath = join(home, 'serve.log');
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...cpuProfArgs(), ...CCFLARE_NODE_ARGS, CCFLARE_BIN, 'serve'], {
    env: childEnv,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  children.push(child);
  let exited: number | string | null = null;
  child.once('exit', (code, signal) => {
    exited = code ?? signal ?? 'unknown';
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) {
      return fail(`\`ccflare serve\` exited with ${exited}:\n${tail(readFileSync(logPath, 'utf8'))}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      return fail(
        `\`ccflare serve\` did not answer 200 on ${url}/health within 30 s:\n${tail(readFileSync(logPath, 'utf8'))}`,
      );
    }
    await sleep(100);
  }
  if (child.pid === undefined) return fail('`ccflare serve` has no pid');
  const label = `ccflare${variant}${strategy === null ? '' : `/${strategy}`}${dbUrl.startsWith('sqlite:') ? (DBS.length > 1 ? '/sqlite' : '') : '/pg'}`;
  const pgDb = dbUrl.startsWith('sqlite:') ? {} : { pgDb: new URL(dbUrl).pathname.slice(1) };
  const exitReport = () => {
    if (exited === null) return null;
    let log = '';
    try {
      log = tail(readFileSync(logPath, 'utf8'), 8);
    } catch {
      log = '(no serve.log)';
    }
    return `\`ccflare serve\` exited with ${exited}; its log ends:\n${log}`;
  };
  return { target: { name: 'ccflare', label, url, pid: child.pid, ...pgDb, exitReport }, home, dbUrl, child };
}

/**
 * `n` ccflares on one new PostgreSQL database (each with its own home and journal, the first
 * one's secret key), behind a round-robin TCP front as behind HAProxy: one target at the front.
 */
async function startBehindFront(upstreamUrl: string, n: number): Promise<Ccflare | { error: string }> {
  const strategy = STRATEGIES[0] ?? null;
  const first = await startCcflare(upstreamUrl, undefined, strategy, 'postgres');
  if ('error' in first) return first;
  ccHomes.push(first.home);
  const rest: Ccflare[] = [];
  for (let i = 1; i < n; i++) {
    const more = await startCcflare(upstreamUrl, undefined, strategy, first.dbUrl, first.home);
    if ('error' in more) return more;
    ccHomes.push(more.home);
    rest.push(more);
  }
  const front = await forkReady(
    track,
    'round-robin-front.js',
    ['--backends', [first, ...rest].map((c) => c.target.url).join(',')],
    'round-robin front',
  );
  const target: Target = {
    ...first.target,
    label: `${first.target.label} x${n}`,
    url: front.ready.url,
    morePids: rest.map((c) => c.target.pid),
    frontPid: front.child.pid as number,
  };
  return { ...first, target };
}

/** The load a scenario puts on `target`, measuring the CPU of `cpuPids`. */
function scenarioLoad(sc: Scenario, target: string, cpuPids: Record<string, number>): LoadConfig {
  return {
    target,
    path: '/v1/messages',
    connections: sc.connections,
    warmupMs: sc.oneShot ? 0 : WARMUP_MS,
    // one-shot runs end with their last stream; this only caps a run whose streams hang
    durationMs: sc.oneShot ? LONG_DURATION_MS + 60_000 : DURATION_MS,
    ...(sc.oneShot ? { oneShot: true } : {}),
    headers: { ...BASE_HEADERS, ...sc.headers },
    body: requestBody(sc.stream),
    cpuPids,
    ...(agentVariants === null ? {} : { variants: agentVariants(sc.id) }),
  };
}

function runLoadChild(cfg: LoadConfig): Promise<LoadResult> {
  return new Promise((resolveRun, reject) => {
    const child = fork(join(HERE, 'load.js'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    let settled = false;
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        if (!settled) reject(new Error('load generator timed out'));
        settled = true;
      },
      cfg.warmupMs + cfg.durationMs + 60_000,
    );
    child.on('message', (m: { type: string; result?: LoadResult; error?: string }) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (m.type === 'result' && m.result) resolveRun(m.result);
      else reject(new Error(`load generator failed: ${m.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const i = children.indexOf(child);
      if (i >= 0) children.splice(i, 1);
      if (!settled) reject(new Error(`load generator exited with ${code}`));
      settled = true;
    });
    child.send(cfg);
  });
}

interface Listeners {
  pid: number;
  stop(): Promise<ListenersResult>;
}

/** Opens the /api/events clients in their own process; resolves once every stream is open. */
function startListeners(cfg: ListenersConfig): Promise<Listeners> {
  return new Promise((resolveReady, reject) => {
    const child = fork(join(HERE, 'event-listeners.js'), [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const forget = () => {
      const i = children.indexOf(child);
      if (i >= 0) children.splice(i, 1);
    };
    let result: ((r: ListenersResult) => void) | null = null;
    child.on('message', (m: { type: string; result?: ListenersResult; error?: string }) => {
      if (m.type === 'ready') {
        resolveReady({
          pid: child.pid as number,
          stop: () =>
            new Promise((done) => {
              result = done;
              child.send('stop');
            }),
        });
      } else if (m.type === 'result' && m.result) result?.(m.result);
      else reject(new Error(`event listeners failed: ${m.error}`));
    });
    child.once('exit', (code) => {
      forget();
      reject(new Error(`event listeners exited with ${code}`));
    });
    child.send(cfg);
  });
}

/** Samples a process's resident memory every 100 ms; stop() gives the peak in MB. */
function sampleRss(pid: number): () => number | null {
  let peak: number | null = null;
  const read = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak ?? 0, Number(m[1]) / 1024);
    } catch {
      // no /proc: no figure
    }
  };
  read();
  const timer = setInterval(read, 100);
  return () => {
    clearInterval(timer);
    read();
    return peak;
  };
}

/**
 * The records waiting for ccflare's writer (/health `writeQueue`), read every 100 ms; stop() gives
 * the most seen. A backlog that grows through a run is linking (or writing) not keeping up.
 */
function sampleWriteQueue(url: string): () => Promise<number | null> {
  let peak: number | null = null;
  let reading: Promise<void> = Promise.resolve();
  const read = () => {
    reading = fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })
      .then((res) => res.json() as Promise<{ writeQueue?: number }>)
      .then((h) => {
        if (typeof h.writeQueue === 'number') peak = Math.max(peak ?? 0, h.writeQueue);
      })
      .catch(() => undefined);
  };
  const timer = setInterval(read, 100);
  return async () => {
    clearInterval(timer);
    await reading;
    return peak;
  };
}

/** ccflare's count of event stream clients dropped for not reading, from /metrics. */
async function droppedListeners(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^ccflare_event_stream_dropped_clients_total (\d+)/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null || c.signalCode !== null) return done();
          const hard = setTimeout(() => c.kill('SIGKILL'), 3000);
          c.once('exit', () => {
            clearTimeout(hard);
            done();
          });
          c.kill('SIGTERM');
          // One frozen by an interrupted run (freezeOthers) takes its SIGTERM only once it runs.
          c.kill('SIGCONT');
        }),
    ),
  );
  children.length = 0;
}

// ---------------------------------------------------------------------------------------------
// the "every request recorded within 1 s" check

async function countRows(dbUrl: string): Promise<number | string> {
  if (dbUrl.startsWith('sqlite:') && !existsSync(dbUrl.slice('sqlite:'.length))) return `no database at ${dbUrl}`;
  try {
    const { openStoreFromUrl } = await import('../src/storage/open-store.js');
    const store = await openStoreFromUrl(dbUrl);
    try {
      return await store.requests.count();
    } finally {
      await store.close();
    }
  } catch (err) {
    return `cannot read requests table: ${(err as Error).message}`;
  }
}

/** Every session id recorded in the database (the kill9 scenario gives each request its own). */
async function recordedSessions(dbUrl: string): Promise<Set<string>> {
  const { openStoreFromUrl } = await import('../src/storage/open-store.js');
  const store = await openStoreFromUrl(dbUrl);
  try {
    const page = await store.requests.list({ limit: Number.MAX_SAFE_INTEGER });
    return new Set(page.items.map((r) => r.sessionId).filter((x): x is string => x !== null));
  } finally {
    await store.close();
  }
}

/**
 * Polls the row count until it covers every response ccflare gave so far (cumulative over the
 * runs, above the rows present before the first run), or until 1 s after the load ended.
 */
async function checkRecorded(
  dbUrl: string,
  baseline: number,
  earlier: number,
  answered: number,
  endedAt: number,
): Promise<NonNullable<RunResult['recorded']>> {
  const deadline = endedAt + 1000;
  let found: number | string = 0;
  for (;;) {
    found = await countRows(dbUrl);
    if (typeof found === 'string') return { expected: answered, found: null, pass: false, note: found };
    const mine = found - baseline - earlier;
    if (mine >= answered) {
      return { expected: answered, found: mine, pass: true, note: `after ${Date.now() - endedAt} ms` };
    }
    if (Date.now() > deadline) break;
    await sleep(50);
  }
  return {
    expected: answered,
    found: found - baseline - earlier,
    pass: false,
    note: 'missing rows 1 s after the load ended',
  };
}

// ---------------------------------------------------------------------------------------------
// report

const f = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);

/** Share (%) of all cores busy with processes other than the measured ones during the window. */
function outsideCpu(r: LoadResult): number | null {
  if (r.machineBusyMs === null) return null;
  let ours = r.loadCpuMs;
  for (const ms of Object.values(r.cpuMs)) ours += ms ?? 0;
  return Math.max(0, (100 * (r.machineBusyMs - ours)) / (r.windowMs * availableParallelism()));
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/**
 * The targets of one round: the ccflares (strategies, databases, with and without linking) take
 * turns at going first, so none of them always meets the machine right after the same neighbour.
 */
function roundOrder(targets: readonly Target[], round: number): Target[] {
  const others = targets.filter((t) => t.name !== 'ccflare');
  const ccflares = targets.filter((t) => t.name === 'ccflare');
  const k = ccflares.length === 0 ? 0 : round % ccflares.length;
  return [...others, ...ccflares.slice(k), ...ccflares.slice(0, k)];
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

async function main(): Promise<number> {
  console.log(
    `ccflare bench: node ${process.version}, ${availableParallelism()} CPUs, ${DURATION_MS} ms runs after ${WARMUP_MS} ms warm-up${quick ? ' (quick)' : ''}`,
  );

  const upstream = await forkReady(track, 'fake-upstream-main.js', [], 'fake upstream');
  const upstreamPid = upstream.child.pid as number;
  const targets: Target[] = [];
  if (WANT_TARGETS.has('direct'))
    targets.push({ name: 'direct', label: 'direct', url: upstream.ready.url, pid: upstreamPid });
  if (WANT_TARGETS.has('minimal')) {
    // as many upstream connections as c-long has streams, so none waits for another to end
    const mp = await forkReady(
      track,
      'minimal-proxy.js',
      ['--upstream', upstream.ready.url, '--connections', String(Math.max(256, LONG_STREAMS))],
      'minimal proxy',
      cpuProfArgs(),
    );
    targets.push({ name: 'minimal', label: 'minimal', url: mp.ready.url, pid: mp.child.pid as number });
  }
  /** One ccflare per strategy; the first is the one the targets, a-events and kill9 measure. */
  const ccs: Ccflare[] = [];
  // ccflare-nolink: the same ccflare without conversation linking, to compare with (issue 16);
  // ccflare-nolink2: a second one of those, so the bench can tell a difference from its noise.
  const variants = (
    [
      ['', true],
      ['-nolink', false],
      ['-nolink2', false],
    ] as const
  ).filter(([v]) => WANT_TARGETS.has(`ccflare${v}`));
  const linkings = variants.map(([, l]) => l);
  for (const [variant, linking] of variants) {
    for (const strategy of STRATEGIES)
      for (const db of DBS) {
        const started = await startCcflare(upstream.ready.url, undefined, strategy, db, undefined, linking, variant);
        if ('error' in started) {
          console.log(
            `\n!! ccflare${variant}${strategy === null ? '' : ` (${strategy})`}${db === 'sqlite' ? '' : ` on ${db}`} could not be started, benching without it.\n   ${started.error.replaceAll('\n', '\n   ')}\n   (build it with \`npm run build\`; launcher: ${CCFLARE_BIN})\n`,
          );
          continue;
        }
        ccs.push(started);
        ccHomes.push(started.home);
        targets.push(started.target);
        console.log(
          `${started.target.label} up at ${started.target.url} (CCFLARE_HOME=${started.home}, ${ACCOUNTS} account${ACCOUNTS === 1 ? '' : 's'})`,
        );
      }
  }
  if (WANT_TARGETS.has('ccflare') && DBS.includes('postgres') && PG_FRONT > 1) {
    const started = await startBehindFront(upstream.ready.url, PG_FRONT);
    if ('error' in started) {
      console.log(
        `\n!! ${PG_FRONT} ccflares behind a front could not be started, benching without them.\n   ${started.error.replaceAll('\n', '\n   ')}\n`,
      );
    } else {
      ccs.push(started);
      targets.push(started.target);
      console.log(`${started.target.label} up at ${started.target.url} (round-robin front, one PostgreSQL database)`);
    }
  }
  const cc: Ccflare | null = ccs[0] ?? null;

  const allRuns: RunResult[] = [];
  const runsOf = (sc: ScenarioId, label: string) => allRuns.filter((x) => x.scenario === sc && x.label === label);
  /** `figure` of `a`'s run against `b`'s, round by round. */
  const paired = (sc: ScenarioId, a: string, b: string, figure: (x: RunResult, y: RunResult) => number): number[] => {
    const as = runsOf(sc, a);
    const bs = runsOf(sc, b);
    return Array.from({ length: Math.min(as.length, bs.length) }, (_, i) =>
      figure(as[i] as RunResult, bs[i] as RunResult),
    );
  };
  const throughputRatio = (x: RunResult, y: RunResult) => x.result.rps / y.result.rps;
  /**
   * `a` against `b` round by round in the scenario's own figure: b-paced's TTFB p50 as a
   * difference in ms, c-long's CPU per stream and the others' throughput as a ratio.
   */
  const pairedFigures = (sc: ScenarioId, a: string, b: string): number[] =>
    paired(
      sc,
      a,
      b,
      sc === 'b-paced'
        ? (x, y) => x.result.ttfb.p50 - y.result.ttfb.p50
        : sc === 'c-long'
          ? (x, y) => (x.cpuPerReq ?? 0) / (y.cpuPerReq ?? 1)
          : throughputRatio,
    );
  /**
   * Throughput of `a` over `b` round by round (runs of one round are back to back): the machine's
   * speed drifts between rounds, and a ratio within a round cancels most of that drift. Printed
   * with the median so a difference can be told from the spread of the pairs.
   */
  const pairedRatios = (sc: ScenarioId, a: string, b: string): string => {
    const ratios = paired(sc, a, b, throughputRatio);
    if (ratios.length < 2) return '';
    return `; round by round ${ratios.map((r) => f(r)).join(', ')} (median ${f(medianOf(ratios))}x)`;
  };
  // per ccflare: rows present before the first run (e.g. if ccflare records its /health answers)
  // and the number of responses it gave in the runs so far
  const ccBaselines = new Map<string, number | string>();
  for (const c of ccs) ccBaselines.set(c.target.label, await countRows(c.dbUrl));
  const ccAnsweredBy = new Map<string, number>();
  for (const sc of SCENARIOS) {
    if (!WANT_SCENARIOS.has(sc.id)) continue;
    for (let round = 0; round < REPEAT; round++)
      for (const t of roundOrder(targets, round)) {
        // c-long compares the two proxies; the upstream alone says nothing about holding streams
        if (sc.oneShot && t.name === 'direct') continue;
        // every bench process is measured, so CPU used outside the bench can be told apart
        const cpuPids: Record<string, number> = {};
        for (const x of targets) {
          if (x.name === 'direct') continue;
          cpuPids[x.label] = x.pid;
          x.morePids?.forEach((pid, i) => {
            cpuPids[`${x.label}#${i + 2}`] = pid;
          });
          if (x.frontPid !== undefined) cpuPids[`${x.label} front`] = x.frontPid;
        }
        const settled = DBS.includes('postgres') && t.name === 'ccflare' ? await settlePostgres() : null;
        const dbPids = t.pgDb === undefined ? [] : await pgBackendPids(t.pgDb);
        dbPids.forEach((pid, i) => {
          cpuPids[`db#${i}`] = pid;
        });
        cpuPids.upstream = upstreamPid;
        process.stdout.write(`  ${sc.id.padEnd(9)} ${t.label.padEnd(8)}${REPEAT > 1 ? ` #${round + 1}` : ''} ... `);
        const rss = sampleRss(t.pid);
        const queue = t.name === 'ccflare' ? sampleWriteQueue(t.url) : null;
        const thaw = freezeOthers(targets, t);
        const r = await runLoadChild(scenarioLoad(sc, t.url, cpuPids)).finally(thaw);
        const peakRssMb = rss();
        const peakWriteQueue = queue === null ? undefined : await queue();
        const perReq = (ms: number | null | undefined) =>
          ms === null || ms === undefined || r.measured === 0 ? null : ms / r.measured;
        const sum = (labels: string[], of: Record<string, number | null> = r.cpuMs) => {
          const ms = labels.map((l) => of[l]);
          return ms.some((x) => x === null || x === undefined) ? null : ms.reduce<number>((a, b) => a + (b ?? 0), 0);
        };
        const own = [t.label, ...(t.morePids ?? []).map((_, i) => `${t.label}#${i + 2}`)];
        // A backend that closed during the run is left out (its CPU is gone with it).
        const dbMs = dbPids.map((_, i) => r.cpuMs[`db#${i}`] ?? 0).reduce((a, b) => a + b, 0);
        const run: RunResult = {
          scenario: sc.id,
          target: t.name,
          label: t.label,
          result: r,
          cpuPerReq: perReq(t.name === 'direct' ? r.cpuMs.upstream : sum(own)),
          mainCpuPerReq: perReq(t.name === 'direct' ? r.mainCpuMs.upstream : sum(own, r.mainCpuMs)),
          upstreamCpuPerReq: perReq(r.cpuMs.upstream),
          dbCpuPerReq: t.pgDb === undefined ? null : perReq(dbMs),
          outsideCpuPct: outsideCpu(r),
          peakRssMb,
          ...(peakWriteQueue === undefined ? {} : { peakWriteQueue }),
        };
        let extra = '';
        const mine = ccs.find((c) => c.target.label === t.label);
        if (mine) {
          const baseline = ccBaselines.get(t.label) ?? 0;
          const earlier = ccAnsweredBy.get(t.label) ?? 0;
          if (typeof baseline === 'string')
            run.recorded = { expected: r.totalResponses, found: null, pass: false, note: baseline };
          else run.recorded = await checkRecorded(mine.dbUrl, baseline, earlier, r.totalResponses, r.endedAt);
          ccAnsweredBy.set(t.label, earlier + r.totalResponses);
          extra = `, recorded ${run.recorded.found ?? '?'}/${run.recorded.expected} ${run.recorded.note} ${verdict(run.recorded.pass)}, write queue peak ${peakWriteQueue ?? '?'}`;
        }
        const what = sc.oneShot
          ? `${r.measured}/${sc.connections} streams in ${f(r.windowMs / 1000, 1)} s, peak RSS ${f(peakRssMb, 0)} MB`
          : `${f(r.rps, 0)} req/s, CPU ${f(run.cpuPerReq, 3)} ms/req (main thread ${f(run.mainCpuPerReq, 3)})`;
        console.log(
          `${what}, ${r.errors} errors${r.errorSamples.length ? ` (${r.errorSamples.join('; ')})` : ''}${extra}${settled === null ? '' : ` (${settled} before)`}`,
        );
        // A target that died mid-bench says why, rather than only refusing connections.
        const gone = r.errors > 0 ? (t.exitReport?.() ?? null) : null;
        if (gone !== null) console.log(`  !! ${t.label}: ${gone.replaceAll('\n', '\n     ')}`);
        allRuns.push(run);
        await sleep(300);
      }
  }

  const eventRuns: EventsRun[] = [];
  if (WANT_SCENARIOS.has('a-events') && cc) {
    const sc = SCENARIOS[0] as Scenario;
    for (let round = 0; round < REPEAT; round++) {
      // alternated, so a machine that gets busier during the bench does not favour either side
      const order = round % 2 === 0 ? [0, LISTENERS] : [LISTENERS, 0];
      for (const listeners of order) {
        process.stdout.write(
          `  ${'a-events'.padEnd(9)} ${`${listeners} listeners`.padEnd(14)}${REPEAT > 1 ? ` #${round + 1}` : ''} ... `,
        );
        const cpuPids: Record<string, number> = { ccflare: cc.target.pid, upstream: upstreamPid };
        let lst: Listeners | null = null;
        const droppedBefore = await droppedListeners(cc.target.url);
        if (listeners > 0) {
          lst = await startListeners({
            target: cc.target.url,
            path: LISTENER_PATH,
            readers: listeners - STALLED,
            stalled: STALLED,
            headers: { 'user-agent': BASE_HEADERS['user-agent'] as string },
          });
          cpuPids.listeners = lst.pid;
        }
        const rss = sampleRss(cc.target.pid);
        const r = await runLoadChild(scenarioLoad(sc, cc.target.url, cpuPids));
        const peakRssMb = rss();
        const got = lst ? await lst.stop() : null;
        const droppedAfter = await droppedListeners(cc.target.url);
        ccAnsweredBy.set(cc.target.label, (ccAnsweredBy.get(cc.target.label) ?? 0) + r.totalResponses);
        const run: EventsRun = {
          listeners,
          result: r,
          peakRssMb,
          dropped: droppedBefore === null || droppedAfter === null ? null : droppedAfter - droppedBefore,
          framesPerReader: got && listeners > STALLED ? got.frames / (listeners - STALLED) : null,
          reconnects: got?.reconnects ?? null,
          cpuPerReq: r.measured > 0 ? (r.cpuMs.ccflare ?? Number.NaN) / r.measured : null,
          outsideCpuPct: outsideCpu(r),
        };
        eventRuns.push(run);
        console.log(
          `${f(r.rps, 0)} req/s, ${r.errors} errors, peak RSS ${f(peakRssMb, 0)} MB${
            got
              ? `, ${run.dropped ?? '?'} dropped, ${got.reconnects} reader reconnects, ${f(run.framesPerReader, 0)} events/reader of ${f(got.frames > 0 ? got.bytesRead / got.frames : null, 0)} bytes`
              : ''
          }`,
        );
        // the dropped clients' sockets are destroyed 1 s after the drop; let that and GC settle
        await sleep(listeners > 0 ? 2000 : 300);
      }
    }
  }

  let writerResults: WriterBenchResult[] = [];
  let journalCost: JournalCost[] = [];
  if (WANT_SCENARIOS.has('writer')) {
    process.stdout.write(`  ${'writer'.padEnd(9)} 256 KB payloads ... `);
    writerResults = await benchWriter(quick ? 1 : 5 * REPEAT);
    console.log(writerResults.map((w) => `${w.writer} p99 ${f(w.median.p99Ms, 1)} ms`).join(', '));
    process.stdout.write(`  ${'journal'.padEnd(9)} append cost per record ... `);
    journalCost = await benchJournal(requestBody(false), quick ? 5000 : 20_000);
    console.log(journalCost.map((j) => `payload ${j.payload} ${f(j.usPerRecord, 1)} µs`).join(', '));
  }

  let kill9: Kill9Run[] | string = [];
  if (WANT_SCENARIOS.has('kill9') && WANT_TARGETS.has('ccflare')) {
    process.stdout.write(`  ${'kill9'.padEnd(9)} ccflare  SIGKILL under load, restart ... `);
    const homes: string[] = [];
    try {
      kill9 = await benchKill9({
        start: async (home, dbUrl) => {
          const started = await startCcflare(
            upstream.ready.url,
            home ?? undefined,
            STRATEGIES[0] ?? null,
            dbUrl ?? DBS[0] ?? 'sqlite',
          );
          if ('error' in started) throw new Error(started.error);
          if (!home) homes.push(started.home);
          return {
            url: started.target.url,
            pid: started.target.pid,
            child: started.child,
            home: started.home,
            dbUrl: started.dbUrl,
          };
        },
        runLoad: runLoadChild,
        sessions: recordedSessions,
        stop: async (child) => {
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          child.kill('SIGTERM');
          await exited;
        },
        body: requestBody,
        headers: BASE_HEADERS,
        placeholder: SESSION_PLACEHOLDER,
        connections: SAT_CONNECTIONS,
        killAfterMs: Math.max(1000, Math.round(DURATION_MS / 2)),
      });
      console.log(kill9.map((k) => `${k.mode} ${k.missing}/${k.answered} missing`).join(', '));
    } catch (err) {
      kill9 = (err as Error).message;
      console.log(`failed: ${kill9}`);
    } finally {
      if (!has('keep-home')) for (const h of homes) rmSync(h, { recursive: true, force: true });
    }
  }

  // the median run of each (scenario, target): by req/s under saturation, by TTFB p50 when paced,
  // by CPU per stream for the long streams
  const results: RunResult[] = [];
  for (const sc of SCENARIOS) {
    for (const t of targets) {
      const runs = runsOf(sc.id, t.label);
      if (sc.id === 'b-paced') runs.sort((a, b) => a.result.ttfb.p50 - b.result.ttfb.p50);
      else if (sc.oneShot) runs.sort((a, b) => (a.cpuPerReq ?? 0) - (b.cpuPerReq ?? 0));
      else runs.sort((a, b) => a.result.rps - b.result.rps);
      const median = runs[Math.floor((runs.length - 1) / 2)];
      if (median) results.push(median);
    }
  }

  // -- table
  const rows: string[][] = [
    [
      'scenario',
      'target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'TTFB p50',
      'TTFB p99',
      'CPU ms/req',
      'main ms/req',
      'upstr CPU/req',
      'load CPU/req',
      'peak RSS MB',
      'errors',
      'outside CPU',
    ],
  ];
  for (const x of results) {
    const r = x.result;
    const isStream = SCENARIOS.find((s) => s.id === x.scenario)?.stream ?? false;
    rows.push([
      x.scenario,
      x.label,
      f(r.rps, 0),
      f(r.latency.p50),
      f(r.latency.p99),
      isStream ? f(r.ttfb.p50) : '-',
      isStream ? f(r.ttfb.p99) : '-',
      f(x.cpuPerReq, 3),
      f(x.mainCpuPerReq, 3),
      x.target === 'direct' ? '(same)' : f(x.upstreamCpuPerReq, 3),
      f(r.measured > 0 ? r.loadCpuMs / r.measured : null, 3),
      f(x.peakRssMb, 0),
      String(r.errors),
      x.outsideCpuPct === null ? '-' : `${f(x.outsideCpuPct, 0)}%`,
    ]);
  }
  if (results.length > 0) {
    console.log(
      `\n${REPEAT > 1 ? `median of ${REPEAT} runs (by req/s; b-paced by TTFB p50; c-long by CPU/req)\n` : ''}${table(rows, 2)}`,
    );
    console.log(
      'CPU ms/req: user+system CPU of the target process tree (all threads) over the measured window / requests; for direct the target is the fake upstream. main ms/req: its main thread (event loop) alone.',
    );
    console.log(
      'outside CPU: share of all cores busy with processes other than the bench during the window; above ~10% the figures are noisy.',
    );
  }
  if (writerResults.length > 0) {
    const wrows: string[][] = [
      ['writer', 'bursts', 'records/burst', 'ms/burst', 'loop p99 ms', 'loop max ms', 'stored', 'errors'],
    ];
    for (const w of writerResults) {
      wrows.push([
        w.writer,
        String(w.bursts.length),
        String(w.median.records),
        f(w.median.ms, 0),
        f(w.median.p99Ms, 1),
        f(w.median.maxMs, 1),
        `${w.stored}/${w.expected}`,
        String(w.errors),
      ]);
    }
    console.log(`\nevent-loop delay while 256 KB payloads are committed (median burst by p99)\n${table(wrows, 2)}`);
    console.log('loop p99/max: event-loop delay of the recording process; the histogram adds its 1 ms resolution.');
    if (journalCost.length > 0) {
      console.log(
        `record journal on the event loop (one write per turn of 32 records): ${journalCost.map((j) => `${f(j.usPerRecord, 1)} µs CPU and ~${f(j.bytesPerRecord / 1024, 1)} KiB per record with payload ${j.payload}`).join('; ')}`,
      );
    }
  }
  if (typeof kill9 !== 'string' && kill9.length > 0) {
    const krows: string[][] = [
      ['kill9', 'answered', 'recorded', 'missing', 'unanswered rows', 'req/s', 'restart ms', 'health after'],
    ];
    for (const k of kill9) {
      krows.push([
        k.mode,
        String(k.answered),
        String(k.recorded),
        String(k.missing),
        String(k.unanswered),
        f(k.rps, 0),
        String(k.restartMs),
        k.health,
      ]);
    }
    console.log(
      `\nanswered requests missing from the database after SIGKILL under load and a restart\n${table(krows, 2)}`,
    );
    console.log(
      'unanswered rows: requests recorded whose answer the client did not get whole (in flight at the kill); restart ms: to the first 200 on /health, journal replay included.',
    );
  }
  const noisy = [...results, ...eventRuns].filter((x) => (x.outsideCpuPct ?? 0) > 10);
  if (noisy.length > 0) {
    console.log(
      `WARNING: other processes used > 10% of the machine during ${noisy.length} run(s); rerun on an idle machine for figures to trust.`,
    );
  }

  const verdicts: boolean[] = [];
  const lines: string[] = [];
  if (ccs.length > 1) {
    // Strategies side by side, each against the first: the same rounds, interleaved, so a machine
    // that gets busier during the bench weighs on every strategy alike.
    const first = ccs[0] as Ccflare;
    const srows: string[][] = [
      [
        'scenario',
        'ccflare',
        'req/s',
        `vs ${first.target.label}`,
        'p99 ms',
        'TTFB p50',
        'TTFB p99',
        'CPU ms/req',
        'PG CPU/req',
        'CPU vs',
        'write queue peak',
        'errors',
      ],
    ];
    for (const sc of SCENARIOS) {
      const base = results.find((x) => x.scenario === sc.id && x.label === first.target.label);
      for (const c of ccs) {
        const x = results.find((y) => y.scenario === sc.id && y.label === c.target.label);
        if (!x) continue;
        const r = x.result;
        srows.push([
          sc.id,
          c.target.label,
          f(r.rps, 0),
          base ? `${f(r.rps / base.result.rps)}x` : '-',
          f(r.latency.p99),
          sc.stream ? f(r.ttfb.p50) : '-',
          sc.stream ? f(r.ttfb.p99) : '-',
          f(x.cpuPerReq, 3),
          f(x.dbCpuPerReq, 3),
          base?.cpuPerReq && x.cpuPerReq !== null ? `${f(x.cpuPerReq / base.cpuPerReq)}x` : '-',
          x.peakWriteQueue == null ? '-' : String(x.peakWriteQueue),
          String(r.errors),
        ]);
      }
    }
    console.log(
      `\n${DBS.length > 1 ? 'databases' : STRATEGIES.length > 1 ? 'strategies' : 'with and without conversation linking'} side by side (${ACCOUNTS} account${ACCOUNTS === 1 ? '' : 's'}${REPEAT > 1 ? `, median of ${REPEAT} interleaved runs` : ''})\n${table(srows, 2)}`,
    );
    // Each run's figure too: the spread between runs of one strategy is the noise to judge by.
    const spread = SCENARIOS.flatMap((sc) =>
      ccs.map((c) => {
        const runs = runsOf(sc.id, c.target.label);
        if (runs.length === 0) return null;
        const fig = (x: RunResult) => (sc.id === 'b-paced' ? `${f(x.result.ttfb.p50)} ms` : f(x.result.rps, 0));
        return `  ${sc.id} ${c.target.label}: ${runs.map(fig).join(', ')}${sc.id === 'b-paced' ? ' (TTFB p50)' : ' req/s'}`;
      }),
    ).filter((x) => x !== null);
    if (REPEAT > 1) console.log(`every run, in round order:\n${spread.join('\n')}`);
    if (ccs.some((c) => c.target.pgDb !== undefined)) {
      console.log(
        'CPU ms/req: every ccflare process of the target; PG CPU/req: the PostgreSQL backends serving its database (open when the run began).',
      );
    }
    const twin = ccs.find((c) => c.target.label.startsWith('ccflare-nolink2'));
    const nolink = ccs.find((c) => c.target.label.startsWith('ccflare-nolink') && c !== twin);
    if (linkings[0] === true && nolink !== undefined) {
      for (const sc of SCENARIOS) {
        const a = results.find((x) => x.scenario === sc.id && x.label === first.target.label);
        const b = results.find((x) => x.scenario === sc.id && x.label === nolink.target.label);
        if (!a || !b) continue;
        const t = twin && results.find((x) => x.scenario === sc.id && x.label === twin.target.label);
        const cpuOf = (x: RunResult | undefined) =>
          x && x.cpuPerReq !== null && b.cpuPerReq ? `${f(x.cpuPerReq / b.cpuPerReq)}x` : '-';
        const cpu = `${cpuOf(a)}${t ? ` (the same build against itself ${cpuOf(t)})` : ''}`;
        if (sc.oneShot) {
          const rssOf = (label: string) =>
            runsOf(sc.id, label)
              .map((x) => f(x.peakRssMb, 0))
              .join(', ');
          console.log(
            `linking: ${sc.id} peak RSS, run by run: ${first.target.label} ${rssOf(first.target.label)} MB; ${nolink.target.label} ${rssOf(nolink.target.label)} MB${twin ? `; ${twin.target.label} ${rssOf(twin.target.label)} MB` : ''}; CPU per stream ${cpu}`,
          );
        } else
          console.log(
            `linking: ${sc.id} ${first.target.label} / ${nolink.target.label} throughput ${f(a.result.rps / b.result.rps)}x${pairedRatios(sc.id, first.target.label, nolink.target.label)}, CPU per request ${cpu}, write queue peak ${a.peakWriteQueue ?? '-'} vs ${b.peakWriteQueue ?? '-'}`,
          );
        if (twin === undefined) continue;
        // The A/A control: two ccflares of one build and settings, in the same rounds. Their
        // paired figures are what the machine alone makes of "no difference"; linking is within
        // the noise when its median lies inside their range. The figure is the scenario's own:
        // throughput for the saturating ones, CPU per stream for c-long, added TTFB p50 for b-paced.
        const aaLabel = `${twin.target.label} / ${nolink.target.label}`;
        const link = pairedFigures(sc.id, first.target.label, nolink.target.label);
        const aa = pairedFigures(sc.id, twin.target.label, nolink.target.label);
        if (link.length < 2 || aa.length < 2) continue;
        const lo = Math.min(...aa);
        const hi = Math.max(...aa);
        const m = medianOf(link);
        const ok = m >= lo && m <= hi;
        const unit = sc.id === 'b-paced' ? ' ms' : 'x';
        const what = sc.id === 'b-paced' ? 'TTFB p50 added' : sc.oneShot ? 'CPU per stream' : 'throughput';
        lines.push(
          `${sc.id}: linking ${what} (${first.target.label} against ${nolink.target.label}) median ${f(m)}${unit}, the same build against itself (${aaLabel}) ${f(lo)} to ${f(hi)}${unit}  ${ok ? 'PASS (within noise)' : 'FAIL (beyond noise)'}`,
        );
        verdicts.push(ok);
      }
    }
  }

  const get = (s: ScenarioId, t: TargetName) =>
    results.find((x) => x.scenario === s && x.target === t && (t !== 'ccflare' || x.label === cc?.target.label));

  for (const s of ['a-json', 'a-stream'] as const) {
    const c = get(s, 'ccflare');
    const m = get(s, 'minimal');
    const d = get(s, 'direct');
    if (m && d) lines.push(`${s}: minimal proxy / direct throughput ${f(m.result.rps / d.result.rps)}x`);
    if (c && m) {
      const thr = c.result.rps / m.result.rps;
      const cpu = c.cpuPerReq !== null && m.cpuPerReq ? c.cpuPerReq / m.cpuPerReq : Number.NaN;
      const okThr = thr >= THROUGHPUT_TARGET;
      const okCpu = cpu <= CPU_TARGET;
      verdicts.push(okThr, okCpu);
      lines.push(
        `${s}: ccflare / minimal throughput ${f(thr)}x (target >= ${f(THROUGHPUT_TARGET)}${pairedRatios(s, c.label, m.label)})  ${verdict(okThr)}`,
      );
      lines.push(`${s}: ccflare / minimal CPU per request ${f(cpu)}x (target <= ${f(CPU_TARGET)})  ${verdict(okCpu)}`);
    }
  }
  const expectedPaced = PACED_DELTAS * PACED_INTERVAL_MS;
  for (const t of ['minimal', 'ccflare'] as const) {
    const x = get('b-paced', t);
    if (x && x.result.latency.p50 < expectedPaced * 0.8) {
      lines.push(
        `b-paced: WARNING ${t} streams took ${f(x.result.latency.p50)} ms (expected >= ${expectedPaced}): is the x-fake-sse header forwarded?`,
      );
    }
  }
  const bd = get('b-paced', 'direct');
  const bm = get('b-paced', 'minimal');
  const bc = get('b-paced', 'ccflare');
  if (bd && bm) {
    lines.push(
      `b-paced: minimal proxy added TTFB over direct p50 ${f(bm.result.ttfb.p50 - bd.result.ttfb.p50)} ms, p99 ${f(bm.result.ttfb.p99 - bd.result.ttfb.p99)} ms (reference: the floor of one Node hop on this machine)`,
    );
  }
  if (bm && bc) {
    // over the minimal proxy, not over direct: what ccflare adds to any Node hop
    const add50 = bc.result.ttfb.p50 - bm.result.ttfb.p50;
    const add99 = bc.result.ttfb.p99 - bm.result.ttfb.p99;
    const ok50 = add50 <= TTFB_P50_TARGET_MS;
    const ok99 = add99 <= TTFB_P99_TARGET_MS;
    verdicts.push(ok50, ok99);
    lines.push(
      `b-paced: ccflare added TTFB over minimal p50 ${f(add50)} ms (target <= ${TTFB_P50_TARGET_MS})  ${verdict(ok50)}`,
    );
    lines.push(
      `b-paced: ccflare added TTFB over minimal p99 ${f(add99)} ms (target <= ${TTFB_P99_TARGET_MS})  ${verdict(ok99)}`,
    );
  }
  const lm = get('c-long', 'minimal');
  const lc = get('c-long', 'ccflare');
  for (const x of [lm, lc]) {
    if (!x) continue;
    // every stream must have run its full length: a proxy that queued some behind others fails here
    const ok = x.result.measured === LONG_STREAMS && x.result.errors === 0;
    verdicts.push(ok);
    lines.push(
      `c-long: ${x.target} completed ${x.result.measured}/${LONG_STREAMS} streams, ${x.result.errors} errors, slowest ${f(x.result.latency.max / 1000, 1)} s (expected ~${f(LONG_DURATION_MS / 1000, 1)} s)  ${verdict(ok)}`,
    );
  }
  if (lm && lc) {
    const cpu = lc.cpuPerReq !== null && lm.cpuPerReq ? lc.cpuPerReq / lm.cpuPerReq : Number.NaN;
    const rss = lc.peakRssMb !== null && lm.peakRssMb !== null ? lc.peakRssMb - lm.peakRssMb : Number.NaN;
    const okCpu = cpu <= LONG_CPU_TARGET;
    const okRss = rss <= LONG_RSS_TARGET_MB;
    verdicts.push(okCpu, okRss);
    lines.push(
      `c-long: ccflare / minimal CPU per stream ${f(cpu)}x (${f(lc.cpuPerReq, 2)} vs ${f(lm.cpuPerReq, 2)} ms; target <= ${f(LONG_CPU_TARGET)})  ${verdict(okCpu)}`,
    );
    lines.push(
      `c-long: ccflare peak RSS ${f(lc.peakRssMb, 0)} MB, ${f(rss, 0)} MB above the minimal proxy's ${f(lm.peakRssMb, 0)} MB (target <= ${LONG_RSS_TARGET_MB})  ${verdict(okRss)}`,
    );
  }
  const rec = allRuns.filter((x) => x.recorded);
  if (rec.length > 0) {
    const ok = rec.every((x) => x.recorded?.pass);
    verdicts.push(ok);
    const detail = SCENARIOS.map((sc) => {
      const runs = rec.filter((x) => x.scenario === sc.id);
      if (runs.length === 0) return null;
      let found = 0;
      let expected = 0;
      for (const x of runs) {
        found += x.recorded?.found ?? 0;
        expected += x.recorded?.expected ?? 0;
      }
      const bad = runs.filter((x) => !x.recorded?.pass).map((x) => x.recorded?.note);
      return `${sc.id} ${found}/${expected}${bad.length ? ` (${bad.join('; ')})` : ''}`;
    })
      .filter((x) => x !== null)
      .join(', ');
    lines.push(`records: every answered request in ccflare's requests table within 1 s: ${detail}  ${verdict(ok)}`);
  }
  if (eventRuns.length > 0) {
    const median = (n: number) => {
      const runs = eventRuns.filter((x) => x.listeners === n).sort((a, b) => a.result.rps - b.result.rps);
      return runs[Math.floor((runs.length - 1) / 2)];
    };
    const none = median(0);
    const many = median(LISTENERS);
    if (none && many) {
      const ratio = many.result.rps / none.result.rps;
      const ok = ratio >= EVENTS_RATIO_TARGET;
      verdicts.push(ok);
      const erows: string[][] = [
        [
          'a-events',
          'listeners',
          'req/s',
          'p99 ms',
          'CPU ms/req',
          'peak RSS MB',
          'dropped',
          'events/reader',
          'outside CPU',
        ],
      ];
      for (const x of [none, many]) {
        erows.push([
          'ccflare',
          x.listeners === 0 ? 'none' : `${x.listeners} (${STALLED} never read)`,
          f(x.result.rps, 0),
          f(x.result.latency.p99),
          f(x.cpuPerReq, 3),
          f(x.peakRssMb, 0),
          x.dropped === null ? '-' : String(x.dropped),
          f(x.framesPerReader, 0),
          x.outsideCpuPct === null ? '-' : `${f(x.outsideCpuPct, 0)}%`,
        ]);
      }
      console.log(`\n${REPEAT > 1 ? `median of ${REPEAT} runs by req/s\n` : ''}${table(erows, 2)}`);
      lines.push(
        `a-events: ${LISTENERS} listeners vs none: ${f(many.result.rps, 0)} vs ${f(none.result.rps, 0)} req/s = ${f(ratio)}x, peak RSS ${f(many.peakRssMb, 0)} vs ${f(none.peakRssMb, 0)} MB (target >= ${f(EVENTS_RATIO_TARGET)})  ${verdict(ok)}`,
      );
    }
  }
  const worker = writerResults.find((w) => w.writer === 'worker');
  if (worker) {
    const ok = worker.median.p99Ms < WRITER_P99_TARGET_MS && worker.errors === 0 && worker.stored === worker.expected;
    verdicts.push(ok);
    const ref = writerResults.find((w) => w.writer === 'main thread');
    lines.push(
      `writer: event-loop delay p99 while the worker commits 256 KB payloads ${f(worker.median.p99Ms, 1)} ms (target < ${WRITER_P99_TARGET_MS}; main thread: ${f(ref?.median.p99Ms, 1)} ms)  ${verdict(ok)}`,
    );
  }
  if (typeof kill9 === 'string') {
    verdicts.push(false);
    lines.push(`kill9: FAIL (${kill9})`);
  } else if (kill9.length > 0) {
    // In flight at the kill: at most one per connection can have been answered and not journaled.
    const ok = kill9.every((k) => k.missing <= SAT_CONNECTIONS);
    verdicts.push(ok);
    lines.push(
      `kill9: answered but unrecorded after SIGKILL ${kill9.map((k) => `${k.mode} ${k.missing}/${k.answered}`).join(', ')} (target <= ${SAT_CONNECTIONS}, the requests in flight)  ${verdict(ok)}`,
    );
  }
  // Issue 18: one instance on PostgreSQL against SQLite, and n instances behind the front.
  const onDb = (s: ScenarioId, label: (l: string) => boolean) =>
    results.find((x) => x.scenario === s && x.target === 'ccflare' && label(x.label));
  const isFront = (l: string) => / x\d+$/.test(l);
  for (const s of ['a-json', 'a-stream'] as const) {
    const lite = onDb(s, (l) => l.endsWith('/sqlite'));
    const pgOne = onDb(s, (l) => l.endsWith('/pg'));
    const pgMany = onDb(s, isFront);
    if (lite && pgOne) {
      const ratio = pgOne.result.rps / lite.result.rps;
      const ok = ratio >= PG_THROUGHPUT_TARGET;
      verdicts.push(ok);
      lines.push(
        `${s}: ccflare on PostgreSQL / on SQLite throughput ${f(ratio)}x (${f(pgOne.result.rps, 0)} vs ${f(lite.result.rps, 0)} req/s${pairedRatios(s, pgOne.label, lite.label)}; target >= ${f(PG_THROUGHPUT_TARGET)})  ${verdict(ok)}`,
      );
    }
    if (pgOne && pgMany) {
      lines.push(
        `${s}: ${pgMany.label.replace(/.* x/, '')} ccflares on PostgreSQL behind a round-robin front ${f(pgMany.result.rps, 0)} req/s, ${f(pgMany.result.rps / pgOne.result.rps)}x one instance (${f(pgOne.result.rps, 0)} req/s)`,
      );
    }
  }
  if (!cc && WANT_TARGETS.has('ccflare')) lines.push('ccflare: not benchmarked (see above)');
  console.log(`\n${lines.join('\n')}`);

  if (JSON_OUT) {
    writeFileSync(
      JSON_OUT,
      JSON.stringify(
        {
          node: process.version,
          durationMs: DURATION_MS,
          warmupMs: WARMUP_MS,
          repeat: REPEAT,
          results,
          allRuns,
          eventRuns,
          kill9,
        },
        null,
        2,
      ),
    );
    console.log(`results written to ${JSON_OUT}`);
  }
  return has('strict') && verdicts.some((v) => !v) ? 1 : 0;
}

async function finish(code: number): Promise<never> {
  await stopChildren();
  await dropPgDatabases().catch((err: unknown) =>
    console.error(
      `could not drop the bench's PostgreSQL databases ${pgDatabases.join(', ')}: ${(err as Error).message}`,
    ),
  );
  for (const ccHome of ccHomes) {
    if (has('keep-home')) console.log(`kept CCFLARE_HOME ${ccHome}`);
    else rmSync(ccHome, { recursive: true, force: true });
  }
  process.exit(code);
}

// Ctrl-C, `timeout`, a closed terminal: without this the targets frozen by freezeOthers stayed
// stopped for good, holding their ports and memory, and took no SIGTERM until a SIGCONT.
finishOnSignals(finish);

main().then(finish, (err: unknown) => {
  console.error('bench failed:', err);
  return finish(1);
});
