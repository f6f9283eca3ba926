import { describe, expect, it } from 'vitest';
import type { ConversationDetail } from '../storage/contract/conversations.js';
import { answerText, buildTranscript, HEAD_CHARS, messageLines, TAIL_CHARS } from './analysis.js';

const summary = {
  id: 'c1',
  firstAt: 0,
  lastAt: 1,
  requests: 1,
  branches: 1,
  subtasks: 0,
  inputTokens: 10,
  outputTokens: 5,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0.01,
  accounts: [],
  keys: [],
  agents: [],
  model: 'claude-sonnet-4-5',
  firstUserText: 'x',
};
const row = {
  id: 'r1',
  ts: 0,
  branch: 'main',
  parentRequestId: null,
  model: 'claude-sonnet-4-5',
  status: 200,
  success: true,
  costUsd: 0.01,
  accountName: null,
  agent: 'main',
  agentInstance: null,
  sessionId: null,
  inputTokens: 10,
  outputTokens: 5,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};
const detail: ConversationDetail = { summary, requests: [row], subtasks: [] };

describe('analysis transcript', () => {
  it('drops system reminders, shows each tool call and result once on one line', () => {
    const use = { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls\n-la' } };
    expect(
      messageLines('assistant', [
        { type: 'text', text: 'Listing.' },
        use,
        use,
        { type: 'text', text: '<system-reminder>x' },
      ]),
    ).toEqual(['Assistant: Listing.', '  → Bash {"command":"ls\\n-la"}']);
    expect(messageLines('user', [{ type: 'tool_result', tool_use_id: 't1', content: 'a\nb' }])).toEqual([
      '  ← result (3 chars): a b',
    ]);
    expect(messageLines('user', '<system-reminder>only</system-reminder>')).toEqual([]);
  });

  it('reads the answer text of a JSON message and of an SSE stream', () => {
    expect(answerText('{"content":[{"type":"text","text":"hi"}]}')).toBe('hi');
    const sse =
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}\n\n' +
      'data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"b"}}\n\ndata: {"type":"cut';
    expect(answerText(sse)).toBe('ab');
  });

  it('keeps the head and the tail of a transcript past the cap', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({ role: 'user', content: `${i} ${'y'.repeat(1000)}` }));
    const t = await buildTranscript(detail, async () => ({
      requestBody: JSON.stringify({ messages }),
      responseBody: null,
    }));
    const body = t.slice(t.indexOf('Transcript:\n') + 12);
    expect(body.length).toBeLessThan(HEAD_CHARS + TAIL_CHARS + 100);
    expect(body).toMatch(/^User: 0 y/);
    expect(body).toContain('characters left out');
    expect(body).toContain('User: 199 y');
    expect(t).toContain('Tokens: input 10');
  });

  it('says so when no payload is stored', async () => {
    expect(await buildTranscript(detail, async () => null)).toContain('[no stored payloads');
  });
});
