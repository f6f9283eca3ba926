import { GatewayError } from '../../errors.js';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import type { RecordWriter } from '../contract/store.js';
import { usageFromRecords } from './usage.js';
import { deserializeError, type RecordFailure, serializeError } from './write-protocol.js';

export interface RecordWriterOptions {
  /** Lost records, worker crashes, a full queue. Defaults to stderr: a failed write is never silent. */
  onError?: (err: unknown) => void;
  /** Called with the number of records of each committed batch. */
  onCommitted?: (n: number) => void;
  /** Records per transaction (default 500). */
  maxBatchRecords?: number;
  /**
   * Approximate payload bytes per batch (default 2 MiB). Bounds the packing per post (which the
   * main thread does synchronously) and how long a commit holds the write lock.
   */
  maxBatchBytes?: number;
  /**
   * How long records may wait for company before a batch is sent (default 50 ms for the worker).
   * Each commit rewrites the same index, rollup and account pages, so fewer, larger commits cost
   * less per record (measured: ~8 µs of ~50 less than at 20 ms); 50 ms keeps rows visible at once.
   */
  flushIntervalMs?: number;
  /** Batches sent but not yet committed (default 2: one committing, one on its way). */
  maxInFlight?: number;
  /** Beyond either bound new records are dropped and reported, so a stuck database cannot exhaust memory. */
  maxQueuedRecords?: number;
  maxQueuedBytes?: number;
}

interface Queued {
  rec: RequestRecord;
  seq: number;
  bytes: number;
  /** performance.now() at enqueue, for lagMs(). */
  at: number;
}

interface Batch {
  records: RequestRecord[];
  firstSeq: number;
  /** Enqueue time of the first (oldest) record. */
  firstAt: number;
  bytes: number;
  /** 0 for the first try; the one retry commits record by record. */
  attempt: number;
}

interface Flusher {
  target: number;
  resolve: () => void;
}

/** Fixed per-record overhead: the columns besides the payload. */
const RECORD_OVERHEAD_BYTES = 1024;

function approxBytes(r: RequestRecord): number {
  const p = r.payload;
  if (!p) return RECORD_OVERHEAD_BYTES;
  return (
    RECORD_OVERHEAD_BYTES +
    p.requestHeaders.length +
    (p.requestBody?.length ?? 0) +
    (p.responseHeaders?.length ?? 0) +
    (p.responseBody?.length ?? 0)
  );
}

function defaultOnError(err: unknown): void {
  console.error('ccflare: request record writer:', err);
}

/**
 * Queue and batching shared by both writers; subclasses only commit. Records are numbered in
 * enqueue order so `flush` can wait for exactly what came before it even when a retried batch
 * finishes after later ones.
 */
export abstract class QueuedRecordWriter implements RecordWriter {
  protected readonly onError: (err: unknown) => void;
  private readonly onCommitted: (n: number) => void;
  private readonly maxBatchRecords: number;
  private readonly maxBatchBytes: number;
  private readonly flushIntervalMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueuedRecords: number;
  private readonly maxQueuedBytes: number;

  private queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private readonly retries: Batch[] = [];
  private readonly inFlight = new Set<Batch>();
  private outstanding = 0;
  private seq = 0;
  private dropped = 0;
  private flushers: Flusher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closing: Promise<void> | null = null;
  /** Records refused since the writer closed and not reported yet, and the first one's id. */
  private droppedClosed = 0;
  private droppedClosedFirst = '';
  private droppedClosedReport: NodeJS.Immediate | null = null;

  constructor(opts: RecordWriterOptions, defaults: { flushIntervalMs: number; maxInFlight: number }) {
    const onError = opts.onError ?? defaultOnError;
    // A throwing handler must not turn into an unhandled rejection inside the commit chain.
    this.onError = (err) => {
      try {
        onError(err);
      } catch (thrown) {
        defaultOnError(thrown);
      }
    };
    this.onCommitted = opts.onCommitted ?? (() => {});
    this.maxBatchRecords = Math.max(1, opts.maxBatchRecords ?? 500);
    this.maxBatchBytes = Math.max(1, opts.maxBatchBytes ?? 2 * 1024 * 1024);
    this.flushIntervalMs = opts.flushIntervalMs ?? defaults.flushIntervalMs;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? defaults.maxInFlight);
    this.maxQueuedRecords = opts.maxQueuedRecords ?? 50_000;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 256 * 1024 * 1024;
  }

  /** Commits `records`; with `isolate`, record by record, returning the ones that failed. */
  protected abstract commit(
    records: RequestRecord[],
    usage: AccountUsageDelta[],
    isolate: boolean,
  ): Promise<RecordFailure[]>;

  /** Releases what the subclass holds (the worker) after the final flush. */
  protected abstract shutdown(): Promise<void>;

  enqueue(rec: RequestRecord): void {
    if (this.closing) {
      // Reported once per burst with its count (close() reports those of its own flush).
      if (this.droppedClosed++ === 0) {
        this.droppedClosedFirst = rec.id;
        this.droppedClosedReport = setImmediate(() => this.reportDroppedClosed());
      }
      return;
    }
    const bytes = approxBytes(rec);
    const queued = this.queue.length - this.head;
    if (queued >= this.maxQueuedRecords || this.queuedBytes + bytes > this.maxQueuedBytes) {
      // Reported in bulk from pump(): one error per burst, not one per request.
      this.dropped += 1;
      this.schedule(true);
      return;
    }
    this.queue.push({ rec, seq: ++this.seq, bytes, at: performance.now() });
    this.queuedBytes += bytes;
    this.outstanding += 1;
    this.schedule(queued + 1 >= this.maxBatchRecords || this.queuedBytes >= this.maxBatchBytes);
  }

  depth(): number {
    return this.outstanding;
  }

  lagMs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    const next = this.queue[this.head];
    if (next) oldest = next.at;
    for (const b of this.inFlight) oldest = Math.min(oldest, b.firstAt);
    for (const b of this.retries) oldest = Math.min(oldest, b.firstAt);
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, performance.now() - oldest);
  }

  flush(): Promise<void> {
    const target = this.seq;
    if (this.lowestOutstandingSeq() > target) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushers.push({ target, resolve });
      this.schedule(true);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.flush();
      this.clearTimers();
      this.reportDropped();
      await this.shutdown();
      this.reportDroppedClosed();
    })();
    return this.closing;
  }

  private schedule(urgent: boolean): void {
    if (this.immediate) return;
    if (urgent || this.flushIntervalMs <= 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.pump();
      });
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.pump();
    }, this.flushIntervalMs);
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private pump(): void {
    this.reportDropped();
    while (this.inFlight.size < this.maxInFlight) {
      const batch = this.retries.shift() ?? this.takeBatch();
      if (!batch) break;
      this.dispatch(batch);
    }
    // Records left behind wait for a slot; a settling batch pumps again.
  }

  private takeBatch(): Batch | null {
    if (this.head >= this.queue.length) return null;
    const records: RequestRecord[] = [];
    let bytes = 0;
    const first = this.queue[this.head] as Queued;
    const firstSeq = first.seq;
    while (this.head < this.queue.length && records.length < this.maxBatchRecords) {
      const q = this.queue[this.head] as Queued;
      if (records.length > 0 && bytes + q.bytes > this.maxBatchBytes) break;
      records.push(q.rec);
      bytes += q.bytes;
      this.head += 1;
    }
    this.queuedBytes -= bytes;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return { records, firstSeq, firstAt: first.at, bytes, attempt: 0 };
  }

  private dispatch(batch: Batch): void {
    this.inFlight.add(batch);
    const isolate = batch.attempt > 0;
    let committing: Promise<RecordFailure[]>;
    try {
      committing = this.commit(batch.records, usageFromRecords(batch.records), isolate);
    } catch (err) {
      committing = Promise.reject(err);
    }
    committing.then(
      (failed) => this.settle(batch, failed),
      (err: unknown) => {
        if (batch.attempt === 0) {
          this.inFlight.delete(batch);
          this.retries.push({ ...batch, attempt: 1 });
          this.schedule(true);
          return;
        }
        this.settle(
          batch,
          batch.records.map((r) => ({ id: r.id, error: serializeError(err) })),
        );
      },
    );
  }

  private settle(batch: Batch, failed: RecordFailure[]): void {
    this.inFlight.delete(batch);
    this.outstanding -= batch.records.length;
    const committed = batch.records.length - failed.length;
    if (failed.length > 0) {
      const first = failed[0] as RecordFailure;
      this.onError(
        new GatewayError(
          'internal',
          `${failed.length} request record(s) could not be written after a retry and were dropped ` +
            `(first: ${first.id}: ${first.error.message})`,
          { cause: deserializeError(first.error) },
        ),
      );
    }
    if (committed > 0) {
      try {
        this.onCommitted(committed);
      } catch (err) {
        this.onError(err);
      }
    }
    this.resolveFlushers();
    if (this.retries.length > 0 || this.head < this.queue.length) {
      this.schedule(
        this.flushers.length > 0 ||
          this.retries.length > 0 ||
          this.queue.length - this.head >= this.maxBatchRecords ||
          this.queuedBytes >= this.maxBatchBytes,
      );
    }
  }

  private lowestOutstandingSeq(): number {
    let low = Number.POSITIVE_INFINITY;
    const next = this.queue[this.head];
    if (next) low = next.seq;
    for (const b of this.inFlight) low = Math.min(low, b.firstSeq);
    for (const b of this.retries) low = Math.min(low, b.firstSeq);
    return low;
  }

  private resolveFlushers(): void {
    if (this.flushers.length === 0) return;
    const low = this.lowestOutstandingSeq();
    const waiting: Flusher[] = [];
    for (const f of this.flushers) {
      if (f.target < low) f.resolve();
      else waiting.push(f);
    }
    this.flushers = waiting;
  }

  private reportDroppedClosed(): void {
    if (this.droppedClosedReport) clearImmediate(this.droppedClosedReport);
    this.droppedClosedReport = null;
    if (this.droppedClosed === 0) return;
    const n = this.droppedClosed;
    this.droppedClosed = 0;
    this.onError(
      new GatewayError(
        'internal',
        `${n} request record(s) enqueued after the writer was closed were dropped (first: ${this.droppedClosedFirst})`,
      ),
    );
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    const n = this.dropped;
    this.dropped = 0;
    this.onError(
      new GatewayError(
        'internal',
        `Request record queue full (${this.maxQueuedRecords} records / ${this.maxQueuedBytes} bytes); ` +
          `dropped ${n} record(s). Is the database reachable and the disk not full?`,
      ),
    );
  }
}
