/**
 * The columns of a `requests` row and the record field each one holds: the one list the INSERT,
 * every SELECT list and the row mapping are built from. A new request field is a migration, a
 * line here, the field in contract/records.ts (which then fails to compile until it is here),
 * the write protocol and the API schema.
 */
import { type AttemptCounts, attemptCounts } from '../../shared/attempts.js';
import type { AttemptRecord, StoredRequest } from '../contract/records.js';
import type { PayloadRef } from '../payloads/payload-files.js';
import type { Bindable } from './connection.js';

type ColumnField = Exclude<keyof StoredRequest, 'payload'>;

/** How a field is stored: as it is (NULL for null or undefined), a boolean as 0/1, or as JSON text. */
type Encoding = 'value' | 'bool' | 'json';

interface RequestColumn {
  field: ColumnField;
  column: string;
  encoding: Encoding;
}

/**
 * Field -> column and encoding, in INSERT order. Typed by the record: a field added to it without
 * a column here, or a column for a field it does not have, does not compile.
 */
const COLUMN_OF: { readonly [F in ColumnField]: readonly [column: string, encoding: Encoding] } = {
  id: ['id', 'value'],
  ts: ['ts', 'value'],
  method: ['method', 'value'],
  path: ['path', 'value'],
  accountId: ['account_id', 'value'],
  accountName: ['account_name', 'value'],
  status: ['status', 'value'],
  success: ['success', 'bool'],
  error: ['error', 'value'],
  latencyMs: ['latency_ms', 'value'],
  ttftMs: ['ttft_ms', 'value'],
  attempts: ['attempts', 'value'],
  attemptLog: ['attempt_log', 'json'],
  modelRequested: ['model_requested', 'value'],
  modelApplied: ['model_applied', 'value'],
  agent: ['agent', 'value'],
  sessionId: ['session_id', 'value'],
  clientKey: ['client_key', 'value'],
  stream: ['stream', 'bool'],
  stopReason: ['stop_reason', 'value'],
  inputTokens: ['input_tokens', 'value'],
  cacheReadTokens: ['cache_read_tokens', 'value'],
  cacheWrite5mTokens: ['cache_write_5m_tokens', 'value'],
  cacheWrite1hTokens: ['cache_write_1h_tokens', 'value'],
  outputTokens: ['output_tokens', 'value'],
  costUsd: ['cost_usd', 'value'],
  outputTokensPerSecond: ['output_tokens_per_second', 'value'],
  modelFallback: ['model_fallback', 'bool'],
  agentInstance: ['agent_instance', 'value'],
  routeReason: ['route_reason', 'value'],
};

const REQUEST_COLUMNS: readonly RequestColumn[] = (Object.keys(COLUMN_OF) as ColumnField[]).map((field) => {
  const [column, encoding] = COLUMN_OF[field];
  return { field, column, encoding };
});

/** The record's columns in INSERT order: the order `requestParams` gives their values in. */
export const REQUEST_COLUMN_NAMES: readonly string[] = REQUEST_COLUMNS.map((c) => c.column);

/** A summary is the row without its attempt log (read only to count retries and failovers). */
const SUMMARY_COLUMNS: readonly RequestColumn[] = REQUEST_COLUMNS.filter((c) => c.field !== 'attemptLog');

/** A full record reads the summary's columns first, so its fields come out in the order they always had. */
const RECORD_COLUMNS: readonly RequestColumn[] = [
  ...SUMMARY_COLUMNS,
  ...REQUEST_COLUMNS.filter((c) => !SUMMARY_COLUMNS.includes(c)),
];

/** Where the payload of a row is (payloads/payload-files.ts): column and PayloadRef field, after the record's columns. */
const PAYLOAD_REF_COLUMNS = [
  ['payload_file', 'file'],
  ['payload_offset', 'offset'],
  ['payload_length', 'length'],
] as const;

function selectList(columns: readonly RequestColumn[]): string {
  return columns.map((c) => `r.${c.column}`).join(', ');
}

/** SELECT list (table alias `r`) of a full record and of a summary. */
export const RECORD_SELECT = selectList(RECORD_COLUMNS);
export const SUMMARY_SELECT = `${selectList(SUMMARY_COLUMNS)}, r.attempt_log`;

const INSERT_COLUMNS = [...REQUEST_COLUMNS.map((c) => c.column), ...PAYLOAD_REF_COLUMNS.map(([column]) => column)];

/**
 * A row whose id is stored already is left as it is (`changes` 0): writes are repeatable
 * (contract/requests.ts writeBatch). Only the id conflict: OR IGNORE would also swallow NOT NULL
 * and CHECK failures, i.e. records that are wrong.
 */
export const INSERT_REQUEST = insertRequestWith([]);

/** The INSERT with `extra` columns bound after the record's and payload reference's (the link columns). */
export function insertRequestWith(extra: readonly string[]): string {
  const columns = [...INSERT_COLUMNS, ...extra];
  return `INSERT INTO requests (${columns.join(', ')})
  VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT(id) DO NOTHING`;
}

function encodeExpr(c: RequestColumn): string {
  const v = `r.${c.field}`;
  if (c.encoding === 'bool') return `(${v} ? 1 : 0)`;
  if (c.encoding === 'json') return `JSON.stringify(${v} ?? [])`;
  // undefined from a sloppy producer becomes NULL instead of a bind error for the whole batch.
  return `(${v} === undefined ? null : ${v})`;
}

/**
 * The INSERT's positional values of a record (positional binding is cheaper than named), built
 * by a function generated once from the table: it is the hand-written array literal it replaced.
 * Measured per record (node 20, the benchmark's records): generated 280 ns, hand-written 275 ns,
 * a loop over the table with keyed loads 640 ns.
 */
export const requestParams = new Function(
  'r',
  'ref',
  `return [${[
    ...REQUEST_COLUMNS.map(encodeExpr),
    ...PAYLOAD_REF_COLUMNS.map(([, field]) => `ref ? ref.${field} : null`),
  ].join(', ')}];`,
) as (r: Omit<StoredRequest, 'payload'>, ref: PayloadRef | null) => Bindable[];

function decode(c: RequestColumn, v: unknown): unknown {
  if (c.encoding === 'bool') return v !== 0;
  if (c.encoding === 'json') return JSON.parse(v as string);
  return v;
}

function fieldsOf(columns: readonly RequestColumn[], row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c.field] = decode(c, row[c.column]);
  return out;
}

/** The record fields of a row read with RECORD_SELECT. */
export function recordFields(row: Record<string, unknown>): Omit<StoredRequest, 'payload'> {
  return fieldsOf(RECORD_COLUMNS, row) as unknown as Omit<StoredRequest, 'payload'>;
}

/** The record fields of a row read with SUMMARY_SELECT, and what its attempt log says in place of the log. */
export function summaryFields(
  row: Record<string, unknown>,
): Omit<StoredRequest, 'payload' | 'attemptLog'> & AttemptCounts {
  const fields = fieldsOf(SUMMARY_COLUMNS, row) as unknown as Omit<StoredRequest, 'payload' | 'attemptLog'>;
  return { ...fields, ...attemptCounts(JSON.parse(row.attempt_log as string) as AttemptRecord[]) };
}
