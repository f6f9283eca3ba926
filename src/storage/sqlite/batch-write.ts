/**
 * The batch commit shared by the store (main thread) and the write worker, so request rows are
 * written by exactly one piece of code whichever thread commits them.
 */
import type Database from 'better-sqlite3';
import type { AccountUsageDelta, PayloadBody, RequestRecord } from '../contract/records.js';
import type { PayloadFiles, PayloadRef } from '../payloads/payload-files.js';
import { prepareRollupWrite } from './rollups.js';

type Bindable = string | number | bigint | null;

function int(b: boolean): number {
  return b ? 1 : 0;
}

/** undefined from a sloppy producer becomes NULL instead of a bind error for the whole batch. */
function n(v: Bindable | undefined): Bindable {
  return v === undefined ? null : v;
}

/** The legacy payload table holds text; bytes from the proxy are UTF-8. */
function text(v: PayloadBody | null | undefined): string | null {
  return v == null
    ? null
    : typeof v === 'string'
      ? v
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
}

/** Positional values in REQUEST_COLUMNS order (positional binding is cheaper than named). */
function requestParams(r: RequestRecord, ref: PayloadRef | null): Bindable[] {
  return [
    r.id,
    r.ts,
    r.method,
    r.path,
    n(r.accountId),
    n(r.accountName),
    n(r.status),
    int(r.success),
    n(r.error),
    r.latencyMs,
    n(r.ttftMs),
    r.attempts,
    JSON.stringify(r.attemptLog ?? []),
    n(r.modelRequested),
    n(r.modelApplied),
    n(r.agent),
    n(r.sessionId),
    n(r.clientKey),
    int(r.stream),
    n(r.stopReason),
    n(r.inputTokens),
    n(r.cacheReadTokens),
    n(r.cacheWrite5mTokens),
    n(r.cacheWrite1hTokens),
    n(r.outputTokens),
    n(r.costUsd),
    n(r.outputTokensPerSecond),
    ref ? ref.file : null,
    ref ? ref.offset : null,
    ref ? ref.length : null,
  ];
}

const REQUEST_COLUMNS = [
  'id',
  'ts',
  'method',
  'path',
  'account_id',
  'account_name',
  'status',
  'success',
  'error',
  'latency_ms',
  'ttft_ms',
  'attempts',
  'attempt_log',
  'model_requested',
  'model_applied',
  'agent',
  'session_id',
  'client_key',
  'stream',
  'stop_reason',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'cost_usd',
  'output_tokens_per_second',
  'payload_file',
  'payload_offset',
  'payload_length',
] as const;

const INSERT_REQUEST = `INSERT INTO requests (${REQUEST_COLUMNS.join(', ')})
  VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')})`;

const INSERT_PAYLOAD = `INSERT INTO request_payloads
  (request_id, ts, request_headers, request_body, response_headers, response_body, request_truncated, response_truncated)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

const APPLY_USAGE = `UPDATE accounts SET
    request_count = request_count + @requests,
    session_request_count = session_request_count + @requests,
    last_used_at = max(coalesce(last_used_at, @last_used_at), @last_used_at)
  WHERE id = @id`;

export type BatchWrite = (records: readonly RequestRecord[], usage: readonly AccountUsageDelta[]) => void;

/**
 * Prepares the statements once and returns the one-transaction batch commit. With `files`,
 * payloads are appended to segment files before the transaction: a failed or retried commit
 * leaves only unreferenced bytes behind, never a row pointing at nothing.
 */
export function prepareBatchWrite(db: Database.Database, files: PayloadFiles | null): BatchWrite {
  const insertRequest = db.prepare(INSERT_REQUEST);
  const insertPayload = db.prepare(INSERT_PAYLOAD);
  const applyUsage = db.prepare(APPLY_USAGE);
  const writeRollups = prepareRollupWrite(db);
  const tx = db.transaction(
    (
      records: readonly RequestRecord[],
      usage: readonly AccountUsageDelta[],
      refs: readonly (PayloadRef | null)[] | null,
    ) => {
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as RequestRecord;
        insertRequest.run(requestParams(r, refs?.[i] ?? null));
        const p = r.payload;
        if (p && !refs) {
          insertPayload.run(
            r.id,
            r.ts,
            p.requestHeaders,
            text(p.requestBody),
            n(p.responseHeaders),
            text(p.responseBody),
            int(p.requestTruncated),
            int(p.responseTruncated),
          );
        }
      }
      // Same transaction: the rollups can never disagree with the rows they summarize.
      writeRollups(records);
      for (const u of usage) {
        if (u.requests === 0) continue;
        applyUsage.run({ id: u.accountId, requests: u.requests, last_used_at: u.lastUsedAt });
      }
    },
  );
  // IMMEDIATE takes the write lock up front, so contention surfaces as SQLITE_BUSY at BEGIN
  // (after busy_timeout) rather than as a failed lock upgrade halfway through the batch.
  let warnedFallback = false;
  return (records, usage) => {
    let refs: (PayloadRef | null)[] | null = null;
    if (files) {
      try {
        refs = files.append(records);
      } catch (err) {
        // The payload directory is unwritable (permissions, disk full): keep the records, with
        // their payloads in the table the readers still understand, rather than lose the batch.
        refs = null;
        if (!warnedFallback) {
          warnedFallback = true;
          // stderr: this runs on the writer's worker thread, which has no logger.
          console.error(
            `ccflare: cannot write request payloads to ${files.dir} (${(err as Error).message}); ` +
              'storing them in the database instead until it is writable',
          );
        }
      }
    }
    tx.immediate(records, usage, refs);
  };
}
