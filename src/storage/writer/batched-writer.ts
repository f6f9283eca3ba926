import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { GatewayError } from '../../errors.js';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import { journalDir } from '../journal/record-journal.js';
import { MEMORY_PATH } from '../sqlite/connection.js';
import { QueuedRecordWriter, type RecordWriterOptions } from './record-queue.js';
import { usageFromRecords } from './usage.js';
import {
  deserializeError,
  type FromWorker,
  packRecords,
  type RecordFailure,
  type SqliteWorkerInit,
  serializeError,
  type ToWorker,
} from './write-protocol.js';

export interface BatchedRecordWriterOptions extends RecordWriterOptions {
  /** The database file the store uses; the worker opens its own connection to it. */
  dbPath: string;
  /** Default: `<dbPath>.journal`. */
  journalDir?: string | null;
}

/**
 * Finds a compiled worker, `file` relative to src/ (default the SQLite one). In a build it sits
 * next to this file's tree; when this file runs from its TypeScript source (vitest) the sibling is
 * a .ts the worker thread cannot load, so the build output under dist/ is used instead.
 */
export function resolveWorkerUrl(base: string | URL = import.meta.url, file = 'storage/writer/write-worker.js'): URL {
  const sibling = new URL(`../../${file}`, base);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL(`../../../dist/src/${file}`, base);
  if (existsSync(fileURLToPath(built))) return built;
  throw new GatewayError(
    'internal',
    `The request record write worker is not built (looked for ${fileURLToPath(sibling)} and ` +
      `${fileURLToPath(built)}); run \`npm run build\``,
  );
}

interface PendingReply {
  resolve: (failed: RecordFailure[]) => void;
  reject: (err: unknown) => void;
}

const MAX_RESPAWN_DELAY_MS = 5000;

/**
 * Largest batch buffer kept for reuse. A batch within the default 2 MiB `maxBatchBytes` packs into
 * at most ~6 MiB (packRecords reserves 3 bytes per character of a text body), so every such batch
 * still reuses a spare. A record with a huge body is sent alone and its buffer used to be kept:
 * after 31 MB bodies, two 229 MB spares held ~1.9 GB RSS while idle.
 */
export const MAX_SPARE_BYTES = 8 * 1024 * 1024;

/**
 * Commits on a worker thread with its own connection, so neither a transaction with large
 * payloads (SQLite) nor building and parsing the statements (PostgreSQL) takes the event loop;
 * the main thread only batches, packs each batch into one buffer (write-protocol.ts) and
 * transfers it. A crashed worker is replaced; its batches take their one retry.
 */
export class WorkerRecordWriter extends QueuedRecordWriter {
  private worker: Worker | null = null;
  private readonly replies = new Map<number, PendingReply>();
  private nextId = 1;
  private crashes = 0;
  private respawnAt = 0;
  /** Buffers of committed batches, for packing the next ones into. */
  private readonly spares: ArrayBuffer[] = [];

  /** `init` is the worker's workerData: what it opens. */
  constructor(
    opts: RecordWriterOptions,
    defaults: { flushIntervalMs: number; maxInFlight: number },
    private readonly workerUrl: URL,
    private readonly init: object,
    /** The worker's V8 limits (`Worker` resourceLimits); V8's defaults when absent. */
    private readonly limits?: ResourceLimits,
  ) {
    super(opts, defaults);
    // Started now so a database the worker cannot open is reported at startup, not on the first request.
    this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(this.workerUrl, {
      workerData: this.init,
      ...(this.limits ? { resourceLimits: this.limits } : {}),
    });
    // Idle, the worker must not keep the process alive; it is ref'd while replies are due.
    w.unref();
    w.on('message', (msg: FromWorker) => this.onMessage(msg));
    w.on('error', (err) => this.onWorkerGone(w, err));
    w.on('exit', (code) => this.onWorkerGone(w, new Error(`request record write worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === 'ready') return;
    if (this.spares.length < 2 && msg.spare.byteLength <= MAX_SPARE_BYTES) this.spares.push(msg.spare);
    const pending = this.replies.get(msg.id);
    if (!pending) return;
    this.replies.delete(msg.id);
    this.crashes = 0;
    this.updateRef();
    if (msg.type === 'done') pending.resolve(msg.failed);
    else pending.reject(deserializeError(msg.error));
  }

  private onWorkerGone(w: Worker, thrown: unknown): void {
    const err = thrown instanceof Error ? thrown : new Error(String((thrown as Error | null)?.message ?? thrown));
    if (this.worker !== w) return;
    this.worker = null;
    this.crashes += 1;
    this.respawnAt = Date.now() + Math.min(MAX_RESPAWN_DELAY_MS, 100 * 2 ** (this.crashes - 1));
    // Named as the worker's failure (refusal-kind.ts): its batches wait in the journal, they are not the records' fault.
    const failure = new GatewayError('internal', `Request record write worker failed: ${err.message}`, { cause: err });
    this.onError(failure);
    const pending = [...this.replies.values()];
    this.replies.clear();
    for (const p of pending) p.reject(failure);
  }

  private updateRef(): void {
    if (!this.worker) return;
    if (this.replies.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private async ensureWorker(): Promise<Worker> {
    if (this.worker) return this.worker;
    const wait = this.respawnAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return this.worker ?? this.spawn();
  }

  protected async commit(
    records: RequestRecord[],
    usage: AccountUsageDelta[],
    isolate: boolean,
  ): Promise<RecordFailure[]> {
    if (!isolate) return this.post(records, usage, false);
    // The retry. A record the protocol cannot carry makes packing the whole batch throw, so each
    // one is tried alone first: it fails by itself and the others still go to the worker.
    const failed: RecordFailure[] = [];
    const packable: RequestRecord[] = [];
    for (const r of records) {
      try {
        packRecords([r]);
        packable.push(r);
      } catch (err) {
        failed.push({ id: r.id, error: serializeError(err) });
      }
    }
    if (packable.length > 0) failed.push(...(await this.post(packable, usageFromRecords(packable), true)));
    return failed;
  }

  private async post(records: RequestRecord[], usage: AccountUsageDelta[], isolate: boolean): Promise<RecordFailure[]> {
    const w = await this.ensureWorker();
    const id = this.nextId++;
    return new Promise<RecordFailure[]>((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      try {
        const packed = packRecords(records, this.spares.pop());
        w.postMessage({ type: 'batch', id, records: packed, usage, isolate } satisfies ToWorker, [packed.bytes]);
      } catch (err) {
        // A record that cannot be packed: the isolated retry finds which.
        this.replies.delete(id);
        reject(err);
        return;
      }
      this.updateRef();
    });
  }

  protected async shutdown(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.ref();
    w.postMessage({ type: 'close' } satisfies ToWorker);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 5000);
    });
    if ((await Promise.race([exited, timedOut])) === 'timeout') await w.terminate();
    clearTimeout(timer);
  }
}

/** The SQLite writer: the worker opens the database file the store uses. */
export class BatchedRecordWriter extends WorkerRecordWriter {
  constructor(opts: BatchedRecordWriterOptions) {
    if (opts.dbPath === MEMORY_PATH || opts.dbPath === '') {
      throw new GatewayError(
        'internal',
        'BatchedRecordWriter needs a database file: a worker cannot share a :memory: database (use InlineRecordWriter)',
      );
    }
    const init: SqliteWorkerInit = { dbPath: resolvePath(opts.dbPath) };
    super(
      { ...opts, journalDir: opts.journalDir === undefined ? journalDir(opts.dbPath) : opts.journalDir },
      { flushIntervalMs: 50, maxInFlight: 2 },
      resolveWorkerUrl(),
      init,
    );
  }
}
