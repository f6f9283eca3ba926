/**
 * Commits request-record batches on its own connection, off the main thread: a transaction
 * with large payloads takes tens of ms, which on the main thread would stall every request.
 * Messages are handled one at a time, so blocking calls (better-sqlite3, the backoff sleep)
 * are fine here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareBatchWrite } from '../sqlite/batch-write.js';
import { isBusyError, openDatabase, payloadFilesFor } from '../sqlite/connection.js';
import { migrate } from '../sqlite/migrations.js';
import { usageFromRecords } from './usage.js';
import {
  type FromWorker,
  type RecordFailure,
  serializeError,
  type ToWorker,
  unpackRecords,
  type WorkerInit,
} from './write-protocol.js';

/** On top of busy_timeout (5 s per try): a long CLI or backup transaction may hold the lock. */
const BUSY_BACKOFF_MS = [50, 200, 500, 1000, 2000];

const port = parentPort;
if (!port) throw new Error('write-worker must run as a worker thread');

const { dbPath } = workerData as WorkerInit;
const db = openDatabase(dbPath);
migrate(db);
const write = prepareBatchWrite(db, payloadFilesFor(dbPath));
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function withBusyRetry(fn: () => void): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fn();
      return;
    } catch (err) {
      const wait = BUSY_BACKOFF_MS[attempt];
      if (!isBusyError(err) || wait === undefined) throw err;
      Atomics.wait(sleeper, 0, 0, wait);
    }
  }
}

/** Replies hand the batch's buffer back (transferred) for the writer to pack a later batch into. */
function send(msg: FromWorker): void {
  port?.postMessage(msg, 'spare' in msg ? [msg.spare] : []);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'close') {
    db.close();
    port.close();
    return;
  }
  const records = unpackRecords(msg.records);
  if (!msg.isolate) {
    try {
      withBusyRetry(() => write(records, msg.usage));
      send({ type: 'done', id: msg.id, failed: [], spare: msg.records.bytes });
    } catch (err) {
      send({ type: 'failed', id: msg.id, error: serializeError(err), spare: msg.records.bytes });
    }
    return;
  }
  const failed: RecordFailure[] = [];
  for (const r of records) {
    try {
      withBusyRetry(() => write([r], usageFromRecords([r])));
    } catch (err) {
      failed.push({ id: r.id, error: serializeError(err) });
    }
  }
  send({ type: 'done', id: msg.id, failed, spare: msg.records.bytes });
});

send({ type: 'ready' });
