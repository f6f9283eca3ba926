/**
 * The batch commit on PostgreSQL: request rows (COPY, or after a unique violation multi-row
 * `INSERT ... ON CONFLICT (id) DO NOTHING`), their payloads, the rollups (`INSERT ... ON
 * CONFLICT DO UPDATE`), conversation links and account usage, all in one transaction.
 * Idempotent on request id: a batch written again (a retry after an uncertain commit, a journal
 * replay) stores and counts each request once.
 */
import type { RequestFacts } from '../../conversations/message-hash.js';
import type { AccountError } from '../contract/accounts.js';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import { factsOfBody, LINK_COLUMNS, linkInput, linkValues } from '../rows/conversation-rows.js';
import { REQUEST_COLUMN_NAMES, requestParams } from '../sqlite/request-columns.js';
import { RECENT_ERRORS_KEPT, usageFromRecords } from '../writer/usage.js';
import { inTransaction, type PgClient, type PgPool } from './connection.js';
import {
  addConversationWrites,
  addToConversations,
  applySubtaskLinks,
  copyNewConversations,
  decideLink,
  type LinkedRows,
  LinkPrefetch,
} from './conversations.js';
import { addPayloadWrites, copyPayloads, isMissingPartition, PayloadPartitions } from './payloads.js';
import { isUniqueViolation } from './pg-errors.js';
import { copyInsert, MultiWrite, type PgValue, unnestInsert } from './pg-sql.js';
import { REQUEST_COLUMN_TYPES } from './requests.js';
import { addRollupWrites } from './rollups.js';

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

const LINKED_COLUMNS = requestColumns(LINK_COLUMNS);
/**
 * A row whose id is stored already is left as it is: writes are repeatable. `ON CONFLICT` is a
 * speculative insertion (a unique-index probe and a confirm record in the WAL per row), paid on
 * every batch for the rare replay; a batch is first written with COPY (pg-sql.ts copyInsert says
 * what that saves), which refuses a row stored already, and again with `ON CONFLICT` only then
 * (makeBatchWrite).
 */
const ON_CONFLICT = 'ON CONFLICT (id) DO NOTHING RETURNING id';
/** The link columns of a request that is not a conversation turn: as the columns' defaults. */
const NO_LINK: readonly PgValue[] = LINK_COLUMNS.map((c) => (c === 'link_flags' ? 0 : null));

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

/** One lock order for every instance: two batches touching the same accounts wait, never deadlock. */
function byAccountKey(usage: readonly AccountUsageDelta[]): AccountUsageDelta[] {
  return [...usage].sort((a, b) => {
    const ka = a.accountId ?? `\u0000${a.accountName ?? ''}`;
    const kb = b.accountId ?? `\u0000${b.accountName ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** A batch that failed on an account: its kept errors are read, merged and written with the counters. */
async function applyUsageWithErrors(c: PgClient, usage: readonly AccountUsageDelta[]): Promise<void> {
  for (const u of byAccountKey(usage)) {
    const attempts = u.attempts ?? 0;
    if (u.requests === 0 && attempts === 0) continue;
    const byId = u.accountId !== null;
    const key = byId ? u.accountId : (u.accountName ?? '');
    const where = byId ? 'id = $6' : 'name = $6';
    let errors: string | null = null;
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

/**
 * The counters of a healthy batch (no failed attempt: the kept errors stay as they are), as one
 * part of the batch's write. Deltas are matched to accounts by id, or by name for an account that
 * only had attempts, and summed per account: an account renamed while the batch gathered gets
 * both of its deltas.
 */
function addUsageWrites(w: MultiWrite, usage: readonly AccountUsageDelta[]): void {
  const rows = byAccountKey(usage).filter((u) => u.requests !== 0 || (u.attempts ?? 0) !== 0);
  if (rows.length === 0) return;
  const arrays = [
    rows.map((u) => u.accountId),
    rows.map((u) => (u.accountId === null ? (u.accountName ?? '') : null)),
    rows.map((u) => u.requests),
    rows.map((u) => u.lastUsedAt),
    rows.map((u) => u.attempts ?? 0),
    rows.map((u) => u.failedAttempts ?? 0),
  ];
  w.add(
    arrays,
    ([id, name, requests, last, attempts, failed]) => `UPDATE accounts a SET
      request_count = a.request_count + s.requests,
      session_request_count = a.session_request_count + s.requests,
      last_used_at = CASE WHEN s.last_used IS NULL THEN a.last_used_at ELSE GREATEST(a.last_used_at, s.last_used) END,
      attempt_count = a.attempt_count + s.attempts,
      failed_attempt_count = a.failed_attempt_count + s.failed
    FROM (SELECT x.id, sum(u.requests)::bigint AS requests, max(u.last_used) AS last_used,
        sum(u.attempts)::bigint AS attempts, sum(u.failed)::bigint AS failed
      FROM unnest(${id}::text[], ${name}::text[], ${requests}::bigint[], ${last}::bigint[], ${attempts}::bigint[],
        ${failed}::bigint[]) AS u(id, name, requests, last_used, attempts, failed)
      JOIN accounts x ON x.id = u.id OR (u.id IS NULL AND x.name = u.name)
      GROUP BY x.id) s
    WHERE a.id = s.id${w.clause('AND')}`,
  );
}

/** A row held back for the next insert: with its link, or none for a request that is not a turn. */
interface Held {
  r: RequestRecord;
  link: LinkedRows[number] | null;
}

/** The held rows that are conversation turns, as their conversations' summaries take them. */
function linkedOf(rows: readonly Held[]): LinkedRows {
  return rows.flatMap((h) => (h.link === null ? [] : [h.link]));
}

function heldValues(held: readonly Held[]): PgValue[][] {
  return held.map(({ r, link }) => [...params(r), ...(link === null ? NO_LINK : linkValues(link.d, link.facts, r.id))]);
}

/** Whether a write may find some of its rows stored already (a replay), or knows none is. */
type StoredAlready = 'may be' | 'none';

/** The rollups, account counters and (unless written with COPY) payloads of the stored records `kept`, as parts of `w`. */
function addRecordWrites(
  w: MultiWrite,
  kept: readonly RequestRecord[],
  usage: readonly AccountUsageDelta[],
  payloads: boolean,
): boolean {
  const failed = usage.some((u) => u.errors !== undefined && u.errors.length > 0);
  if (payloads) addPayloadWrites(w, kept);
  addRollupWrites(w, kept);
  if (!failed) addUsageWrites(w, usage);
  return failed;
}

async function commit(
  c: PgClient,
  records: readonly RequestRecord[],
  usage: readonly AccountUsageDelta[],
  facts: readonly (RequestFacts | null)[],
  storedAlready: StoredAlready,
): Promise<void> {
  const stored = new Set<string>();
  // Rows are held back and written together (one COPY or INSERT) until a link decision has to
  // ask the database something: then what is held is written first, so each request is linked
  // against every row before it in the batch, as on SQLite. What the held rows change of the
  // prefetched answers is dropped from the prefetch (LinkPrefetch.wrote).
  let held: Held[] = [];
  /** Counts the rows `now` stored (not those stored already) and adds the turns to their conversations. */
  const noteStored = async (rows: readonly Held[], now: ReadonlySet<string>) => {
    const added: Held[] = [];
    for (const h of rows) {
      if (!now.has(h.r.id)) continue;
      stored.add(h.r.id);
      added.push(h);
    }
    // A request stored already (a replay, a retry after an uncertain commit) was counted by that write.
    const linked = linkedOf(added);
    await addToConversations(c, storedAlready === 'none' ? await copyNewConversations(c, linked) : linked);
  };
  const flush = async () => {
    if (held.length === 0) return;
    const rows = held;
    held = [];
    let now: Set<string>;
    if (storedAlready === 'none') {
      await copyInsert(c, 'requests', LINKED_COLUMNS, heldValues(rows));
      now = new Set(rows.map((h) => h.r.id));
    } else {
      const inserted = await unnestInsert<{ id: string }>(c, 'requests', LINKED_COLUMNS, heldValues(rows), ON_CONFLICT);
      now = new Set(inserted.map((x) => x.id));
    }
    await noteStored(rows, now);
  };
  const parentHashes: string[] = [];
  for (const f of facts) if (f?.parentMessageHash) parentHashes.push(f.parentMessageHash);
  const prefetch = await LinkPrefetch.load(c, parentHashes);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RequestRecord;
    const f = facts[i];
    if (!f) {
      held.push({ r, link: null });
      continue;
    }
    // Decided before the insert so the INSERT writes it: a row is never stored without its link.
    const d = await decideLink(c, linkInput(r, f), prefetch, flush);
    held.push({ r, link: { row: r, facts: f, d } });
    prefetch.wrote(r, f, d);
    if (d.subtasks.length > 0) {
      // Moves rows between conversations: the rows it moves must be written first.
      await flush();
      if (stored.has(r.id)) await applySubtaskLinks(c, d, r.ts);
    }
  }
  if (storedAlready === 'none') {
    // Every row was new, or COPY failed on the first one stored already and aborted the transaction.
    await copyInsert(c, 'requests', LINKED_COLUMNS, heldValues(held));
    await copyPayloads(c, records);
    const w = new MultiWrite();
    addConversationWrites(w, await copyNewConversations(c, linkedOf(held)));
    const failed = addRecordWrites(w, records, usage, false);
    await w.run(c);
    if (failed) await applyUsageWithErrors(c, usage);
    return;
  }
  // The rows still held and everything else the batch writes (payloads, the rollups: same
  // transaction, so they never disagree with the rows they summarize; the accounts' counters) in
  // one statement, the rest only if every held row is new. A row stored already (a replay, a
  // retry after an uncertain commit) added its share with that write: then the rest is written
  // again for what was new.
  const last = held;
  const lastIds = new Set(last.map((h) => h.r.id));
  const kept = records.filter((r) => stored.has(r.id) || lastIds.has(r.id));
  const all = kept.length === records.length;
  const keptUsage = all ? usage : usageFromRecords(kept);
  const w = new MultiWrite();
  const insert = w.nextName;
  w.addUnnestInsert('requests', LINKED_COLUMNS, heldValues(last), ON_CONFLICT);
  let select: string | undefined;
  if (last.length > 0) {
    const expected = w.param(last.length);
    w.when = `(SELECT count(*) FROM ${insert}) = ${expected}`;
    // The held turns' conversations under the same condition, and the ids only when it failed:
    // reading back every id of a batch that was all new cost the writer thread a row each.
    addConversationWrites(w, linkedOf(last));
    select = `SELECT count(*)::int AS n, CASE WHEN count(*) <> ${expected} THEN array_agg(id) END AS ids FROM ${insert}`;
  }
  let failed = addRecordWrites(w, kept, keptUsage, true);
  const answer = (await w.run<{ n: number; ids: string[] | null }>(c, select))[0];
  const allNew = last.length === 0 || answer?.n === last.length;
  if (allNew) for (const h of last) stored.add(h.r.id);
  const now = allNew ? lastIds : new Set(answer?.ids ?? []);
  if (!allNew) await noteStored(last, now);
  if (now.size !== last.length) {
    const after = records.filter((r) => stored.has(r.id));
    const again = new MultiWrite();
    const afterUsage = usageFromRecords(after);
    failed = addRecordWrites(again, after, afterUsage, true);
    await again.run(c);
    if (failed) await applyUsageWithErrors(c, afterUsage);
    return;
  }
  if (failed) await applyUsageWithErrors(c, keptUsage);
}

export type PgBatchWrite = (records: readonly RequestRecord[], usage: readonly AccountUsageDelta[]) => Promise<void>;

export function makeBatchWrite(pool: PgPool): PgBatchWrite {
  const partitions = new PayloadPartitions(pool);
  return async (records, usage) => {
    // Hashing parses each body: done before the transaction holds any lock.
    const facts = records.map((r) => factsOfBody(r.linkBody));
    const withPayload = records.filter((r) => r.payload).map((r) => r.ts);
    await partitions.ensure(withPayload);
    const write = async () => {
      try {
        await inTransaction(pool, (c) => commit(c, records, usage, facts, 'none'));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // A replay, or a retry after a commit whose answer was lost: rows that are stored stay.
        await inTransaction(pool, (c) => commit(c, records, usage, facts, 'may be'));
      }
    };
    try {
      await write();
    } catch (err) {
      if (!isMissingPartition(err)) throw err;
      // Another instance's retention dropped a day this batch writes to (a late journal replay).
      partitions.forget();
      await partitions.ensure(withPayload);
      await write();
    }
  };
}
