/**
 * Conversation link rows as both back-ends store and return them (sqlite/conversations.ts,
 * postgres/conversations.ts): the linker's lookup rows, the link columns a request row gets, the
 * facts read back from them for a rebuild, a conversation summary's values, and the API's row
 * mappings. One mapping for SQLite and PostgreSQL; each store keeps its own SQL.
 */
import type { LinkDecision, LinkedRequest, LinkInput } from '../../conversations/link.js';
import { type RequestFacts, requestFactsOf } from '../../conversations/message-hash.js';
import type {
  AnalysisStatus,
  ConversationAnalysisRow,
  ConversationRequestRow,
  ConversationSummary,
  SubtaskRow,
} from '../contract/conversations.js';

/** `link_flags`: a compaction's summary request. */
export const SUMMARY_FLAG = 1;
/** Where the rebuild keeps its position (meta / records_meta). */
export const REBUILD_KEY = 'conversations_rebuild';
/** Most conversations in one page of the list. */
export const LIST_MAX = 200;

/** What a link needs of a request row besides its facts. */
export interface LinkRow {
  id: string;
  ts: number;
  sessionId: string | null;
  agentInstance: string | null;
  agent: string | null;
  modelRequested: string | null;
  modelApplied: string | null;
  inputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWrite5mTokens: number | null;
  cacheWrite1hTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}

export function linkInput(row: LinkRow, facts: RequestFacts): LinkInput {
  return { id: row.id, ts: row.ts, sessionId: row.sessionId, agentInstance: row.agentInstance, facts };
}

/** The facts of a record's link body, computed before the write transaction takes the lock. */
export function factsOfBody(body: Uint8Array | string | null | undefined): RequestFacts | null {
  return body == null || body.length === 0 ? null : requestFactsOf(body);
}

/** A request row as the linker's lookups select it (LOOKUP_COLUMNS). */
export interface LookupRow {
  id: string;
  ts: number;
  session_id: string | null;
  agent_instance: string | null;
  conversation_id: string;
  branch: string;
  message_hash: string | null;
  link_flags: number;
}

export const LOOKUP_COLUMNS = 'id, ts, session_id, agent_instance, conversation_id, branch, message_hash, link_flags';

export function linked(r: LookupRow): LinkedRequest {
  return {
    id: r.id,
    ts: r.ts,
    sessionId: r.session_id,
    agentInstance: r.agent_instance,
    conversationId: r.conversation_id,
    branch: r.branch,
    messageHash: r.message_hash,
    summary: (r.link_flags & SUMMARY_FLAG) !== 0,
  };
}

/** `link_facts`: what requestFacts computed that the columns do not hold. */
interface StoredFacts {
  t?: string;
  c?: string;
  h?: RequestFacts['handBacks'];
}

/** The request columns a link writes, in the order `linkValues` gives their values. */
export const LINK_COLUMNS = [
  'conversation_id',
  'branch',
  'parent_request_id',
  'message_hash',
  'parent_message_hash',
  'system_hash',
  'prompt_hash',
  'link_flags',
  'link_facts',
] as const;

/**
 * The link columns' values of request `id`, in LINK_COLUMNS order. The first user text is kept
 * only when the request joins another conversation (a sub-agent's task, a compaction): one that
 * starts its own has it in its conversation's row, which a rebuild keeps (RESET_CONVERSATIONS).
 * Writing it twice cost 5 of the 21 µs linking added per record to the writer on the bench's
 * body, where every request starts a conversation (bench/link-cost-bench.ts).
 */
export function linkValues(d: LinkDecision, facts: RequestFacts, id: string): (string | number | null)[] {
  const root = facts.parentMessageHash === null;
  const text = root && facts.firstUserText !== '' && d.conversationId !== id;
  let stored: string | null = null;
  if (text || facts.compactedFrom !== null || facts.handBacks.length > 0) {
    const f: StoredFacts = {};
    if (text) f.t = facts.firstUserText;
    if (facts.compactedFrom !== null) f.c = facts.compactedFrom;
    if (facts.handBacks.length > 0) f.h = facts.handBacks;
    stored = JSON.stringify(f);
  }
  return [
    d.conversationId,
    d.branch,
    d.parentRequestId,
    facts.messageHash,
    facts.parentMessageHash,
    facts.systemHash,
    root ? facts.promptHash : null,
    facts.summary ? SUMMARY_FLAG : 0,
    stored,
  ];
}

/** A stored row's link columns, as the rebuild selects them. */
export interface StoredLink {
  messageHash: string | null;
  parentMessageHash: string | null;
  systemHash: string | null;
  promptHash: string | null;
  linkFlags: number;
  linkFacts: string | null;
}

/** The facts a row's link columns give back (messageCount -1: read, not computed); null for a row without hashes. */
export function storedFacts(r: StoredLink): RequestFacts | null {
  if (r.messageHash === null) return null;
  const f = r.linkFacts === null ? {} : (JSON.parse(r.linkFacts) as StoredFacts);
  return {
    messageHash: r.messageHash,
    parentMessageHash: r.parentMessageHash,
    systemHash: r.systemHash,
    messageCount: -1,
    firstUserText: f.t ?? '',
    promptHash: r.promptHash,
    compactedFrom: f.c ?? null,
    summary: (r.linkFlags & SUMMARY_FLAG) !== 0,
    handBacks: f.h ?? [],
  };
}

/**
 * What a linked request adds to its conversation's summary row: id, first_at, last_at,
 * input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, cost_usd, model,
 * first_user_text.
 */
export function conversationValues(row: LinkRow, facts: RequestFacts, d: LinkDecision): (string | number | null)[] {
  return [
    d.conversationId,
    row.ts,
    row.ts,
    row.inputTokens ?? 0,
    row.cacheReadTokens ?? 0,
    (row.cacheWrite5mTokens ?? 0) + (row.cacheWrite1hTokens ?? 0),
    row.outputTokens ?? 0,
    row.costUsd ?? 0,
    // The conversation's model is its main agent's: the root's, or the first main request's.
    row.agentInstance === null ? (row.modelApplied ?? row.modelRequested) : null,
    d.conversationId === row.id ? facts.firstUserText : '',
  ];
}

/** One conversation's share of several linked requests (`conversationValues` summed), as one summary row to add. */
export interface ConversationShare {
  values: (string | number | null)[];
  requests: number;
}

/**
 * Adds a linked request's `conversationValues` to its conversation's share: added in arrival
 * order, the shares write what as many single adds would (the first request's model and first
 * text count when it creates the conversation; the conversation's model stays the first known).
 */
export function addConversationShare(shares: Map<string, ConversationShare>, v: (string | number | null)[]): void {
  const s = shares.get(v[0] as string);
  if (s === undefined) {
    shares.set(v[0] as string, { values: v, requests: 1 });
    return;
  }
  const t = s.values as number[];
  t[1] = Math.min(t[1] as number, v[1] as number);
  t[2] = Math.max(t[2] as number, v[2] as number);
  t[3] = (t[3] as number) + (v[3] as number);
  t[4] = (t[4] as number) + (v[4] as number);
  t[5] = (t[5] as number) + (v[5] as number);
  t[6] = (t[6] as number) + (v[6] as number);
  t[7] = (t[7] as number) + (v[7] as number);
  s.values[8] ??= v[8] ?? null;
  s.requests += 1;
}

/**
 * A rebuild's start: every conversation's totals to zero, its first user text kept (the requests
 * that started conversations do not store it again); the rebuild adds the requests back and
 * DROP_EMPTY_CONVERSATIONS removes the conversations no request joined again.
 */
export const RESET_CONVERSATIONS = `UPDATE conversations SET requests = 0, first_at = ${Number.MAX_SAFE_INTEGER},
  last_at = 0, input_tokens = 0, cache_read_tokens = 0, cache_write_tokens = 0, output_tokens = 0, cost_usd = 0,
  model = NULL`;
export const DROP_EMPTY_CONVERSATIONS = 'DELETE FROM conversations WHERE requests = 0';

export const SUMMARY_SELECT = `SELECT c.id, c.first_at, c.last_at, c.requests, c.input_tokens, c.cache_read_tokens,
  c.cache_write_tokens, c.output_tokens, c.cost_usd, c.model, c.first_user_text FROM conversations c`;

export interface SummaryRow {
  id: string;
  first_at: number;
  last_at: number;
  requests: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_usd: number;
  model: string | null;
  first_user_text: string;
}

/** What a summary reads from the conversation's request rows and sub-tasks. */
export interface SummaryFacets {
  accounts: readonly string[];
  keys: readonly string[];
  agents: readonly string[];
  branches: number;
  subtasks: number;
}

export function summaryOf(r: SummaryRow, f: SummaryFacets | null): ConversationSummary {
  return {
    id: r.id,
    firstAt: r.first_at,
    lastAt: r.last_at,
    requests: r.requests,
    branches: f?.branches ?? 0,
    subtasks: f?.subtasks ?? 0,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cacheReadTokens: r.cache_read_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    costUsd: r.cost_usd,
    accounts: [...(f?.accounts ?? [])].sort(),
    keys: [...(f?.keys ?? [])].sort(),
    agents: [...(f?.agents ?? [])].sort(),
    model: r.model,
    firstUserText: r.first_user_text,
  };
}

/** The list's next page cursor: the last row's `last_at:id`, or null on the last page. */
export function nextCursor(rows: readonly SummaryRow[], limit: number): string | null {
  const last = rows[Math.min(rows.length, limit) - 1];
  return rows.length > limit && last ? `${last.last_at}:${last.id}` : null;
}

/** A LIKE pattern matching `text` anywhere, with `\` as the escape character. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The columns of a conversation's requests in the detail (`requestRowOf` maps them). */
export const REQUEST_ROW_COLUMNS = `id, ts, branch, parent_request_id, coalesce(model_applied, model_requested) AS model,
  status, success, cost_usd, account_name, agent, agent_instance, session_id, input_tokens, output_tokens,
  cache_read_tokens, coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0) AS cache_write`;

export function requestRowOf(r: Record<string, unknown>): ConversationRequestRow {
  return {
    id: r.id as string,
    ts: r.ts as number,
    branch: r.branch as string,
    parentRequestId: r.parent_request_id as string | null,
    model: r.model as string | null,
    status: r.status as number | null,
    success: r.success !== 0,
    costUsd: r.cost_usd as number | null,
    accountName: r.account_name as string | null,
    agent: r.agent as string | null,
    agentInstance: r.agent_instance as string | null,
    sessionId: r.session_id as string | null,
    inputTokens: (r.input_tokens as number | null) ?? 0,
    outputTokens: (r.output_tokens as number | null) ?? 0,
    cacheReadTokens: (r.cache_read_tokens as number | null) ?? 0,
    cacheWriteTokens: r.cache_write as number,
  };
}

/** The columns of a conversation's sub-tasks in the detail (`subtaskRowOf` maps them). */
export const SUBTASK_ROW_COLUMNS = 'id, branch, parent_request_id, agent_instance, prompt';

export function subtaskRowOf(s: Record<string, unknown>): SubtaskRow {
  return {
    id: s.id as string,
    branch: s.branch as string,
    parentRequestId: s.parent_request_id as string | null,
    agentInstance: s.agent_instance as string | null,
    prompt: s.prompt as string | null,
  };
}

/** A `conversation_analyses` row. */
export interface AnalysisRow {
  id: string;
  conversation_id: string;
  model: string;
  status: AnalysisStatus;
  text: string | null;
  error: string | null;
  request_id: string | null;
  created_at: number;
}

export function analysisOf(r: AnalysisRow): ConversationAnalysisRow {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    model: r.model,
    status: r.status,
    text: r.text,
    error: r.error,
    requestId: r.request_id,
    createdAt: r.created_at,
  };
}
