/**
 * The real Claude Code CLI (`claude -p`, then `--resume` and `--continue`) through ccflare to the
 * fake upstream, and the conversation tree ccflare stores for it (issue 16): a plain multi-turn
 * session, a retried turn (two forks of one session: two requests share a parent), a compaction
 * and a turn that starts two sub-agents.
 *
 * With CCFLARE_RECORD_FIXTURES=1 it also writes what the CLI sent to
 * src/conversations/__fixtures__/ (tools left out), the fixtures the linking unit tests run on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ConversationPageSchema,
  type ConversationTree,
  ConversationTreeSchema,
} from '../../src/shared/conversation-schemas.js';
import { RequestDetailSchema } from '../../src/shared/requests-schemas.js';
import { api } from '../support/api-request.js';
import {
  agentFile,
  type ClaudeWorkspace,
  claudeCliVersion,
  describeRun,
  makeClaudeWorkspace,
  runClaude,
} from '../support/claude-code-cli.js';
import { conversationHandler, DELEGATE_TWO } from '../support/claude-code-conversation.js';
import { AGENT_ID_HEADER, isMessagesCall, SESSION_ID_HEADER } from '../support/claude-code-upstream.js';
import { REPO, runCommand } from '../support/cli-io.js';
import type { RecordedRequest } from '../support/fake-upstream.js';
import { gatewayForFile } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';

const ACCOUNT_KEY = 'sk-ant-api03-claude-code-conversations-00000';
const RUN_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 300_000;
const RECORD = process.env.CCFLARE_RECORD_FIXTURES === '1';
const FIXTURES = join(REPO, 'src', 'conversations', '__fixtures__');
const SUBTASKS = {
  subagentType: 'reviewer',
  prompts: ['Review CLAUDE.md (part A, marker SUB-A1).', 'Review README.md (part B, marker SUB-B2).'] as const,
};

const version = claudeCliVersion();

/** What a fixture keeps of a request: when, its session and agent headers, the body without `tools`. */
function fixtureOf(calls: readonly RecordedRequest[]): unknown[] {
  return calls.map((c) => {
    const { tools, ...body } = c.json as Record<string, unknown>;
    return {
      at: c.receivedAt,
      sessionId: c.headers[SESSION_ID_HEADER] ?? null,
      agentId: c.headers[AGENT_ID_HEADER] ?? null,
      tools: Array.isArray(tools) ? tools.map((t: { name?: unknown }) => t.name) : [],
      body,
    };
  });
}

describe.skipIf(
  !requireTool(
    'Claude Code conversation end-to-end test',
    'The Claude Code CLI (node_modules/.bin/claude)',
    version !== null,
    '`npm install`: @anthropic-ai/claude-code is a dev dependency whose install script places the binary',
  ),
)('conversations of the real Claude Code CLI through ccflare', () => {
  const t = gatewayForFile({ setup: (g) => g.addApiKey('only', ACCOUNT_KEY).then(() => undefined) });
  const spaces: ClaudeWorkspace[] = [];
  afterAll(() => {
    for (const w of spaces) w.remove();
  });
  beforeAll(() => {
    t.up.setHandler(conversationHandler(SUBTASKS));
  });

  function workspace(): ClaudeWorkspace {
    const ws = makeClaudeWorkspace({
      'CLAUDE.md': '# Project notes\nAnswers are short.\n',
      'README.md': '# Readme\n',
      '.claude/agents/reviewer.md': agentFile({
        name: 'reviewer',
        description: 'Reviews files. Use it for every review request.',
        tools: 'Read, Grep',
        model: 'haiku',
        body: 'You are the reviewer. List problems in one line each.',
      }),
    });
    spaces.push(ws);
    return ws;
  }

  /** One CLI run; fails with its output unless it exited 0. Returns the Messages calls it made. */
  async function claude(ws: ClaudeWorkspace, prompt: string, args: string[] = []): Promise<RecordedRequest[]> {
    const before = t.up.requests.length;
    const run = await runClaude(prompt, { workspace: ws, baseUrl: t.gw.url, args, timeoutMs: RUN_TIMEOUT_MS });
    expect(run.code, describeRun(run)).toBe(0);
    return t.up.requests.slice(before).filter(isMessagesCall);
  }

  const sessionOf = (calls: readonly RecordedRequest[]) => String(calls[0]?.headers[SESSION_ID_HEADER]);

  function record(name: string, calls: readonly RecordedRequest[]): void {
    if (RECORD)
      writeFileSync(
        join(FIXTURES, `${name}.json`),
        `${JSON.stringify({ cli: version, requests: fixtureOf(calls) }, null, 1)}\n`,
      );
  }

  /** The conversation whose first user message contains `text`, once it holds `requests` requests. */
  async function tree(text: string, requests: number): Promise<ConversationTree> {
    return vi.waitFor(
      async () => {
        const list = await api(t.gw.url, 'GET', `/api/conversations?q=${encodeURIComponent(text)}`);
        expect(list.status, list.text).toBe(200);
        const items = ConversationPageSchema.parse(list.json).items;
        expect(items, `one conversation starting with ${text}`).toHaveLength(1);
        const r = await api(t.gw.url, 'GET', `/api/conversations/${items[0]?.id}`);
        expect(r.status, r.text).toBe(200);
        const tr = ConversationTreeSchema.parse(r.json);
        expect(tr.conversation.requests).toBe(requests);
        return tr;
      },
      { timeout: 15_000, interval: 100 },
    );
  }

  const branchNames = (tr: ConversationTree) => tr.branches.map((b) => b.name);
  const trees: Array<[string, number, ConversationTree]> = [];

  it(
    'a plain session: -p, then --resume, then --continue: one conversation, one branch, each turn continuing the last',
    async () => {
      const ws = workspace();
      const one = await claude(ws, 'PLAIN turn one');
      const two = await claude(ws, 'PLAIN turn two', ['--resume', sessionOf(one)]);
      const three = await claude(ws, 'PLAIN turn three', ['--continue']);
      record('plain', [...one, ...two, ...three]);
      const calls = one.length + two.length + three.length;
      const tr = await tree('PLAIN turn one', calls);
      trees.push(['PLAIN turn one', calls, tr]);
      expect(branchNames(tr)).toEqual(['main']);
      const main = tr.branches[0]?.requests ?? [];
      expect(main.map((r) => r.parentRequestId)).toEqual([null, main[0]?.id, main[1]?.id]);
      expect(tr.conversation).toMatchObject({ accounts: ['only'], branches: 1, subtasks: 0, model: 'claude-opus-5-5' });
      expect(tr.conversation.firstUserText).toBe('PLAIN turn one');
      // A request's detail names its conversation.
      const d = await api(t.gw.url, 'GET', `/api/requests/${main[2]?.id}`);
      expect(RequestDetailSchema.parse(d.json)).toMatchObject({ conversationId: tr.conversation.id, branch: 'main' });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a retried turn: two forks of one session',
    async () => {
      const ws = workspace();
      const base = await claude(ws, 'BRANCH base turn');
      const left = await claude(ws, 'BRANCH left retry', ['--resume', sessionOf(base), '--fork-session']);
      const right = await claude(ws, 'BRANCH right retry', ['--resume', sessionOf(base), '--fork-session']);
      record('branch', [...base, ...left, ...right]);
      const calls = base.length + left.length + right.length;
      const tr = await tree('BRANCH base turn', calls);
      trees.push(['BRANCH base turn', calls, tr]);
      expect(branchNames(tr)).toEqual(['main', 'branch_1']);
      const root = tr.branches[0]?.requests[0]?.id;
      expect(tr.branches[1]?.parentRequestId).toBe(root);
      expect(tr.branchPoints).toEqual([{ parentRequestId: root, branches: ['main', 'branch_1'] }]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a compaction',
    async () => {
      const ws = workspace();
      const base = await claude(ws, 'COMPACT base turn');
      const second = await claude(ws, 'COMPACT second turn', ['--continue']);
      const compact = await claude(ws, '/compact', ['--continue']);
      const after = await claude(ws, 'COMPACT after the summary', ['--continue']);
      record('compact', [...base, ...second, ...compact, ...after]);
      const calls = base.length + second.length + compact.length + after.length;
      const tr = await tree('COMPACT base turn', calls);
      trees.push(['COMPACT base turn', calls, tr]);
      expect(branchNames(tr)).toEqual(['main', expect.stringMatching(/^compact_\d{6}$/)]);
      // The summary request stays on main; the compacted conversation grows from it.
      const main = tr.branches[0]?.requests ?? [];
      expect(tr.branches[1]?.parentRequestId).toBe(main[main.length - 1]?.id);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a turn that starts two sub-agents',
    async () => {
      const ws = workspace();
      const calls = await claude(
        ws,
        `${DELEGATE_TWO}: ask the reviewer agent to review CLAUDE.md and README.md, in two tasks.`,
      );
      record('subtasks', calls);
      const tr = await tree(DELEGATE_TWO, calls.length);
      trees.push([DELEGATE_TWO, calls.length, tr]);
      expect(branchNames(tr).sort()).toEqual(['main', 'subtask_1', 'subtask_2']);
      const starter = tr.branches[0]?.requests[0]?.id;
      expect(tr.subtasks.map((s) => [s.parentRequestId, s.prompt, s.requests]).sort()).toEqual([
        [starter, SUBTASKS.prompts[0], 1],
        [starter, SUBTASKS.prompts[1], 1],
      ]);
      expect(tr.subtasks.map((s) => s.agentInstance)).toEqual(
        expect.arrayContaining(calls.filter((c) => c.headers[AGENT_ID_HEADER]).map((c) => c.headers[AGENT_ID_HEADER])),
      );
      expect(tr.conversation.agents).toContain('main');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '`ccflare conversations rebuild` recomputes the same trees from the stored rows',
    async () => {
      expect(trees).toHaveLength(4);
      const r = await runCommand(['conversations', 'rebuild', '--restart', '--json'], { home: t.gw.home });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ done: expect.any(Number), total: expect.any(Number) });
      expect(r.stderr).toMatch(/relinked \d+ of \d+ requests/);
      for (const [text, requests, before] of trees) expect(await tree(text, requests)).toEqual(before);
    },
    TEST_TIMEOUT_MS,
  );
});
