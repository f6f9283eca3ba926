import { GatewayError } from '../../errors.js';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import type { RecordWriter, RecordWriterHealth } from '../contract/store.js';
import { type Chunk, RecordJournal, type Segment } from '../journal/record-journal.js';
import { heldBytes } from '../payloads/body-bytes.js';
import { isStoreUnavailable } from './refusal-kind.js';
import { usageFromRecords } from './usage.js';
import { deserializeError, type RecordFailure, type SerializedError, serializeError } from './write-protocol.js';

export interface RecordWriterOptions {
  /** Lost records, worker crashes, a full queue. Defaults to stderr: a failed write is never silent. */
  onError?: (err: unknown) => void;
  /** Called with the number of records of each committed batch (journal replays not included). */
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
  /**
   * Beyond either bound new records are not held in memory, so a stuck database cannot exhaust
   * it: they wait in the journal (or, without one, are dropped and reported).
   */
  maxQueuedRecords?: number;
  maxQueuedBytes?: number;
  /**
   * Directory of the record journal (journal/record-journal.ts): records the database refuses
   * wait there and are replayed when it takes writes again, also at the next start. null: none.
   */
  journalDir?: string | null;
  /** Journal segment size before rotation (default 4 MiB). */
  journalSegmentBytes?: number;
}

/** Records per transaction unless `maxBatchRecords` says otherwise. */
export const DEFAULT_MAX_BATCH_RECORDS = 500;

/** First wait before replaying parked records when no commit has shown the database works again. */
const REPLAY_MIN_DELAY_MS = 1000;
const REPLAY_MAX_DELAY_MS = 30_000;

interface Queued {
  rec: RequestRecord;
  /** Its line in the journal; null without one. */
  chunk: Chunk | null;
  seq: number;
  bytes: number;
  /** performance.now() at enqueue, for lagMs(). */
  at: number;
}

interface Batch {
  records: RequestRecord[];
  chunks: (Chunk | null)[];
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
    (p.responseBody === null ? 0 : heldBytes(p.responseBody))
  );
}

/** A database refusal as /health and the log show it: "SQLITE_FULL: database or disk is full". */
function refusalText(e: { code?: string | undefined; message: string }): string {
  return e.code ? `${e.code}: ${e.message}` : e.message;
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

  private readonly journal: RecordJournal | null;
  /** Records lost for good since start; `dropped` above is the part not reported yet. */
  private droppedTotal = 0;
  private lastDroppedAt: number | null = null;
  /** The database's last refusal, until a commit succeeds again. */
  private storeError: string | null = null;
  private replaying: Promise<void> | null = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private replayDelayMs = REPLAY_MIN_DELAY_MS;

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
    this.maxBatchRecords = Math.max(1, opts.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS);
    this.maxBatchBytes = Math.max(1, opts.maxBatchBytes ?? 2 * 1024 * 1024);
    this.flushIntervalMs = opts.flushIntervalMs ?? defaults.flushIntervalMs;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? defaults.maxInFlight);
    this.maxQueuedRecords = opts.maxQueuedRecords ?? 50_000;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 256 * 1024 * 1024;
    this.journal = opts.journalDir == null ? null : this.openJournal(opts.journalDir, opts.journalSegmentBytes);
    // Records an earlier run left behind: replayJournal() (at startup) does it at once, this otherwise.
    this.armReplay(0);
  }

  /** A journal directory that cannot be made is reported, not fatal: the gateway runs, its records unprotected. */
  private openJournal(dir: string, segmentBytes: number | undefined): RecordJournal | null {
    try {
      return new RecordJournal(dir, {
        segmentBytes,
        onError: this.onError,
        onLost: (n, cause) => {
          this.noteDropped(n);
          this.onError(
            new GatewayError(
              'internal',
              `${n} request record(s) were refused by the database and could not be journaled either; dropped`,
              { cause },
            ),
          );
        },
      });
    } catch (err) {
      this.onError(
        new GatewayError(
          'internal',
          `Cannot open the request record journal ${dir} (${(err as Error).message}); records the database ` +
            'refuses will be lost',
          { cause: err },
        ),
      );
      return null;
    }
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
      this.noteDropped(1);
      // Reported once per burst with its count (close() reports those of its own flush).
      if (this.droppedClosed++ === 0) {
        this.droppedClosedFirst = rec.id;
        this.droppedClosedReport = setImmediate(() => this.reportDroppedClosed());
      }
      return;
    }
    // Journaled first: from the end of this turn the record survives a killed process.
    const chunk = this.journal === null ? null : this.journal.append(rec);
    const bytes = approxBytes(rec);
    const queued = this.queue.length - this.head;
    if (queued >= this.maxQueuedRecords || this.queuedBytes + bytes > this.maxQueuedBytes) {
      if (chunk !== null && this.journal?.park(chunk, 1)) {
        this.noteRefused(`the record queue is full (${this.maxQueuedRecords} records / ${this.maxQueuedBytes} bytes)`);
        this.armReplay(this.replayDelayMs);
        return;
      }
      // Reported in bulk from pump(): one error per burst, not one per request.
      this.dropped += 1;
      this.noteDropped(1);
      this.schedule(true);
      return;
    }
    this.queue.push({ rec, chunk, seq: ++this.seq, bytes, at: performance.now() });
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

  health(): RecordWriterHealth {
    return {
      journal: this.journal?.dir ?? null,
      waiting: this.journal?.waiting() ?? 0,
      dropped: this.droppedTotal,
      lastDroppedAt: this.lastDroppedAt,
      lastError: this.storeError ?? this.journal?.lastError() ?? null,
    };
  }

  replayJournal(): Promise<void> {
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = null;
    return this.startReplay();
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
      if (this.replayTimer) clearTimeout(this.replayTimer);
      this.replayTimer = null;
      // While the database takes writes, what waits in the journal goes in now; otherwise it
      // stays there for the next start (a replay against a locked database could take minutes).
      if (this.storeError === null && (this.journal?.waiting() ?? 0) > 0) await this.startReplay();
      else if (this.replaying) await this.replaying;
      this.clearTimers();
      this.reportDropped();
      this.journal?.close();
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
    // Every record of a batch is in the journal (or known not to be) before the database sees it.
    this.journal?.flush();
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
    const chunks: (Chunk | null)[] = [];
    let bytes = 0;
    const first = this.queue[this.head] as Queued;
    const firstSeq = first.seq;
    while (this.head < this.queue.length && records.length < this.maxBatchRecords) {
      const q = this.queue[this.head] as Queued;
      if (records.length > 0 && bytes + q.bytes > this.maxBatchBytes) break;
      records.push(q.rec);
      chunks.push(q.chunk);
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
    return { records, chunks, firstSeq, firstAt: first.at, bytes, attempt: 0 };
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
        const e = serializeError(err);
        // The database refuses writes: record-by-record retries would only fail the same way.
        if (batch.attempt === 0 && !(this.journal !== null && isStoreUnavailable(e))) {
          this.inFlight.delete(batch);
          this.retries.push({ ...batch, attempt: 1 });
          this.schedule(true);
          return;
        }
        this.settle(
          batch,
          batch.records.map((r) => ({ id: r.id, error: e })),
        );
      },
    );
  }

  private settle(batch: Batch, failed: RecordFailure[]): void {
    this.inFlight.delete(batch);
    this.outstanding -= batch.records.length;
    const lost: RecordFailure[] = [];
    let parked = 0;
    let refusal: SerializedError | null = null;
    if (failed.length > 0) {
      const byId = new Map(failed.map((f) => [f.id, f.error]));
      for (let i = 0; i < batch.records.length; i++) {
        const error = byId.get((batch.records[i] as RequestRecord).id);
        if (error === undefined) continue;
        const chunk = batch.chunks[i] ?? null;
        if (chunk !== null && isStoreUnavailable(error) && this.journal?.park(chunk, 1)) {
          parked += 1;
          refusal = error;
          batch.chunks[i] = null;
          continue;
        }
        lost.push({ id: (batch.records[i] as RequestRecord).id, error });
      }
    }
    this.releaseChunks(batch.chunks);
    const committed = batch.records.length - failed.length;
    this.reportLost(lost, 'request record(s) could not be written after a retry');
    if (refusal !== null) {
      this.noteRefused(refusalText(refusal), parked);
      this.armReplay(this.replayDelayMs);
    }
    if (committed > 0) {
      if (refusal === null) this.storeError = null;
      try {
        this.onCommitted(committed);
      } catch (err) {
        this.onError(err);
      }
      // The database takes writes again: what waits in the journal goes next.
      if (refusal === null && (this.journal?.waiting() ?? 0) > 0 && !this.closing) void this.replayJournal();
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

  /** The records of `chunks` are settled: their journal lines are no longer needed. */
  private releaseChunks(chunks: readonly (Chunk | null)[]): void {
    const j = this.journal;
    if (j === null) return;
    // Records of one turn share a chunk: one call per run of them.
    let run: Chunk | null = null;
    let n = 0;
    for (const c of chunks) {
      if (c === run) {
        n += 1;
        continue;
      }
      if (run !== null) j.release(run, n);
      run = c;
      n = 1;
    }
    if (run !== null) j.release(run, n);
  }

  /** Counts records lost for good and says so once, naming the first and its error. */
  private reportLost(lost: readonly RecordFailure[], what: string): void {
    const first = lost[0];
    if (first === undefined) return;
    this.noteDropped(lost.length);
    this.onError(
      new GatewayError(
        'internal',
        `${lost.length} ${what} and were dropped (first: ${first.id}: ${first.error.message})`,
        {
          cause: deserializeError(first.error),
        },
      ),
    );
  }

  private noteDropped(n: number): void {
    this.droppedTotal += n;
    this.lastDroppedAt = Date.now();
  }

  /** Records were parked in the journal: said once per outage, not once per batch. */
  private noteRefused(reason: string, n = 1): void {
    const first = this.storeError === null;
    this.storeError = reason;
    if (first) {
      this.onError(
        new GatewayError(
          'internal',
          `The database does not take request records (${reason}); ${n} record(s) and those after them wait in ` +
            `the journal ${this.journal?.dir} and are written when it takes writes again`,
        ),
      );
    }
  }

  private armReplay(delayMs: number): void {
    if (this.journal === null || this.replayTimer || this.replaying || this.closing) return;
    if (this.journal.waiting() === 0) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      void this.startReplay();
    }, delayMs);
    // Waiting records never keep the process alive: they stay in the journal for the next start.
    this.replayTimer.unref();
  }

  private startReplay(): Promise<void> {
    if (this.journal === null) return Promise.resolve();
    this.replaying ??= this.replayAll().finally(() => {
      this.replaying = null;
      this.armReplay(this.replayDelayMs);
    });
    return this.replaying;
  }

  /** Replays every segment that can be, oldest first; stops (backing off) at the first refusal. */
  private async replayAll(): Promise<void> {
    const j = this.journal as RecordJournal;
    for (let seg = j.nextReplayable(); seg !== null; seg = j.nextReplayable()) {
      seg.replaying = true;
      let done = false;
      try {
        done = await this.replaySegment(j, seg);
      } catch (err) {
        this.onError(err);
      }
      if (!done) {
        seg.replaying = false;
        this.replayDelayMs = Math.min(REPLAY_MAX_DELAY_MS, this.replayDelayMs * 2);
        return;
      }
      j.replayed(seg);
      this.replayDelayMs = REPLAY_MIN_DELAY_MS;
    }
  }

  /**
   * Writes a segment's records again. Records already stored (committed before a kill, or by the
   * live path meanwhile) are skipped by the store, so a whole segment can be replayed as it is.
   */
  private async replaySegment(j: RecordJournal, seg: Segment): Promise<boolean> {
    let read: ReturnType<RecordJournal['read']>;
    try {
      read = j.read(seg);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
    if (read.skipped > 0) {
      this.noteDropped(read.skipped);
      this.onError(
        new GatewayError(
          'internal',
          `Skipped ${read.skipped} unreadable line(s) of the request record journal ${seg.path} ` +
            '(a write cut short by a killed process or a full disk); those records are lost',
        ),
      );
    }
    const records = read.records;
    for (let start = 0; start < records.length; ) {
      let end = start;
      let bytes = 0;
      while (end < records.length && end - start < this.maxBatchRecords) {
        const b = approxBytes(records[end] as RequestRecord);
        if (end > start && bytes + b > this.maxBatchBytes) break;
        bytes += b;
        end += 1;
      }
      const batch = records.slice(start, end);
      const usage = usageFromRecords(batch);
      let failed: RecordFailure[];
      try {
        failed = await this.commit(batch, usage, false);
      } catch (err) {
        const e = serializeError(err);
        if (isStoreUnavailable(e)) {
          this.storeError = refusalText(e);
          return false;
        }
        failed = await this.commit(batch, usage, true);
      }
      const refused = failed.find((f) => isStoreUnavailable(f.error));
      if (refused) {
        this.storeError = refusalText(refused.error);
        return false;
      }
      this.reportLost(failed, 'journaled request record(s) could not be written');
      // Not reported to onCommitted: records stored already are in the batch, skipped by the store.
      if (batch.length > failed.length) this.storeError = null;
      start = end;
    }
    return true;
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
