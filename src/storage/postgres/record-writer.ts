/**
 * The record writer for PostgreSQL: the shared queue (writer/record-queue.ts) on the main thread,
 * the batch commit (record-batch.ts) on a worker thread with its own connection
 * (pg-write-worker.ts), as SQLite's writer does: the main thread only packs each batch. Batches
 * are committed one at a time, in order, so each is linked against the ones before it.
 *
 * While the database is away (a restart, a failover, a lost network) the gateway keeps serving:
 * a failed batch and everything after it waits in the record journal, said once in the log, and
 * is written again when the database answers; the store skips what a commit with an uncertain
 * outcome stored already (idempotent on request id). Journal entries go only once the worker
 * acknowledged the commit. The queue is bounded: beyond it new records go straight to the journal.
 */
import { resolveWorkerUrl, WorkerRecordWriter } from '../writer/batched-writer.js';
import type { RecordWriterOptions } from '../writer/record-queue.js';
import type { PgOptions } from './connection.js';
import type { PgWorkerInit } from './pg-write-worker.js';

export interface PgRecordWriterOptions extends RecordWriterOptions {
  /**
   * Where records wait while the database is away (required: without it they would be lost);
   * one directory per instance, on local disk.
   */
  journalDir: string | null;
}

export class PgRecordWriter extends WorkerRecordWriter {
  /** `store.options`: the worker connects with the store's URL, schema and timeouts. */
  constructor(store: { options: PgOptions }, opts: PgRecordWriterOptions) {
    const init: PgWorkerInit = { pg: store.options };
    // 100 ms (SQLite's is 50): a batch gathers the records of a busy moment into one COPY, and
    // rows still show in the dashboard within a moment. PostgreSQL pays a fixed cost per commit
    // besides its rows (pg-writer-bench at 2,000 records/s: 76 µs of backend CPU per record with
    // 20 ms, 55-68 with 50, 46-51 with 100). With the batch written by COPY, at the bench's rate
    // (pg-writer-bench --rate 6000, alternated): PostgreSQL 28-30 -> 26 µs per a-json record and
    // 30-32 -> 29 a-stream, the process 42-51 -> 39 and 44-47 -> 42-43; the whole gateway
    // (bench --db sqlite,postgres --pg-front 0, two pairs alternated at 19:30) 0.90-0.91x ->
    // 0.90-0.93x SQLite's a-json throughput and 0.82-0.88x -> 0.89-0.94x a-stream. The records'
    // lag grows by the same 50 ms (max ~80 -> ~110 ms), far inside the 1 s they are due in.
    super(
      opts,
      { flushIntervalMs: 100, maxInFlight: 1 },
      resolveWorkerUrl(import.meta.url, 'storage/postgres/pg-write-worker.js'),
      init,
      // Building a batch's statement allocates per row (column arrays, literals, the bind
      // message): with V8's default young generation its worker ran ~117 scavenges per 30,000
      // records at 4,000/s; 64 MB (grown to only as allocation needs it) ~79, and its GC time
      // 572 and 851 -> 485 and 411 ms (pg-writer-bench --rate 4000, --trace-gc). SQLite's worker
      // allocates less and showed no change.
      { maxYoungGenerationSizeMb: 64 },
    );
  }
}
