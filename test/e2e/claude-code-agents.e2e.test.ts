/**
 * The real Claude Code CLI (`claude -p`, 2.1.328) through the gateway to the fake upstream, in a
 * temp project holding CLAUDE.md and `.claude/agents/reviewer.md` (`model: haiku`). The fake
 * plays the model: the main agent's first turn starts the reviewer with the `Agent` tool, the
 * reviewer answers, the main agent's next turn ends the run. Requests are told apart by content
 * (test/support/claude-code-upstream.ts), never by order.
 *
 * A run takes about 1 s on the 2-core test machine (the binary starts in ~0.2 s).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AgentListSchema,
  type AgentView,
  WorkspaceListSchema,
  type WorkspaceView,
} from '../../src/shared/agents-schemas.js';
import { type RequestDetail, RequestDetailSchema, RequestPageSchema } from '../../src/shared/requests-schemas.js';
import { api } from '../support/api-request.js';
import {
  agentFile,
  type ClaudeRun,
  type ClaudeWorkspace,
  claudeCliVersion,
  describeRun,
  makeClaudeWorkspace,
  runClaude,
} from '../support/claude-code-cli.js';
import {
  AGENT_ID_HEADER,
  agentIdOf,
  delegatingHandler,
  isMessagesCall,
  mainAgentCalls,
  SESSION_ID_HEADER,
  subagentCalls,
  systemText,
  toolNames,
  toolResultText,
} from '../support/claude-code-upstream.js';
import { runCommand } from '../support/cli-io.js';
import type { RecordedRequest } from '../support/fake-upstream.js';
import { gatewayForFile } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';

const ACCOUNT_KEY = 'sk-ant-api03-claude-code-e2e-account-0000000';
const REVIEWER_BODY =
  'You are the ccflare-e2e reviewer (marker RVW-7f3a). Read the files you are pointed at and list problems in one line each.';
const SCRIPT = {
  subagentType: 'reviewer',
  prompt: 'Review CLAUDE.md for contradictions (task marker TASK-51c2).',
  subagentReply: 'REVIEWER-REPORT: no contradictions found.',
  finalReply: 'MAIN-FINAL: the reviewer found no contradictions.',
};
/** Generous: the CLI is a 370 MB binary and the machine is shared; a run measured ~1 s. */
const RUN_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 240_000;

const version = claudeCliVersion();

describe.skipIf(
  !requireTool(
    'Claude Code end-to-end test',
    'The Claude Code CLI (node_modules/.bin/claude)',
    version !== null,
    '`npm install`: @anthropic-ai/claude-code is a dev dependency whose install script places the binary',
  ),
)('the real Claude Code CLI through ccflare', () => {
  /**
   * The gateway and the ccflare CLI read the same user agents folder as the Claude Code run (not
   * the tester's ~/.claude/agents). Filled in by the hook below, registered before the gateway's,
   * so it is set when the gateway starts.
   */
  const ccflareEnv: Record<string, string> = {};
  let ws: ClaudeWorkspace;

  beforeAll(() => {
    ws = makeClaudeWorkspace({
      'CLAUDE.md': '# Project notes\nAnswers are short. (marker CMD-93e1)\n',
      '.claude/agents/reviewer.md': agentFile({
        name: 'reviewer',
        description: 'Reviews files for mistakes. Use it for every review request.',
        tools: 'Read, Grep',
        model: 'haiku',
        body: REVIEWER_BODY,
      }),
    });
    ccflareEnv.CCFLARE_CLAUDE_AGENTS_DIR = join(ws.configDir, 'agents');
  });
  // After hooks run in reverse order: the project goes after the gateway that watches it has closed.
  afterAll(() => ws?.remove());
  const t = gatewayForFile({ env: ccflareEnv, setup: (g) => g.addApiKey('only', ACCOUNT_KEY).then(() => undefined) });
  const ccflare = (...args: string[]) => runCommand(args, { home: t.gw.home, env: ccflareEnv });

  interface Session {
    run: ClaudeRun;
    /** The upstream's Messages calls of this run. */
    calls: RecordedRequest[];
    main: RecordedRequest[];
    sub: RecordedRequest[];
    sessionId: string;
  }

  /** One `claude -p` run that delegates to the reviewer once; fails with the CLI's output unless it completed. */
  async function delegatingRun(): Promise<Session> {
    t.up.reset();
    t.up.setHandler(delegatingHandler(SCRIPT));
    const run = await runClaude('Ask the reviewer agent to review this project.', {
      workspace: ws,
      baseUrl: t.gw.url,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout.trim(), describeRun(run)).toBe(SCRIPT.finalReply);
    const calls = t.up.requests.filter(isMessagesCall);
    const sessionIds = new Set(calls.map((c) => c.headers[SESSION_ID_HEADER]));
    expect(sessionIds.size, 'one session id across main agent and sub-agent').toBe(1);
    const [sessionId] = [...sessionIds];
    expect(sessionId).toEqual(expect.any(String));
    return { run, calls, main: mainAgentCalls(calls), sub: subagentCalls(calls), sessionId: sessionId as string };
  }

  /** The gateway's records of a session, once every call the upstream saw is recorded. */
  async function recordsOf(s: Session): Promise<RequestDetail[]> {
    const items = await vi.waitFor(
      async () => {
        const r = await api(t.gw.url, 'GET', `/api/requests?session=${encodeURIComponent(s.sessionId)}&limit=100`);
        expect(r.status, r.text).toBe(200);
        const page = RequestPageSchema.parse(r.json);
        expect(page.items.length, 'records of the session').toBe(s.calls.length);
        return page.items;
      },
      { timeout: 10_000, interval: 50 },
    );
    return Promise.all(
      items.map(async (i) => {
        const r = await api(t.gw.url, 'GET', `/api/requests/${i.id}`);
        expect(r.status, r.text).toBe(200);
        return RequestDetailSchema.parse(r.json);
      }),
    );
  }

  const agentIdInRecord = (d: RequestDetail) => d.payload?.requestHeaders[AGENT_ID_HEADER] ?? null;

  it(
    'runs the reviewer sub-agent through the gateway: each agent reaches the upstream with its own model, tools and system prompt, on the account',
    async () => {
      const s = await delegatingRun();
      expect(s.calls.length, 'only main-agent and sub-agent calls').toBe(s.main.length + s.sub.length);
      expect(s.main.length, 'main agent: the delegating turn and the final one').toBe(2);
      expect(s.sub.length).toBeGreaterThanOrEqual(1);

      for (const c of s.calls) {
        expect(c.path).toBe('/v1/messages?beta=true');
        expect(c.json.stream).toBe(true);
        // The gateway answered the CLI's placeholder key with the account's.
        expect(c.headers['x-api-key']).toBe(ACCOUNT_KEY);
      }

      const agentIds = new Set(s.sub.map(agentIdOf));
      expect(agentIds.size, 'one reviewer instance').toBe(1);
      const [agentId] = [...agentIds] as string[];
      expect(agentId).toMatch(/^[0-9a-f]{17}$/);
      for (const c of s.sub) {
        expect(c.json.system[2].text.startsWith(REVIEWER_BODY), systemText(c).slice(0, 400)).toBe(true);
        expect(toolNames(c).sort()).toEqual(['Grep', 'Read']);
        expect(c.json.model, '`model: haiku` resolved to a haiku id').toMatch(/^claude-haiku-/);
        expect(JSON.stringify(c.json.messages)).toContain('TASK-51c2');
      }
      for (const c of s.main) {
        expect(systemText(c)).not.toContain('RVW-7f3a');
        expect(c.json.model).not.toMatch(/haiku/);
      }
      expect(new Set(s.main.map((c) => c.json.model)).size, 'one main model').toBe(1);

      // CLAUDE.md arrives in the first user message with its absolute path (protocol.md §7).
      const first = s.main.find((c) => toolResultText(c) === '');
      expect(JSON.stringify(first?.json.messages[0])).toContain(`Contents of ${ws.dir}/CLAUDE.md`);
      const followUp = s.main.find((c) => toolResultText(c) !== '');
      expect(toolResultText(followUp as RecordedRequest)).toContain(SCRIPT.subagentReply);
      expect(toolResultText(followUp as RecordedRequest)).toContain(`agentId: ${agentId}`);

      const records = await recordsOf(s);
      for (const d of records) {
        expect(d, JSON.stringify(d.attemptLog)).toMatchObject({ success: true, status: 200, accountName: 'only' });
      }
      // Each agent's records keep what the CLI sent: the reviewer's its instance id and model.
      const subRecords = records.filter((d) => agentIdInRecord(d) !== null);
      expect(subRecords).toHaveLength(s.sub.length);
      for (const d of subRecords) {
        expect(agentIdInRecord(d)).toBe(agentId);
        expect(d.modelRequested).toBe(s.sub[0]?.json.model);
      }
      for (const d of records.filter((x) => agentIdInRecord(x) === null)) {
        expect(d.modelRequested).toBe(s.main[0]?.json.model);
      }
    },
    TEST_TIMEOUT_MS,
  );

  async function agents(): Promise<AgentView[]> {
    const r = await api(t.gw.url, 'GET', '/api/agents');
    expect(r.status, r.text).toBe(200);
    return AgentListSchema.parse(r.json).agents;
  }

  async function workspaces(): Promise<WorkspaceView[]> {
    const r = await api(t.gw.url, 'GET', '/api/workspaces');
    expect(r.status, r.text).toBe(200);
    return WorkspaceListSchema.parse(r.json).workspaces;
  }

  const projectReviewer = (list: AgentView[]) =>
    list.find((a) => a.name === 'reviewer' && a.scope === 'workspace' && a.workspace === ws.dir);

  /**
   * The gateway learns a workspace from traffic, after forwarding (issue 12): a first run in a new
   * project may reach it before the project's agents are loaded. Runs once when the reviewer is
   * not known yet, then waits until it is.
   */
  async function reviewerKnown(): Promise<AgentView> {
    if (!projectReviewer(await agents())) await delegatingRun();
    return vi.waitFor(
      async () => {
        const a = projectReviewer(await agents());
        expect(a, "the project's reviewer agent in GET /api/agents").toBeDefined();
        return a as AgentView;
      },
      { timeout: 10_000, interval: 50 },
    );
  }

  it(
    'lists the project Claude Code ran in as a workspace, with its reviewer agent, in the API and `ccflare workspaces list --json`',
    async () => {
      await delegatingRun();
      const listed = await vi.waitFor(
        async () => {
          const w = (await workspaces()).find((x) => x.path === ws.dir);
          expect(w, `${ws.dir} in GET /api/workspaces`).toMatchObject({ name: 'project', exists: true, agents: 1 });
          return w as WorkspaceView;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(listed.requests).toBeGreaterThanOrEqual(1);
      expect(listed.lastSeen).toBeGreaterThanOrEqual(listed.firstSeen);

      expect(projectReviewer(await agents())).toMatchObject({
        description: 'Reviews files for mistakes. Use it for every review request.',
        tools: ['Read', 'Grep'],
        model: 'haiku',
        prompt: expect.stringContaining('RVW-7f3a'),
        error: null,
      });

      const cli = await ccflare('workspaces', 'list', '--json');
      expect(cli.code, cli.stderr).toBe(0);
      const fromCli = WorkspaceListSchema.parse(JSON.parse(cli.stdout)).workspaces.find((w) => w.path === ws.dir);
      expect(fromCli).toMatchObject({ name: 'project', exists: true, agents: 1 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "records the reviewer's requests with agent `reviewer` and its instance id, the main agent's with `main`",
    async () => {
      await reviewerKnown();
      const s = await delegatingRun();
      const agentId = agentIdOf(s.sub[0] as RecordedRequest);
      const records = await recordsOf(s);
      for (const d of records) {
        if (agentIdInRecord(d) !== null) expect(d).toMatchObject({ agent: 'reviewer', agentInstance: agentId });
        else expect(d).toMatchObject({ agent: 'main', agentInstance: null });
      }
      expect(records.filter((d) => d.agent === 'reviewer')).toHaveLength(s.sub.length);
      expect(records.filter((d) => d.agent === 'main')).toHaveLength(s.main.length);

      // The requests list filters by agent.
      const r = await api(t.gw.url, 'GET', `/api/requests?session=${s.sessionId}&agent=reviewer&limit=100`);
      expect(r.status, r.text).toBe(200);
      expect(
        RequestPageSchema.parse(r.json)
          .items.map((i) => i.id)
          .sort(),
      ).toEqual(
        records
          .filter((d) => agentIdInRecord(d) !== null)
          .map((d) => d.id)
          .sort(),
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "after `ccflare agents set-model reviewer claude-sonnet-4-6` the upstream gets that model for the reviewer and the CLI's own model for the main agent",
    async () => {
      const NEW_MODEL = 'claude-sonnet-4-6';
      await reviewerKnown();
      const before = await delegatingRun();
      const mainModel = before.main[0]?.json.model as string;
      const subModel = before.sub[0]?.json.model as string;
      expect(subModel).toMatch(/^claude-haiku-/);

      const set = await ccflare('agents', 'set-model', 'reviewer', NEW_MODEL);
      try {
        expect(set.code, set.stderr).toBe(0);
        // The CLI wrote the preference to the database; the running gateway picks it up.
        await vi.waitFor(
          async () =>
            expect(projectReviewer(await agents())).toMatchObject({ preference: NEW_MODEL, effectiveModel: NEW_MODEL }),
          { timeout: 10_000, interval: 50 },
        );

        const after = await delegatingRun();
        expect(after.sub.length).toBeGreaterThanOrEqual(1);
        for (const c of after.sub) expect(c.json.model, 'the reviewer, rewritten').toBe(NEW_MODEL);
        for (const c of after.main) expect(c.json.model, 'the main agent, untouched').toBe(mainModel);

        const records = await recordsOf(after);
        for (const d of records) {
          if (agentIdInRecord(d) !== null) {
            expect(d).toMatchObject({ agent: 'reviewer', modelRequested: subModel, modelApplied: NEW_MODEL });
          } else {
            expect(d).toMatchObject({ agent: 'main', modelRequested: mainModel, modelApplied: mainModel });
          }
        }
      } finally {
        await ccflare('agents', 'reset-model', 'reviewer');
      }
    },
    TEST_TIMEOUT_MS,
  );
});
