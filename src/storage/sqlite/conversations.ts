/**
 * Conversation links in SQLite (contract/conversations.ts): the linker's lookups over the
 * requests indexes, the writes of a link (request columns, the `conversations` summary kept
 * incrementally for the paged list, sub-task rows), the reads of the API and the rebuild.
 * The batch commit links each row it inserts, in the same transaction (batch-write.ts).
 */
import type Database from 'better-sqlite3';
import { type LinkDecision, type LinkLookup, linkRequest, MAIN_BRANCH } from '../../conversations/link.js';
import { type RequestFacts, requestFactsOf } from '../../conversations/message-hash.js';
import type {
  ConversationAnalysisRow,
  ConversationDetail,
  ConversationPage,
  ConversationQuery,
  ConversationsStore,
  RebuildProgress,
} from '../contract/conversations.js';
import type { PayloadFiles } from '../payloads/payload-files.js';
import {
  addConversationShare,
  type ConversationShare,
  conversationValues,
  DROP_EMPTY_CONVERSATIONS,
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
import type { Bindable } from './connection.js';
import { SqliteConversationAnalyses } from './conversation-analyses.js';
import type { Migration } from './migration.js';
import type { StatementCache } from './statement-cache.js';

export const CONVERSATIONS_MIGRATION: Migration = {
  version: 13,
  name: 'conversations',
  up: `
    ALTER TABLE requests ADD COLUMN conversation_id TEXT;
    ALTER TABLE requests ADD COLUMN branch TEXT;
    ALTER TABLE requests ADD COLUMN parent_request_id TEXT;
    ALTER TABLE requests ADD COLUMN message_hash TEXT;
    ALTER TABLE requests ADD COLUMN parent_message_hash TEXT;
    ALTER TABLE requests ADD COLUMN system_hash TEXT;
    -- First turns only: the hash of the first message's last text (a sub-agent's task).
    ALTER TABLE requests ADD COLUMN prompt_hash TEXT;
    -- 1: a compaction's summary request.
    ALTER TABLE requests ADD COLUMN link_flags INTEGER NOT NULL DEFAULT 0;
    -- JSON, only when there is something: first user text (first turns), compaction source, hand-backs.
    ALTER TABLE requests ADD COLUMN link_facts TEXT;
    CREATE INDEX requests_message_hash ON requests (message_hash) WHERE message_hash IS NOT NULL;
    CREATE INDEX requests_parent_hash ON requests (parent_message_hash) WHERE parent_message_hash IS NOT NULL;
    CREATE INDEX requests_prompt_hash ON requests (prompt_hash, ts) WHERE prompt_hash IS NOT NULL;
    CREATE INDEX requests_conversation ON requests (conversation_id, ts, id) WHERE conversation_id IS NOT NULL;
    CREATE INDEX requests_agent_instance ON requests (agent_instance, ts) WHERE agent_instance IS NOT NULL;

    -- One row per conversation, kept with the links: the paged list never scans request rows.
    CREATE TABLE conversations (
      id TEXT PRIMARY KEY,
      first_at INTEGER NOT NULL,
      last_at INTEGER NOT NULL,
      requests INTEGER NOT NULL,
      input_tokens INTEGER NOT NULL DEFAULT 0,
      cache_read_tokens INTEGER NOT NULL DEFAULT 0,
      cache_write_tokens INTEGER NOT NULL DEFAULT 0,
      output_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0,
      model TEXT,
      first_user_text TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX conversations_last ON conversations (last_at, id);

    CREATE TABLE conversation_subtasks (
      id TEXT PRIMARY KEY,
      conversation_id TEXT NOT NULL,
      branch TEXT NOT NULL,
      parent_request_id TEXT,
      agent_instance TEXT,
      prompt TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX conversation_subtasks_conversation ON conversation_subtasks (conversation_id);
  `,
};

/**
 * The prompt-hash index went: every first turn paid a random-page index insert for a lookup
 * only older clients' sub-agent hand-backs make (the ts range of one sub-agent run, read through
 * requests_ts). Writer thread, bench a-json rows (each a first turn): ~12 µs less per record.
 */
export const CONVERSATIONS_PROMPT_INDEX_MIGRATION: Migration = {
  version: 18,
  name: 'sub-task roots found by time, not by a prompt-hash index',
  up: 'DROP INDEX IF EXISTS requests_prompt_hash;',
};

/**
 * The two hash lookups go through indexes on the first 8 hex digits of the hash instead of all 32:
 * entries of ~15 instead of ~37 bytes, so a batch's entries, which land at random places, dirty
 * fewer index pages, each a 4 KiB page in the WAL and again at the checkpoint. The store's part of
 * linking Claude Code-like sessions (bench/link-store-ab.ts --workload claude-code, 30,000
 * records, three runs): 37.2-38.9 -> 30.3-32.8 µs per record, the commit ~15 -> ~10 of them; the
 * bench's body, whose requests all share one hash (entries appended, not scattered), unchanged. A
 * prefix two hashes share costs one more row read: the lookups test the whole hash as well.
 */
export const CONVERSATIONS_HASH_KEY_MIGRATION: Migration = {
  version: 22,
  name: 'hash lookups through indexes on a prefix of the hash',
  up: `
    DROP INDEX IF EXISTS requests_message_hash;
    DROP INDEX IF EXISTS requests_parent_hash;
    CREATE INDEX requests_message_key ON requests (substr(message_hash, 1, 8)) WHERE message_hash IS NOT NULL;
    CREATE INDEX requests_parent_key ON requests (substr(parent_message_hash, 1, 8))
      WHERE parent_message_hash IS NOT NULL;
  `,
};

/**
 * The message-hash key index ends with ts, so the parent lookup (newest 20 first) reads 20 rows
 * however many requests share a hash: a first message many conversations start with (a scripted
 * `claude -p`, a "hi") had every one of them read and sorted for each second turn. One lookup
 * among 500,000 requests, 100,000 of them sharing the hash: 102.6 -> 0.05 ms; 2,000 sharing it:
 * 0.90 -> 0.05 ms.
 */
export const CONVERSATIONS_HASH_KEY_TS_MIGRATION: Migration = {
  version: 23,
  name: 'message-hash key index ordered by time',
  up: `
    DROP INDEX IF EXISTS requests_message_key;
    CREATE INDEX requests_message_key_ts ON requests (substr(message_hash, 1, 8), ts)
      WHERE message_hash IS NOT NULL;
  `,
};

/** Requests whose running message hash is the one bound twice (the key, then the whole hash). */
export const BY_HASH_LOOKUP = `SELECT ${LOOKUP_COLUMNS} FROM requests
  WHERE substr(message_hash, 1, 8) = substr(?, 1, 8) AND message_hash = ? AND conversation_id IS NOT NULL
  ORDER BY ts DESC LIMIT 20`;

/**
 * The earlier children of a turn's parent hash in a conversation (the hash bound twice, then the
 * conversation). Without statistics the planner took requests_conversation and read every request
 * of the conversation to test its parent hash (all of a long session's, for each of its turns); a
 * hash has a child or two. Batch transaction CPU per record on claude-code sessions of 5-40 turns:
 * 3.8-4.9 µs less (see the commit).
 */
export const CHILDREN_LOOKUP = `SELECT ${LOOKUP_COLUMNS} FROM requests INDEXED BY requests_parent_key
  WHERE substr(parent_message_hash, 1, 8) = substr(?, 1, 8) AND parent_message_hash = ? AND conversation_id = ?
    AND agent_instance IS NULL LIMIT 50`;

export interface Linker {
  /** Links a stored row (the rebuild): decides, writes the link columns, then `afterInsert`. */
  link(row: LinkRow, facts: RequestFacts): void;
  /**
   * The batch commit's path: the link is decided before the row is inserted and written by its
   * INSERT (LINK_COLUMNS), then `afterInsert` once the insert stored it. A second UPDATE of the
   * just-inserted row cost a row rewrite and a primary-key seek per request (writer profile,
   * bench a-json: writeLink 4.1% of the writer thread).
   */
  decide(row: LinkRow, facts: RequestFacts): LinkDecision;
  linkValues(d: LinkDecision, facts: RequestFacts, id: string): Bindable[];
  afterInsert(row: LinkRow, facts: RequestFacts, d: LinkDecision): void;
  /** Writes the conversation summaries `afterInsert` held back; before the transaction commits. */
  flush(): void;
  /** Forgets them: the transaction is rolled back. */
  discard(): void;
}

/** Conversation summary rows written by one statement when a flush has this many. */
const SHARES_PER_STATEMENT = 16;

/** The linker over one connection's statements, for the batch commit and the rebuild. */
export function prepareLinker(db: Database.Database, opts: { relink?: boolean } = {}): Linker {
  const one = <T>(sql: string) => db.prepare<unknown[], T>(sql);
  const byHash = one<LookupRow>(BY_HASH_LOOKUP);
  const children = one<LookupRow>(CHILDREN_LOOKUP);
  const count = one<{ requests: number }>('SELECT requests FROM conversations WHERE id = ?');
  const ofInstance = one<LookupRow>(
    `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE agent_instance = ? AND conversation_id IS NOT NULL ORDER BY ts DESC LIMIT 1`,
  );
  const inSession = one<LookupRow>(
    `SELECT ${LOOKUP_COLUMNS} FROM requests WHERE session_id = ? AND ts <= ? AND agent_instance IS NULL
       AND conversation_id IS NOT NULL AND (agent IS NULL OR agent = 'main') ORDER BY ts DESC, id DESC LIMIT 1`,
  );
  const branches = one<{ branch: string }>('SELECT DISTINCT branch FROM requests WHERE conversation_id = ?');
  const roots = one<LookupRow>(
    `SELECT ${LOOKUP_COLUMNS} FROM requests INDEXED BY requests_ts WHERE ts BETWEEN ? AND ? AND prompt_hash = ?
       AND parent_message_hash IS NULL AND conversation_id = id ORDER BY ts LIMIT 5`,
  );
  const get = one<LookupRow>(`SELECT ${LOOKUP_COLUMNS} FROM requests WHERE id = ? AND conversation_id IS NOT NULL`);
  const parentOf = one<{ parent_request_id: string | null }>('SELECT parent_request_id FROM requests WHERE id = ?');
  const lookup: LinkLookup = {
    byMessageHash: (h) => byHash.all(h, h).map(linked),
    children: (c, h) => children.all(h, h, c).map(linked),
    // The batch's requests not yet in the summary row count too (a root's conversation has no row yet).
    requestCount: (c) => (count.get(c)?.requests ?? 0) + (pending.get(c)?.requests ?? 0),
    latestOfInstance: (i) => {
      const r = ofInstance.get(i);
      return r ? linked(r) : null;
    },
    latestInSession: (s, ts) => {
      const r = inSession.get(s, ts);
      return r ? linked(r) : null;
    },
    branches: (c) => branches.all(c).map((r) => r.branch),
    unclaimedSubtaskRoots: (h, from, to) => roots.all(from, to, h).map(linked),
    get: (id) => {
      const r = get.get(id);
      return r ? linked(r) : null;
    },
    parentOf: (id) => parentOf.get(id)?.parent_request_id ?? null,
  };

  const setLink = db.prepare(
    `UPDATE requests SET conversation_id = ?, branch = ?, parent_request_id = ?, message_hash = ?,
       parent_message_hash = ?, system_hash = ?, prompt_hash = ?, link_flags = ?, link_facts = ? WHERE id = ?`,
  );
  // Relinking rows that keep their hashes: only the link columns (no hash index entry rewritten).
  const setRelink = db.prepare(
    'UPDATE requests SET conversation_id = ?, branch = ?, parent_request_id = ? WHERE id = ?',
  );
  const addShares = (rows: number) =>
    db.prepare(
      `INSERT INTO conversations (id, first_at, last_at, requests, input_tokens, cache_read_tokens, cache_write_tokens,
         output_tokens, cost_usd, model, first_user_text) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT(id) DO UPDATE SET first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at),
         requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens,
         cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
         cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
         output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd,
         model = coalesce(model, excluded.model)`,
    );
  const addShare = addShares(1);
  const addManyShares = addShares(SHARES_PER_STATEMENT);
  /**
   * The summaries of the transaction's linked requests, one per conversation, written by `flush`:
   * one upsert per conversation and batch instead of one per request, and 16 rows per statement
   * for a batch of new conversations (every bench request is a root). Batch transaction CPU per
   * record (facts computed beforehand, old and new code alternated per round in one process,
   * three runs): bench body 0.8-1.3 µs less (19.9 -> 18.8), claude-code sessions 1.2-5.8 µs less.
   */
  let pending = new Map<string, ConversationShare>();
  function flush(): void {
    if (pending.size === 0) return;
    const shares = [...pending.values()];
    pending = new Map();
    const params = (s: ConversationShare, into: Bindable[]) => {
      const v = s.values;
      into.push(v[0] ?? null, v[1] ?? null, v[2] ?? null, s.requests, v[3] ?? null, v[4] ?? null, v[5] ?? null);
      into.push(v[6] ?? null, v[7] ?? null, v[8] ?? null, v[9] ?? null);
    };
    let i = 0;
    for (; i + SHARES_PER_STATEMENT <= shares.length; i += SHARES_PER_STATEMENT) {
      const p: Bindable[] = [];
      for (let k = i; k < i + SHARES_PER_STATEMENT; k++) params(shares[k] as ConversationShare, p);
      // Spread, as batch-write.ts's insert: an array is bound through a property lookup per element.
      addManyShares.run(...p);
    }
    for (; i < shares.length; i++) {
      const p: Bindable[] = [];
      params(shares[i] as ConversationShare, p);
      addShare.run(...p);
    }
  }
  const moveConversation = db.prepare(
    'UPDATE requests SET conversation_id = ?, branch = ? WHERE conversation_id = ? AND conversation_id IS NOT ?',
  );
  const moveInstance = db.prepare(
    `UPDATE requests SET conversation_id = @c, branch = @b WHERE agent_instance = @i
       AND (conversation_id IS NOT @c OR branch IS NOT @b)`,
  );
  const instanceConversations = one<{ conversation_id: string }>(
    'SELECT DISTINCT conversation_id FROM requests WHERE agent_instance = ? AND conversation_id IS NOT NULL',
  );
  const firstOfInstance = one<{ id: string }>(
    'SELECT id FROM requests WHERE agent_instance = ? ORDER BY ts, id LIMIT 1',
  );
  const setParent = db.prepare('UPDATE requests SET parent_request_id = ? WHERE id = ?');
  const upsertSubtask = db.prepare(
    `INSERT INTO conversation_subtasks (id, conversation_id, branch, parent_request_id, agent_instance, prompt, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET conversation_id = excluded.conversation_id,
       branch = excluded.branch, parent_request_id = excluded.parent_request_id,
       prompt = coalesce(excluded.prompt, prompt)`,
  );
  const totals = one<{
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
       sum(cost_usd) AS c FROM requests WHERE conversation_id = ?`,
  );
  const setTotals = db.prepare(
    `UPDATE conversations SET requests = ?, first_at = ?, last_at = ?, input_tokens = ?, cache_read_tokens = ?,
       cache_write_tokens = ?, output_tokens = ?, cost_usd = ? WHERE id = ?`,
  );
  const dropConversation = db.prepare('DELETE FROM conversations WHERE id = ?');
  const moveSubtasks = db.prepare('UPDATE conversation_subtasks SET conversation_id = ? WHERE conversation_id = ?');

  /** After rows moved between conversations (rare): their summaries from the rows. */
  function recount(id: string): void {
    const t = totals.get(id);
    if (!t || t.n === 0) {
      dropConversation.run(id);
      return;
    }
    setTotals.run(t.n, t.first_at, t.last_at, t.i ?? 0, t.cr ?? 0, t.cw ?? 0, t.o ?? 0, t.c ?? 0, id);
  }

  function applySubtasks(d: LinkDecision, ts: number): void {
    for (const s of d.subtasks) {
      const touched = new Set<string>([s.conversationId]);
      if (s.agentInstance !== null) {
        for (const r of instanceConversations.all(s.agentInstance)) touched.add(r.conversation_id);
        moveInstance.run({ c: s.conversationId, b: s.branch, i: s.agentInstance });
        const first = firstOfInstance.get(s.agentInstance);
        if (first && s.parentRequestId !== null) setParent.run(s.parentRequestId, first.id);
      }
      if (s.moveConversation !== null && s.moveConversation !== s.conversationId) {
        touched.add(s.moveConversation);
        moveConversation.run(s.conversationId, s.branch, s.moveConversation, s.conversationId);
        moveSubtasks.run(s.conversationId, s.moveConversation);
        if (s.agentInstance === null && s.parentRequestId !== null) setParent.run(s.parentRequestId, s.id);
      }
      upsertSubtask.run(s.id, s.conversationId, s.branch, s.parentRequestId, s.agentInstance, s.prompt, ts);
      if (touched.size > 1) for (const c of touched) recount(c);
    }
  }

  const decide = (row: LinkRow, facts: RequestFacts): LinkDecision => linkRequest(lookup, linkInput(row, facts));

  /** After the row holds its link: its share of the conversation's summary and the sub-task rows. */
  function afterInsert(row: LinkRow, facts: RequestFacts, d: LinkDecision): void {
    addConversationShare(pending, conversationValues(row, facts, d));
    if (d.subtasks.length > 0) {
      // Moving rows between conversations recounts summaries from the rows: they must hold every share.
      flush();
      applySubtasks(d, row.ts);
    }
  }

  return {
    decide,
    linkValues,
    afterInsert,
    flush,
    discard: () => {
      pending = new Map();
    },
    link: (row, facts) => {
      const d = decide(row, facts);
      // Facts read back from the row's columns (messageCount -1): its hashes are stored already.
      if (opts.relink && facts.messageCount < 0) {
        setRelink.run(d.conversationId, d.branch, d.parentRequestId, row.id);
      } else {
        setLink.run(...linkValues(d, facts, row.id), row.id);
      }
      afterInsert(row, facts, d);
    },
  };
}

interface RebuildRow extends LinkRow, StoredLink {
  conversationId: string | null;
  payloadFile: string | null;
  payloadOffset: number | null;
  payloadLength: number | null;
}

export class SqliteConversations implements ConversationsStore {
  private readonly facets: Database.Statement<
    [string],
    { accounts: string; keys: string; agents: string; branches: number }
  >;
  private readonly subtaskCount: Database.Statement<[string], { n: number }>;
  private readonly analyses: SqliteConversationAnalyses;

  constructor(
    private readonly db: Database.Database,
    private readonly files: PayloadFiles | null,
    private readonly statements: StatementCache,
  ) {
    this.facets = db.prepare(
      `SELECT json_group_array(DISTINCT account_name) FILTER (WHERE account_name IS NOT NULL) AS accounts,
         json_group_array(DISTINCT client_key) FILTER (WHERE client_key IS NOT NULL) AS keys,
         json_group_array(DISTINCT agent) FILTER (WHERE agent IS NOT NULL) AS agents,
         count(DISTINCT branch) AS branches
       FROM requests WHERE conversation_id = ?`,
    );
    this.subtaskCount = db.prepare('SELECT count(*) AS n FROM conversation_subtasks WHERE conversation_id = ?');
    this.analyses = new SqliteConversationAnalyses(db);
  }

  async startAnalysis(a: { id: string; conversationId: string; model: string; createdAt: number }): Promise<void> {
    this.analyses.start(a);
  }

  async finishAnalysis(
    id: string,
    o: { status: 'done' | 'failed'; text: string | null; error: string | null; requestId: string | null },
  ): Promise<void> {
    this.analyses.end(id, o);
  }

  async latestAnalysis(conversationId: string): Promise<ConversationAnalysisRow | null> {
    return this.analyses.latestOf(conversationId);
  }

  private summary(r: SummaryRow) {
    const f = this.facets.get(r.id);
    return summaryOf(
      r,
      f
        ? {
            accounts: JSON.parse(f.accounts) as string[],
            keys: JSON.parse(f.keys) as string[],
            agents: JSON.parse(f.agents) as string[],
            branches: f.branches,
            subtasks: this.subtaskCount.get(r.id)?.n ?? 0,
          }
        : null,
    );
  }

  async list(q: ConversationQuery): Promise<ConversationPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const limit = Math.max(1, Math.min(LIST_MAX, Math.floor(q.limit)));
    if (q.cursor) {
      const at = q.cursor.indexOf(':');
      where.push('(c.last_at, c.id) < (?, ?)');
      params.push(Number(q.cursor.slice(0, at)), q.cursor.slice(at + 1));
    }
    if (q.since != null) {
      where.push('c.last_at >= ?');
      params.push(q.since);
    }
    if (q.until != null) {
      where.push('c.first_at <= ?');
      params.push(q.until);
    }
    if (q.text) {
      where.push("c.first_user_text LIKE ? ESCAPE '\\'");
      params.push(likePattern(q.text));
    }
    const exists: Array<[string, string | null | undefined]> = [
      ['(r.account_id = ? OR r.account_name = ?)', q.account],
      ['r.client_key = ?', q.clientKey],
      ['r.agent = ?', q.agent],
    ];
    for (const [test, v] of exists) {
      if (v == null) continue;
      where.push(`EXISTS (SELECT 1 FROM requests r WHERE r.conversation_id = c.id AND ${test})`);
      for (let k = test.split('?').length - 1; k > 0; k--) params.push(v);
    }
    const sql = `${SUMMARY_SELECT}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY c.last_at DESC, c.id DESC LIMIT ${limit + 1}`;
    const rows = this.statements.get(sql).all(...params) as SummaryRow[];
    return { items: rows.slice(0, limit).map((r) => this.summary(r)), nextCursor: nextCursor(rows, limit) };
  }

  async get(id: string): Promise<ConversationDetail | null> {
    const row = this.statements.get(`${SUMMARY_SELECT} WHERE c.id = ?`).get(id) as SummaryRow | undefined;
    if (!row) return null;
    const requests = (
      this.statements
        .get(`SELECT ${REQUEST_ROW_COLUMNS} FROM requests WHERE conversation_id = ? ORDER BY ts, id`)
        .all(id) as Record<string, unknown>[]
    ).map(requestRowOf);
    const subtasks = (
      this.statements
        .get(
          `SELECT ${SUBTASK_ROW_COLUMNS} FROM conversation_subtasks WHERE conversation_id = ? ORDER BY created_at, id`,
        )
        .all(id) as Record<string, unknown>[]
    ).map(subtaskRowOf);
    return { summary: this.summary(row), requests, subtasks };
  }

  async linkOf(requestId: string): Promise<{ conversationId: string; branch: string } | null> {
    const r = this.statements
      .get('SELECT conversation_id, branch FROM requests WHERE id = ? AND conversation_id IS NOT NULL')
      .get(requestId) as { conversation_id: string; branch: string | null } | undefined;
    return r ? { conversationId: r.conversation_id, branch: r.branch ?? MAIN_BRANCH } : null;
  }

  async rebuild(opts: {
    restart: boolean;
    chunk?: number;
    onProgress?: (p: RebuildProgress) => void;
  }): Promise<RebuildProgress> {
    return rebuildConversations(this.db, this.files, opts);
  }
}

interface RebuildState {
  ts: number;
  id: string;
  done: number;
}

/**
 * Relinks every stored request in arrival order (ts, id), `chunk` rows per transaction; the
 * position is saved in `meta` with each chunk, so a rerun continues where one stopped.
 */
export function rebuildConversations(
  db: Database.Database,
  files: PayloadFiles | null,
  opts: { restart: boolean; chunk?: number; onProgress?: (p: RebuildProgress) => void },
): RebuildProgress {
  const chunk = opts.chunk ?? 5000;
  const link = prepareLinker(db, { relink: true });
  const getState = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const putState = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const saved = getState.get(REBUILD_KEY);
  let state: RebuildState | null = saved && !opts.restart ? (JSON.parse(saved.value) as RebuildState) : null;
  if (state === null) {
    db.transaction(() => {
      db.exec(`UPDATE requests SET conversation_id = NULL, branch = NULL, parent_request_id = NULL
                 WHERE conversation_id IS NOT NULL;
               ${RESET_CONVERSATIONS}; DELETE FROM conversation_subtasks;`);
      state = { ts: -1, id: '', done: 0 };
      putState.run(REBUILD_KEY, JSON.stringify(state));
    }).immediate();
  }
  const total = (db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n;
  const page = db.prepare<[number, string, number], RebuildRow>(
    `SELECT id, ts, session_id AS sessionId, agent_instance AS agentInstance, agent, model_requested AS modelRequested,
       model_applied AS modelApplied, input_tokens AS inputTokens, cache_read_tokens AS cacheReadTokens,
       cache_write_5m_tokens AS cacheWrite5mTokens, cache_write_1h_tokens AS cacheWrite1hTokens,
       output_tokens AS outputTokens, cost_usd AS costUsd, message_hash AS messageHash,
       parent_message_hash AS parentMessageHash, system_hash AS systemHash, prompt_hash AS promptHash,
       link_flags AS linkFlags, link_facts AS linkFacts, payload_file AS payloadFile, conversation_id AS conversationId,
       payload_offset AS payloadOffset, payload_length AS payloadLength
     FROM requests WHERE (ts, id) > (?, ?) ORDER BY ts, id LIMIT ?`,
  );
  const legacyBody = db.prepare<[string], { request_body: string | null; path: string }>(
    `SELECT p.request_body, r.path FROM request_payloads p JOIN requests r ON r.id = p.request_id
     WHERE p.request_id = ? AND p.request_truncated = 0`,
  );
  const pathOf = db.prepare<[string], { path: string; method: string }>(
    'SELECT path, method FROM requests WHERE id = ?',
  );
  /** A row from before migration 13: its captured request body, when it was kept whole. */
  const bodyFacts = (r: RebuildRow): RequestFacts | null => {
    const p = pathOf.get(r.id);
    if (p?.method !== 'POST' || !/^\/v1\/messages(\?|$)/.test(p.path)) return null;
    if (r.payloadFile !== null && files) {
      const payload = files.read({ file: r.payloadFile, offset: r.payloadOffset ?? 0, length: r.payloadLength ?? 0 });
      if (!payload || payload.requestTruncated || payload.requestBody === null) return null;
      return requestFactsOf(payload.requestBody);
    }
    const legacy = legacyBody.get(r.id);
    return legacy?.request_body ? requestFactsOf(legacy.request_body) : null;
  };
  const runChunk = db.transaction((rows: RebuildRow[], facts: (RequestFacts | null)[], s: RebuildState) => {
    try {
      for (let i = 0; i < rows.length; i++) {
        const f = facts[i];
        // Linked already: by the gateway's writer since this rebuild cleared the links (counted once).
        if (f && (rows[i] as RebuildRow).conversationId === null) link.link(rows[i] as RebuildRow, f);
      }
      link.flush();
    } catch (err) {
      link.discard();
      throw err;
    }
    const last = rows[rows.length - 1] as RebuildRow;
    s.ts = last.ts;
    s.id = last.id;
    s.done += rows.length;
    putState.run(REBUILD_KEY, JSON.stringify(s));
  });
  const s = state as unknown as RebuildState;
  for (;;) {
    const rows = page.all(s.ts, s.id, chunk);
    if (rows.length === 0) break;
    // Hashing (a JSON parse for old rows) before the write lock, like the batch commit.
    const facts = rows.map((r) => storedFacts(r) ?? bodyFacts(r));
    runChunk.immediate(rows, facts, s);
    opts.onProgress?.({ done: s.done, total });
  }
  // Finished: the next run starts over.
  db.transaction(() => {
    db.exec(DROP_EMPTY_CONVERSATIONS);
    db.prepare('DELETE FROM meta WHERE key = ?').run(REBUILD_KEY);
  }).immediate();
  return { done: s.done, total };
}
