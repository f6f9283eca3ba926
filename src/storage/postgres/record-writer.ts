/**
 * The record writer for PostgreSQL: the shared queue (writer/record-queue.ts) committing through
 * `store.requests.writeBatch` on the event loop, which only waits on the network. Batches are
 * committed one at a time, in order, so each is linked against the ones before it.
 *
 * While the database is away (a restart, a failover, a lost network) the gateway keeps serving:
 * a failed batch and everything after it waits in the record journal, said once in the log, and
 * is written again when the database answers; the store skips what a commit with an uncertain
 * outcome stored already (idempotent on request id). The queue is bounded: beyond it new records
 * go straight to the journal.
 */
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import type { RequestsStore } from '../contract/requests.js';
import { QueuedRecordWriter, type RecordWriterOptions } from '../writer/record-queue.js';
import { usageFromRecords } from '../writer/usage.js';
import { type RecordFailure, serializeError } from '../writer/write-protocol.js';

/** Deadlock (two instances locking the same rows in another order) and serialization failures. */
const TRANSIENT = new Set(['40P01', '40001']);
const TRANSIENT_TRIES = 3;

export interface PgRecordWriterOptions extends RecordWriterOptions {
  /**
   * Where records wait while the database is away (required: without it they would be lost);
   * one directory per instance, on local disk.
   */
  journalDir: string | null;
}

export class PgRecordWriter extends QueuedRecordWriter {
  constructor(
    private readonly store: { requests: Pick<RequestsStore, 'writeBatch'> },
    opts: PgRecordWriterOptions,
  ) {
    // 20 ms: a batch gathers the records of a busy moment into one multi-row INSERT, and rows
    // still show in the dashboard at once.
    super(opts, { flushIntervalMs: 20, maxInFlight: 1 });
  }

  /** A deadlock or serialization failure rolled the whole batch back: it is simply tried again. */
  private async write(records: RequestRecord[], usage: AccountUsageDelta[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.requests.writeBatch(records, usage);
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= TRANSIENT_TRIES || typeof code !== 'string' || !TRANSIENT.has(code)) throw err;
      }
    }
  }

  protected async commit(
    records: RequestRecord[],
    usage: AccountUsageDelta[],
    isolate: boolean,
  ): Promise<RecordFailure[]> {
    if (!isolate) {
      await this.write(records, usage);
      return [];
    }
    // The retry of a batch the database refused for one of its records: each alone finds which.
    const failed: RecordFailure[] = [];
    for (const r of records) {
      try {
        await this.write([r], usageFromRecords([r]));
      } catch (err) {
        failed.push({ id: r.id, error: serializeError(err) });
      }
    }
    return failed;
  }

  protected async shutdown(): Promise<void> {}
}
