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
import { serveRecordWrites } from './worker-loop.js';
import type { SqliteWorkerInit } from './write-protocol.js';

/** On top of busy_timeout (5 s per try): a long CLI or backup transaction may hold the lock. */
const BUSY_BACKOFF_MS = [50, 200, 500, 1000, 2000];

const port = parentPort;
if (!port) throw new Error('write-worker must run as a worker thread');

const { dbPath } = workerData as SqliteWorkerInit;
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

serveRecordWrites(
  port,
  (records, usage) => withBusyRetry(() => write(records, usage)),
  () => {
    db.close();
  },
);
