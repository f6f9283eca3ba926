/**
 * The batch commit on PostgreSQL: request rows as multi-row `INSERT ... ON CONFLICT (id) DO
 * NOTHING`, their payloads, the rollups (`INSERT ... ON CONFLICT DO UPDATE`), conversation links
 * and account usage, all in one transaction. Idempotent on request id: a batch written again
 * (a retry after an uncertain commit, a journal replay) stores and counts each request once.
 */
import type { LinkDecision } from '../../conversations/link.js';
import type { RequestFacts } from '../../conversations/message-hash.js';
import type { AccountError } from '../contract/accounts.js';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import { factsOfBody, LINK_COLUMNS, linkInput, linkValues } from '../rows/conversation-rows.js';
import { REQUEST_COLUMN_NAMES, requestParams } from '../sqlite/request-columns.js';
import { RECENT_ERRORS_KEPT, usageFromRecords } from '../writer/usage.js';
import { inTransaction, type PgClient, type PgPool } from './connection.js';
import { addToConversations, applySubtaskLinks, decideLink, LinkPrefetch } from './conversations.js';
import { insertPayloads, isMissingPartition, PayloadPartitions } from './payloads.js';
import { type PgValue, unnestInsert } from './pg-sql.js';
import { REQUEST_COLUMN_TYPES } from './requests.js';
import { writeRollups } from './rollups.js';

/** requestParams ends with SQLite's three payload-file columns, which PostgreSQL does not have. */
const PAYLOAD_REF_PARAMS = 3;

function params(r: RequestRecord): PgValue[] {
  return requestParams(r, null).slice(0, -PAYLOAD_REF_PARAMS) as PgValue[];
}

/** Columns and types of an INSERT of request rows (with `extra` columns after the record's). */
function requestColumns(extra: readonly string[]): [string, string][] {
  return [...REQUEST_COLUMN_NAMES, ...extra].map((name) => {
    const type = REQUEST_COLUMN_TYPES.get(name);
    if (type === undefined) throw new Error(`requests.${name} has no column in the PostgreSQL schema`);
    return [name, type];
  });
}

const PLAIN_COLUMNS = requestColumns([]);
const LINKED_COLUMNS = requestColumns(LINK_COLUMNS);
/** A row whose id is stored already is left as it is: writes are repeatable. */
const ON_CONFLICT = 'ON CONFLICT (id) DO NOTHING RETURNING id';

/** Inserts `records` without links; returns the ids stored now (not those stored already). */
async function insertPlain(c: PgClient, records: readonly RequestRecord[]): Promise<Set<string>> {
  const rows = await unnestInsert<{ id: string }>(c, 'requests', PLAIN_COLUMNS, records.map(params), ON_CONFLICT);
  return new Set(rows.map((r) => r.id));
}

/** The account's kept errors with the batch's appended, the newest `RECENT_ERRORS_KEPT`. */
function mergeErrors(stored: unknown, added: readonly AccountError[]): string {
  const before = stored == null ? [] : ((typeof stored === 'string' ? JSON.parse(stored) : stored) as AccountError[]);
  const all = [...before, ...added];
  all.sort((a, b) => a.at - b.at);
  return JSON.stringify(all.slice(-RECENT_ERRORS_KEPT));
}

const USAGE_SET = `
  request_count = request_count + $1,
  session_request_count = session_request_count + $1,
  last_used_at = CASE WHEN $2::bigint IS NULL THEN last_used_at ELSE GREATEST(last_used_at, $2::bigint) END,
  attempt_count = attempt_count + $3,
  failed_attempt_count = failed_attempt_count + $4,
  recent_errors = coalesce($5, recent_errors)`;

async function applyUsage(c: PgClient, usage: readonly AccountUsageDelta[]): Promise<void> {
  // One lock order for every instance: two batches touching the same accounts wait, never deadlock.
  const sorted = [...usage].sort((a, b) => {
    const ka = a.accountId ?? `\u0000${a.accountName ?? ''}`;
    const kb = b.accountId ?? `\u0000${b.accountName ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const u of sorted) {
    const attempts = u.attempts ?? 0;
    if (u.requests === 0 && attempts === 0) continue;
    const byId = u.accountId !== null;
    const key = byId ? u.accountId : (u.accountName ?? '');
    const where = byId ? 'id = $6' : 'name = $6';
    let errors: string | null = null;
    // Read only when the batch failed on the account: a healthy batch writes the counters alone.
    if (u.errors !== undefined && u.errors.length > 0) {
      const r = await c.query<{ recent_errors: unknown }>(
        `SELECT recent_errors FROM accounts WHERE ${byId ? 'id' : 'name'} = $1 FOR UPDATE`,
        [key],
      );
      errors = mergeErrors(r.rows[0]?.recent_errors, u.errors);
    }
    await c.query(`UPDATE accounts SET ${USAGE_SET} WHERE ${where}`, [
      u.requests,
      u.lastUsedAt,
      attempts,
      u.failedAttempts ?? 0,
      errors,
      key,
    ]);
  }
}

interface Linked {
  r: RequestRecord;
  f: RequestFacts;
  d: LinkDecision;
}

/** Inserts linked records with their link columns; returns the ids stored now. */
async function insertLinked(c: PgClient, rows: readonly Linked[]): Promise<Set<string>> {
  const values = rows.map((x) => [...params(x.r), ...linkValues(x.d, x.f, x.r.id)]);
  const stored = await unnestInsert<{ id: string }>(c, 'requests', LINKED_COLUMNS, values, ON_CONFLICT);
  return new Set(stored.map((r) => r.id));
}

async function commit(
  c: PgClient,
  records: readonly RequestRecord[],
  usage: readonly AccountUsageDelta[],
  facts: readonly (RequestFacts | null)[],
): Promise<void> {
  const stored = new Set<string>();
  // Rows are held back and written together (multi-row INSERTs) until a link decision has to ask
  // the database something: then what is held is written first, so each request is linked
  // against every row before it in the batch, as on SQLite. What the held rows change of the
  // prefetched answers is dropped from the prefetch (LinkPrefetch.wrote).
  let plain: RequestRecord[] = [];
  let linked: Linked[] = [];
  const flush = async () => {
    if (plain.length > 0) {
      for (const id of await insertPlain(c, plain)) stored.add(id);
      plain = [];
    }
    if (linked.length === 0) return;
    const batch = linked;
    linked = [];
    const now = await insertLinked(c, batch);
    // A request stored already (a replay, a retry after an uncertain commit) was counted by that write.
    const added = batch.filter((x) => now.delete(x.r.id));
    for (const x of added) stored.add(x.r.id);
    await addToConversations(
      c,
      added.map((x) => ({ row: x.r, facts: x.f, d: x.d })),
    );
  };
  const parentHashes: string[] = [];
  for (const f of facts) if (f?.parentMessageHash) parentHashes.push(f.parentMessageHash);
  const prefetch = await LinkPrefetch.load(c, parentHashes);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RequestRecord;
    const f = facts[i];
    if (!f) {
      plain.push(r);
      continue;
    }
    // Decided before the insert so the INSERT writes it: a row is never stored without its link.
    const d = await decideLink(c, linkInput(r, f), prefetch, flush);
    linked.push({ r, f, d });
    prefetch.wrote(r, f, d);
    if (d.subtasks.length > 0) {
      // Moves rows between conversations: the rows it moves must be written first.
      await flush();
      if (stored.has(r.id)) await applySubtaskLinks(c, d, r.ts);
    }
  }
  await flush();
  const all = stored.size === records.length;
  const kept = all ? records : records.filter((r) => stored.has(r.id));
  await insertPayloads(c, kept);
  // Same transaction: the rollups can never disagree with the rows they summarize.
  await writeRollups(c, kept);
  // Records stored already added their usage (requests, attempts, errors) with that write.
  await applyUsage(c, all ? usage : usageFromRecords(kept));
}

export type PgBatchWrite = (records: readonly RequestRecord[], usage: readonly AccountUsageDelta[]) => Promise<void>;

export function makeBatchWrite(pool: PgPool): PgBatchWrite {
  const partitions = new PayloadPartitions(pool);
  return async (records, usage) => {
    // Hashing parses each body: done before the transaction holds any lock.
    const facts = records.map((r) => factsOfBody(r.linkBody));
    const withPayload = records.filter((r) => r.payload).map((r) => r.ts);
    await partitions.ensure(withPayload);
    try {
      await inTransaction(pool, (c) => commit(c, records, usage, facts));
    } catch (err) {
      if (!isMissingPartition(err)) throw err;
      // Another instance's retention dropped a day this batch writes to (a late journal replay).
      partitions.forget();
      await partitions.ensure(withPayload);
      await inTransaction(pool, (c) => commit(c, records, usage, facts));
    }
  };
}
