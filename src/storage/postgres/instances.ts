/**
 * Live instances on PostgreSQL: each gateway holds a session-level advisory lock named after its
 * instance id (scoped by the schema's channel, so installations on one server never collide) on
 * a connection of its own, for as long as it runs. The lock goes with the process or its
 * connection, so "alive" is exactly "holds its lock": no heartbeat to tune, no row to expire.
 * Start-up recoveries test it in SQL with `RECOVERABLE_BY`.
 */
import type pg from 'pg';
import type { InstanceLease, InstancesStore } from '../contract/instances.js';
import { INSTANCE_OWNER_MIGRATION } from '../sqlite/instances.js';
import type { Migration } from '../sqlite/migration.js';
import { openClient, type PgOptions } from './connection.js';

/** First half of the lock key: 'ccin' (pg-cluster.ts uses 'ccfx' and 'ccld'). */
const INSTANCE_CLASS = 0x6363_696e;
/** Waits between tries to take the lock again after its connection was lost. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

/** The same columns as SQLite's migration 21 (the same SQL on both). */
export const PG_INSTANCE_OWNER_MIGRATION: Migration = { ...INSTANCE_OWNER_MIGRATION, version: 2 };

/**
 * SQL condition on a row whose owner is the column `owner`: true when the instance `$n` (this
 * one) may recover it: it owns it, no instance is known, or its owner holds no lock (gone).
 */
export function recoverableBy(owner: string, param: number): string {
  return `(${owner} IS NULL OR ${owner} = $${param} OR NOT EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = ${INSTANCE_CLASS} AND l.objid = hashtext(ccflare_channel() || ':' || ${owner})::oid))`;
}

class PgInstanceLease implements InstanceLease {
  private client: pg.Client | null = null;
  private released = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(
    private readonly opts: PgOptions,
    readonly instanceId: string,
  ) {}

  async take(): Promise<void> {
    const client = openClient(this.opts, 'ccflare instance');
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => {});
      // Until it is back, an instance starting now would take this one for gone: retaken soon.
      if (!this.released) this.retry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`SELECT pg_advisory_lock(${INSTANCE_CLASS}, hashtext(ccflare_channel() || ':' || $1))`, [
        this.instanceId,
      ]);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.released) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.failures = 0;
  }

  private retry(): void {
    const wait = Math.min(RETRY_MIN_MS * 2 ** this.failures, RETRY_MAX_MS);
    this.failures++;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.take().catch(() => {
        if (!this.released) this.retry();
      });
    }, wait);
    this.timer.unref();
  }

  async release(): Promise<void> {
    this.released = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    // Ending the session releases the lock.
    await c?.end().catch(() => {});
  }
}

export class PgInstances implements InstancesStore {
  private readonly leases = new Set<PgInstanceLease>();

  constructor(private readonly opts: PgOptions) {}

  async register(instanceId: string): Promise<InstanceLease> {
    const lease = new PgInstanceLease(this.opts, instanceId);
    await lease.take();
    this.leases.add(lease);
    return {
      instanceId,
      release: async () => {
        this.leases.delete(lease);
        await lease.release();
      },
    };
  }

  /** The store's close: every lease still held goes with it. */
  async releaseAll(): Promise<void> {
    const all = [...this.leases];
    this.leases.clear();
    await Promise.all(all.map((l) => l.release()));
  }
}
