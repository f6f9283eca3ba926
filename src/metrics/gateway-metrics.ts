/**
 * Prometheus metrics of the gateway on their own registry (never prom-client's global one, so
 * several gateways in one process, as in tests, don't share series).
 *
 * Request metrics are updated from the `request.finished` event, never from the proxy itself;
 * account, rate-limit and queue gauges are read from memory when scraped (no database access).
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AccountPool } from '../accounts/account-pool.js';
import { accountStatus } from '../accounts/account-status.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { AccountStatus } from '../storage/contract/accounts.js';
import type { RequestRecord } from '../storage/contract/records.js';
import type { RecordWriter } from '../storage/contract/store.js';
import { FoldedHistogram, type FoldedSeries } from './folded-histogram.js';

export interface GatewayMetricsDeps {
  events: EventBus;
  pool: AccountPool;
  writer: RecordWriter;
  clock: Clock;
  /** Live event stream figures, when there is a stream. */
  eventStream?: { clientCount(): number; droppedClients(): number; bufferedBytes(): number };
  /** Node process metrics (CPU, memory, event loop lag, GC); default true. */
  processMetrics?: boolean;
}

export const ACCOUNT_STATES: readonly AccountStatus[] = [
  'active',
  'failing',
  'paused',
  'cooling_down',
  'needs_reauth',
  'disabled',
];

/** Label value used when a request has no account or model (answered by the gateway itself). */
export const NONE = 'none';

/**
 * How often the event-loop delay histogram (`nodejs_eventloop_lag_*`) samples. prom-client's
 * default, 10 ms, is a timer that woke an idle gateway 100 times a second: 0.55 % of a core with
 * nothing to serve (`node` idle with that monitor alone, 20 s on the 2-core VM: 110 ms of CPU;
 * at 100 ms, 10 ms). A gateway runs all day on laptops; a stall shorter than this is still
 * caught when a sample falls into it, and one longer always is.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60];
/** Label values come from clients (model names): bounded so a hostile one can't bloat a scrape. */
const MAX_LABEL = 128;
/**
 * Agent names come from agent files and request bodies, so their number has no bound of its own:
 * the first this many get their own series, later ones share `other`.
 */
export const MAX_AGENT_LABELS = 20;
export const OTHER_AGENT = 'other';
/**
 * Model names come from request bodies, so a client can send any number of them: the first this
 * many get their own series, later ones share `other`. Measured without a cap: 20,000 made-up
 * models made a scrape 70 MB and 2.4 s of blocked event loop. 50 leaves room for every family
 * in pricing/prices.ts (15) under both its alias and a dated name.
 */
export const MAX_MODEL_LABELS = 50;
export const OTHER_MODEL = 'other';

const WINDOW_OF_CLAIM: Record<string, string> = { five_hour: '5h', seven_day: '7d' };

function label(v: string | null | undefined): string {
  if (v === null || v === undefined || v === '') return NONE;
  return v.length > MAX_LABEL ? v.slice(0, MAX_LABEL) : v;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly off: () => void;

  constructor(deps: GatewayMetricsDeps) {
    const registers = [this.registry];
    const { pool, writer, clock } = deps;

    // Counters are plain numbers updated per request and handed to prom-client at scrape time:
    // its per-call label hashing would otherwise cost several microseconds per request.
    const acc = new Map<string, Acc>();
    new Counter({
      name: 'ccflare_requests_total',
      help: `Proxied requests by final HTTP status (499: client went away), account, model and agent name (the first ${MAX_MODEL_LABELS} models and ${MAX_AGENT_LABELS} agent names seen, later ones as "${OTHER_MODEL}")`,
      labelNames: ['status', 'account', 'model', 'agent'] as const,
      registers,
      collect() {
        this.reset();
        for (const a of acc.values()) {
          for (const [status, n] of a.byStatus) {
            this.inc({ status, account: a.account, model: a.model, agent: a.agent }, n);
          }
        }
      },
    });
    // Observed per request into plain counts, folded into prom-client when scraped (folded-histogram.ts).
    const latency = new FoldedHistogram({
      name: 'ccflare_request_duration_seconds',
      help: 'Time from request arrival to the end of the response, all attempts included',
      labelNames: ['account', 'model', 'agent'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const ttft = new FoldedHistogram({
      name: 'ccflare_time_to_first_token_seconds',
      help: 'Time from request arrival to the first content delta (streams) or first byte (other answers)',
      labelNames: ['account', 'model', 'agent'] as const,
      buckets: TTFT_BUCKETS,
      registers,
    });
    new Counter({
      name: 'ccflare_tokens_total',
      help: 'Tokens by kind: input, cache_read, cache_write_5m, cache_write_1h, output',
      labelNames: ['kind', 'account', 'model', 'agent'] as const,
      registers,
      collect() {
        this.reset();
        for (const a of acc.values()) {
          const l = { account: a.account, model: a.model, agent: a.agent };
          if (a.input) this.inc({ kind: 'input', ...l }, a.input);
          if (a.cacheRead) this.inc({ kind: 'cache_read', ...l }, a.cacheRead);
          if (a.cacheWrite5m) this.inc({ kind: 'cache_write_5m', ...l }, a.cacheWrite5m);
          if (a.cacheWrite1h) this.inc({ kind: 'cache_write_1h', ...l }, a.cacheWrite1h);
          if (a.output) this.inc({ kind: 'output', ...l }, a.output);
        }
      },
    });
    new Counter({
      name: 'ccflare_cost_usd_total',
      help: 'Cost in USD of requests whose model has a known price',
      labelNames: ['account', 'model', 'agent'] as const,
      registers,
      collect() {
        this.reset();
        for (const a of acc.values()) {
          if (a.cost) this.inc({ account: a.account, model: a.model, agent: a.agent }, a.cost);
        }
      },
    });
    const failovers = new Counter({
      name: 'ccflare_failovers_total',
      help: 'Extra upstream attempts (attempts - 1 per request): retries and moves to another account',
      registers,
    });

    const accountState: Gauge<'account' | 'state'> = new Gauge({
      name: 'ccflare_account_state',
      help: 'One series per account and state; 1 for the state the account is in',
      labelNames: ['account', 'state'] as const,
      registers,
      collect: () => {
        accountState.reset();
        const now = clock.now();
        for (const row of pool.list()) {
          const s = accountStatus(row, now).status;
          for (const state of ACCOUNT_STATES) accountState.set({ account: row.name, state }, s === state ? 1 : 0);
        }
      },
    });
    const rlUtilization: Gauge<'account' | 'window'> = new Gauge({
      name: 'ccflare_account_rate_limit_utilization',
      help: 'Last seen utilization (0..1) of the rate-limit window (5h, 7d) of subscription accounts',
      labelNames: ['account', 'window'] as const,
      registers,
      collect: () => {
        rlUtilization.reset();
        forEachWindow(pool, (account, window, w) => {
          if (w.utilization !== null) rlUtilization.set({ account, window }, w.utilization);
        });
      },
    });
    const rlReset: Gauge<'account' | 'window'> = new Gauge({
      name: 'ccflare_account_rate_limit_reset_timestamp_seconds',
      help: 'When the rate-limit window (5h, 7d) resets, Unix seconds',
      labelNames: ['account', 'window'] as const,
      registers,
      collect: () => {
        rlReset.reset();
        forEachWindow(pool, (account, window, w) => {
          if (w.resetAt !== null) rlReset.set({ account, window }, w.resetAt / 1000);
        });
      },
    });
    const rlBinding: Gauge<'account' | 'window'> = new Gauge({
      name: 'ccflare_account_rate_limit_binding',
      help: 'The binding (representative) rate-limit window of each account: 1 for that window',
      labelNames: ['account', 'window'] as const,
      registers,
      collect: () => {
        rlBinding.reset();
        for (const row of pool.list()) {
          const claim = row.rateLimit?.representativeClaim;
          if (claim) rlBinding.set({ account: row.name, window: WINDOW_OF_CLAIM[claim] ?? claim }, 1);
        }
      },
    });
    new Gauge({
      name: 'ccflare_write_queue_depth',
      help: 'Request records waiting to be committed',
      registers,
      collect() {
        this.set(writer.depth());
      },
    });
    new Gauge({
      name: 'ccflare_write_queue_lag_seconds',
      help: 'How long the oldest uncommitted request record has waited (0 when the queue is empty)',
      registers,
      collect() {
        this.set(writer.lagMs() / 1000);
      },
    });
    new Counter({
      name: 'ccflare_records_dropped_total',
      help: 'Request records lost for good: refused by the database and not in the journal, or unreadable in it',
      registers,
      collect() {
        this.reset();
        this.inc(writer.health().dropped);
      },
    });
    new Gauge({
      name: 'ccflare_records_journaled_pending',
      help: 'Request records waiting in the journal for the database to take writes again',
      registers,
      collect() {
        this.set(writer.health().waiting);
      },
    });
    const stream = deps.eventStream;
    if (stream) {
      new Gauge({
        name: 'ccflare_event_stream_clients',
        help: 'Clients connected to GET /api/events',
        registers,
        collect() {
          this.set(stream.clientCount());
        },
      });
      new Gauge({
        name: 'ccflare_event_stream_buffered_bytes',
        help: 'Bytes written to event stream clients and not yet sent',
        registers,
        collect() {
          this.set(stream.bufferedBytes());
        },
      });
      new Counter({
        name: 'ccflare_event_stream_dropped_clients_total',
        help: 'Event stream clients dropped for reading too slowly',
        registers,
        collect() {
          this.reset();
          this.inc(stream.droppedClients());
        },
      });
    }
    if (deps.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

    type Series = FoldedSeries<'account' | 'model' | 'agent'>;
    const histograms = new Map<string, { latency: Series; ttft: Series }>();
    /** The first `max` values seen keep their own series; later ones share `other`. */
    const cappedLabel = (max: number, other: string) => {
      const seen = new Set<string>();
      return (name: string | null): string => {
        const v = label(name);
        if (v === NONE || seen.has(v)) return v;
        if (seen.size >= max) return other;
        seen.add(v);
        return v;
      };
    };
    // The agent's name only (main, subagent, a sub-agent's name), never its instance id: one
    // series per running sub-agent would grow without end.
    const agentLabel = cappedLabel(MAX_AGENT_LABELS, OTHER_AGENT);
    const modelLabel = cappedLabel(MAX_MODEL_LABELS, OTHER_MODEL);

    const onFinished = (r: RequestRecord) => {
      const account = label(r.accountName);
      const model = modelLabel(r.modelApplied ?? r.modelRequested);
      const agent = agentLabel(r.agent);
      const key = `${account}\u0000${model}\u0000${agent}`;
      let a = acc.get(key);
      if (a === undefined) {
        a = {
          account,
          model,
          agent,
          byStatus: new Map(),
          input: 0,
          cacheRead: 0,
          cacheWrite5m: 0,
          cacheWrite1h: 0,
          output: 0,
          cost: 0,
        };
        acc.set(key, a);
      }
      const status = r.status === null ? NONE : String(r.status);
      a.byStatus.set(status, (a.byStatus.get(status) ?? 0) + 1);
      if (r.inputTokens) a.input += r.inputTokens;
      if (r.cacheReadTokens) a.cacheRead += r.cacheReadTokens;
      if (r.cacheWrite5mTokens) a.cacheWrite5m += r.cacheWrite5mTokens;
      if (r.cacheWrite1hTokens) a.cacheWrite1h += r.cacheWrite1hTokens;
      if (r.outputTokens) a.output += r.outputTokens;
      if (r.costUsd) a.cost += r.costUsd;
      let h = histograms.get(key);
      if (h === undefined) {
        h = { latency: latency.series({ account, model, agent }), ttft: ttft.series({ account, model, agent }) };
        histograms.set(key, h);
      }
      h.latency.observe(r.latencyMs / 1000);
      if (r.ttftMs !== null) h.ttft.observe(r.ttftMs / 1000);
      if (r.attempts > 1) failovers.inc(r.attempts - 1);
    };
    deps.events.on('request.finished', onFinished);
    this.off = () => deps.events.off('request.finished', onFinished);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  stop(): void {
    this.off();
  }
}

/** Running totals of one (account, model, agent) combination. */
interface Acc {
  account: string;
  model: string;
  agent: string;
  byStatus: Map<string, number>;
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
  cost: number;
}

type Window = { utilization: number | null; resetAt: number | null };

function forEachWindow(pool: AccountPool, fn: (account: string, window: string, w: Window) => void): void {
  for (const row of pool.list()) {
    const rl = row.rateLimit;
    if (!rl) continue;
    if (rl.fiveHour) fn(row.name, '5h', rl.fiveHour);
    if (rl.sevenDay) fn(row.name, '7d', rl.sevenDay);
  }
}
