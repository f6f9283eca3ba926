/**
 * The batch commit shared by the store (main thread) and the write worker, so request rows are
 * written by exactly one piece of code whichever thread commits them.
 */
import type Database from 'better-sqlite3';
import type { AccountUsageDelta, PayloadBody, RequestRecord } from '../contract/records.js';
import type { PayloadFiles, PayloadRef } from '../payloads/payload-files.js';
import type { Bindable } from './connection.js';
import { INSERT_REQUEST, requestParams } from './request-columns.js';
import { prepareRollupWrite } from './rollups.js';

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

const INSERT_PAYLOAD = `INSERT INTO request_payloads
  (request_id, ts, request_headers, request_body, response_headers, response_body, request_truncated, response_truncated)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

const APPLY_USAGE = `UPDATE accounts SET
    request_count = request_count + @requests,
    session_request_count = session_request_count + @requests,
    last_used_at = max(coalesce(last_used_at, @last_used_at), @last_used_at)
  WHERE id = @id`;

/** Records of `all` not in `stored`, counted per account: the usage they must not add again. */
function skippedPerAccount(all: readonly RequestRecord[], stored: readonly RequestRecord[]): Map<string, number> {
  const kept = new Set(stored);
  const out = new Map<string, number>();
  for (const r of all) {
    if (kept.has(r) || r.accountId === null) continue;
    out.set(r.accountId, (out.get(r.accountId) ?? 0) + 1);
  }
  return out;
}

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
      let stored: RequestRecord[] | null = null;
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as RequestRecord;
        if (insertRequest.run(requestParams(r, refs?.[i] ?? null)).changes === 0) {
          // Stored already (a replay, a retry after an uncertain commit): counted once, by that write.
          stored ??= records.slice(0, i);
          continue;
        }
        stored?.push(r);
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
      writeRollups(stored ?? records);
      const skipped = stored === null ? null : skippedPerAccount(records, stored);
      for (const u of usage) {
        const requests = u.requests - (skipped?.get(u.accountId) ?? 0);
        if (requests <= 0) continue;
        applyUsage.run({ id: u.accountId, requests, last_used_at: u.lastUsedAt });
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
