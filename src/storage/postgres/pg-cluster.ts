/**
 * The cluster (cluster/cluster.ts) of gateways sharing one PostgreSQL schema:
 * - `exclusive`: a transaction-scoped advisory lock per key (released by COMMIT, ROLLBACK or a
 *   dead connection), so e.g. one instance at a time refreshes an account's OAuth tokens;
 * - the bus: NOTIFY on the schema's channel (`ccflare_channel()`, revisions.ts: the revision
 *   triggers notify there too, so a change from any instance or the CLI arrives at commit) and
 *   LISTEN on a connection of its own that reconnects with backoff; the revision polls stay as
 *   the safety net for what is missed while it is away;
 * - leaders: a session-level advisory lock on a connection of its own per job; a holder that
 *   dies (process or connection) loses it, and another instance's next try takes it.
 * Lock keys are scoped by the schema, so installations (and tests) on one server never collide.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../clock.js';
import type { Cluster, ClusterBus, ClusterMessage, ClusterMessages, LeaderLock } from '../../cluster/cluster.js';
import { chain } from '../../cluster/local-cluster.js';
import { openClient, type PgOptions, type PgPool } from './connection.js';
import { PgOAuthFlows } from './oauth-flows.js';
import { PgSessionPins } from './session-pins.js';

/** First half of every advisory-lock key of ours: 'ccfx' (exclusive) and 'ccld' (leaders). */
const EXCLUSIVE_CLASS = 0x6363_6678;
const LEADER_CLASS = 0x6363_6c64;
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7999;
/** connection.ts openPool's default size. */
const DEFAULT_POOL_MAX = 10;

/** A counting semaphore: `acquire` waits while all `n` slots are taken. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(n: number) {
    this.free = n;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export interface PgClusterOptions {
  pool: PgPool;
  /** The store's connection options (PostgresStore.options): the same server and schema. */
  connection: PgOptions;
  logger: Logger;
  /** Expiry of pending OAuth logins (default: the system clock). */
  clock?: Clock;
  /** Reconnect backoff of the listening connection, first and longest wait (default 250 ms, 30 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How often a follower tries to take a leader lock, and a leader checks its connection (default 5 s). */
  leaderRetryMs?: number;
}

interface Envelope {
  /** The sending instance; absent on trigger notifications, which every instance takes. */
  o?: string;
  t: ClusterMessage;
  d: unknown;
}

export class PgCluster implements Cluster {
  readonly kind = 'postgres' as const;
  readonly bus: PgBus;
  readonly sessionPins: PgSessionPins;
  readonly oauthFlows: PgOAuthFlows;
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly leaders: PgLeaderLock[] = [];
  private readonly slots: Slots;

  private constructor(
    private readonly opts: PgClusterOptions,
    /** Scopes lock keys: the schema's channel name, unique per schema. */
    private readonly scope: string,
  ) {
    this.bus = new PgBus(opts, scope);
    this.slots = new Slots(Math.max(1, Math.floor((opts.connection.max ?? DEFAULT_POOL_MAX) / 2)));
    this.sessionPins = new PgSessionPins(opts.pool);
    this.oauthFlows = new PgOAuthFlows(opts.pool, opts.clock ?? systemClock);
  }

  /** Resolves once the listening connection is up, so no message published after it is missed. */
  static async open(opts: PgClusterOptions): Promise<PgCluster> {
    const { rows } = await opts.pool.query<{ channel: string }>('SELECT ccflare_channel() AS channel');
    const channel = rows[0]?.channel;
    if (channel === undefined) throw new Error('ccflare_channel() returned no row');
    const cluster = new PgCluster(opts, channel);
    await cluster.bus.start();
    return cluster;
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    // One connection per key and process at most: calls of this process queue here, not on the server.
    return chain(this.tails, key, async () => {
      // Each holder keeps a pool connection for its lock and `fn` needs others for its queries:
      // holders take at most half the pool, so many accounts refreshing at once cannot starve it.
      await this.slots.acquire();
      try {
        return await this.locked(key, fn);
      } finally {
        this.slots.release();
      }
    });
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const client = await this.opts.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [EXCLUSIVE_CLASS, `${this.scope}:${key}`]);
      const out = await fn();
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  leader(name: string): LeaderLock & { connectionPid(): number | null } {
    const lock = new PgLeaderLock(this.opts, this.scope, name);
    this.leaders.push(lock);
    return lock;
  }

  async close(): Promise<void> {
    await Promise.all(this.leaders.map((l) => l.stop()));
    await this.bus.close();
  }
}

export class PgBus implements ClusterBus {
  private readonly origin = randomBytes(8).toString('base64url');
  private readonly handlers = new Map<ClusterMessage, Set<(payload: never) => void>>();
  private readonly resyncs = new Set<() => void>();
  private client: pg.Client | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private oversize = 0;

  constructor(
    private readonly opts: PgClusterOptions,
    private readonly channel: string,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  publish<K extends ClusterMessage>(type: K, payload: ClusterMessages[K]): void {
    if (this.closed) return;
    const text = JSON.stringify({ o: this.origin, t: type, d: payload } satisfies Envelope);
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      // Senders keep payloads to ids and summaries; one that still is too large is skipped, not cut.
      if (this.oversize++ === 0) this.opts.logger.warn({ type }, 'cluster message too large for NOTIFY: not sent');
      return;
    }
    this.opts.pool.query('SELECT pg_notify($1, $2)', [this.channel, text]).catch((err: unknown) => {
      this.opts.logger.warn({ err, type }, 'cluster message not sent');
    });
  }

  subscribe<K extends ClusterMessage>(type: K, fn: (payload: ClusterMessages[K]) => void): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const h = fn as (payload: never) => void;
    set.add(h);
    return () => set.delete(h);
  }

  onResync(fn: () => void): () => void {
    this.resyncs.add(fn);
    return () => this.resyncs.delete(fn);
  }

  /** Whether the listening connection is up (health, tests). */
  get connected(): boolean {
    return this.client !== null;
  }

  /** The listening connection's server process id (tests cut it with pg_terminate_backend). */
  connectionPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = openClient(this.opts.connection, 'ccflare listen');
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => {});
      if (this.closed) return;
      this.opts.logger.warn({ err }, 'cluster connection lost: reconnecting (revision polls cover the gap)');
      this.retry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => this.deliver(n.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private retry(): void {
    const min = this.opts.reconnectMinMs ?? 250;
    const wait = Math.min(min * 2 ** this.failures, this.opts.reconnectMaxMs ?? 30_000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().then(
        () => {
          if (this.closed) return;
          this.opts.logger.info('cluster connection restored');
          this.failures = 0;
          for (const fn of this.resyncs) fn();
        },
        (err: unknown) => {
          if (this.closed) return;
          if (this.failures === 0) this.opts.logger.warn({ err }, 'cluster connection cannot be restored yet');
          this.failures++;
          this.retry();
        },
      );
    }, wait);
    this.timer.unref();
  }

  private deliver(payload: string | undefined): void {
    if (payload === undefined) return;
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (env.o === this.origin) return;
    const set = this.handlers.get(env.t);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(env.d as never);
      } catch (err) {
        this.opts.logger.error({ err, type: env.t }, 'cluster message handler failed');
      }
    }
  }
}

class PgLeaderLock implements LeaderLock {
  private client: pg.Client | null = null;
  private leading = false;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;

  constructor(
    private readonly opts: PgClusterOptions,
    private readonly scope: string,
    private readonly name: string,
  ) {}

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** This instance's lock connection's server process id (tests and operators cut it to force a hand-over). */
  connectionPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.attempt?.catch(() => {});
    const c = this.client;
    this.client = null;
    this.leading = false;
    // Ending the session releases a session-level advisory lock.
    await c?.end().catch(() => {});
  }

  private tick(): void {
    if (this.stopped) return;
    this.attempt = this.check().finally(() => {
      this.attempt = null;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.opts.leaderRetryMs ?? 5000);
      this.timer.unref();
    });
  }

  private async check(): Promise<void> {
    try {
      const client = this.client ?? (await this.connect());
      if (this.leading) {
        // The lock lives as long as the session: a query that answers proves it is still ours.
        await client.query('SELECT 1');
        return;
      }
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        LEADER_CLASS,
        `${this.scope}:${this.name}`,
      ]);
      if (rows[0]?.ok === true && !this.stopped) {
        this.leading = true;
        this.opts.logger.info({ job: this.name }, 'this instance now runs the scheduled job');
      }
    } catch (err) {
      this.drop(err);
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = openClient(this.opts.connection, `ccflare leader ${this.name}`);
    client.on('error', (err) => {
      if (this.client === client) this.drop(err);
    });
    client.on('end', () => {
      if (this.client === client) this.drop();
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private drop(err?: unknown): void {
    const c = this.client;
    this.client = null;
    c?.end().catch(() => {});
    if (this.leading) {
      this.leading = false;
      this.opts.logger.warn({ err, job: this.name }, 'leader connection lost: another instance may take the job over');
    }
  }
}
