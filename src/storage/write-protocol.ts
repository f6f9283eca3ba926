/** Messages between BatchedRecordWriter (main thread) and write-worker. */
import type { AccountUsageDelta, RequestRecord } from './types.js';

export interface WorkerInit {
  dbPath: string;
}

export type ToWorker =
  | {
      type: 'batch';
      id: number;
      records: RequestRecord[];
      usage: AccountUsageDelta[];
      /** Commit record by record so one bad record cannot sink the others (the retry). */
      isolate: boolean;
    }
  | { type: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export interface RecordFailure {
  id: string;
  error: SerializedError;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; failed: RecordFailure[] }
  | { type: 'failed'; id: number; error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(err.stack === undefined ? {} : { stack: err.stack }),
    };
  }
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error & { code?: string } {
  const err: Error & { code?: string } = new Error(e.message);
  err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}
