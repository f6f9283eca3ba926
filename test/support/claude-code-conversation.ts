/**
 * Scripting the fake upstream for Claude Code conversations (issue 16): plain turns answered with
 * a marker, a compaction's summary request, and a turn that starts two sub-agents at once. Requests
 * are told apart by content, never by order (test/support/claude-code-upstream.ts).
 */
import { AGENT_TOOL, hasDelegated, isMessagesCall, senderOf } from './claude-code-upstream.js';
import type { FakeHandler, RecordedRequest } from './fake-upstream.js';
import { turnEvents } from './fake-upstream.js';

/** The user's words in a turn that makes the main agent start two sub-agents. */
export const DELEGATE_TWO = 'DELEGATE-TWO';
/** Claude Code's compaction request asks for a summary of the conversation so far. */
const SUMMARY_ASK = /create a detailed summary of the conversation/i;

/** The last user message's text, system reminders left out. */
export function lastUserText(r: RecordedRequest): string {
  const messages = r.json?.messages;
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (!Array.isArray(m.content)) return '';
    return m.content
      .filter((b: { type?: string; text?: unknown }) => b.type === 'text' && typeof b.text === 'string')
      .map((b: { text: string }) => b.text)
      .filter((t: string) => !t.startsWith('<system-reminder>'))
      .join('\n');
  }
  return '';
}

export function isSummaryRequest(r: RecordedRequest): boolean {
  return SUMMARY_ASK.test(lastUserText(r));
}

export interface SubtaskScript {
  subagentType: string;
  prompts: readonly [string, string];
}

/** The fake model for conversation scenarios. */
export function conversationHandler(sub: SubtaskScript): FakeHandler {
  return (r) => {
    if (!isMessagesCall(r) || r.json?.stream !== true) return undefined;
    const model = String(r.json.model);
    const text = (t: string) => ({
      kind: 'sse' as const,
      events: turnEvents({ model, blocks: [{ type: 'text', text: t }] }),
    });
    if (isSummaryRequest(r)) {
      return text(
        '<analysis>The user ran a few marker turns.</analysis>\n<summary>SUMMARY-MARKER: marker turns so far.</summary>',
      );
    }
    const sender = senderOf(r);
    if (sender === 'subagent') return text(`SUB-REPORT for ${lastUserText(r).slice(-40)}`);
    if (sender === 'side') return text('Side answer');
    const said = lastUserText(r);
    if (said.includes(DELEGATE_TWO) && !hasDelegated(r)) {
      return {
        kind: 'sse',
        events: turnEvents({
          model,
          blocks: sub.prompts.map((prompt, i) => ({
            type: 'tool_use' as const,
            name: AGENT_TOOL,
            input: {
              description: `Review part ${i + 1}`,
              prompt,
              subagent_type: sub.subagentType,
              run_in_background: false,
            },
          })),
        }),
      };
    }
    if (hasDelegated(r)) return text('MAIN-FINAL: both reviews are in.');
    return text(`ANSWER to ${said.replace(/\s+/g, ' ').slice(0, 60)}`);
  };
}
