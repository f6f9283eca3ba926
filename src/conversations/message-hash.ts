/**
 * What the conversation linker needs from a Messages request body (issue 16): a hash per message
 * over normalised content, the running hash of the conversation up to each message, the system
 * prompt's own hash and the few facts that link across conversations (compaction, sub-agent
 * hand-backs). Pure; runs on the writer's worker thread, never on the request path.
 *
 * Normalisation follows what Claude Code sends (protocol.md §7, fixtures in __fixtures__/): the
 * same turn arrives as a string in one request and as `[{type:"text"}]` in the next; system
 * reminders (CLAUDE.md, git status, dates) come and go between requests; `role:"system"`
 * messages (the environment block) sit between turns and change shape. None of them may break
 * the chain.
 */
import { createHash, hash } from 'node:crypto';
import { jsonStringEnd, jsonValueEnd, skipJsonSpace } from '../shared/json-bytes.js';

const REMINDER = '<system-reminder>';
/** protocol.md §7 / fixture compact.json: the first message of the conversation after a compaction. */
export const COMPACTION_PREFIX = 'This session is being continued from a previous conversation';
/** The billing line (`cc_version=…`) changes with every client release: not part of the system hash. */
const BILLING_PREFIX = 'x-anthropic-billing-header:';
/** Claude Code's summarisation request (fixture compact.json): its last user message. */
const SUMMARY_ASKS = [
  'CRITICAL: Respond with TEXT ONLY',
  'Your task is to create a detailed summary of the conversation',
];
/** The tools that start a sub-agent (protocol.md §7: `Agent`, older clients `Task`). */
const AGENT_TOOLS = new Set(['Agent', 'Task']);
/** A sub-agent's report in the parent's tool_result ends with `agentId: <17 hex>` (protocol.md §7). */
const AGENT_ID_IN_RESULT = /agentId: ([0-9a-f]{8,64})/;
/** The compaction message names the transcript it summarises: `…/<session uuid>.jsonl`. */
const TRANSCRIPT_SESSION = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl/;
/** Text kept of the first user message (list and filter). */
export const FIRST_TEXT_CHARS = 500;

/**
 * 128 bits of SHA-256, hex: collisions are not a concern at this size, and rows stay small.
 * One-shot `crypto.hash` over the joined parts (the same bytes as updating a Hash per part):
 * creating a Hash object was 5% of the writer's CPU on single-turn requests (micro-benchmark of
 * the batch commit, 40,000 records), and the system prompt and prompt hashes take two per request.
 */
function digest(parts: readonly string[]): string {
  let joined = '';
  for (const p of parts) joined += `${p}\u0000`;
  return hash('sha256', joined, 'hex').slice(0, 32);
}

export function textHash(text: string): string {
  return digest([text.trim()]);
}

interface Block {
  type?: unknown;
  text?: unknown;
  id?: unknown;
  name?: unknown;
  input?: unknown;
  tool_use_id?: unknown;
  content?: unknown;
  source?: { type?: unknown; data?: unknown; url?: unknown; media_type?: unknown } | unknown;
  is_error?: unknown;
}

/** Content as a list of blocks: a string is one text block. */
function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as Block[]) : [];
}

function isReminder(b: Block): boolean {
  return b.type === 'text' && typeof b.text === 'string' && b.text.startsWith(REMINDER);
}

/** Key order independent JSON, so two clients serialising the same input differently hash the same. */
function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => k !== 'cache_control')
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

function sourceKey(source: unknown): string {
  if (source === null || typeof source !== 'object') return '';
  const s = source as { data?: unknown; url?: unknown };
  // Images by their data hash: the base64 itself would make every part as large as the image.
  if (typeof s.data === 'string') return `d:${digest([s.data])}`;
  if (typeof s.url === 'string') return `u:${s.url}`;
  return stableJson(source);
}

/**
 * The parts of one block, or none when it is skipped. `seen`: tool ids met earlier in the request
 * (a duplicated tool_use or tool_result counts once).
 */
function blockParts(b: Block, seen: Set<string>): string[] {
  switch (b.type) {
    case 'text':
      return isReminder(b) ? [] : ['T', String(b.text ?? '')];
    case 'tool_use':
    case 'server_tool_use': {
      const id = String(b.id ?? '');
      if (id !== '' && seen.has(`u${id}`)) return [];
      seen.add(`u${id}`);
      return ['U', id, String(b.name ?? ''), stableJson(b.input ?? {})];
    }
    case 'tool_result': {
      const id = String(b.tool_use_id ?? '');
      if (id !== '' && seen.has(`r${id}`)) return [];
      seen.add(`r${id}`);
      const inner = blocksOf(b.content).flatMap((x) => blockParts(x, seen));
      return ['R', id, b.is_error === true ? 'e' : '', ...inner, '/R'];
    }
    case 'image':
    case 'document':
      return [String(b.type)[0] as string, sourceKey(b.source)];
    // Thinking blocks of earlier turns may be dropped by a client (the API ignores them there):
    // counting them would break the chain at the next turn.
    case 'thinking':
    case 'redacted_thinking':
      return [];
    default:
      return ['X', stableJson(b)];
  }
}

export interface SubtaskHandBack {
  /** The tool_use that started the sub-agent, answered by this request. */
  toolUseId: string;
  /** `agentId:` in the report (protocol.md §7); null for older clients. */
  agentId: string | null;
  /** The task as the tool_use gave it. */
  prompt: string;
}

/** What a request body gives the linker. */
export interface RequestFacts {
  /** Running hash over every message (the conversation as of this request). */
  messageHash: string;
  /** Running hash up to the last assistant message: the conversation its previous request sent; null on a first turn. */
  parentMessageHash: string | null;
  systemHash: string | null;
  /** Messages counted (role:system ones left out). */
  messageCount: number;
  /** The first user message's text, system reminders left out, cut at FIRST_TEXT_CHARS. */
  firstUserText: string;
  /** Hash of the first user message's last text (a sub-agent's first message ends with its task). */
  promptHash: string | null;
  /** Set when the first message continues a compacted conversation: the session it names, or '' when it names none. */
  compactedFrom: string | null;
  /** Claude Code asking for the summary of a compaction. */
  summary: boolean;
  /** Sub-agent reports this request hands back to the model. */
  handBacks: SubtaskHandBack[];
}

interface Message {
  role?: unknown;
  content?: unknown;
}

function textOf(blocks: readonly Block[]): string {
  return blocks
    .filter((b) => b.type === 'text' && typeof b.text === 'string' && !isReminder(b))
    .map((b) => b.text as string)
    .join('\n');
}

function systemHashOf(system: unknown): string | null {
  if (system === undefined || system === null) return null;
  const parts = blocksOf(system)
    .filter((b) => !(typeof b.text === 'string' && b.text.startsWith(BILLING_PREFIX)))
    .map((b) => String(b.text ?? stableJson(b)));
  return parts.length === 0 ? null : digest(parts);
}

/** Facts of a parsed Messages body; null when it is not one (no `messages` array). */
export function requestFacts(body: unknown): RequestFacts | null {
  if (body === null || typeof body !== 'object') return null;
  const b = body as { messages?: unknown; system?: unknown };
  return factsOf(b.messages, () => systemHashOf(b.system));
}

function factsOf(all: unknown, systemHash: () => string | null): RequestFacts | null {
  if (!Array.isArray(all)) return null;
  const messages = (all as Message[]).filter((m) => m !== null && typeof m === 'object' && m.role !== 'system');
  const seen = new Set<string>();
  // One hash over the stream of normalised messages: its state after message k is the hash of
  // the conversation up to k, the same in every request that repeats those messages. A copy is
  // taken before the last assistant message (the parent); one hasher per request, not per message.
  let lastAssistant = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'assistant') {
      lastAssistant = i;
      break;
    }
  }
  // The stream is built as one string and hashed with two updates at most (the parent's prefix,
  // then the rest): an update per message was 6% of the facts' CPU on 40-turn sessions
  // (bench/link-cost-bench.ts). A first turn has no parent: one-shot `hash`, no Hash object.
  let stream = '';
  let parent: string | null = null;
  const toolUses = new Map<string, { name: string; prompt: string }>();
  let h: ReturnType<typeof createHash> | null = null;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    const role = String(m.role);
    const blocks = blocksOf(m.content);
    if (i === lastAssistant && i > 0) {
      h = createHash('sha256').update(stream);
      parent = h.copy().digest('hex').slice(0, 32);
      stream = '';
    }
    if (role === 'assistant') {
      for (const x of blocks) {
        if (x.type === 'tool_use' && typeof x.name === 'string' && AGENT_TOOLS.has(x.name)) {
          const input = (x.input ?? {}) as { prompt?: unknown };
          toolUses.set(String(x.id), { name: x.name, prompt: typeof input.prompt === 'string' ? input.prompt : '' });
        }
      }
    }
    // Parts are length-prefixed: no text can forge a boundary.
    let msg = `${role.length}:${role}`;
    for (const x of blocks) for (const part of blockParts(x, seen)) msg += `${part.length}:${part}`;
    stream += `${msg.length}|${msg}`;
  }
  const running =
    messages.length === 0
      ? ''
      : (h === null ? hash('sha256', stream, 'hex') : h.update(stream).digest('hex')).slice(0, 32);
  const hasAssistant = messages.some((m) => m.role === 'assistant');
  const first = messages[0];
  const firstBlocks = first?.role === 'user' ? blocksOf(first.content) : [];
  const firstText = textOf(firstBlocks);
  const lastText = [...firstBlocks].reverse().find((x) => x.type === 'text' && !isReminder(x));
  const last = messages[messages.length - 1];
  const lastUser = last?.role === 'user' ? textOf(blocksOf(last.content)) : '';
  // Hand-backs: the tool_results of the last user message that answer an Agent/Task tool_use.
  const handBacks: SubtaskHandBack[] = [];
  if (last?.role === 'user') {
    for (const x of blocksOf(last.content)) {
      if (x.type !== 'tool_result') continue;
      const use = toolUses.get(String(x.tool_use_id));
      if (!use) continue;
      const found = AGENT_ID_IN_RESULT.exec(textOf(blocksOf(x.content)));
      handBacks.push({ toolUseId: String(x.tool_use_id), agentId: found?.[1] ?? null, prompt: use.prompt });
    }
  }
  let compactedFrom: string | null = null;
  if (firstText.startsWith(COMPACTION_PREFIX)) compactedFrom = TRANSCRIPT_SESSION.exec(firstText)?.[1] ?? '';
  return {
    messageHash: running === '' ? digest(['']) : running,
    parentMessageHash: hasAssistant && lastAssistant > 0 ? parent : null,
    systemHash: systemHash(),
    messageCount: messages.length,
    firstUserText: firstText.slice(0, FIRST_TEXT_CHARS),
    promptHash: typeof lastText?.text === 'string' ? textHash(lastText.text) : null,
    compactedFrom,
    summary: SUMMARY_ASKS.some((s) => lastUser.includes(s)),
    handBacks,
  };
}

const QUOTE = 0x22;
/** Module-local references: shared/json-bytes.ts says why. */
const stringEnd = jsonStringEnd;
const valueEnd = jsonValueEnd;
const skipSpace = skipJsonSpace;

const MESSAGES_KEY = Buffer.from('"messages"');
const SYSTEM_KEY = Buffer.from('"system"');

function keyIs(buf: Uint8Array, start: number, end: number, key: Buffer): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[start + k] !== key[k]) return false;
  return true;
}

/**
 * System prompts by their JSON text: a session sends the same one with every turn (Claude Code's
 * is ~4-15 KB), so it is parsed and hashed once. Cleared when full: a few live sessions' worth.
 */
const systemHashes = new Map<string, string | null>();
const SYSTEM_HASHES_KEPT = 64;

function systemHashOfJson(json: string): string | null {
  let h = systemHashes.get(json);
  if (h === undefined) {
    h = systemHashOf(JSON.parse(json));
    if (systemHashes.size >= SYSTEM_HASHES_KEPT) systemHashes.clear();
    systemHashes.set(json, h);
  }
  return h;
}

/**
 * The facts of a Messages body from its `messages` and `system` values alone: the tool
 * definitions (most of a Claude Code body's bytes, never hashed) are not parsed. Claude Code
 * sends `messages` and `system` before `tools`, so the scan stops there (a key given twice counts
 * the first time). Undefined when the body is not a JSON object as expected; the caller then
 * parses it whole (exported for the tests, which tell that from a scan).
 */
export function scannedFacts(buf: Uint8Array): RequestFacts | null | undefined {
  const text = (s: number, e: number) => Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8');
  let i = 0;
  i = skipSpace(buf, i);
  if (buf[i] !== 0x7b) return undefined;
  i++;
  let messages: unknown;
  let system: string | undefined;
  const done = () => factsOf(messages, () => (system === undefined ? null : systemHashOfJson(system)));
  for (;;) {
    i = skipSpace(buf, i);
    if (buf[i] === 0x7d) return done();
    if (buf[i] !== QUOTE) return undefined;
    const keyStart = i;
    i = stringEnd(buf, i);
    if (i < 0) return undefined;
    const keyEnd = i;
    i = skipSpace(buf, i);
    if (buf[i] !== 0x3a) return undefined;
    i++;
    i = skipSpace(buf, i);
    const valueStart = i;
    i = valueEnd(buf, i);
    if (i < 0) return undefined;
    if (messages === undefined && keyIs(buf, keyStart, keyEnd, MESSAGES_KEY))
      messages = JSON.parse(text(valueStart, i));
    else if (system === undefined && keyIs(buf, keyStart, keyEnd, SYSTEM_KEY)) system = text(valueStart, i);
    if (messages !== undefined && system !== undefined) return done();
    i = skipSpace(buf, i);
    if (buf[i] === 0x2c) i++;
    else if (buf[i] === 0x7d) return done();
    else return undefined;
  }
}

/** Facts of a body as bytes (the writer's copy of what the proxy forwarded); null when it is not JSON or not Messages. */
export function requestFactsOf(body: Uint8Array | string): RequestFacts | null {
  try {
    if (typeof body !== 'string') {
      // Claude Code-like 23 KB bodies (claude-code-sessions.ts, 3,000 records, 10 interleaved
      // rounds, CPU time): facts 67 -> 47 µs per record against JSON.parse of the whole body, and
      // 50 -> 44 µs with the system prompt's hash kept. Small bodies too, for that kept hash: the
      // bench's 0.9 KB body (its system prompt is hashed once, not per request) 4.9-7.7 -> 4.5-7.1 µs
      // (old and new builds alternated in one process, three runs; every pair 0.35-0.57 µs less).
      const facts = scannedFacts(body);
      if (facts !== undefined) return facts;
    }
    const text =
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    return requestFacts(JSON.parse(text));
  } catch {
    return null;
  }
}
