/**
 * `store.conversations`: requests linked into conversations (src/conversations, issue 16). The
 * links are written with the request rows by the batch commit (off the request path); this is
 * what the API and the CLI read, and the rebuild that recomputes links for stored rows.
 */

export interface ConversationQuery {
  /** Page size (the store caps it). */
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string | null;
  /** Account id or name. */
  account?: string | null;
  clientKey?: string | null;
  agent?: string | null;
  /** Last activity at or after / before, unix ms. */
  since?: number | null;
  until?: number | null;
  /** Text the first user message contains (case-insensitive). */
  text?: string | null;
}

export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface ConversationSummary extends TokenTotals {
  id: string;
  firstAt: number;
  lastAt: number;
  requests: number;
  branches: number;
  subtasks: number;
  costUsd: number;
  /** Account names that served its requests. */
  accounts: string[];
  /** Client key names (ids when a key has no name). */
  keys: string[];
  agents: string[];
  /** The main agent's model (the first request's). */
  model: string | null;
  firstUserText: string;
}

export interface ConversationPage {
  items: ConversationSummary[];
  nextCursor: string | null;
}

export interface ConversationRequestRow extends TokenTotals {
  id: string;
  ts: number;
  branch: string;
  parentRequestId: string | null;
  model: string | null;
  status: number | null;
  success: boolean;
  costUsd: number | null;
  accountName: string | null;
  agent: string | null;
  agentInstance: string | null;
  sessionId: string | null;
}

export interface SubtaskRow {
  id: string;
  branch: string;
  parentRequestId: string | null;
  agentInstance: string | null;
  prompt: string | null;
}

export interface ConversationDetail {
  summary: ConversationSummary;
  /** Every request of the conversation, oldest first. */
  requests: ConversationRequestRow[];
  subtasks: SubtaskRow[];
}

export interface RebuildProgress {
  done: number;
  total: number;
}

export type AnalysisStatus = 'running' | 'done' | 'failed';

/** One "Analyze" run of a conversation (src/conversations/analysis.ts). */
export interface ConversationAnalysisRow {
  id: string;
  conversationId: string;
  model: string;
  status: AnalysisStatus;
  /** The model's answer; null until done. */
  text: string | null;
  /** Why it failed; null otherwise. */
  error: string | null;
  /** The gateway's request id of the analysis request, once it answered. */
  requestId: string | null;
  createdAt: number;
}

export interface ConversationsStore {
  /** Stores a new analysis as running. */
  startAnalysis(a: { id: string; conversationId: string; model: string; createdAt: number }): Promise<void>;
  /** Marks an analysis done or failed. */
  finishAnalysis(
    id: string,
    outcome: { status: 'done' | 'failed'; text: string | null; error: string | null; requestId: string | null },
  ): Promise<void>;
  /** The conversation's latest analysis; null when it has none. */
  latestAnalysis(conversationId: string): Promise<ConversationAnalysisRow | null>;

  list(q: ConversationQuery): Promise<ConversationPage>;
  get(id: string): Promise<ConversationDetail | null>;
  /** The conversation and branch of a request; null when it is not linked. */
  linkOf(requestId: string): Promise<{ conversationId: string; branch: string } | null>;
  /**
   * Recomputes the links of stored requests in arrival order, in chunks, from their stored hashes
   * (or their payloads when the row has none). Resumable: the position is kept in the database
   * after each chunk; `restart` clears every link and starts over.
   */
  rebuild(opts: {
    restart: boolean;
    chunk?: number;
    onProgress?: (p: RebuildProgress) => void;
  }): Promise<RebuildProgress>;
}
