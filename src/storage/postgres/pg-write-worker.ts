/**
 * Commits request-record batches to PostgreSQL off the main thread: building a batch's
 * parameters, serialising the protocol and parsing the answers took ~190 µs of event-loop CPU
 * per record (bench/pg-writer-bench.ts), which every request then waited behind. The worker has
 * its own small pool with the store's URL, schema and options and runs the store's batch commit
 * (record-batch.ts); the gateway migrated the schema before starting it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveRecordWrites } from '../writer/worker-loop.js';
import { openPool, type PgOptions } from './connection.js';
import { makeBatchWrite } from './record-batch.js';

/** What the PostgreSQL write worker opens. */
export interface PgWorkerInit {
  pg: PgOptions;
}

/** Deadlock (two instances locking the same rows in another order) and serialization failures. */
const TRANSIENT = new Set(['40P01', '40001']);
const TRANSIENT_TRIES = 3;

const port = parentPort;
if (!port) throw new Error('pg-write-worker must run as a worker thread');

const { pg } = workerData as PgWorkerInit;
// Batches are committed one at a time, so one connection does. It stays open while idle: the
// batch statements are prepared per connection, and a new one after every quiet spell of 10 s
// (pg's default) paid a connect and the statements' parse and plan again.
const pool = openPool({ ...pg, max: 1, idleTimeoutMs: 0 });
// Connected now rather than by the first batch (which would wait for it); a database that is not
// there yet is the first batch's error to report, as it was.
pool.connect().then(
  (c) => c.release(),
  () => {},
);
const write = makeBatchWrite(pool);

serveRecordWrites(
  port,
  async (records, usage) => {
    // A deadlock or serialization failure rolled the whole batch back: it is simply tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        await write(records, usage);
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= TRANSIENT_TRIES || typeof code !== 'string' || !TRANSIENT.has(code)) throw err;
      }
    }
  },
  () => pool.end(),
);
