/**
 * Runs VACUUM on its own connection for SqliteRequestQueries.compact, off the main thread, then
 * exits. The checkpoints move the write-ahead log into the file and truncate it, before (so
 * VACUUM starts from a short log) and after (VACUUM itself writes the whole file to the log).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './connection.js';

const port = parentPort;
if (!port) throw new Error('compact-worker must run as a worker thread');

const { dbPath } = workerData as { dbPath: string };
try {
  const db = openDatabase(dbPath);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  port.postMessage({ ok: true });
} catch (err) {
  const e = err as { message?: unknown; code?: unknown };
  port.postMessage({
    ok: false,
    message: String(e?.message ?? err),
    code: typeof e?.code === 'string' ? e.code : undefined,
  });
}
