/**
 * Keeps an in-memory copy of stored data current across processes. The store bumps a revision
 * counter on every change (SQLite triggers, whichever process writes: the CLI opens the same
 * database as the gateway); a watch reads the counter every `intervalMs` and reloads only when it
 * moved. The account pool, the access-key registry and the runtime settings are built on it.
 */
import type { Logger } from 'pino';

export interface RevisionWatchOptions<T> {
  /** The store's revision counter for this data. */
  revision(): Promise<number>;
  /** Reads the data. When it fails nothing is applied and the next check tries again. */
  load(): Promise<T>;
  /** Swaps loaded data in; synchronous, so readers never see half of a reload. */
  apply(value: T): void;
  /**
   * Checks run on the multiples of this on the clock, so the watches of one process check
   * together and a store can answer them with one read (postgres/revisions.ts); a check still
   * under way then is not doubled: the next starts on the first multiple after it ends.
   */
  intervalMs: number;
  logger: Logger;
  /** Names the data in log lines ("<what> reload failed"). */
  what: string;
  /** Runs on every timer tick before the check (work that rides on the poll, e.g. batched writes). */
  onTick?(): void;
}

export interface RevisionWatch {
  /** Loads once (rejects when that fails), then checks every `intervalMs` until `stop()`. */
  start(): Promise<void>;
  /**
   * Checks the revision now and resolves once a reload it calls for is applied; rejects when the
   * check fails. Callers use it after their own writes so the change is visible at once, and
   * without `start()` for a one-off read.
   */
  refresh(): Promise<void>;
  /** Clears the timer; a check under way finishes, none follows. */
  stop(): void;
}

const ignore = () => {};

export function watchRevision<T>(opts: RevisionWatchOptions<T>): RevisionWatch {
  let loadedRevision: number | null = null;
  let running: Promise<void> | null = null;
  /** A check that starts once `running` ends, shared by every refresh() made meanwhile. */
  let queued: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let started: Promise<void> | null = null;
  /** Scheduled checks failed in a row; the first is logged, and the recovery. */
  let failures = 0;

  async function check(): Promise<void> {
    const rev = await opts.revision();
    if (rev === loadedRevision) return;
    // Read before the data: a write landing in between leaves an older number, so the next check
    // loads again rather than missing it.
    const value = await opts.load();
    opts.apply(value);
    loadedRevision = rev;
  }

  function run(): Promise<void> {
    const p = check().finally(() => {
      if (running === p) running = null;
    });
    running = p;
    return p;
  }

  function refresh(): Promise<void> {
    if (queued) return queued;
    const prev = running;
    if (prev === null) return run();
    // The check under way may have read the revision before the caller's write: check again after it.
    queued = prev.then(ignore, ignore).then(() => {
      queued = null;
      return running ?? run();
    });
    return queued;
  }

  async function tick(): Promise<void> {
    try {
      opts.onTick?.();
      // A scheduled check needs no fresh start: one already under way will do.
      await (queued ?? running ?? run());
      if (failures > 0) opts.logger.info({ failures }, `${opts.what} reload recovered`);
      failures = 0;
    } catch (err) {
      if (failures === 0) opts.logger.error({ err }, `${opts.what} reload failed`);
      failures++;
    }
  }

  function schedule(): void {
    if (stopped || timer) return;
    timer = setTimeout(
      () => {
        timer = null;
        void tick().finally(schedule);
      },
      opts.intervalMs - (Date.now() % opts.intervalMs),
    );
    // Polling never keeps the process alive.
    timer.unref();
  }

  return {
    start() {
      if (started) return started;
      stopped = false;
      const p = refresh().then(schedule, (err: unknown) => {
        if (started === p) {
          started = null;
          stopped = true;
        }
        throw err;
      });
      started = p;
      return p;
    },
    refresh,
    stop() {
      started = null;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
