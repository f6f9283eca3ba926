/**
 * Scripting the fake upstream for the real Claude Code CLI: which agent sent a request (told by
 * content, never by order: the CLI's side requests and its parallelism make order meaningless)
 * and the streamed turns that make the CLI start a sub-agent.
 *
 * What Claude Code 2.1.328 sends (protocol.md §7, measured through test/e2e/claude-code-agents):
 * every request is `POST /v1/messages?beta=true` with `stream: true`; a sub-agent's requests add
 * `x-claude-code-agent-id`, start system block 2 with the agent file's body and carry only the
 * agent's `tools:`; the main agent's requests offer the `Agent` tool.
 */
import type { FakeHandler, RecordedRequest } from './fake-upstream.js';
import { turnEvents } from './fake-upstream.js';

export const AGENT_ID_HEADER = 'x-claude-code-agent-id';
export const SESSION_ID_HEADER = 'x-claude-code-session-id';
/** The tool that starts a sub-agent (older clients: `Task`). */
export const AGENT_TOOL = 'Agent';

/** A Messages API call (any query string), not count_tokens. */
export function isMessagesCall(r: RecordedRequest): boolean {
  return r.method === 'POST' && r.path.split('?')[0] === '/v1/messages';
}

/** The sub-agent instance id the request carries, or null for the main agent (and for non-Claude Code clients). */
export function agentIdOf(r: RecordedRequest): string | null {
  const v = r.headers[AGENT_ID_HEADER];
  return typeof v === 'string' ? v : null;
}

/** The text of the `system` field (blocks joined with newlines). */
export function systemText(r: RecordedRequest): string {
  const s = r.json?.system;
  if (typeof s === 'string') return s;
  if (!Array.isArray(s)) return '';
  return s.map((b: { text?: unknown }) => (typeof b.text === 'string' ? b.text : '')).join('\n');
}

export function toolNames(r: RecordedRequest): string[] {
  const tools = r.json?.tools;
  return Array.isArray(tools) ? tools.map((t: { name?: unknown }) => String(t.name)) : [];
}

/**
 * Who sent a Messages call: a sub-agent (it names its instance), the main agent (it is offered
 * the tool that starts sub-agents), or neither (a side request: title, topic, a quota probe).
 */
export function senderOf(r: RecordedRequest): 'subagent' | 'main' | 'side' {
  if (agentIdOf(r) !== null) return 'subagent';
  return toolNames(r).includes(AGENT_TOOL) ? 'main' : 'side';
}

export function mainAgentCalls(rs: readonly RecordedRequest[]): RecordedRequest[] {
  return rs.filter((r) => isMessagesCall(r) && senderOf(r) === 'main');
}

export function subagentCalls(rs: readonly RecordedRequest[]): RecordedRequest[] {
  return rs.filter((r) => isMessagesCall(r) && senderOf(r) === 'subagent');
}

interface ContentBlock {
  type: string;
  name?: string;
  text?: string;
  content?: unknown;
}

function blocksOf(r: RecordedRequest, role: 'user' | 'assistant'): ContentBlock[] {
  const messages = r.json?.messages;
  if (!Array.isArray(messages)) return [];
  return messages
    .filter((m: { role?: unknown }) => m.role === role)
    .flatMap((m: { content?: unknown }) => (Array.isArray(m.content) ? (m.content as ContentBlock[]) : []));
}

/** Whether an earlier assistant turn in the request already called the Agent tool. */
export function hasDelegated(r: RecordedRequest): boolean {
  return blocksOf(r, 'assistant').some((b) => b.type === 'tool_use' && b.name === AGENT_TOOL);
}

/** The text of every tool_result the request sends back (a sub-agent's report ends with `agentId: <id>`). */
export function toolResultText(r: RecordedRequest): string {
  const text = (c: unknown): string =>
    typeof c === 'string'
      ? c
      : Array.isArray(c)
        ? c.map((b: ContentBlock) => (typeof b.text === 'string' ? b.text : '')).join('\n')
        : '';
  return blocksOf(r, 'user')
    .filter((b) => b.type === 'tool_result')
    .map((b) => text(b.content))
    .join('\n');
}

export interface DelegationScript {
  /** The agent the main agent starts (`subagent_type`). */
  subagentType: string;
  /** The task given to it. */
  prompt: string;
  description?: string;
  /** What the sub-agent answers (each of its requests, end_turn). */
  subagentReply: string;
  /** The main agent's answer once the sub-agent reported: what `claude -p` prints. */
  finalReply: string;
}

/**
 * A fake-upstream handler playing the model for a Claude Code session that delegates once: the
 * main agent's first turn calls `Agent` for `subagentType`, the sub-agent answers with text, and
 * the main agent's next turn (holding the report as a tool_result) ends with `finalReply`. Side
 * requests get a short text; anything not a streamed Messages call gets the default answer.
 * Every answer echoes the request's model, as the real API does.
 */
export function delegatingHandler(s: DelegationScript): FakeHandler {
  return (r) => {
    if (!isMessagesCall(r) || r.json?.stream !== true) return undefined;
    const model = String(r.json.model);
    const text = (t: string) => textTurn(model, t);
    switch (senderOf(r)) {
      case 'subagent':
        return text(s.subagentReply);
      case 'side':
        return text('Sub-agent review');
      case 'main':
        if (hasDelegated(r)) return text(s.finalReply);
        return {
          kind: 'sse',
          events: turnEvents({
            model,
            blocks: [
              {
                type: 'tool_use',
                name: AGENT_TOOL,
                input: {
                  description: s.description ?? 'Review the project',
                  prompt: s.prompt,
                  subagent_type: s.subagentType,
                  // 2.1.328 runs sub-agents in the background by default and wakes the main agent
                  // with a task notification later; in the foreground the report comes back as the
                  // tool_result of this call (protocol.md §7), and the run ends after one turn more.
                  run_in_background: false,
                },
              },
            ],
          }),
        };
    }
  };
}

/** A streamed model turn that only says `text`. */
export function textTurn(model: string, text: string) {
  return { kind: 'sse' as const, events: turnEvents({ model, blocks: [{ type: 'text', text }] }) };
}

/** Whether the request sends a tool result back (the turn after a tool call ran or was refused). */
export function hasToolResult(r: RecordedRequest): boolean {
  return blocksOf(r, 'user').some((b) => b.type === 'tool_result');
}

/**
 * A fake-upstream handler playing the model for a worker that runs one command: its first turn
 * says `intro` and calls Bash `command`; once the tool result comes back it answers
 * `DONE. The tool said: <result>`. Side requests (titles, topics: not offered Bash) get a short text.
 */
export function oneBashCallHandler(command: string, intro: string, description = 'Make it'): FakeHandler {
  return (r) => {
    if (!isMessagesCall(r) || r.json?.stream !== true) return undefined;
    const model = String(r.json.model);
    const text = (t: string) => textTurn(model, t);
    if (!toolNames(r).includes('Bash')) return text('Worker task');
    if (hasToolResult(r)) return text(`DONE. The tool said: ${toolResultText(r)}`);
    return {
      kind: 'sse',
      events: turnEvents({
        model,
        blocks: [
          { type: 'text', text: intro },
          { type: 'tool_use', name: 'Bash', input: { command, description } },
        ],
      }),
    };
  };
}
