/**
 * Applies retention: request rows and payloads older than their retention (in days, read at each
 * run so runtime setting changes apply) are deleted, on a schedule and on demand
 * (POST /api/maintenance/cleanup). Runs never overlap: a call during a run waits for it, then runs.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { DAY_MS, HOUR_MS } from './analytics/rollup.js';
import type { MaintenanceStore } from './contract/maintenance.js';

export interface RetentionSettings {
  requestRetentionDays: number;
  payloadRetentionDays: number;
}

export interface RetentionRun {
  requestsDeleted: number;
  payloadsDeleted: number;
  rollupRowsDeleted: number;
  requestRetentionDays: number;
  payloadRetentionDays: number;
  requestsBefore: number;
  payloadsBefore: number;
  durationMs: number;
}

export interface RetentionJobDeps {
  store: { maintenance: Pick<MaintenanceStore, 'prune'> };
  clock: Clock;
  logger: Logger;
  settings: () => RetentionSettings;
  /** Between scheduled runs (default one hour). */
  intervalMs?: number;
  /** Before the first scheduled run, so startup is not slowed by a large first cleanup (default 30 s). */
  firstRunDelayMs?: number;
  /**
   * Whether this instance runs the scheduled cleanups now (the cluster's leader, when several
   * instances share the database); always when absent. Runs on demand are never skipped.
   */
  isLeader?: () => boolean;
}

export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(private readonly deps: RetentionJobDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.deps.firstRunDelayMs ?? 30_000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Applies retention now; waits for a run already under way first. */
  runNow(): Promise<RetentionRun> {
    const run = this.tail.then(() => this.runOnce());
    this.tail = run.catch(() => {});
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.deps.isLeader?.() === false) {
        // Another instance cleans up. Asked again soon, not in an hour: if the leader dies, this
        // instance may take over and its first cleanup should not wait a whole interval.
        this.schedule(this.deps.firstRunDelayMs ?? 30_000);
        return;
      }
      this.runNow()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'retention cleanup failed'))
        .finally(() => this.schedule(this.deps.intervalMs ?? HOUR_MS));
    }, delayMs);
    // Housekeeping never keeps the process alive.
    this.timer.unref();
  }

  private async runOnce(): Promise<RetentionRun> {
    const { requestRetentionDays, payloadRetentionDays } = this.deps.settings();
    const started = performance.now();
    const now = this.deps.clock.now();
    const requestsBefore = now - requestRetentionDays * DAY_MS;
    const payloadsBefore = now - payloadRetentionDays * DAY_MS;
    const r = await this.deps.store.maintenance.prune({ requestsBefore, payloadsBefore, now });
    const run: RetentionRun = {
      ...r,
      requestRetentionDays,
      payloadRetentionDays,
      requestsBefore,
      payloadsBefore,
      durationMs: performance.now() - started,
    };
    if (r.requestsDeleted + r.payloadsDeleted > 0) {
      this.deps.logger.info(
        {
          requestsDeleted: r.requestsDeleted,
          payloadsDeleted: r.payloadsDeleted,
          rollupRowsDeleted: r.rollupRowsDeleted,
          durationMs: Math.round(run.durationMs),
        },
        'retention: expired request records deleted',
      );
    }
    return run;
  }
}
