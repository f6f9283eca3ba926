/**
 * Turns a stored payload into a conversation: the request body (system prompt, messages) and the
 * response, which is either a JSON message or, for streamed responses, the raw SSE text; the
 * assistant message is rebuilt from its events (message_start, content_block_start / delta / stop,
 * message_delta). Truncated or malformed input gives what could be read, never an exception.
 */

export type Block =
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string; redacted: boolean }
  | { type: 'tool_use'; id: string; name: string; input: unknown; partialJson: string | null }
  | { type: 'tool_result'; toolUseId: string; isError: boolean; content: Block[] }
  | { type: 'image'; mediaType: string; sourceType: string; bytes: number | null }
  | { type: 'document'; mediaType: string; sourceType: string; title: string | null }
  | { type: 'other'; kind: string; raw: unknown };

export interface Turn {
  role: string;
  blocks: Block[];
}

export interface Conversation {
  system: Block[];
  /** The request's messages, then the reply (when the response could be read). */
  turns: Turn[];
  /** The assistant turn rebuilt from the response, also the last of `turns`. */
  reply: Turn | null;
  tools: string[];
  /** Why (part of) the payload could not be read, when it could not. */
  problems: string[];
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function toBlock(raw: unknown): Block {
  if (typeof raw === 'string') return { type: 'text', text: raw };
  if (!isObj(raw)) return { type: 'other', kind: typeof raw, raw };
  const source = isObj(raw.source) ? raw.source : {};
  switch (raw.type) {
    case 'text':
      return { type: 'text', text: str(raw.text) };
    case 'thinking':
      return { type: 'thinking', text: str(raw.thinking), redacted: false };
    case 'redacted_thinking':
      return { type: 'thinking', text: '', redacted: true };
    case 'tool_use':
    case 'server_tool_use':
      return { type: 'tool_use', id: str(raw.id), name: str(raw.name), input: raw.input, partialJson: null };
    case 'tool_result':
      return {
        type: 'tool_result',
        toolUseId: str(raw.tool_use_id),
        isError: raw.is_error === true,
        content: toBlocks(raw.content),
      };
    case 'image': {
      const data = str(source.data);
      return {
        type: 'image',
        mediaType: str(source.media_type) || 'unknown type',
        sourceType: str(source.type) || 'unknown source',
        bytes: data ? Math.floor((data.length * 3) / 4) : null,
      };
    }
    case 'document':
      return {
        type: 'document',
        mediaType: str(source.media_type) || 'unknown type',
        sourceType: str(source.type) || 'unknown source',
        title: typeof raw.title === 'string' ? raw.title : null,
      };
    default:
      return { type: 'other', kind: str(raw.type) || 'unknown', raw };
  }
}

function toBlocks(content: unknown): Block[] {
  if (content == null) return [];
  if (Array.isArray(content)) return content.map(toBlock);
  return [toBlock(content)];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The assistant message rebuilt from the SSE text of a streamed response. */
export function messageFromSse(text: string): { message: Json | null; error: string | null } {
  let message: Json | null = null;
  let error: string | null = null;
  const content: Json[] = [];
  const partial = new Map<number, string>();
  for (const chunk of text.split(/\r?\n\r?\n/)) {
    const data = chunk
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data) continue;
    const ev = parseJson(data);
    if (!isObj(ev)) continue;
    const index = typeof ev.index === 'number' ? ev.index : -1;
    switch (ev.type) {
      case 'message_start':
        message = isObj(ev.message) ? { ...ev.message } : {};
        break;
      case 'content_block_start':
        if (index >= 0 && isObj(ev.content_block)) {
          const block: Json = { ...ev.content_block };
          if (block.type === 'tool_use' || block.type === 'server_tool_use') partial.set(index, '');
          content[index] = block;
        }
        break;
      case 'content_block_delta': {
        const block = content[index];
        const d = isObj(ev.delta) ? ev.delta : {};
        if (!block) break;
        if (d.type === 'text_delta') block.text = str(block.text) + str(d.text);
        else if (d.type === 'thinking_delta') block.thinking = str(block.thinking) + str(d.thinking);
        else if (d.type === 'input_json_delta') partial.set(index, (partial.get(index) ?? '') + str(d.partial_json));
        break;
      }
      case 'content_block_stop': {
        const block = content[index];
        const json = partial.get(index);
        if (block && json !== undefined) {
          const input = json.trim() === '' ? {} : parseJson(json);
          if (input !== undefined) {
            block.input = input;
            partial.delete(index);
          }
        }
        break;
      }
      case 'message_delta':
        if (message && isObj(ev.delta)) Object.assign(message, ev.delta);
        break;
      case 'error':
        error = isObj(ev.error) ? `${str(ev.error.type)}: ${str(ev.error.message)}` : 'error event';
        break;
    }
  }
  // Blocks whose tool input never completed (truncated stream) keep the raw JSON seen so far.
  for (const [i, json] of partial) {
    const block = content[i];
    if (block) block.__partialJson = json;
  }
  if (message) message.content = content.filter(Boolean);
  return { message, error };
}

function assistantTurn(message: Json): Turn {
  const blocks = (Array.isArray(message.content) ? message.content : []).map((raw: unknown) => {
    const b = toBlock(raw);
    if (b.type === 'tool_use' && isObj(raw) && typeof raw.__partialJson === 'string') {
      return { ...b, partialJson: raw.__partialJson };
    }
    return b;
  });
  return { role: str(message.role) || 'assistant', blocks };
}

export function buildConversation(
  requestBody: string | null,
  responseBody: string | null,
  opts: { requestTruncated: boolean; responseTruncated: boolean; stream: boolean },
): Conversation {
  const conv: Conversation = { system: [], turns: [], reply: null, tools: [], problems: [] };
  const req = requestBody === null ? undefined : parseJson(requestBody);
  if (requestBody === null) conv.problems.push('The request body was not stored.');
  else if (!isObj(req)) {
    conv.problems.push(
      opts.requestTruncated
        ? 'The request body was cut at the payload size cap, so it cannot be read as JSON; see the raw text.'
        : 'The request body is not JSON; see the raw text.',
    );
  } else {
    conv.system = toBlocks(req.system);
    if (Array.isArray(req.messages)) {
      for (const m of req.messages) {
        if (isObj(m)) conv.turns.push({ role: str(m.role) || 'unknown', blocks: toBlocks(m.content) });
      }
    }
    if (Array.isArray(req.tools)) conv.tools = req.tools.map((t) => (isObj(t) ? str(t.name) : '')).filter(Boolean);
  }
  if (responseBody === null || responseBody === '') {
    conv.problems.push('No response body was stored.');
    return conv;
  }
  const looksSse = /^\s*(event|data):/m.test(responseBody) && !responseBody.trimStart().startsWith('{');
  if (looksSse || (opts.stream && !responseBody.trimStart().startsWith('{'))) {
    const { message, error } = messageFromSse(responseBody);
    if (message) addReply(conv, assistantTurn(message));
    if (error) conv.problems.push(`The stream ended with an error: ${error}`);
    if (opts.responseTruncated)
      conv.problems.push('The response was cut at the payload size cap; the reply is partial.');
    if (!message && !error) conv.problems.push('The response stream has no message_start event.');
    return conv;
  }
  const res = parseJson(responseBody);
  if (!isObj(res)) {
    conv.problems.push(
      opts.responseTruncated ? 'The response was cut at the payload size cap.' : 'The response body is not JSON.',
    );
  } else if (res.type === 'error' || isObj(res.error)) {
    const e = isObj(res.error) ? res.error : {};
    conv.problems.push(`The response is an error: ${str(e.type)}: ${str(e.message)}`);
  } else {
    addReply(conv, assistantTurn(res));
  }
  return conv;
}

function addReply(conv: Conversation, turn: Turn): void {
  conv.turns.push(turn);
  conv.reply = turn;
}

/** A turn and its position in the conversation (1-based, as the page labels it). */
export interface NumberedTurn {
  turn: Turn;
  n: number;
}

/**
 * What a request's page shows first: the latest user message (what was asked this time) and the
 * reply; everything before is history, shown on demand. A Claude Code request resends the whole
 * session, so in order it buried a one-line prompt under thousands of pixels of history.
 */
export function conversationLayout(conv: Conversation): {
  latest: NumberedTurn | null;
  reply: NumberedTurn | null;
  earlier: NumberedTurn[];
} {
  const numbered = conv.turns.map((turn, i) => ({ turn, n: i + 1 }));
  const reply = conv.reply === null ? null : (numbered.at(-1) ?? null);
  const asked = reply === null ? numbered : numbered.slice(0, -1);
  let at = -1;
  for (let i = asked.length - 1; i >= 0; i--) {
    if (asked[i]?.turn.role === 'user') {
      at = i;
      break;
    }
  }
  return {
    latest: at === -1 ? null : (asked[at] as NumberedTurn),
    reply,
    earlier: asked.filter((_, i) => i !== at),
  };
}

export interface TextPart {
  kind: 'text' | 'reminder';
  text: string;
}

const REMINDER = /<system-reminder>([\s\S]*?)(?:<\/system-reminder>|$)/g;

/**
 * A text block split into what the person wrote and the `<system-reminder>` sections Claude Code
 * adds to user messages (CLAUDE.md contents, todo lists, file-change notes: protocol.md §7).
 */
export function splitReminders(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(REMINDER)) {
    const before = text.slice(last, m.index).trim();
    if (before) parts.push({ kind: 'text', text: before });
    parts.push({ kind: 'reminder', text: (m[1] ?? '').trim() });
    last = m.index + m[0].length;
  }
  const rest = text.slice(last).trim();
  if (rest || parts.length === 0) parts.push({ kind: 'text', text: last === 0 ? text : rest });
  return parts;
}

/** What `normaliseConversation` left out, so the page can say so and offer to show it. */
export interface Normalised {
  conv: Conversation;
  /** `<system-reminder>` sections hidden (0 when they are shown). */
  hiddenReminders: number;
  /** tool_use / tool_result blocks dropped because an earlier block had the same id. */
  duplicateTools: number;
}

/**
 * The messages as a person reads them: Claude Code's `<system-reminder>` sections (CLAUDE.md,
 * todo lists, file-change notes: protocol.md §7) hidden unless asked for, and a tool_use or
 * tool_result whose id was already seen shown once (Claude Code resends a block with the same id
 * after a retry, which the linking in src/conversations/message-hash.ts also counts once). Turns
 * keep their positions, so message numbers match the raw payload.
 */
export function normaliseConversation(conv: Conversation, opts: { showReminders: boolean }): Normalised {
  let hiddenReminders = 0;
  let duplicateTools = 0;
  const seen = new Set<string>();
  const keep = (b: Block): Block | null => {
    if (b.type === 'tool_use' || b.type === 'tool_result') {
      const id = b.type === 'tool_use' ? b.id : b.toolUseId;
      if (id !== '') {
        const key = `${b.type}:${id}`;
        if (seen.has(key)) {
          duplicateTools++;
          return null;
        }
        seen.add(key);
      }
      return b;
    }
    if (b.type !== 'text' || opts.showReminders) return b;
    const parts = splitReminders(b.text);
    const reminders = parts.filter((p) => p.kind === 'reminder').length;
    if (reminders === 0) return b;
    hiddenReminders += reminders;
    const text = parts
      .filter((p) => p.kind === 'text')
      .map((p) => p.text)
      .join('\n\n');
    return text === '' ? null : { type: 'text', text };
  };
  const turns = conv.turns.map((turn) => ({
    role: turn.role,
    blocks: turn.blocks.flatMap((b) => keep(b) ?? []),
  }));
  const reply = conv.reply === null ? null : (turns.at(-1) ?? null);
  return { conv: { ...conv, turns, reply }, hiddenReminders, duplicateTools };
}
