import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConversation, conversationLayout, normaliseConversation, splitReminders } from './conversation.js';

/** Recorded upstream streams (the proxy's fixtures): what the gateway stores as a streamed response body. */
const sse = (name: string) =>
  readFileSync(new URL(`../../src/proxy/__fixtures__/${name}.sse`, import.meta.url), 'utf8');

const complete = { requestTruncated: false, responseTruncated: false, stream: false };
const streamed = { ...complete, stream: true };

/** A request as Claude Code sends one: cached system blocks, tools, and a tool round trip. */
const claudeCodeRequest = JSON.stringify({
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 32000,
  stream: true,
  system: [
    { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
    { type: 'text', text: 'Working directory: /home/me/app', cache_control: { type: 'ephemeral' } },
  ],
  tools: [
    { name: 'Read', description: 'Reads a file', input_schema: { type: 'object' } },
    { name: 'Bash', description: 'Runs a command', input_schema: { type: 'object' } },
    { description: 'a tool without a name is not listed' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Why does the build fail? Screenshot attached.' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAA' } },
        { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' }, title: 'Build log' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should read the config first.', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Let me look at the config.' },
        { type: 'tool_use', id: 'toolu_01', name: 'Read', input: { file_path: '/home/me/app/tsconfig.json' } },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01',
          content: [{ type: 'text', text: '{ "strict": true }' }],
        },
        { type: 'tool_result', tool_use_id: 'toolu_02', is_error: true, content: 'ENOENT: no such file' },
        { type: 'tool_result', tool_use_id: 'toolu_03' },
      ],
    },
  ],
});

describe('buildConversation', () => {
  it('shows a Claude Code request as system prompt, tools offered and turns with every kind of block', () => {
    const conv = buildConversation(claudeCodeRequest, null, complete);
    expect(conv.system).toEqual([
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: 'text', text: 'Working directory: /home/me/app' },
    ]);
    expect(conv.tools).toEqual(['Read', 'Bash']);
    expect(conv.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user']);

    const [question, answer, results] = conv.turns;
    expect(question?.blocks).toEqual([
      { type: 'text', text: 'Why does the build fail? Screenshot attached.' },
      // 24 base64 characters carry 18 bytes; the image itself is never shown.
      { type: 'image', mediaType: 'image/png', sourceType: 'base64', bytes: 18 },
      { type: 'document', mediaType: 'unknown type', sourceType: 'url', title: 'Build log' },
    ]);
    expect(answer?.blocks).toEqual([
      { type: 'thinking', text: 'I should read the config first.', redacted: false },
      { type: 'thinking', text: '', redacted: true },
      { type: 'text', text: 'Let me look at the config.' },
      {
        type: 'tool_use',
        id: 'toolu_01',
        name: 'Read',
        input: { file_path: '/home/me/app/tsconfig.json' },
        partialJson: null,
      },
    ]);
    expect(results?.blocks).toEqual([
      {
        type: 'tool_result',
        toolUseId: 'toolu_01',
        isError: false,
        content: [{ type: 'text', text: '{ "strict": true }' }],
      },
      {
        type: 'tool_result',
        toolUseId: 'toolu_02',
        isError: true,
        content: [{ type: 'text', text: 'ENOENT: no such file' }],
      },
      { type: 'tool_result', toolUseId: 'toolu_03', isError: false, content: [] },
    ]);
    // The request alone is readable; only the missing response is reported.
    expect(conv.problems).toEqual(['No response body was stored.']);
  });

  it('takes plain-string system prompts and message contents as text, and keeps unknown blocks for the raw view', () => {
    const body = JSON.stringify({
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'user', content: [{ type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1' }] },
        'not a message',
        { content: 'no role' },
      ],
    });
    const conv = buildConversation(body, JSON.stringify({ role: 'assistant', content: [] }), complete);
    expect(conv.system).toEqual([{ type: 'text', text: 'Be brief.' }]);
    expect(conv.turns).toEqual([
      { role: 'user', blocks: [{ type: 'text', text: 'Hello' }] },
      {
        role: 'user',
        blocks: [
          {
            type: 'other',
            kind: 'web_search_tool_result',
            raw: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1' },
          },
        ],
      },
      { role: 'unknown', blocks: [{ type: 'text', text: 'no role' }] },
      { role: 'assistant', blocks: [] },
    ]);
    expect(conv.tools).toEqual([]);
    expect(conv.problems).toEqual([]);
  });

  it('adds the JSON response of a non-streamed request as the last, assistant turn', () => {
    const response = JSON.stringify({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'text', text: 'The path alias is missing.' },
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'tsconfig paths' } },
      ],
      stop_reason: 'end_turn',
    });
    const conv = buildConversation(
      JSON.stringify({ messages: [{ role: 'user', content: 'Why?' }] }),
      response,
      complete,
    );
    expect(conv.turns.at(-1)).toEqual({
      role: 'assistant',
      blocks: [
        { type: 'text', text: 'The path alias is missing.' },
        {
          type: 'tool_use',
          id: 'srvtoolu_1',
          name: 'web_search',
          input: { query: 'tsconfig paths' },
          partialJson: null,
        },
      ],
    });
    expect(conv.problems).toEqual([]);
  });

  it('rebuilds a streamed reply with thinking from its events', () => {
    const conv = buildConversation(claudeCodeRequest, sse('thinking'), streamed);
    expect(conv.turns).toHaveLength(4);
    expect(conv.turns.at(-1)).toEqual({
      role: 'assistant',
      blocks: [
        {
          type: 'thinking',
          text: 'The user asks for 27 * 453. Let me compute: 27 * 453 = 27 * 400 + 27 * 53 = 10800 + 1431 = 12231.',
          redacted: false,
        },
        { type: 'text', text: '27 × 453 = **12,231**' },
      ],
    });
    expect(conv.problems).toEqual([]);
  });

  it('joins text deltas in order, multi-byte text included, and reads CRLF-separated events too', () => {
    const text = "Bonjour ! Voilà l'été — 日本語のテキスト 🌍🚀 and a final sentence.";
    expect(buildConversation(null, sse('text'), streamed).turns).toEqual([
      { role: 'assistant', blocks: [{ type: 'text', text }] },
    ]);
    const crlf = sse('text').replace(/\n/g, '\r\n');
    expect(buildConversation(null, crlf, streamed).turns[0]?.blocks).toEqual([{ type: 'text', text }]);
  });

  it('puts a streamed tool call together from its input_json deltas', () => {
    const conv = buildConversation(null, sse('tool-use'), streamed);
    expect(conv.turns[0]?.blocks).toEqual([
      { type: 'text', text: "Okay, let's check the weather for San Francisco, CA:" },
      {
        type: 'tool_use',
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        name: 'get_weather',
        input: { location: 'San Francisco, CA', unit: 'fahrenheit' },
        partialJson: null,
      },
    ]);
    expect(conv.problems).toEqual(['The request body was not stored.']);
  });

  it('shows how far a stream cut at the payload cap got, the unfinished tool input as raw text', () => {
    const full = sse('tool-use');
    const cut = full.slice(0, full.indexOf('"partial_json":"o, CA'));
    const conv = buildConversation(null, cut, { ...streamed, responseTruncated: true });
    expect(conv.turns[0]?.blocks.at(-1)).toEqual({
      type: 'tool_use',
      id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      name: 'get_weather',
      input: {},
      partialJson: '{"location": "San Francisc',
    });
    expect(conv.problems).toContain('The response was cut at the payload size cap; the reply is partial.');
  });

  it('keeps the text before a mid-stream error and says which error ended the stream', () => {
    const conv = buildConversation(null, sse('error-overloaded'), streamed);
    expect(conv.turns[0]?.blocks).toEqual([{ type: 'text', text: 'Let me start by reading the file you mentioned…' }]);
    expect(conv.problems).toContain('The stream ended with an error: overloaded_error: Overloaded');
  });

  it('says why a payload cannot be read instead of failing', () => {
    const problems = (req: string | null, res: string | null, opts = complete) =>
      buildConversation(req, res, opts).problems;
    expect(problems(null, '')).toEqual(['The request body was not stored.', 'No response body was stored.']);
    expect(problems('{"messages": [', null, { ...complete, requestTruncated: true })).toEqual([
      'The request body was cut at the payload size cap, so it cannot be read as JSON; see the raw text.',
      'No response body was stored.',
    ]);
    expect(problems('plain text', '[1, 2]')).toEqual([
      'The request body is not JSON; see the raw text.',
      'The response body is not JSON.',
    ]);
    expect(problems('{}', '{"content": [', { ...complete, responseTruncated: true })).toEqual([
      'The response was cut at the payload size cap.',
    ]);
    expect(
      problems('{}', JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } })),
    ).toEqual(['The response is an error: rate_limit_error: Slow down']);
    expect(problems('{}', 'event: ping\ndata: {"type": "ping"}\n\n', streamed)).toEqual([
      'The response stream has no message_start event.',
    ]);
  });
});

describe('conversationLayout', () => {
  it('puts the latest user message and the reply first, the rest as earlier history', () => {
    const conv = buildConversation(claudeCodeRequest, sse('text'), streamed);
    const { latest, reply, earlier } = conversationLayout(conv);
    expect(latest?.n).toBe(3);
    expect(latest?.turn.role).toBe('user');
    expect(reply?.n).toBe(4);
    expect(reply?.turn).toBe(conv.reply);
    expect(earlier.map((t) => [t.n, t.turn.role])).toEqual([
      [1, 'user'],
      [2, 'assistant'],
    ]);
  });

  it('has no reply when the response could not be read, and no latest message without a user turn', () => {
    const conv = buildConversation(claudeCodeRequest, '{"type":"error","error":{"type":"x","message":"y"}}', complete);
    expect(conversationLayout(conv).reply).toBeNull();
    expect(conversationLayout(conv).latest?.n).toBe(3);
    const empty = buildConversation('{"messages":[]}', null, complete);
    expect(conversationLayout(empty)).toEqual({ latest: null, reply: null, earlier: [] });
  });
});

describe('splitReminders', () => {
  it("separates Claude Code's system reminders from what the person wrote", () => {
    const text =
      '<system-reminder>\nContents of /home/me/app/CLAUDE.md\nUse pnpm.\n</system-reminder>\n' +
      'Why does the build fail?\n<system-reminder>Todo list is empty</system-reminder>';
    expect(splitReminders(text)).toEqual([
      { kind: 'reminder', text: 'Contents of /home/me/app/CLAUDE.md\nUse pnpm.' },
      { kind: 'text', text: 'Why does the build fail?' },
      { kind: 'reminder', text: 'Todo list is empty' },
    ]);
  });

  it('keeps text without reminders as it is, and an unclosed reminder (cut payload) as a reminder', () => {
    expect(splitReminders('  plain\ntext ')).toEqual([{ kind: 'text', text: '  plain\ntext ' }]);
    expect(splitReminders('')).toEqual([{ kind: 'text', text: '' }]);
    expect(splitReminders('ask <system-reminder>cut at the cap')).toEqual([
      { kind: 'text', text: 'ask' },
      { kind: 'reminder', text: 'cut at the cap' },
    ]);
  });
});

/** A request body Claude Code sent, recorded through ccflare (src/conversations/__fixtures__). */
const recorded = (name: string, i: number): string =>
  JSON.stringify(
    JSON.parse(readFileSync(new URL(`../../src/conversations/__fixtures__/${name}.json`, import.meta.url), 'utf8'))
      .requests[i].body,
  );

describe('normaliseConversation', () => {
  it('hides the system reminders of a recorded Claude Code request, keeping what the person typed', () => {
    const conv = buildConversation(recorded('subtasks', 0), null, complete);
    const shown = normaliseConversation(conv, { showReminders: false });
    const first = shown.conv.turns[0];
    expect(first?.blocks).toEqual([
      { type: 'text', text: 'DELEGATE-TWO: ask the reviewer agent to review CLAUDE.md and README.md, in two tasks.' },
    ]);
    expect(shown.hiddenReminders).toBe(2);
    expect(JSON.stringify(shown.conv.turns)).not.toContain('<system-reminder>');
  });

  it('shows the reminders again when asked, unchanged', () => {
    const conv = buildConversation(recorded('subtasks', 0), null, complete);
    const all = normaliseConversation(conv, { showReminders: true });
    expect(all.hiddenReminders).toBe(0);
    expect(all.conv.turns).toEqual(conv.turns);
  });

  it('keeps the text around a reminder inside one block', () => {
    const body = JSON.stringify({
      messages: [{ role: 'user', content: 'Fix it.\n<system-reminder>todo list</system-reminder>\nThanks' }],
    });
    const shown = normaliseConversation(buildConversation(body, null, complete), { showReminders: false });
    expect(shown.conv.turns[0]?.blocks).toEqual([{ type: 'text', text: 'Fix it.\n\nThanks' }]);
    expect(shown.hiddenReminders).toBe(1);
  });

  it('shows a tool_use and a tool_result with the same id once, and keeps message numbers', () => {
    const use = { type: 'tool_use', id: 'toolu_01', name: 'Read', input: { file_path: 'a' } };
    const result = { type: 'tool_result', tool_use_id: 'toolu_01', content: 'x' };
    const body = JSON.stringify({
      messages: [
        { role: 'user', content: 'read a' },
        { role: 'assistant', content: [use] },
        { role: 'user', content: [result] },
        { role: 'assistant', content: [use] },
        { role: 'user', content: [result, { type: 'text', text: 'go on' }] },
      ],
    });
    const reply = JSON.stringify({ role: 'assistant', content: [{ type: 'text', text: 'done' }] });
    const shown = normaliseConversation(buildConversation(body, reply, complete), { showReminders: false });
    expect(shown.duplicateTools).toBe(2);
    expect(shown.conv.turns.map((t) => t.blocks.map((b) => b.type))).toEqual([
      ['text'],
      ['tool_use'],
      ['tool_result'],
      [],
      ['text'],
      ['text'],
    ]);
    expect(shown.conv.reply).toBe(shown.conv.turns.at(-1));
    expect(conversationLayout(shown.conv).latest?.n).toBe(5);
  });

  it('does not merge tool blocks without an id', () => {
    const body = JSON.stringify({
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', name: 'A' },
            { type: 'tool_use', name: 'B' },
          ],
        },
      ],
    });
    const shown = normaliseConversation(buildConversation(body, null, complete), { showReminders: true });
    expect(shown.conv.turns[0]?.blocks).toHaveLength(2);
    expect(shown.duplicateTools).toBe(0);
  });
});
