/**
 * The message loop of a record write worker (write-worker.ts for SQLite, postgres/pg-write-worker.ts):
 * batches are committed one at a time, in the order they were posted, each answered with its
 * outcome and its buffer handed back for the writer to pack a later batch into.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import { usageFromRecords } from './usage.js';
import { type FromWorker, type RecordFailure, serializeError, type ToWorker, unpackRecords } from './write-protocol.js';

export type WorkerBatchWrite = (records: RequestRecord[], usage: AccountUsageDelta[]) => void | Promise<void>;

export function serveRecordWrites(port: MessagePort, write: WorkerBatchWrite, close: () => void | Promise<void>): void {
  const send = (msg: FromWorker) => port.postMessage(msg, 'spare' in msg ? [msg.spare] : []);

  const handle = async (msg: ToWorker): Promise<void> => {
    if (msg.type === 'close') {
      await close();
      port.close();
      return;
    }
    const records = unpackRecords(msg.records);
    if (!msg.isolate) {
      try {
        await write(records, msg.usage);
        send({ type: 'done', id: msg.id, failed: [], spare: msg.records.bytes });
      } catch (err) {
        send({ type: 'failed', id: msg.id, error: serializeError(err), spare: msg.records.bytes });
      }
      return;
    }
    // The retry of a batch the database refused for one of its records: each alone finds which.
    const failed: RecordFailure[] = [];
    for (const r of records) {
      try {
        await write([r], usageFromRecords([r]));
      } catch (err) {
        failed.push({ id: r.id, error: serializeError(err) });
      }
    }
    send({ type: 'done', id: msg.id, failed, spare: msg.records.bytes });
  };

  // An asynchronous commit (PostgreSQL) must not overlap the next: each batch is linked against
  // the ones before it.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    chain = chain
      .then(() => handle(msg))
      .catch((err: unknown) => {
        // A batch that cannot be read: the worker ends, the writer replaces it and retries.
        setImmediate(() => {
          throw err;
        });
      });
  });
  send({ type: 'ready' });
}
