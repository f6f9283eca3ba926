/**
 * Conversation links on PostgreSQL (contract/conversations.ts), as sqlite/conversations.ts: the
 * linker's lookups, the writes of a link (request columns, the `conversations` summary kept
 * incrementally, sub-task rows), the API's reads and the rebuild. The batch commit links each
 * row it inserts, in the same transaction (record-batch.ts). The decision itself is the pure
 * `linkRequest` (src/conversations/link.ts), so both back-ends link alike.
 */
import {
  type LinkDecision,
  type LinkedRequest,
  type LinkInput,
  type LinkLookup,
  linkRequest,
  MAIN_BRANCH,
} from '../../conversations/link.js';
import { type RequestFacts, requestFactsOf } from '../../conversations/message-hash.js';
import type {
  ConversationAnalysisRow,
  ConversationDetail,
  ConversationPage,
  ConversationQuery,
  ConversationSummary,
  ConversationsStore,
  RebuildProgress,
} from '../contract/conversations.js';
import {
  type AnalysisRow,
  addConversationShare,
  analysisOf,
  type ConversationShare,
  conversationValues,
  DROP_EMPTY_CONVERSATIONS,
  LINK_COLUMNS,
  LIST_MAX,
  type LinkRow,
  LOOKUP_COLUMNS,
  type LookupRow,
  likePattern,
  linked,
  linkInput,
  linkValues,
  nextCursor,
  REBUILD_KEY,
  REQUEST_ROW_COLUMNS,
  RESET_CONVERSATIONS,
  requestRowOf,
  type StoredLink,
  SUBTASK_ROW_COLUMNS,
  SUMMARY_SELECT,
  type SummaryRow,
  storedFacts,
  subtaskRowOf,
  summaryOf,
} from '../rows/conversation-rows.js';
import type { Migration } from '../sqlite/migration.js';
import { inTransaction, type PgClient, type PgPool } from './connection.js';
import { copyInsert, MultiWrite, type PgValue, type Queryable } from './pg-sql.js';

export const CONVERSATIONS_DDL: readonly string[] = [
  'CREATE INDEX requests_message_hash ON requests (message_hash) WHERE message_hash IS NOT NULL;',
  'CREATE INDEX requests_parent_hash ON requests (parent_message_hash) WHERE parent_message_hash IS NOT NULL;',
  'CREATE INDEX requests_prompt_hash ON requests (prompt_hash, ts) WHERE prompt_hash IS NOT NULL;',
  'CREATE INDEX requests_conversation ON requests (conversation_id, ts, id) WHERE conversation_id IS NOT NULL;',
  'CREATE INDEX requests_agent_instance ON requests (agent_instance, ts) WHERE agent_instance IS NOT NULL;',
  // One row per conversation, kept with the links: the paged list never scans request rows.
  `CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
    model TEXT,
    first_user_text TEXT NOT NULL DEFAULT ''
  );`,
  'CREATE INDEX conversations_last ON conversations (last_at, id);',
  `CREATE TABLE conversation_subtasks (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    branch TEXT NOT NULL,
    parent_request_id TEXT,
    agent_instance TEXT,
    prompt TEXT,
    created_at BIGINT NOT NULL
  );`,
  'CREATE INDEX conversation_subtasks_conversation ON conversation_subtasks (conversation_id);',
  `CREATE TABLE conversation_analyses (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    text TEXT,
    error TEXT,
    request_id TEXT,
    created_at BIGINT NOT NULL
  );`,
  'CREATE INDEX conversation_analyses_conversation ON conversation_analyses (conversation_id, created_at);',
  // Positions of resumable record jobs (the conversation rebuild); core settings live elsewhere.
  'CREATE TABLE records_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);',
];

/**
 * The parent lookup (newest 20 requests with a message hash) reads 20 index entries however many
 * requests share the hash, instead of all of them and a sort (SQLite's migration 23 says why).
 */
export const PG_MESSAGE_HASH_TS_MIGRATION: Migration = {
  version: 4,
  name: 'message-hash index ordered by time',
  up: `DROP INDEX IF EXISTS requests_message_hash;
    CREATE INDEX requests_message_hash ON requests (message_hash, ts, id) WHERE message_hash IS NOT NULL;`,
};

/**
 * The prompt-hash index goes, as on SQLite (its migration 18): every first turn paid an index
 * insert for a lookup only older clients' sub-agent hand-backs make, within the time range of one
 * sub-agent run, which `requests_ts` reads in order. 20,000 bench first turns COPYed in 100-row
 * batches into a copy of `requests` with and without it, 5 alternated rounds: PostgreSQL's CPU
 * 21.5-22.5 -> 18.5-20 µs per row.
 */
export const PG_PROMPT_INDEX_MIGRATION: Migration = {
  version: 6,
  name: 'sub-task roots found by time, not by a prompt-hash index',
  up: 'DROP INDEX IF EXISTS requests_prompt_hash;',
};

/** Thrown by a lookup whose answer is not fetched yet: the decision is taken again once it is. */
class Miss {
  constructor(
    readonly key: string,
    readonly fetch: () => Promise<unknown>,
  ) {}
}

/** Lookups per decision at most: linkRequest asks a handful; more means a loop. */
const MAX_LOOKUPS = 200;

/** The lookups' SQL, each run as a named prepared statement: parsed and planned once per connection. */
export const LOOKUP_SQL = {
  byHash: `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE message_hash = $1 AND conversation_id IS NOT NULL
    ORDER BY ts DESC, id DESC LIMIT 20`,
  children: `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE parent_message_hash = $1 AND conversation_id = $2
    AND agent_instance IS NULL ORDER BY ts, id LIMIT 50`,
  count: 'SELECT requests FROM conversations WHERE id = $1',
  ofInstance: `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE agent_instance = $1 AND conversation_id IS NOT NULL
    ORDER BY ts DESC, id DESC LIMIT 1`,
  inSession: `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE session_id = $1 AND ts <= $2 AND agent_instance IS NULL
    AND conversation_id IS NOT NULL AND (agent IS NULL OR agent = 'main') ORDER BY ts DESC, id DESC LIMIT 1`,
  branches: 'SELECT DISTINCT branch FROM requests WHERE conversation_id = $1',
  roots: `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE prompt_hash = $1 AND ts BETWEEN $2 AND $3
    AND parent_message_hash IS NULL AND conversation_id = id ORDER BY ts, id LIMIT 5`,
  get: `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE id = $1 AND conversation_id IS NOT NULL`,
  parentOf: 'SELECT parent_request_id FROM requests WHERE id = $1',
} as const;

async function run<R extends object>(q: Queryable, name: keyof typeof LOOKUP_SQL, values: PgValue[]): Promise<R[]> {
  return (await q.query<R>({ name: `ccflare_link_${name}`, text: LOOKUP_SQL[name], values })).rows;
}

/**
 * The answers of the two lookups nearly every turn asks (the request holding its parent hash,
 * and that request's other children), fetched for a whole batch in two statements instead of two
 * per request. An answer the batch's own rows change since is dropped and asked live again, and
 * a sub-task link (which moves rows between conversations) turns the prefetch off.
 */
export class LinkPrefetch {
  private readonly byHash = new Map<string, LinkedRequest[]>();
  /** Parent hash -> conversation -> main-agent children. */
  private readonly children = new Map<string, Map<string, LinkedRequest[]>>();
  private off = false;

  static async load(q: Queryable, parentHashes: readonly string[]): Promise<LinkPrefetch> {
    const p = new LinkPrefetch();
    const hashes = [...new Set(parentHashes)];
    if (hashes.length === 0) return p;
    for (const h of hashes) {
      p.byHash.set(h, []);
      p.children.set(h, new Map());
    }
    const parents = await q.query<LookupRow>(
      `SELECT ${LOOKUP_COLUMNS} FROM (SELECT ${LOOKUP_COLUMNS},
         row_number() OVER (PARTITION BY message_hash ORDER BY ts DESC, id DESC) AS n
       FROM requests WHERE message_hash = ANY($1) AND conversation_id IS NOT NULL) x
       WHERE n <= 20 ORDER BY ts DESC, id DESC`,
      [hashes],
    );
    for (const r of parents.rows) p.byHash.get(r.message_hash as string)?.push(linked(r));
    const kids = await q.query<LookupRow & { parent_message_hash: string }>(
      `SELECT ${LOOKUP_COLUMNS}, parent_message_hash FROM (SELECT ${LOOKUP_COLUMNS}, parent_message_hash,
         row_number() OVER (PARTITION BY parent_message_hash, conversation_id ORDER BY ts, id) AS n
       FROM requests WHERE parent_message_hash = ANY($1) AND conversation_id IS NOT NULL
         AND agent_instance IS NULL) x
       WHERE n <= 50 ORDER BY ts, id`,
      [hashes],
    );
    for (const r of kids.rows) {
      const byConv = p.children.get(r.parent_message_hash) as Map<string, LinkedRequest[]>;
      const list = byConv.get(r.conversation_id) ?? [];
      list.push(linked(r));
      byConv.set(r.conversation_id, list);
    }
    return p;
  }

  /** The prefetched answer of a lookup, or undefined when it must be asked live. */
  answer(key: string): unknown {
    if (this.off) return undefined;
    const [kind, a, b] = key.split('\u0000');
    if (kind === 'h' && a !== undefined) return this.byHash.get(a);
    if (kind === 'c' && a !== undefined && b !== undefined) {
      const byConv = this.children.get(b);
      return byConv === undefined ? undefined : (byConv.get(a) ?? []);
    }
    return undefined;
  }

  /** The batch stored a request with this link: the answers it changes are asked live from now on. */
  wrote(row: { agentInstance: string | null }, facts: RequestFacts, d: LinkDecision): void {
    if (d.subtasks.length > 0) this.off = true;
    if (facts.messageHash !== null) this.byHash.delete(facts.messageHash);
    if (row.agentInstance === null && facts.parentMessageHash !== null) this.children.delete(facts.parentMessageHash);
  }
}

/**
 * `linkRequest` over PostgreSQL. Its lookups are synchronous (SQLite answers them in
 * microseconds); here each answer is fetched when first asked for (or taken from the batch's
 * prefetch) and the pure decision is run again with it, so the decision code is the one SQLite
 * uses.
 */
export async function decideLink(
  q: Queryable,
  input: LinkInput,
  prefetch?: LinkPrefetch,
  /** Runs before the first lookup asked live: the batch writes what it holds back, for the lookup to see. */
  beforeLive?: () => Promise<void>,
): Promise<LinkDecision> {
  const cache = new Map<string, unknown>();
  const rows = async (name: keyof typeof LOOKUP_SQL, values: PgValue[]) =>
    (await run<LookupRow>(q, name, values)).map(linked);
  const first = async (name: keyof typeof LOOKUP_SQL, values: PgValue[]) => (await rows(name, values))[0] ?? null;
  const need = <T>(key: string, fetch: () => Promise<T>): T => {
    if (cache.has(key)) return cache.get(key) as T;
    const known = prefetch?.answer(key);
    if (known !== undefined) return known as T;
    throw new Miss(key, fetch);
  };
  const lookup: LinkLookup = {
    byMessageHash: (h) => need(`h\u0000${h}`, () => rows('byHash', [h])),
    children: (c, h) => need(`c\u0000${c}\u0000${h}`, () => rows('children', [h, c])),
    requestCount: (c) =>
      need(`n\u0000${c}`, async () => (await run<{ requests: number }>(q, 'count', [c]))[0]?.requests ?? 0),
    latestOfInstance: (i) => need(`i\u0000${i}`, () => first('ofInstance', [i])),
    latestInSession: (s, ts) => need(`s\u0000${s}\u0000${ts}`, () => first('inSession', [s, ts])),
    branches: (c) =>
      need(`b\u0000${c}`, async () => (await run<{ branch: string }>(q, 'branches', [c])).map((x) => x.branch)),
    unclaimedSubtaskRoots: (h, from, to) =>
      need(`r\u0000${h}\u0000${from}\u0000${to}`, () => rows('roots', [h, from, to])),
    get: (id) => need(`g\u0000${id}`, () => first('get', [id])),
    parentOf: (id) =>
      need(
        `p\u0000${id}`,
        async () =>
          (await run<{ parent_request_id: string | null }>(q, 'parentOf', [id]))[0]?.parent_request_id ?? null,
      ),
  };
  for (let i = 0; i <= MAX_LOOKUPS; i++) {
    try {
      return linkRequest(lookup, input);
    } catch (err) {
      if (!(err instanceof Miss)) throw err;
      await beforeLive?.();
      cache.set(err.key, await err.fetch());
    }
  }
  throw new Error(`Linking request ${input.id} into a conversation asked for more than ${MAX_LOOKUPS} lookups`);
}

/** After rows moved between conversations (rare): their summaries from the rows. */
async function recount(q: Queryable, id: string): Promise<void> {
  const { rows } = await q.query<{
    n: number;
    first_at: number | null;
    last_at: number | null;
    i: number | null;
    cr: number | null;
    cw: number | null;
    o: number | null;
    c: number | null;
  }>(
    `SELECT count(*) AS n, min(ts) AS first_at, max(ts) AS last_at, sum(input_tokens) AS i, sum(cache_read_tokens) AS cr,
       sum(coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)) AS cw, sum(output_tokens) AS o,
       sum(cost_usd) AS c FROM requests WHERE conversation_id = $1`,
    [id],
  );
  const t = rows[0];
  if (!t || t.n === 0) {
    await q.query('DELETE FROM conversations WHERE id = $1', [id]);
    return;
  }
  await q.query(
    `UPDATE conversations SET requests = $1, first_at = $2, last_at = $3, input_tokens = $4, cache_read_tokens = $5,
       cache_write_tokens = $6, output_tokens = $7, cost_usd = $8 WHERE id = $9`,
    [t.n, t.first_at, t.last_at, t.i ?? 0, t.cr ?? 0, t.cw ?? 0, t.o ?? 0, t.c ?? 0, id],
  );
}

async function applySubtasks(q: Queryable, d: LinkDecision, ts: number): Promise<void> {
  for (const s of d.subtasks) {
    const touched = new Set<string>([s.conversationId]);
    if (s.agentInstance !== null) {
      const inst = await q.query<{ conversation_id: string }>(
        'SELECT DISTINCT conversation_id FROM requests WHERE agent_instance = $1 AND conversation_id IS NOT NULL',
        [s.agentInstance],
      );
      for (const r of inst.rows) touched.add(r.conversation_id);
      await q.query(
        `UPDATE requests SET conversation_id = $1, branch = $2 WHERE agent_instance = $3
           AND (conversation_id IS DISTINCT FROM $1 OR branch IS DISTINCT FROM $2)`,
        [s.conversationId, s.branch, s.agentInstance],
      );
      const firstRow = await q.query<{ id: string }>(
        'SELECT id FROM requests WHERE agent_instance = $1 ORDER BY ts, id LIMIT 1',
        [s.agentInstance],
      );
      const f = firstRow.rows[0];
      if (f && s.parentRequestId !== null) {
        await q.query('UPDATE requests SET parent_request_id = $1 WHERE id = $2', [s.parentRequestId, f.id]);
      }
    }
    if (s.moveConversation !== null && s.moveConversation !== s.conversationId) {
      touched.add(s.moveConversation);
      await q.query(
        `UPDATE requests SET conversation_id = $1, branch = $2 WHERE conversation_id = $3
           AND conversation_id IS DISTINCT FROM $1`,
        [s.conversationId, s.branch, s.moveConversation],
      );
      await q.query('UPDATE conversation_subtasks SET conversation_id = $1 WHERE conversation_id = $2', [
        s.conversationId,
        s.moveConversation,
      ]);
      if (s.agentInstance === null && s.parentRequestId !== null) {
        await q.query('UPDATE requests SET parent_request_id = $1 WHERE id = $2', [s.parentRequestId, s.id]);
      }
    }
    await q.query(
      `INSERT INTO conversation_subtasks AS t (id, conversation_id, branch, parent_request_id, agent_instance, prompt, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET conversation_id = excluded.conversation_id,
         branch = excluded.branch, parent_request_id = excluded.parent_request_id,
         prompt = coalesce(excluded.prompt, t.prompt)`,
      [s.id, s.conversationId, s.branch, s.parentRequestId, s.agentInstance, s.prompt, ts],
    );
    if (touched.size > 1) for (const c of touched) await recount(q, c);
  }
}

/** Columns of a conversation's summary row a linked request adds to, with their types for a cast. */
const CONVERSATION_VALUES: readonly [string, string][] = [
  ['id', 'text'],
  ['first_at', 'bigint'],
  ['last_at', 'bigint'],
  ['input_tokens', 'bigint'],
  ['cache_read_tokens', 'bigint'],
  ['cache_write_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['cost_usd', 'double precision'],
  ['model', 'text'],
  ['first_user_text', 'text'],
];

const CONVERSATION_SET = `first_at = LEAST(c.first_at, excluded.first_at),
  last_at = GREATEST(c.last_at, excluded.last_at),
  requests = c.requests + 1, input_tokens = c.input_tokens + excluded.input_tokens,
  cache_read_tokens = c.cache_read_tokens + excluded.cache_read_tokens,
  cache_write_tokens = c.cache_write_tokens + excluded.cache_write_tokens,
  output_tokens = c.output_tokens + excluded.output_tokens, cost_usd = c.cost_usd + excluded.cost_usd,
  model = coalesce(c.model, excluded.model)`;

/** A conversation row's items in the table's column order: CONVERSATION_VALUES' with the request count fourth. */
function withRequests<T>(values: readonly T[], requests: T): T[] {
  return [...values.slice(0, 3), requests, ...values.slice(3)];
}

/** The conversations table's columns as written, with their types. */
const CONVERSATION_TYPED: readonly [string, string][] = withRequests(CONVERSATION_VALUES, ['requests', 'bigint']);

const CONVERSATION_COLUMNS = CONVERSATION_TYPED.map(([c]) => c);

/**
 * Adds a linked request to its conversation's summary; the values (`conversationValues`) are
 * bound from `$<from + 1>`, and `source` is the FROM of the SELECT that gives them (a CTE of the
 * inserted row, so the summary only counts a row the INSERT stored).
 */
export function conversationUpsertSql(from: number, source: string): string {
  const v = CONVERSATION_VALUES.map(([, type], i) => `$${from + i + 1}::${type}`);
  return `INSERT INTO conversations AS c (${CONVERSATION_COLUMNS.join(', ')})
    SELECT ${withRequests(v, '1').join(', ')} ${source}
    ON CONFLICT (id) DO UPDATE SET ${CONVERSATION_SET}`;
}

const CONVERSATION_UPSERT = conversationUpsertSql(0, '');

/** Linked requests a batch stored, to add to their conversations' summaries. */
export type LinkedRows = readonly { row: LinkRow; facts: RequestFacts; d: LinkDecision }[];

/**
 * Adds several linked requests (in arrival order) to their conversations' summaries as one part
 * of `w`, each conversation once: as many single adds would, the first request's model and first
 * text count when it creates the conversation, and the conversation's model stays the first one
 * known. One array per column, so the statement's text does not change with the number of
 * conversations and is prepared once per connection: as a VALUES list it was parsed and planned
 * again for every batch (a-json, where each request starts a conversation: 256 rows).
 */
export function addConversationWrites(w: MultiWrite, linkedRows: LinkedRows): void {
  const shares = new Map<string, ConversationShare>();
  for (const { row, facts, d } of linkedRows) addConversationShare(shares, conversationValues(row, facts, d));
  if (shares.size === 0) return;
  // One lock order for every instance: two batches adding to the same conversations wait, never deadlock.
  const rows = [...shares.values()].sort((a, b) => (String(a.values[0]) < String(b.values[0]) ? -1 : 1));
  const arrays = CONVERSATION_VALUES.map((_, k) => rows.map((s) => s.values[k] ?? null));
  arrays.push(rows.map((s) => s.requests));
  w.add(arrays, (params) => {
    const typed = CONVERSATION_VALUES.map(([, type], i) => `${params[i]}::${type}[]`);
    const requests = `${params[CONVERSATION_VALUES.length]}::bigint[]`;
    return `INSERT INTO conversations AS c (${CONVERSATION_COLUMNS.join(', ')})
      SELECT * FROM unnest(${withRequests(typed, requests).join(', ')})${w.clause('WHERE')}
      ON CONFLICT (id) DO UPDATE SET ${CONVERSATION_SET.replace('c.requests + 1', 'c.requests + excluded.requests')}`;
  });
}

/**
 * Writes the conversations `linkedRows` start (a fresh conversation takes its first request's
 * id) with COPY, with the shares of their later requests in the rows; returns the rows of the
 * conversations stored before, for addConversationWrites. Only for rows that were all new (a
 * batch's first try, record-batch.ts): then no conversation has such an id yet, or COPY fails
 * and the batch is written again with upserts. An upsert of a new row is a speculative insertion
 * (an index probe and a confirm record in the WAL).
 */
export async function copyNewConversations(c: PgClient, linkedRows: LinkedRows): Promise<LinkedRows> {
  const started = new Set<string>();
  for (const { row, d } of linkedRows) if (d.conversationId === row.id) started.add(row.id);
  if (started.size === 0) return linkedRows;
  const shares = new Map<string, ConversationShare>();
  const rest: LinkedRows[number][] = [];
  for (const l of linkedRows) {
    if (started.has(l.d.conversationId)) addConversationShare(shares, conversationValues(l.row, l.facts, l.d));
    else rest.push(l);
  }
  const rows = [...shares.values()].map((s) => withRequests<unknown>(s.values, s.requests));
  await copyInsert(c, 'conversations', CONVERSATION_TYPED, rows);
  return rest;
}

/** `addConversationWrites` as a statement of its own. */
export async function addToConversations(q: Queryable, linkedRows: LinkedRows): Promise<void> {
  const w = new MultiWrite();
  addConversationWrites(w, linkedRows);
  await w.run(q);
}

/** After the row holds its link: the conversation's summary and the sub-task rows. */
export async function afterLinkInsert(q: Queryable, row: LinkRow, facts: RequestFacts, d: LinkDecision): Promise<void> {
  await q.query(CONVERSATION_UPSERT, conversationValues(row, facts, d));
  await applySubtaskLinks(q, d, row.ts);
}

/** The sub-task rows a decision creates or moves (rare: a sub-agent started or handed back). */
export async function applySubtaskLinks(q: Queryable, d: LinkDecision, ts: number): Promise<void> {
  if (d.subtasks.length > 0) await applySubtasks(q, d, ts);
}

interface RebuildRow extends LinkRow, StoredLink {
  conversationId: string | null;
  method: string;
  path: string;
}

export class PgConversations implements ConversationsStore {
  constructor(private readonly pool: PgPool) {}

  async startAnalysis(a: { id: string; conversationId: string; model: string; createdAt: number }): Promise<void> {
    await this.pool.query(
      "INSERT INTO conversation_analyses (id, conversation_id, model, status, created_at) VALUES ($1, $2, $3, 'running', $4)",
      [a.id, a.conversationId, a.model, a.createdAt],
    );
  }

  async finishAnalysis(
    id: string,
    o: { status: 'done' | 'failed'; text: string | null; error: string | null; requestId: string | null },
  ): Promise<void> {
    await this.pool.query(
      'UPDATE conversation_analyses SET status = $1, text = $2, error = $3, request_id = $4 WHERE id = $5',
      [o.status, o.text, o.error, o.requestId, id],
    );
  }

  async latestAnalysis(conversationId: string): Promise<ConversationAnalysisRow | null> {
    const { rows } = await this.pool.query<AnalysisRow>(
      'SELECT * FROM conversation_analyses WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
      [conversationId],
    );
    const r = rows[0];
    return r === undefined ? null : analysisOf(r);
  }

  private async summary(r: SummaryRow): Promise<ConversationSummary> {
    const { rows } = await this.pool.query<{
      accounts: string[] | null;
      keys: string[] | null;
      agents: string[] | null;
      branches: number;
      subtasks: number;
    }>(
      `SELECT array_agg(DISTINCT account_name) FILTER (WHERE account_name IS NOT NULL) AS accounts,
         array_agg(DISTINCT client_key) FILTER (WHERE client_key IS NOT NULL) AS keys,
         array_agg(DISTINCT agent) FILTER (WHERE agent IS NOT NULL) AS agents,
         count(DISTINCT branch) AS branches,
         (SELECT count(*) FROM conversation_subtasks s WHERE s.conversation_id = $1) AS subtasks
       FROM requests WHERE conversation_id = $1`,
      [r.id],
    );
    const f = rows[0];
    return summaryOf(
      r,
      f
        ? {
            accounts: f.accounts ?? [],
            keys: f.keys ?? [],
            agents: f.agents ?? [],
            branches: f.branches,
            subtasks: f.subtasks,
          }
        : null,
    );
  }

  async list(q: ConversationQuery): Promise<ConversationPage> {
    const where: string[] = [];
    const params: PgValue[] = [];
    const p = (v: PgValue) => {
      params.push(v);
      return `$${params.length}`;
    };
    const limit = Math.max(1, Math.min(LIST_MAX, Math.floor(q.limit)));
    if (q.cursor) {
      const at = q.cursor.indexOf(':');
      where.push(`(c.last_at, c.id) < (${p(Number(q.cursor.slice(0, at)))}, ${p(q.cursor.slice(at + 1))})`);
    }
    if (q.since != null) where.push(`c.last_at >= ${p(q.since)}`);
    if (q.until != null) where.push(`c.first_at <= ${p(q.until)}`);
    // ILIKE: the contract says case-insensitive (SQLite's LIKE is, for ASCII). In the database's
    // own collation: "C" (the column's, migrations.ts) folds ASCII only.
    if (q.text) where.push(`c.first_user_text COLLATE "default" ILIKE ${p(likePattern(q.text))} ESCAPE '\\'`);
    const exists = (test: string) =>
      where.push(`EXISTS (SELECT 1 FROM requests r WHERE r.conversation_id = c.id AND ${test})`);
    if (q.account != null) {
      const a = p(q.account);
      exists(`(r.account_id = ${a} OR r.account_name = ${a})`);
    }
    if (q.clientKey != null) exists(`r.client_key = ${p(q.clientKey)}`);
    if (q.agent != null) exists(`r.agent = ${p(q.agent)}`);
    const sql = `${SUMMARY_SELECT}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY c.last_at DESC, c.id DESC LIMIT ${limit + 1}`;
    const { rows } = await this.pool.query<SummaryRow>(sql, params);
    const items: ConversationSummary[] = [];
    for (const r of rows.slice(0, limit)) items.push(await this.summary(r));
    return { items, nextCursor: nextCursor(rows, limit) };
  }

  async get(id: string): Promise<ConversationDetail | null> {
    const found = await this.pool.query<SummaryRow>(`${SUMMARY_SELECT} WHERE c.id = $1`, [id]);
    const row = found.rows[0];
    if (!row) return null;
    const reqs = await this.pool.query<Record<string, unknown>>(
      `SELECT ${REQUEST_ROW_COLUMNS} FROM requests WHERE conversation_id = $1 ORDER BY ts, id`,
      [id],
    );
    const requests = reqs.rows.map(requestRowOf);
    const subs = await this.pool.query<Record<string, unknown>>(
      `SELECT ${SUBTASK_ROW_COLUMNS} FROM conversation_subtasks WHERE conversation_id = $1 ORDER BY created_at, id`,
      [id],
    );
    const subtasks = subs.rows.map(subtaskRowOf);
    return { summary: await this.summary(row), requests, subtasks };
  }

  async linkOf(requestId: string): Promise<{ conversationId: string; branch: string } | null> {
    const { rows } = await this.pool.query<{ conversation_id: string; branch: string | null }>(
      'SELECT conversation_id, branch FROM requests WHERE id = $1 AND conversation_id IS NOT NULL',
      [requestId],
    );
    const r = rows[0];
    return r ? { conversationId: r.conversation_id, branch: r.branch ?? MAIN_BRANCH } : null;
  }

  /**
   * Relinks every stored request in arrival order (ts, id), `chunk` rows per transaction; the
   * position is saved in `records_meta` with each chunk, so a rerun continues where one stopped.
   */
  async rebuild(opts: {
    restart: boolean;
    chunk?: number;
    onProgress?: (p: RebuildProgress) => void;
  }): Promise<RebuildProgress> {
    const chunk = opts.chunk ?? 5000;
    const saved = await this.pool.query<{ value: string }>('SELECT value FROM records_meta WHERE key = $1', [
      REBUILD_KEY,
    ]);
    const savedValue = saved.rows[0]?.value;
    let s: { ts: number; id: string; done: number };
    if (savedValue !== undefined && !opts.restart) {
      s = JSON.parse(savedValue) as { ts: number; id: string; done: number };
    } else {
      s = { ts: -1, id: '', done: 0 };
      const start = s;
      await inTransaction(this.pool, async (c) => {
        await c.query(`UPDATE requests SET conversation_id = NULL, branch = NULL, parent_request_id = NULL
                       WHERE conversation_id IS NOT NULL`);
        await c.query(RESET_CONVERSATIONS);
        await c.query('DELETE FROM conversation_subtasks');
        await putState(c, start);
      });
    }
    const total = (await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM requests')).rows[0]?.n ?? 0;
    for (;;) {
      const { rows } = await this.pool.query<RebuildRow>(
        `SELECT id, ts, session_id AS "sessionId", agent_instance AS "agentInstance", agent,
           model_requested AS "modelRequested", model_applied AS "modelApplied", input_tokens AS "inputTokens",
           cache_read_tokens AS "cacheReadTokens", cache_write_5m_tokens AS "cacheWrite5mTokens",
           cache_write_1h_tokens AS "cacheWrite1hTokens", output_tokens AS "outputTokens", cost_usd AS "costUsd",
           message_hash AS "messageHash", parent_message_hash AS "parentMessageHash", system_hash AS "systemHash",
           prompt_hash AS "promptHash", link_flags AS "linkFlags", link_facts AS "linkFacts",
           conversation_id AS "conversationId", method, path
         FROM requests WHERE (ts, id) > ($1, $2) ORDER BY ts, id LIMIT $3`,
        [s.ts, s.id, chunk],
      );
      if (rows.length === 0) break;
      const facts: (RequestFacts | null)[] = [];
      for (const r of rows) facts.push(storedFacts(r) ?? (await this.bodyFacts(r)));
      await inTransaction(this.pool, async (c) => {
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i] as RebuildRow;
          const f = facts[i];
          // Linked already: by the gateway's writer since this rebuild cleared the links (counted once).
          if (!f || r.conversationId !== null) continue;
          const d = await decideLink(c, linkInput(r, f));
          if (f.messageCount < 0) {
            // Facts read back from the row's columns: its hashes are stored already.
            await c.query(
              'UPDATE requests SET conversation_id = $1, branch = $2, parent_request_id = $3 WHERE id = $4',
              [d.conversationId, d.branch, d.parentRequestId, r.id],
            );
          } else {
            await c.query(
              `UPDATE requests SET ${LINK_COLUMNS.map((col, k) => `${col} = $${k + 1}`).join(', ')}
               WHERE id = $${LINK_COLUMNS.length + 1}`,
              [...linkValues(d, f, r.id), r.id],
            );
          }
          await afterLinkInsert(c, r, f, d);
        }
        const last = rows[rows.length - 1] as RebuildRow;
        s = { ts: last.ts, id: last.id, done: s.done + rows.length };
        await putState(c, s);
      });
      opts.onProgress?.({ done: s.done, total });
    }
    // Finished: the next run starts over.
    await inTransaction(this.pool, async (c) => {
      await c.query(DROP_EMPTY_CONVERSATIONS);
      await c.query('DELETE FROM records_meta WHERE key = $1', [REBUILD_KEY]);
    });
    return { done: s.done, total };
  }

  /** A row stored without hashes: its captured request body, when it was kept whole. */
  private async bodyFacts(r: RebuildRow): Promise<RequestFacts | null> {
    if (r.method !== 'POST' || !/^\/v1\/messages(\?|$)/.test(r.path)) return null;
    const { rows } = await this.pool.query<{ request_body: Buffer | null }>(
      'SELECT request_body FROM request_payloads WHERE request_id = $1 AND ts = $2 AND request_truncated = 0',
      [r.id, r.ts],
    );
    const body = rows[0]?.request_body;
    return body ? requestFactsOf(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)) : null;
  }
}

async function putState(q: Queryable, s: { ts: number; id: string; done: number }): Promise<void> {
  await q.query(
    'INSERT INTO records_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [REBUILD_KEY, JSON.stringify(s)],
  );
}
