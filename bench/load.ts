/**
 * Load generator, run in its own process by bench.ts: N workers over one undici Pool (N
 * connections, pipelining 1), each sending the next request as soon as the previous response
 * fully arrived. Runs a warm-up, then a measured window; reports requests/s, full-response
 * latency and time to first body byte percentiles, errors, and the CPU time of the given
 * processes (from /proc) over the measured window.
 *
 * Forked: receives a LoadConfig over IPC, answers with a LoadResult and exits.
 * Standalone: node dist/bench/load.js '<LoadConfig JSON>' prints the LoadResult JSON.
 */
import { pathToFileURL } from 'node:url';
import { type Dispatcher, Pool } from 'undici';
import { machineBusyMs, mainThreadCpuMs, treeCpuMs } from './proc-cpu.js';

export interface LoadConfig {
  /** Origin, e.g. http://127.0.0.1:1234 */
  target: string;
  path: string;
  method?: 'POST' | 'GET';
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Stop the measured window early after this many completed requests. */
  maxRequests?: number;
  /**
   * Each connection sends one request and stops (c-long's concurrent streams): no warm-up, the
   * window runs from the first request sent to the last response ended.
   */
  oneShot?: boolean;
  headers: Record<string, string>;
  body: string | null;
  /** label -> pid whose CPU time (process tree, all threads) is reported over the measured window. */
  cpuPids: Record<string, number>;
  /**
   * Each request gets its own session id: `placeholder` in the body becomes `<prefix>-<n>`, and
   * the ids of the 2xx responses fully received are reported (the kill9 scenario matches them
   * against the recorded rows).
   */
  uniqueSessions?: { placeholder: string; prefix: string };
  /** Requests sent in turn instead of `body` (headers added to `headers`): the `--agents` load. */
  variants?: Array<{ body: string; headers: Record<string, string> }>;
}

export interface Stats {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  /** 2xx responses fully received inside the measured window. */
  measured: number;
  /** Transport errors and non-2xx answers inside the measured window. */
  errors: number;
  non2xx: number;
  rps: number;
  windowMs: number;
  /** ms, full response (last body byte). */
  latency: Stats;
  /** ms, first response body byte. */
  ttfb: Stats;
  /** CPU ms per label over the measured window (null when the process could not be read). */
  cpuMs: Record<string, number | null>;
  /** CPU ms of each label's main thread (its event loop) over the measured window. */
  mainCpuMs: Record<string, number | null>;
  /** The load generator's own CPU over the window, ms. */
  loadCpuMs: number;
  /** Busy CPU ms of the whole machine (all cores) over the window; null without /proc/stat. */
  machineBusyMs: number | null;
  /** Every response fully received (any status), warm-up and drain included. */
  totalResponses: number;
  /** Every transport error, warm-up and drain included. */
  totalErrors: number;
  /** Date.now() when the last in-flight request ended. */
  endedAt: number;
  errorSamples: string[];
  /** With `uniqueSessions`: the session ids of the 2xx responses fully received. */
  answeredSessions?: string[];
}

export function stats(samples: number[]): Stats {
  const n = samples.length;
  if (n === 0) return { n: 0, mean: Number.NaN, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const a = Float64Array.from(samples).sort();
  const at = (p: number) => a[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number;
  let sum = 0;
  for (const v of a) sum += v;
  return { n, mean: sum / n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: a[n - 1] as number };
}

export async function runLoad(cfg: LoadConfig): Promise<LoadResult> {
  const pool = new Pool(cfg.target, {
    connections: cfg.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
  });
  const body = cfg.body === null ? null : Buffer.from(cfg.body);
  const headers: Record<string, string> = { ...cfg.headers };
  const opts: Dispatcher.DispatchOptions = { method: cfg.method ?? 'POST', path: cfg.path, headers, body };

  let phase: 'warmup' | 'measure' | 'stopping' = 'warmup';
  let measureStart = 0;
  let measureEnd = Number.POSITIVE_INFINITY;
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  let measured = 0;
  let errors = 0;
  let non2xx = 0;
  let totalResponses = 0;
  let totalErrors = 0;
  const errorSamples: string[] = [];
  let stopMeasure: () => void = () => {};
  const unique = cfg.uniqueSessions;
  const answeredSessions: string[] = [];
  let sessionSeq = 0;
  const variantOpts = (cfg.variants ?? []).map(
    (v): Dispatcher.DispatchOptions => ({ ...opts, body: Buffer.from(v.body), headers: { ...headers, ...v.headers } }),
  );
  let variantSeq = 0;

  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      let session: string | null = null;
      let reqOpts = variantOpts.length > 0 ? (variantOpts[variantSeq++ % variantOpts.length] as typeof opts) : opts;
      if (unique && cfg.body !== null) {
        session = `${unique.prefix}-${++sessionSeq}`;
        reqOpts = { ...opts, body: Buffer.from(cfg.body.replace(unique.placeholder, session)) };
      }
      let first = -1;
      let status = 0;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart() {},
        onResponseStart(_c, statusCode) {
          status = statusCode;
        },
        onResponseData() {
          if (first < 0) first = performance.now();
        },
        onResponseEnd() {
          const t1 = performance.now();
          totalResponses++;
          if (session !== null && status >= 200 && status < 300) answeredSessions.push(session);
          if (t1 >= measureStart && t1 <= measureEnd && phase !== 'warmup') {
            if (status >= 200 && status < 300) {
              measured++;
              latencies.push(t1 - t0);
              ttfbs.push((first < 0 ? t1 : first) - t0);
              if (cfg.maxRequests !== undefined && measured >= cfg.maxRequests) stopMeasure();
            } else {
              non2xx++;
              errors++;
              if (errorSamples.length < 5) errorSamples.push(`HTTP ${status}`);
            }
          }
          resolve();
        },
        onResponseError(_c, err) {
          const t1 = performance.now();
          totalErrors++;
          if (t1 >= measureStart && t1 <= measureEnd && phase !== 'warmup') {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(String((err as Error).message ?? err));
          }
          // back off a little so a dead target does not spin the CPU
          setTimeout(resolve, 5);
        },
      };
      pool.dispatch(reqOpts, handler);
    });

  const worker = async () => {
    if (cfg.oneShot) {
      await one();
      return;
    }
    while (phase !== 'stopping') await one();
  };

  const cpuNow = (read: (pid: number) => number | null) => {
    const out: Record<string, number | null> = {};
    for (const [label, pid] of Object.entries(cfg.cpuPids)) out[label] = read(pid);
    return out;
  };

  let cpuStart: Record<string, number | null> = {};
  let cpuEnd: Record<string, number | null> = {};
  let mainStart: Record<string, number | null> = {};
  let mainEnd: Record<string, number | null> = {};
  let ownStart = process.cpuUsage();
  let ownEnd = ownStart;
  let busyStart: number | null = null;
  let busyEnd: number | null = null;

  const done = new Promise<void>((resolve) => {
    const startMeasure = () => {
      cpuStart = cpuNow(treeCpuMs);
      mainStart = cpuNow(mainThreadCpuMs);
      busyStart = machineBusyMs();
      ownStart = process.cpuUsage();
      measureStart = performance.now();
      phase = 'measure';
      const timer = setTimeout(() => stopMeasure(), cfg.durationMs);
      stopMeasure = () => {
        if (phase !== 'measure') return;
        clearTimeout(timer);
        measureEnd = performance.now();
        cpuEnd = cpuNow(treeCpuMs);
        mainEnd = cpuNow(mainThreadCpuMs);
        busyEnd = machineBusyMs();
        ownEnd = process.cpuUsage(ownStart);
        phase = 'stopping';
        resolve();
      };
    };
    if (cfg.warmupMs > 0 && !cfg.oneShot) setTimeout(startMeasure, cfg.warmupMs);
    else startMeasure();
  });

  const workers: Promise<void>[] = [];
  for (let i = 0; i < cfg.connections; i++) workers.push(worker());
  if (cfg.oneShot) {
    await Promise.all(workers);
    stopMeasure();
    await done;
  } else {
    await done;
    await Promise.all(workers);
  }
  const endedAt = Date.now();
  await pool.close();

  const windowMs = measureEnd - measureStart;
  const spent = (start: Record<string, number | null>, end: Record<string, number | null>) => {
    const out: Record<string, number | null> = {};
    for (const label of Object.keys(cfg.cpuPids)) {
      const a = start[label];
      const b = end[label];
      out[label] = a === null || b === null || a === undefined || b === undefined ? null : b - a;
    }
    return out;
  };
  const cpuMs = spent(cpuStart, cpuEnd);
  const mainCpuMs = spent(mainStart, mainEnd);
  return {
    measured,
    errors,
    non2xx,
    rps: (measured * 1000) / windowMs,
    windowMs,
    latency: stats(latencies),
    ttfb: stats(ttfbs),
    cpuMs,
    mainCpuMs,
    loadCpuMs: (ownEnd.user + ownEnd.system) / 1000,
    machineBusyMs: busyStart === null || busyEnd === null ? null : busyEnd - busyStart,
    totalResponses,
    totalErrors,
    endedAt,
    errorSamples,
    ...(unique ? { answeredSessions } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.send) {
    process.once('message', (cfg: LoadConfig) => {
      runLoad(cfg).then(
        (r) => process.send?.({ type: 'result', result: r }, () => process.exit(0)),
        (err: unknown) => process.send?.({ type: 'failed', error: String(err) }, () => process.exit(1)),
      );
    });
  } else {
    const arg = process.argv[2];
    if (!arg) {
      console.error("usage: node dist/bench/load.js '<LoadConfig JSON>'");
      process.exit(2);
    }
    const r = await runLoad(JSON.parse(arg) as LoadConfig);
    console.log(JSON.stringify(r, null, 2));
  }
}
