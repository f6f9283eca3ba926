import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestFacts, requestFactsOf, scannedFacts } from './message-hash.js';

interface FixtureRequest {
  at: number;
  sessionId: string | null;
  agentId: string | null;
  body: { messages: unknown[]; system?: unknown };
}
/** Requests recorded from the real CLI through ccflare (test/e2e/claude-code-conversations.e2e.test.ts). */
function fixture(name: string): FixtureRequest[] {
  return JSON.parse(readFileSync(join(import.meta.dirname, '__fixtures__', `${name}.json`), 'utf8')).requests;
}

const facts = (body: unknown) => {
  const f = requestFacts(body);
  if (f === null) throw new Error('not a Messages body');
  return f;
};
const user = (content: unknown) => ({ role: 'user', content });
const assistant = (content: unknown) => ({ role: 'assistant', content });

describe('message hashing', () => {
  it('hashes a string and a single text block the same', () => {
    const a = facts({ messages: [user('hello'), assistant('hi'), user('next')] });
    const b = facts({
      messages: [user([{ type: 'text', text: 'hello' }]), assistant([{ type: 'text', text: 'hi' }]), user('next')],
    });
    expect(b.messageHash).toBe(a.messageHash);
    expect(b.parentMessageHash).toBe(a.parentMessageHash);
  });

  it('skips content items that start with <system-reminder> and ignores cache_control', () => {
    const plain = facts({ messages: [user([{ type: 'text', text: 'hello' }])] });
    const reminded = facts({
      messages: [
        user([
          { type: 'text', text: '<system-reminder>\nContents of /x/CLAUDE.md</system-reminder>' },
          { type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } },
        ]),
      ],
    });
    expect(reminded.messageHash).toBe(plain.messageHash);
    expect(reminded.firstUserText).toBe('hello');
  });

  it('skips role:system messages inside messages', () => {
    const without = facts({ messages: [user('a'), assistant('b'), user('c')] });
    const withEnv = facts({
      messages: [
        user('a'),
        { role: 'system', content: '# Environment\nPrimary working directory: /p' },
        assistant('b'),
        user('c'),
      ],
    });
    expect(withEnv.messageHash).toBe(without.messageHash);
    expect(withEnv.parentMessageHash).toBe(without.parentMessageHash);
  });

  it('counts a tool_use or tool_result with a duplicate id once', () => {
    const use = { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: '/a' } };
    const result = { type: 'tool_result', tool_use_id: 'toolu_1', content: 'file' };
    const once = facts({ messages: [user('a'), assistant([use]), user([result])] });
    const twice = facts({ messages: [user('a'), assistant([use, use]), user([result, result])] });
    expect(twice.messageHash).toBe(once.messageHash);
  });

  it('hashes images by their data: the same picture matches, another one does not', () => {
    const img = (data: string) => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data } });
    const a = facts({ messages: [user([img('AAAA'), { type: 'text', text: 'see' }])] });
    const b = facts({ messages: [user([img('AAAA'), { type: 'text', text: 'see' }])] });
    const c = facts({ messages: [user([img('BBBB'), { type: 'text', text: 'see' }])] });
    expect(b.messageHash).toBe(a.messageHash);
    expect(c.messageHash).not.toBe(a.messageHash);
  });

  it('gives the system prompt its own hash, outside the chain and without the billing line', () => {
    const sys = (version: string, prompt: string) => [
      { type: 'text', text: `x-anthropic-billing-header: cc_version=${version}; cc_entrypoint=cli;` },
      { type: 'text', text: prompt },
    ];
    const a = facts({ system: sys('2.1.1', 'You are Claude Code. gitStatus: clean'), messages: [user('a')] });
    const b = facts({ system: sys('2.1.2', 'You are Claude Code. gitStatus: clean'), messages: [user('a')] });
    const c = facts({ system: sys('2.1.2', 'You are Claude Code. gitStatus: M file.ts'), messages: [user('a')] });
    expect(b.systemHash).toBe(a.systemHash);
    expect(c.systemHash).not.toBe(a.systemHash);
    // A changed system prompt does not break the chain.
    expect(c.messageHash).toBe(a.messageHash);
  });

  it('is null for a body that is not a Messages request', () => {
    expect(requestFactsOf(Buffer.from('not json'))).toBeNull();
    expect(requestFactsOf('{"prompt":"x"}')).toBeNull();
    // Large enough to be scanned rather than parsed whole.
    const tools = [{ name: 'Read', description: 'x'.repeat(5000) }];
    expect(requestFactsOf(Buffer.from(JSON.stringify({ tools, prompt: 'x' })))).toBeNull();
    expect(requestFactsOf(Buffer.from(`{"tools":${JSON.stringify(tools)},"messages":[{"role":"user"`))).toBeNull();
  });
});

describe('facts of a body as bytes (only messages and system parsed)', () => {
  const tools = Array.from({ length: 20 }, (_, i) => ({
    name: `Tool${i}`,
    description: `Reads "files" with \\ paths {not json} [${i}] `.repeat(10),
    input_schema: { type: 'object', properties: { messages: { type: 'string' }, system: { type: 'array' } } },
  }));
  const system = [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.1' },
    { type: 'text', text: 'You are Claude Code. Quote: \\" } ] {' },
  ];
  const messages = [
    user([{ type: 'text', text: 'fix "it" \\ now {' }]),
    assistant([{ type: 'tool_use', id: 't1', name: 'Agent', input: { prompt: 'review', system: 'no' } }]),
    user([{ type: 'tool_result', tool_use_id: 't1', content: 'done\nagentId: 0123456789abcdef0' }]),
  ];

  it.each([
    ['Claude Code order', { model: 'm', messages, system, tools, max_tokens: 10, stream: true }],
    ['tools first', { tools, model: 'm', max_tokens: 10, system, messages }],
    ['no system', { model: 'm', tools, messages }],
    ['nested keys named messages and system', { metadata: { messages: [], system: 'x' }, tools, system, messages }],
  ])('gives the facts of the whole body: %s', (_name, body) => {
    const whole = facts(body);
    expect(scannedFacts(Buffer.from(JSON.stringify(body)))).toEqual(whole);
    // Pretty-printed: whitespace between every token.
    expect(scannedFacts(Buffer.from(JSON.stringify(body, null, 2)))).toEqual(whole);
    expect(requestFactsOf(Buffer.from(JSON.stringify(body)))).toEqual(whole);
  });

  it('gives the facts of the whole body for every request recorded from Claude Code', () => {
    for (const name of ['plain', 'branch', 'compact', 'subtasks']) {
      for (const r of fixture(name)) {
        const body = { ...r.body, tools };
        expect(scannedFacts(Buffer.from(JSON.stringify(body)))).toEqual(facts(body));
      }
    }
  });

  it('tells system prompts apart after hashing one', () => {
    const a = requestFactsOf(Buffer.from(JSON.stringify({ messages, system, tools })));
    const other = [{ type: 'text', text: 'You are another agent.' }];
    const b = requestFactsOf(Buffer.from(JSON.stringify({ messages, system: other, tools })));
    expect(b?.systemHash).toBe(facts({ messages, system: other }).systemHash);
    expect(b?.systemHash).not.toBe(a?.systemHash);
  });
});

describe('message hashing on requests recorded from Claude Code', () => {
  it('plain session (-p, --resume, --continue): each turn’s parent hash is the previous turn’s hash', () => {
    const rs = fixture('plain').map((r) => facts(r.body));
    expect(rs).toHaveLength(3);
    expect(rs[0]?.parentMessageHash).toBeNull();
    // Turn two arrived as a text block, then as a string inside turn three; the environment
    // block changed from a text block to a string: the chain holds.
    expect(rs[1]?.parentMessageHash).toBe(rs[0]?.messageHash);
    expect(rs[2]?.parentMessageHash).toBe(rs[1]?.messageHash);
    expect(rs[0]?.firstUserText).toBe('PLAIN turn one');
    expect(new Set(rs.map((r) => r.systemHash)).size).toBe(1);
  });

  it('retried turn: both forks share the parent hash of the base turn', () => {
    const [base, left, right] = fixture('branch').map((r) => facts(r.body));
    expect(left?.parentMessageHash).toBe(base?.messageHash);
    expect(right?.parentMessageHash).toBe(base?.messageHash);
    expect(left?.messageHash).not.toBe(right?.messageHash);
  });

  it('compaction: the summary request is marked, the first request after it names the compacted session', () => {
    const rs = fixture('compact');
    const fs = rs.map((r) => facts(r.body));
    const summary = fs.findIndex((f) => f.summary);
    expect(summary).toBe(2);
    expect(fs[2]?.parentMessageHash).toBe(fs[1]?.messageHash);
    expect(fs[3]?.compactedFrom).toBe(rs[0]?.sessionId);
  });

  it('sub-agents: the hand-back names both agent ids and the prompts the Agent tool gave them', () => {
    const rs = fixture('subtasks');
    const last = facts(rs[rs.length - 1]?.body);
    const subs = rs.filter((r) => r.agentId !== null);
    expect(subs).toHaveLength(2);
    expect(last.handBacks.map((h) => h.agentId).sort()).toEqual(subs.map((s) => s.agentId).sort());
    expect(last.handBacks.map((h) => h.prompt)).toEqual([
      'Review CLAUDE.md (part A, marker SUB-A1).',
      'Review README.md (part B, marker SUB-B2).',
    ]);
    // A sub-agent's first message ends with its task: the prompt hash older clients are matched by.
    for (const s of subs) expect(facts(s.body).firstUserText).toMatch(/^Review (CLAUDE|README)\.md/);
  });
});
