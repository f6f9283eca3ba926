import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import type { Store } from '../contract/store.js';
import { QueuedRecordWriter, type RecordWriterOptions } from './record-queue.js';
import { usageFromRecords } from './usage.js';
import { type RecordFailure, serializeError } from './write-protocol.js';

/**
 * Same queue, committing through `store.writeBatch` on the main thread in setImmediate batches.
 * For `:memory:` databases (a worker cannot share them) and stores whose writes are already
 * asynchronous I/O.
 */
export class InlineRecordWriter extends QueuedRecordWriter {
  constructor(
    private readonly store: Store,
    opts: RecordWriterOptions = {},
  ) {
    super(opts, { flushIntervalMs: 0, maxInFlight: 1 });
  }

  protected async commit(
    records: RequestRecord[],
    usage: AccountUsageDelta[],
    isolate: boolean,
  ): Promise<RecordFailure[]> {
    if (!isolate) {
      await this.store.writeBatch(records, usage);
      return [];
    }
    const failed: RecordFailure[] = [];
    for (const r of records) {
      try {
        await this.store.writeBatch([r], usageFromRecords([r]));
      } catch (err) {
        failed.push({ id: r.id, error: serializeError(err) });
      }
    }
    return failed;
  }

  protected async shutdown(): Promise<void> {}
}
