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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { REPO } from '../support/cli-io.js';
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

  it(
    'a plain session: -p, then --resume, then --continue',
    async () => {
      const ws = workspace();
      const one = await claude(ws, 'PLAIN turn one');
      const two = await claude(ws, 'PLAIN turn two', ['--resume', sessionOf(one)]);
      const three = await claude(ws, 'PLAIN turn three', ['--continue']);
      record('plain', [...one, ...two, ...three]);
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
    },
    TEST_TIMEOUT_MS,
  );
});
