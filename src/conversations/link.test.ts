import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compactBranch,
  type LinkDecision,
  type LinkedRequest,
  type LinkLookup,
  linkRequest,
  type SubtaskLink,
} from './link.js';
import { type RequestFacts, requestFacts } from './message-hash.js';

interface FixtureRequest {
  at: number;
  sessionId: string | null;
  agentId: string | null;
  body: unknown;
}
function fixture(name: string): FixtureRequest[] {
  return JSON.parse(readFileSync(join(import.meta.dirname, '__fixtures__', `${name}.json`), 'utf8')).requests;
}

interface Row extends LinkedRequest {
  parentRequestId: string | null;
  parentMessageHash: string | null;
  promptHash: string | null;
  claimed: boolean;
}

/** The linker over arrays: what storage does over its indexes. */
class Memory implements LinkLookup {
  rows: Row[] = [];
  subtasks = new Map<string, SubtaskLink>();
  byMessageHash(hash: string) {
    return this.rows.filter((r) => r.messageHash === hash);
  }
  children(conversationId: string, parentHash: string) {
    return this.rows.filter(
      (r) => r.conversationId === conversationId && r.parentMessageHash === parentHash && r.agentInstance === null,
    );
  }
  requestCount(conversationId: string) {
    return this.rows.filter((r) => r.conversationId === conversationId).length;
  }
  latestOfInstance(agentInstance: string) {
    return this.rows.filter((r) => r.agentInstance === agentInstance).at(-1) ?? null;
  }
  latestInSession(sessionId: string, ts: number) {
    return this.rows.filter((r) => r.sessionId === sessionId && r.agentInstance === null && r.ts <= ts).at(-1) ?? null;
  }
  branches(conversationId: string) {
    return [...new Set(this.rows.filter((r) => r.conversationId === conversationId).map((r) => r.branch))];
  }
  unclaimedSubtaskRoots(promptHash: string, from: number, to: number) {
    return this.rows.filter(
      (r) => r.promptHash === promptHash && r.parentMessageHash === null && !r.claimed && r.ts >= from && r.ts <= to,
    );
  }
  get(id: string) {
    return this.rows.find((r) => r.id === id) ?? null;
  }
  parentOf(id: string) {
    return this.get(id)?.parentRequestId ?? null;
  }

  add(id: string, r: { at: number; sessionId: string | null; agentId: string | null }, f: RequestFacts): LinkDecision {
    const d = linkRequest(this, { id, ts: r.at, sessionId: r.sessionId, agentInstance: r.agentId, facts: f });
    this.rows.push({
      id,
      ts: r.at,
      sessionId: r.sessionId,
      agentInstance: r.agentId,
      conversationId: d.conversationId,
      branch: d.branch,
      messageHash: f.messageHash,
      summary: f.summary,
      parentRequestId: d.parentRequestId,
      parentMessageHash: f.parentMessageHash,
      promptHash: f.parentMessageHash === null ? f.promptHash : null,
      claimed: false,
    });
    for (const s of d.subtasks) {
      this.subtasks.set(s.id, s);
      for (const row of this.rows) {
        const mine =
          s.agentInstance !== null ? row.agentInstance === s.agentInstance : row.conversationId === s.moveConversation;
        if (!mine) continue;
        row.conversationId = s.conversationId;
        row.branch = s.branch;
        row.claimed = true;
        if (
          row.id === s.id ||
          (s.agentInstance !== null &&
            row.parentRequestId !== null &&
            this.get(row.parentRequestId)?.agentInstance !== s.agentInstance)
        ) {
          row.parentRequestId = s.parentRequestId;
        }
      }
    }
    return d;
  }

  /** Links a fixture's requests in order; ids r0, r1, … */
  replay(rs: readonly FixtureRequest[]): Row[] {
    rs.forEach((r, i) => {
      this.add(`r${i}`, r, requestFacts(r.body) as RequestFacts);
    });
    return this.rows;
  }
}

const user = (content: unknown) => ({ role: 'user', content });
const assistant = (content: unknown) => ({ role: 'assistant', content });
const at = (ts: number, sessionId: string | null = 's1', agentId: string | null = null) => ({
  at: ts,
  sessionId,
  agentId,
});
const f = (body: unknown) => requestFacts(body) as RequestFacts;

describe('conversation linking on requests recorded from Claude Code', () => {
  it('plain session: one conversation, one branch, each turn the child of the one before', () => {
    const rows = new Memory().replay(fixture('plain'));
    expect(new Set(rows.map((r) => r.conversationId))).toEqual(new Set(['r0']));
    expect(rows.map((r) => r.branch)).toEqual(['main', 'main', 'main']);
    expect(rows.map((r) => r.parentRequestId)).toEqual([null, 'r0', 'r1']);
  });

  it('retried turn: the second child of the base turn starts a new branch; both forks stay in the conversation', () => {
    const rows = new Memory().replay(fixture('branch'));
    expect(rows.map((r) => [r.conversationId, r.branch, r.parentRequestId])).toEqual([
      ['r0', 'main', null],
      ['r0', 'main', 'r0'],
      ['r0', 'branch_1', 'r0'],
    ]);
  });

  it('compaction: the summary request stays in the conversation it summarises; the continuation joins it on compact_HHMMSS', () => {
    const rs = fixture('compact');
    const rows = new Memory().replay(rs);
    expect(rows.map((r) => r.conversationId)).toEqual(['r0', 'r0', 'r0', 'r0']);
    expect(rows[2]).toMatchObject({ branch: 'main', parentRequestId: 'r1', summary: true });
    expect(rows[3]).toMatchObject({ branch: compactBranch(rs[3]?.at as number), parentRequestId: 'r2' });
    expect(rows[3]?.branch).toMatch(/^compact_\d{6}$/);
  });

  it('compaction: follow-ups of the compacted conversation keep its compact branch', () => {
    const rs = fixture('compact');
    const m = new Memory();
    m.replay(rs);
    const last = rs[3]?.body as { messages: unknown[] };
    const next = { ...last, messages: [...last.messages, assistant('ok'), user('one more')] };
    const d = m.add('r4', at((rs[3]?.at as number) + 1000, rs[3]?.sessionId), f(next));
    expect(d).toMatchObject({ conversationId: 'r0', branch: m.rows[3]?.branch, parentRequestId: 'r3' });
  });

  it('sub-agents: each gets subtask_N of the parent conversation, linked to the request whose Agent tool_use started it', () => {
    const m = new Memory();
    const rows = m.replay(fixture('subtasks'));
    expect(new Set(rows.map((r) => r.conversationId))).toEqual(new Set(['r0']));
    const subs = rows.filter((r) => r.agentInstance !== null);
    expect(subs.map((r) => r.branch).sort()).toEqual(['subtask_1', 'subtask_2']);
    for (const s of subs) expect(s.parentRequestId).toBe('r0');
    const final = rows[3];
    expect(final).toMatchObject({ branch: 'main', parentRequestId: 'r0' });
    const byPrompt = [...m.subtasks.values()].map((s) => [s.agentInstance, s.prompt, s.parentRequestId]);
    expect(byPrompt).toContainEqual([subs[0]?.agentInstance, 'Review CLAUDE.md (part A, marker SUB-A1).', 'r0']);
    expect(byPrompt).toContainEqual([subs[1]?.agentInstance, 'Review README.md (part B, marker SUB-B2).', 'r0']);
  });
});

describe('conversation linking rules', () => {
  const base = [user('start')];
  const turn1 = [...base, assistant('a1'), user('second')];

  it('a request sent again unchanged (a retry after an error) stays on the branch of the first one', () => {
    const m = new Memory();
    m.add('a', at(1), f({ messages: base }));
    m.add('b', at(2), f({ messages: turn1 }));
    const d = m.add('c', at(3), f({ messages: turn1 }));
    expect(d).toMatchObject({ conversationId: 'a', branch: 'main', parentRequestId: 'a' });
  });

  it('continuing a branch stays on it', () => {
    const m = new Memory();
    m.add('a', at(1), f({ messages: base }));
    m.add('b', at(2), f({ messages: turn1 }));
    const retried = [...base, assistant('a1'), user('second, retried')];
    expect(m.add('c', at(3), f({ messages: retried })).branch).toBe('branch_1');
    const d = m.add('d', at(4), f({ messages: [...retried, assistant('a2'), user('third')] }));
    expect(d).toMatchObject({ conversationId: 'a', branch: 'branch_1', parentRequestId: 'c' });
    // The main branch goes on too.
    expect(m.add('e', at(5), f({ messages: [...turn1, assistant('x'), user('y')] })).branch).toBe('main');
  });

  it('when several conversations share the parent, the request joins the one with the fewest requests', () => {
    const m = new Memory();
    // Two sessions opened with the same words (other session ids, so no session preference).
    m.add('a', at(1, 'sa'), f({ messages: base }));
    m.add('a2', at(2, 'sa'), f({ messages: [...base, assistant('x'), user('y')] }));
    m.add('a3', at(3, 'sa'), f({ messages: [...base, assistant('x'), user('y'), assistant('z'), user('w')] }));
    m.add('b', at(4, 'sb'), f({ messages: base }));
    const d = m.add('c', at(5, 'sc'), f({ messages: [...base, assistant('q'), user('r')] }));
    expect(d.conversationId).toBe('b');
  });

  it('a first turn starts a conversation; a turn whose parent was never seen starts one too', () => {
    const m = new Memory();
    expect(m.add('a', at(1), f({ messages: base }))).toMatchObject({ conversationId: 'a', branch: 'main' });
    expect(m.add('b', at(2), f({ messages: [user('other'), assistant('x'), user('y')] }))).toMatchObject({
      conversationId: 'b',
      parentRequestId: null,
    });
  });

  it('older clients (no agent id): a sub-agent is found by its prompt within the time window and moved into the parent', () => {
    const m = new Memory();
    m.add('p1', at(1000), f({ messages: [user('review please')] }));
    // The sub-agent has no x-claude-code-agent-id: it starts a conversation of its own.
    m.add('s1', at(1100), f({ messages: [user('Check the README for typos.')] }));
    m.add('s2', at(1200), f({ messages: [user('Check the README for typos.'), assistant('ok'), user('more')] }));
    const use = { type: 'tool_use', id: 'toolu_9', name: 'Task', input: { prompt: 'Check the README for typos.' } };
    const result = { type: 'tool_result', tool_use_id: 'toolu_9', content: 'no typos' };
    const d = m.add('p2', at(1300), f({ messages: [user('review please'), assistant([use]), user([result])] }));
    expect(d.subtasks).toEqual([
      expect.objectContaining({
        id: 's1',
        parentRequestId: 'p1',
        branch: 'subtask_1',
        prompt: 'Check the README for typos.',
      }),
    ]);
    expect(m.rows.filter((r) => r.id.startsWith('s')).map((r) => [r.conversationId, r.branch])).toEqual([
      ['p1', 'subtask_1'],
      ['p1', 'subtask_1'],
    ]);
  });

  it('a sub-agent outside the time window is not claimed', () => {
    const m = new Memory();
    m.add('p1', at(5000), f({ messages: [user('review please')] }));
    m.add('s1', at(1000), f({ messages: [user('Check it.')] }));
    const use = { type: 'tool_use', id: 'toolu_9', name: 'Task', input: { prompt: 'Check it.' } };
    const d = m.add(
      'p2',
      at(6000),
      f({
        messages: [
          user('review please'),
          assistant([use]),
          user([{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }]),
        ],
      }),
    );
    expect(d.subtasks).toEqual([]);
  });
});
