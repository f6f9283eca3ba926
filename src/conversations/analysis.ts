/**
 * "Analyze" a conversation (issue 16, item 6): a compact transcript of its stored requests goes
 * through the gateway's own /v1/messages (routed, failed over and recorded like any request,
 * agent `ccflare-analysis`) to a Claude model with a fixed prompt; the answer is stored.
 */

import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import type { ConversationAnalysisRow, ConversationDetail } from '../storage/contract/conversations.js';
import type { Store } from '../storage/contract/store.js';
import { MAIN_BRANCH } from './link.js';

export const ANALYSIS_AGENT = 'ccflare-analysis';

export const ANALYSIS_PROMPT = `You review a coding-agent session (Claude Code) recorded by a gateway. From the transcript, write a short report in four sections with these headings:
What was asked: the user's goals, in order.
What was done: the main steps, tools and sub-agents used, and the outcome.
Where tokens went: which turns, branches or sub-tasks cost the most and why (large contexts, repeated reads, retries).
Problems: errors, retried turns, loops, wasted work, and what would have avoided them.
Be concrete and brief; plain text paragraphs, no tables.`;

/**
 * Size caps. One item (a message's text, a tool result) keeps its first ITEM_CHARS; the whole
 * transcript keeps its first HEAD_CHARS and last TAIL_CHARS (the ask and the outcome) with a
 * marker between. 60,000 characters is ~15k tokens (about 4 characters a token for English and
 * code): a cheap request on any Claude model's context, however long the session was.
 */
export const ITEM_CHARS = 1_500;
export const HEAD_CHARS = 20_000;
export const TAIL_CHARS = 40_000;
const MAX_TOKENS = 2_048;

const REMINDER = '<system-reminder>';

function clip(text: string, max = ITEM_CHARS): string {
  const t = text.trim();
  return t.length <= max ? t : `${t.slice(0, max)}… [${t.length - max} more characters]`;
}

function oneLine(text: string, max: number): string {
  return clip(text.replace(/\s+/g, ' '), max);
}

interface Block {
  type?: string;
  text?: string;
  name?: string;
  input?: unknown;
  content?: unknown;
  is_error?: boolean;
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((c: Block) => (c?.type === 'text' && typeof c.text === 'string' ? c.text : `[${c?.type ?? 'item'}]`))
      .join(' ');
  }
  return '';
}

/** One message as transcript lines: text kept (clipped), reminders dropped, tools one line each. */
export function messageLines(role: string, content: unknown): string[] {
  const who = role === 'assistant' ? 'Assistant' : 'User';
  if (typeof content === 'string') {
    return content.trimStart().startsWith(REMINDER) ? [] : [`${who}: ${clip(content)}`];
  }
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  const seenTools = new Set<string>();
  for (const b of content as Block[]) {
    if (b === null || typeof b !== 'object') continue;
    if (b.type === 'text' && typeof b.text === 'string') {
      if (!b.text.trimStart().startsWith(REMINDER)) out.push(`${who}: ${clip(b.text)}`);
    } else if (b.type === 'tool_use') {
      const id = (b as { id?: string }).id;
      if (id !== undefined && seenTools.has(id)) continue;
      if (id !== undefined) seenTools.add(id);
      out.push(`  → ${b.name ?? 'tool'} ${oneLine(JSON.stringify(b.input ?? {}), 200)}`);
    } else if (b.type === 'tool_result') {
      const id = (b as { tool_use_id?: string }).tool_use_id;
      if (id !== undefined && seenTools.has(`r:${id}`)) continue;
      if (id !== undefined) seenTools.add(`r:${id}`);
      const text = resultText(b.content);
      out.push(`  ← ${b.is_error ? 'error' : 'result'} (${text.length} chars): ${oneLine(text, 200)}`);
    } else if (b.type === 'image' || b.type === 'document') {
      out.push(`${who}: [${b.type}]`);
    }
  }
  return out;
}

/** The assistant's final text from a stored answer: a JSON message or an SSE stream's text deltas. */
export function answerText(responseBody: string | null): string {
  if (responseBody === null || responseBody === '') return '';
  try {
    const m = JSON.parse(responseBody) as { content?: Block[] };
    if (Array.isArray(m.content)) {
      return m.content
        .filter((b) => b.type === 'text')
        .map((b) => b.text ?? '')
        .join('');
    }
  } catch {
    // Not JSON: a stream.
  }
  let text = '';
  for (const line of responseBody.split('\n')) {
    if (!line.startsWith('data:')) continue;
    try {
      const e = JSON.parse(line.slice(5)) as { type?: string; delta?: { type?: string; text?: string } };
      if (e.type === 'content_block_delta' && e.delta?.type === 'text_delta') text += e.delta.text ?? '';
    } catch {
      // A cut-off last line of a capped body.
    }
  }
  return text;
}

/** What the transcript needs of a stored request. */
export interface StoredTurn {
  requestBody: string | null;
  responseBody: string | null;
}

function fmtTokens(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * The compact transcript: totals, the main branch as the last readable request of it resent it
 * (Claude Code sends the whole history each turn), the other branches and sub-tasks one line
 * each with their first user text and tokens.
 */
export async function buildTranscript(
  d: ConversationDetail,
  turnOf: (requestId: string) => Promise<StoredTurn | null>,
): Promise<string> {
  const s = d.summary;
  const head: string[] = [
    `Conversation ${s.id}: ${s.requests} requests, ${s.branches} branches, ${s.subtasks} sub-tasks, model ${s.model ?? 'unknown'}.`,
    `Tokens: input ${fmtTokens(s.inputTokens)}, cache read ${fmtTokens(s.cacheReadTokens)}, cache write ${fmtTokens(s.cacheWriteTokens)}, output ${fmtTokens(s.outputTokens)}; cost $${s.costUsd.toFixed(4)}.`,
  ];
  const byBranch = new Map<string, typeof d.requests>();
  for (const r of d.requests) {
    const list = byBranch.get(r.branch) ?? [];
    list.push(r);
    byBranch.set(r.branch, list);
  }
  const lines: string[] = [];
  for (const [branch, rows] of byBranch) {
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
    const failed = rows.filter((r) => !r.success).length;
    head.push(
      `Branch ${branch}: ${rows.length} requests${failed > 0 ? ` (${failed} failed)` : ''}, input ${fmtTokens(sum((r) => r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens))}, output ${fmtTokens(sum((r) => r.outputTokens))}.`,
    );
  }
  for (const st of d.subtasks) {
    head.push(`Sub-task ${st.branch}: ${oneLine(st.prompt ?? '(prompt unknown)', 300)}`);
  }

  // The main branch's transcript from its last request whose stored body is whole JSON.
  const main = byBranch.get(MAIN_BRANCH) ?? d.requests;
  for (let i = main.length - 1; i >= 0; i--) {
    const r = main[i];
    if (r === undefined) continue;
    const turn = await turnOf(r.id);
    if (turn?.requestBody == null) continue;
    let body: { messages?: { role?: string; content?: unknown }[] };
    try {
      body = JSON.parse(turn.requestBody) as typeof body;
    } catch {
      continue; // capped at the capture limit: an earlier turn's body may be whole
    }
    for (const m of body.messages ?? []) {
      if (m.role !== 'user' && m.role !== 'assistant') continue;
      lines.push(...messageLines(m.role, m.content));
    }
    const answer = answerText(turn.responseBody);
    if (answer !== '') lines.push(`Assistant: ${clip(answer)}`);
    if (i < main.length - 1) lines.push(`[${main.length - 1 - i} later turns not stored in full]`);
    break;
  }
  if (lines.length === 0) lines.push('[no stored payloads: only the figures above are known]');
  let transcript = lines.join('\n');
  if (transcript.length > HEAD_CHARS + TAIL_CHARS) {
    const cut = transcript.length - HEAD_CHARS - TAIL_CHARS;
    transcript = `${transcript.slice(0, HEAD_CHARS)}\n[… ${cut} characters left out …]\n${transcript.slice(-TAIL_CHARS)}`;
  }
  return `${head.join('\n')}\n\nTranscript:\n${transcript}`;
}

/** Sends a request through the gateway's own proxy (server/internal-calls.ts). */
export type InternalPost = (path: string, body: string, agent: string) => Promise<Response>;

export interface AnalyzerDeps {
  store: Pick<Store, 'conversations' | 'requests'>;
  clock: Clock;
  settings: () => { conversationAnalysis: boolean; conversationAnalysisModel: string };
  post: InternalPost;
}

export const ANALYSIS_DISABLED =
  'Conversation analysis is off: enable it with `ccflare config set conversationAnalysis true` (or in Settings)';

/** Runs one analysis to its end (done or failed) and returns the stored row. */
export async function analyzeConversation(
  deps: AnalyzerDeps,
  conversationId: string,
  model?: string,
): Promise<ConversationAnalysisRow> {
  const s = deps.settings();
  if (!s.conversationAnalysis) throw new GatewayError('conflict', ANALYSIS_DISABLED);
  const d = await deps.store.conversations.get(conversationId);
  if (d === null) throw new GatewayError('not_found', `No conversation ${conversationId}`);
  const chosen = model ?? s.conversationAnalysisModel;
  const id = uuidv7(deps.clock.now());
  await deps.store.conversations.startAnalysis({ id, conversationId, model: chosen, createdAt: deps.clock.now() });
  let requestId: string | null = null;
  try {
    const transcript = await buildTranscript(d, async (rid) => {
      const r = await deps.store.requests.get(rid);
      return r?.payload ? { requestBody: r.payload.requestBody, responseBody: r.payload.responseBody } : null;
    });
    const res = await deps.post(
      '/v1/messages',
      JSON.stringify({
        model: chosen,
        max_tokens: MAX_TOKENS,
        system: ANALYSIS_PROMPT,
        messages: [{ role: 'user', content: transcript }],
      }),
      ANALYSIS_AGENT,
    );
    requestId = res.headers.get('x-ccflare-request-id');
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: the text as it is
      }
      throw new Error(`the model answered ${res.status}: ${message}`);
    }
    const answer = answerText(text);
    if (answer === '') throw new Error('the model answered without text');
    await deps.store.conversations.finishAnalysis(id, { status: 'done', text: answer, error: null, requestId });
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await deps.store.conversations.finishAnalysis(id, { status: 'failed', text: null, error, requestId });
  }
  return (await deps.store.conversations.latestAnalysis(conversationId)) as ConversationAnalysisRow;
}
