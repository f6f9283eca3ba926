/**
 * The batch commit shared by the store (main thread) and the write worker, so request rows are
 * written by exactly one piece of code whichever thread commits them.
 */
import type Database from 'better-sqlite3';
import type { RequestFacts } from '../../conversations/message-hash.js';
import type { AccountError } from '../contract/accounts.js';
import type { AccountUsageDelta, PayloadBody, RequestRecord } from '../contract/records.js';
import { bodyBytes } from '../payloads/body-bytes.js';
import type { PayloadFiles, PayloadRef } from '../payloads/payload-files.js';
import { factsOfBody, LINK_COLUMNS } from '../rows/conversation-rows.js';
import { RECENT_ERRORS_KEPT, usageFromRecords } from '../writer/usage.js';
import type { Bindable } from './connection.js';
import { prepareLinker } from './conversations.js';
import { INSERT_REQUEST, insertRequestWith, requestParams } from './request-columns.js';
import { prepareRollupWrite } from './rollups.js';

function int(b: boolean): number {
  return b ? 1 : 0;
}

/** undefined from a sloppy producer becomes NULL instead of a bind error for the whole batch. */
function n(v: Bindable | undefined): Bindable {
  return v === undefined ? null : v;
}

/** The legacy payload table holds text; bytes from the proxy are UTF-8 (a deflated answer inflated). */
function text(v: PayloadBody | null | undefined): string | null {
  return v == null ? null : typeof v === 'string' ? v : bodyBytes(v).toString('utf8');
}

const INSERT_PAYLOAD = `INSERT INTO request_payloads
  (request_id, ts, request_headers, request_body, response_headers, response_body, request_truncated, response_truncated)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

const USAGE_SET = `
    request_count = request_count + @requests,
    session_request_count = session_request_count + @requests,
    last_used_at = CASE WHEN @last_used_at IS NULL THEN last_used_at
      ELSE max(coalesce(last_used_at, @last_used_at), @last_used_at) END,
    attempt_count = attempt_count + @attempts,
    failed_attempt_count = failed_attempt_count + @failed,
    recent_errors = coalesce(@recent_errors, recent_errors)`;
const APPLY_USAGE = `UPDATE accounts SET ${USAGE_SET} WHERE id = @id`;
/** An account the batch only attempted: attempt logs name accounts (a rename within the batch misses). */
const APPLY_USAGE_BY_NAME = `UPDATE accounts SET ${USAGE_SET} WHERE name = @name`;

/** The account's kept errors with the batch's appended, the newest `RECENT_ERRORS_KEPT`. */
function mergeErrors(stored: string | undefined, added: readonly AccountError[]): string {
  const all = [...(stored === undefined ? [] : (JSON.parse(stored) as AccountError[])), ...added];
  all.sort((a, b) => a.at - b.at);
  return JSON.stringify(all.slice(-RECENT_ERRORS_KEPT));
}

export type BatchWrite = (records: readonly RequestRecord[], usage: readonly AccountUsageDelta[]) => void;

/**
 * Prepares the statements once and returns the one-transaction batch commit. With `files`,
 * payloads are appended to segment files before the transaction: a failed or retried commit
 * leaves only unreferenced bytes behind, never a row pointing at nothing.
 */
export function prepareBatchWrite(db: Database.Database, files: PayloadFiles | null): BatchWrite {
  const insertRequest = db.prepare(INSERT_REQUEST);
  const insertLinked = db.prepare(insertRequestWith(LINK_COLUMNS));
  const insertPayload = db.prepare(INSERT_PAYLOAD);
  const applyUsage = db.prepare(APPLY_USAGE);
  const applyUsageByName = db.prepare(APPLY_USAGE_BY_NAME);
  const errorsById = db.prepare<[string], { recent_errors: string }>('SELECT recent_errors FROM accounts WHERE id = ?');
  const errorsByName = db.prepare<[string], { recent_errors: string }>(
    'SELECT recent_errors FROM accounts WHERE name = ?',
  );
  const writeRollups = prepareRollupWrite(db);
  const linker = prepareLinker(db);
  const tx = db.transaction(
    (
      records: readonly RequestRecord[],
      usage: readonly AccountUsageDelta[],
      refs: readonly (PayloadRef | null)[] | null,
      facts: readonly (RequestFacts | null)[],
    ) => {
      let stored: RequestRecord[] | null = null;
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as RequestRecord;
        const f = facts[i];
        // Same transaction, decided before the insert so the INSERT writes it: a row is never
        // stored without the link its turn order gives it.
        const d = f ? linker.decide(r, f) : null;
        const params = requestParams(r, refs?.[i] ?? null);
        if (d && f) params.push(...linker.linkValues(d, f, r.id));
        // Spread, not the array: better-sqlite3 binds an array through a property lookup per
        // element; 40 columns, 3.7-4.1 -> 3.0-3.3 µs a row (CPU time, in-memory table).
        if ((d ? insertLinked : insertRequest).run(...params).changes === 0) {
          // Stored already (a replay, a retry after an uncertain commit): counted once, by that write.
          stored ??= records.slice(0, i);
          continue;
        }
        stored?.push(r);
        if (d && f) linker.afterInsert(r, f, d);
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
      linker.flush();
      // Same transaction: the rollups can never disagree with the rows they summarize.
      writeRollups(stored ?? records);
      // Records stored already added their usage (requests, attempts, errors) with that write.
      for (const u of stored === null ? usage : usageFromRecords(stored)) {
        const attempts = u.attempts ?? 0;
        if (u.requests === 0 && attempts === 0) continue;
        const byId = u.accountId !== null;
        // Read only when the batch failed on the account: a healthy batch writes the counters alone.
        const errors =
          u.errors === undefined || u.errors.length === 0
            ? null
            : mergeErrors(
                (byId ? errorsById.get(u.accountId as string) : errorsByName.get(u.accountName ?? ''))?.recent_errors,
                u.errors,
              );
        const params = {
          requests: u.requests,
          last_used_at: u.lastUsedAt,
          attempts,
          failed: u.failedAttempts ?? 0,
          recent_errors: errors,
        };
        if (byId) applyUsage.run({ ...params, id: u.accountId });
        else applyUsageByName.run({ ...params, name: u.accountName });
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
    // Hashing parses each body: done before the write lock is taken.
    const facts = records.map((r) => factsOfBody(r.linkBody));
    try {
      tx.immediate(records, usage, refs, facts);
    } catch (err) {
      // Rolled back: the summaries the linker held for it must not reach the next transaction.
      linker.discard();
      throw err;
    }
  };
}
