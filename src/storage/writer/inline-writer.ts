import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import type { RequestsStore } from '../contract/requests.js';
import { QueuedRecordWriter, type RecordWriterOptions } from './record-queue.js';
import { usageFromRecords } from './usage.js';
import { type RecordFailure, serializeError } from './write-protocol.js';

/**
 * Same queue, committing through `store.requests.writeBatch` on the main thread in setImmediate batches.
 * For `:memory:` databases (a worker cannot share them) and stores whose writes are already
 * asynchronous I/O.
 */
export class InlineRecordWriter extends QueuedRecordWriter {
  constructor(
    private readonly store: { requests: Pick<RequestsStore, 'writeBatch'> },
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
      await this.store.requests.writeBatch(records, usage);
      return [];
    }
    const failed: RecordFailure[] = [];
    for (const r of records) {
      try {
        await this.store.requests.writeBatch([r], usageFromRecords([r]));
      } catch (err) {
        failed.push({ id: r.id, error: serializeError(err) });
      }
    }
    return failed;
  }

  protected async shutdown(): Promise<void> {}
}
