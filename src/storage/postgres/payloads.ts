/**
 * Payloads in PostgreSQL: one table partitioned by day of the request's ts, so retention drops
 * whole partitions instead of deleting rows (no dead tuples, no vacuum behind it). A day's
 * partition is created by the first write that needs it.
 */
import { DAY_MS } from '../analytics/rollup.js';
import type { PayloadBody, PayloadRecord, RequestRecord } from '../contract/records.js';
import { bodyBytes, plainBody } from '../payloads/body-bytes.js';
import type { Migration } from '../sqlite/migration.js';
import { inTransaction, type PgClient, type PgPool } from './connection.js';
import { copyInsert, MultiWrite, type Queryable } from './pg-sql.js';

/**
 * Bodies are bytes (bytea): they are stored as they crossed the wire, and a NUL or a split
 * UTF-8 sequence in a body cannot make PostgreSQL refuse the whole batch as text would.
 */
export const PAYLOADS_DDL: readonly string[] = [
  `CREATE TABLE request_payloads (
    request_id TEXT NOT NULL,
    ts BIGINT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body BYTEA,
    response_headers TEXT,
    response_body BYTEA,
    request_truncated SMALLINT NOT NULL DEFAULT 0,
    response_truncated SMALLINT NOT NULL DEFAULT 0,
    PRIMARY KEY (request_id, ts)
  ) PARTITION BY RANGE (ts);`,
];

/**
 * PostgreSQL schema 5: the payload columns compressed with LZ4 instead of pglz where the server
 * has it (PostgreSQL 14 and later built with lz4, as Debian's packages and the official images
 * are; elsewhere they stay pglz, with a notice). A payload row over ~2 KB (a streamed answer) is
 * compressed on insert: bench a-stream on PostgreSQL, the server's CPU per request 0.062 ms with
 * pglz, 0.043 with LZ4. Only rows written from then on: stored rows stay as they are, readable.
 * A day's partition made later takes its parent's compression.
 */
export const PG_PAYLOAD_LZ4_MIGRATION: Migration = {
  version: 5,
  name: 'payload columns compressed with LZ4',
  up: `DO $$
DECLARE t regclass;
BEGIN
  IF current_setting('server_version_num')::int < 140000 THEN
    RAISE NOTICE 'PostgreSQL before 14 compresses with pglz only: payloads stay so';
    RETURN;
  END IF;
  -- SET COMPRESSION on the parent does not reach its partitions: each is altered too.
  FOR t IN SELECT 'request_payloads'::regclass UNION ALL SELECT inhrelid::regclass FROM pg_inherits
      WHERE inhparent = 'request_payloads'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN request_headers SET COMPRESSION lz4,
      ALTER COLUMN request_body SET COMPRESSION lz4, ALTER COLUMN response_headers SET COMPRESSION lz4,
      ALTER COLUMN response_body SET COMPRESSION lz4', t);
  END LOOP;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'this PostgreSQL is built without lz4: payloads stay compressed with pglz';
END $$;`,
};

const PARTITION_PREFIX = 'request_payloads_d';
/** Key of the advisory lock taken while creating a day's partition (with the day as second key). */
const PARTITION_LOCK = 0x6363_7064; // 'ccpd'

/** Day number since the epoch (UTC) of a Unix ms. */
export function dayOf(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/** The partition holding day `day`: request_payloads_d20250115. */
export function partitionName(day: number): string {
  const d = new Date(day * DAY_MS);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${PARTITION_PREFIX}${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
}

/** The day a partition name stands for, or null for a table that is not one. */
export function dayOfPartition(name: string): number | null {
  const m = /^request_payloads_d(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/** The payload partitions of the store's schema, oldest first. */
export async function listPartitions(q: Queryable): Promise<{ name: string; day: number }[]> {
  const { rows } = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = 'request_payloads' AND p.relnamespace = to_regnamespace(current_schema())::oid`,
  );
  const out: { name: string; day: number }[] = [];
  for (const r of rows) {
    const day = dayOfPartition(r.name);
    if (day !== null) out.push({ name: r.name, day });
  }
  return out.sort((a, b) => a.day - b.day);
}

/** Day tables of this schema no longer attached to request_payloads (a retention run cut short). */
export async function detachedPartitions(q: Queryable): Promise<{ name: string; day: number }[]> {
  const { rows } = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
     WHERE c.relnamespace = to_regnamespace(current_schema())::oid AND c.relkind = 'r' AND NOT c.relispartition
       AND c.relname LIKE 'request\\_payloads\\_d%'`,
  );
  const out: { name: string; day: number }[] = [];
  for (const r of rows) {
    const day = dayOfPartition(r.name);
    if (day !== null) out.push({ name: r.name, day });
  }
  return out;
}

/** Whether `err` is PostgreSQL's refusal of a row no partition takes (one dropped meanwhile). */
export function isMissingPartition(err: unknown): boolean {
  return (err as { code?: string }).code === '23514' && /no partition/i.test((err as Error).message);
}

/**
 * Creates the partitions the days of `ts` need, remembering those that exist. Each under an
 * advisory lock with the day, so instances starting a new day at once create it once.
 */
export class PayloadPartitions {
  private readonly known = new Set<number>();

  constructor(private readonly pool: PgPool) {}

  async ensure(ts: Iterable<number>): Promise<void> {
    const days = new Set<number>();
    for (const t of ts) {
      const d = dayOf(t);
      if (!this.known.has(d)) days.add(d);
    }
    for (const day of [...days].sort((a, b) => a - b)) {
      await inTransaction(this.pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1, $2)', [PARTITION_LOCK, day]);
        await c.query(
          `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF request_payloads
             FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`,
        );
      });
      this.known.add(day);
    }
  }

  /** Another instance's retention may have dropped one: look again on the next write. */
  forget(): void {
    this.known.clear();
  }
}

/** PostgreSQL stores the bytes (its TOAST compresses them): a deflated answer is inflated here, in the writer. */
function bytes(v: PayloadBody | null | undefined): Buffer | null {
  return v == null ? null : bodyBytes(v);
}

/**
 * Adds the insert of the payloads of `records` (those that have one) to the batch's write `w`,
 * leaving a payload stored already as it is (a replay: copyPayloads writes those known new).
 * The bodies travel as one binary parameter, each cut out of it by offset and length: bytea in
 * an array parameter goes as hex text, escaped, that the server parses back. Measured for 25
 * a-stream payloads a batch: ~60 µs of server CPU per row instead of ~90-140.
 */
export function addPayloadWrites(w: MultiWrite, records: readonly RequestRecord[]): void {
  const ids: string[] = [];
  const ts: number[] = [];
  const reqTruncated: number[] = [];
  const resTruncated: number[] = [];
  // Offsets and lengths in the blob of request headers, request body, response headers and
  // response body. The headers go in the blob too: as text array elements, their JSON's every
  // quote had to be escaped for the array literal and parsed back by PostgreSQL.
  const at: (number | null)[][] = [[], [], [], [], [], [], [], []];
  const parts: Buffer[] = [];
  // substring() counts from 1.
  let offset = 1;
  const place = (body: Buffer | null, k: number) => {
    (at[k] as (number | null)[]).push(body === null ? null : offset);
    (at[k + 1] as (number | null)[]).push(body === null ? null : body.length);
    if (body === null) return;
    parts.push(body);
    offset += body.length;
  };
  for (const r of records) {
    const p = r.payload;
    if (!p) continue;
    ids.push(r.id);
    ts.push(r.ts);
    reqTruncated.push(p.requestTruncated ? 1 : 0);
    resTruncated.push(p.responseTruncated ? 1 : 0);
    place(Buffer.from(p.requestHeaders, 'utf8'), 0);
    place(bytes(p.requestBody), 2);
    place(p.responseHeaders == null ? null : Buffer.from(p.responseHeaders, 'utf8'), 4);
    place(bytes(p.responseBody), 6);
  }
  if (ids.length === 0) return;
  w.add(
    [ids, ts, reqTruncated, resTruncated, ...at, Buffer.concat(parts)],
    ([id, t, qt, st, qho, qhl, qo, ql, sho, shl, so, sl, blob]) => `INSERT INTO request_payloads (request_id, ts,
        request_headers, request_body, response_headers, response_body, request_truncated, response_truncated)
      SELECT u.id, u.ts, convert_from(substring(${blob}::bytea FROM u.qho FOR u.qhl), 'UTF8'),
        substring(${blob}::bytea FROM u.qo FOR u.ql), convert_from(substring(${blob}::bytea FROM u.sho FOR u.shl), 'UTF8'),
        substring(${blob}::bytea FROM u.so FOR u.sl), u.qt, u.st
      FROM unnest(${id}::text[], ${t}::bigint[], ${qt}::smallint[], ${st}::smallint[], ${qho}::int[], ${qhl}::int[],
        ${qo}::int[], ${ql}::int[], ${sho}::int[], ${shl}::int[], ${so}::int[], ${sl}::int[])
        AS u(id, ts, qt, st, qho, qhl, qo, ql, sho, shl, so, sl)
      ${w.clause('WHERE')} ON CONFLICT DO NOTHING`,
  );
}

const PAYLOAD_COLUMNS = [
  ['request_id', 'text'],
  ['ts', 'bigint'],
  ['request_headers', 'text'],
  ['request_body', 'bytea'],
  ['response_headers', 'text'],
  ['response_body', 'bytea'],
  ['request_truncated', 'smallint'],
  ['response_truncated', 'smallint'],
] as const;

/**
 * Inserts the payloads of `records` (those that have one), none of them stored already, with a
 * binary COPY: the bodies go as the bytes they are, and the client builds no offset arrays.
 * Against addPayloadWrites as a plain INSERT, 20,000 a-stream payloads in 100-row batches
 * (alternated): the client's CPU 22.5 -> 8.5 µs per payload, PostgreSQL's 17.5-18 -> 15.5.
 */
export async function copyPayloads(c: PgClient, records: readonly RequestRecord[]): Promise<void> {
  const rows: unknown[][] = [];
  for (const r of records) {
    const p = r.payload;
    if (!p) continue;
    rows.push([
      r.id,
      r.ts,
      p.requestHeaders,
      p.requestBody,
      p.responseHeaders,
      plainBody(p.responseBody),
      p.requestTruncated ? 1 : 0,
      p.responseTruncated ? 1 : 0,
    ]);
  }
  await copyInsert(c, 'request_payloads', PAYLOAD_COLUMNS, rows, 'binary');
}

/** Inserts the payloads of `records` (those that have one). */
export async function insertPayloads(q: Queryable, records: readonly RequestRecord[]): Promise<void> {
  const w = new MultiWrite();
  addPayloadWrites(w, records);
  await w.run(q);
}

/** Payload columns of a read joined as `p`, prefixed so they do not clash with the request's. */
export const PAYLOAD_SELECT = `p.request_id AS p_request_id, p.request_headers AS p_request_headers,
  p.request_body AS p_request_body, p.response_headers AS p_response_headers, p.response_body AS p_response_body,
  p.request_truncated AS p_request_truncated, p.response_truncated AS p_response_truncated`;

/** The join of a request `r` to its payload: on ts too, so only that day's partition is read. */
export const PAYLOAD_JOIN = 'LEFT JOIN request_payloads p ON p.request_id = r.id AND p.ts = r.ts';

export function payloadOf(r: Record<string, unknown>): PayloadRecord | null {
  if (r.p_request_id == null) return null;
  const text = (v: unknown) => (v == null ? null : (v as Buffer).toString('utf8'));
  return {
    requestHeaders: (r.p_request_headers as string | null) ?? '{}',
    requestBody: text(r.p_request_body),
    responseHeaders: (r.p_response_headers as string | null) ?? null,
    responseBody: text(r.p_response_body),
    requestTruncated: r.p_request_truncated === 1,
    responseTruncated: r.p_response_truncated === 1,
  };
}
