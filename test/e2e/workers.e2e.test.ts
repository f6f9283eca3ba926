/**
 * Workers with the real Claude Agent SDK (and the Claude Code it bundles) through a real gateway
 * to the fake upstream, which plays the model: its first turn calls Bash, and once the tool
 * result comes back it answers with text quoting that result. Claude Code runs in default
 * permission mode, so the Bash call comes to the worker's `canUseTool`, is held as a pending
 * approval, and waits for the test to approve or reject it.
 *
 * Requests are told apart by content (the task marker in the prompt, a tool_result in the
 * messages), never by order: Claude Code's side requests make order meaningless.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyService } from '../../src/auth/key-service.js';
import { systemClock } from '../../src/clock.js';
import { GatewayError } from '../../src/errors.js';
import { buildWorkers, type WorkersDeps } from '../../src/workers/build-workers.js';
import { RESUME_PROMPT } from '../../src/workers/engine.js';
import { BUDGET_REACHED, type WorkerManager } from '../../src/workers/manager.js';
import type { ApprovalRules, ApprovalView, WorkerView } from '../../src/workers/types.js';
import { api } from '../support/api-request.js';
import { isMessagesCall, toolNames, toolResultText } from '../support/claude-code-upstream.js';
import { REPO } from '../support/cli-io.js';
import { type RecordedRequest, turnEvents } from '../support/fake-upstream.js';
import { gatewayForFile } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';

const ACCOUNT_KEY = 'sk-ant-api03-workers-e2e-account-000000000';
const SDK_PRESENT = existsSync(join(REPO, 'node_modules', '@anthropic-ai', 'claude-agent-sdk', 'sdk.mjs'));
/** Generous: Claude Code is a 370 MB binary and the machine is shared. */
const STEP_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 240_000;

/** The rules the approval tests need (the real ones are workers/risk.ts and policy.ts). */
const rules: ApprovalRules = {
  assess: ({ tool, input }) => {
    if (tool !== 'Bash') return { level: 'low', reason: 'reads' };
    const cmd = String(input.command ?? '');
    return /\brm\s+-rf\b/.test(cmd)
      ? { level: 'high', reason: 'deletes files recursively' }
      : { level: 'medium', reason: 'runs a shell command' };
  },
  autoApproves: (policy, level) => (policy === 'low' ? level === 'low' : policy === 'medium' && level !== 'high'),
};

/** What the model does for each task marker: the Bash command of each turn, then a final answer. */
const TASKS: Record<string, string[]> = {
  'TASK-TOUCH': ['touch made-by-worker.txt'],
  'TASK-RM': ['rm -rf /tmp/ccflare-workers-e2e-outside'],
  'TASK-PAUSE': ['touch step1.txt', 'touch step2.txt'],
  'TASK-RESTART': ['touch after-restart.txt'],
  'TASK-BUDGET': ['touch over-budget.txt'],
  'TASK-TIMEOUT': ['touch never.txt'],
  'TASK-EDIT': ['touch original.txt'],
  // Read-only commands: Claude Code runs them without asking canUseTool.
  'TASK-SPEND': Array.from({ length: 12 }, (_, i) => `echo step${i + 1}`),
};

/** TASK-SPEND's turns: 3000 input and 100 output tokens of Sonnet 4.6 cost $0.0105 each. */
const SPEND_USAGE = {
  input_tokens: 3000,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: 100,
};
const SPEND_TURN_USD = 0.0105;

function toolResultCount(r: RecordedRequest): number {
  const messages = r.json?.messages;
  if (!Array.isArray(messages)) return 0;
  return messages
    .filter((m: { role?: unknown }) => m.role === 'user')
    .flatMap((m: { content?: unknown }) => (Array.isArray(m.content) ? m.content : []))
    .filter((b: { type?: unknown }) => b.type === 'tool_result').length;
}

function userText(r: RecordedRequest): string {
  const messages = r.json?.messages;
  if (!Array.isArray(messages)) return '';
  return messages
    .filter((m: { role?: unknown }) => m.role === 'user')
    .flatMap((m: { content?: unknown }) =>
      typeof m.content === 'string'
        ? [m.content]
        : Array.isArray(m.content)
          ? m.content.map((b: { text?: unknown }) => (typeof b.text === 'string' ? b.text : ''))
          : [],
    )
    .join('\n');
}

describe.skipIf(
  !requireTool(
    'Workers end-to-end test',
    'The Claude Agent SDK (node_modules/@anthropic-ai/claude-agent-sdk)',
    SDK_PRESENT,
    '`npm install @anthropic-ai/claude-agent-sdk`, an optional dependency',
  ),
)('workers with the real Agent SDK through ccflare', () => {
  const t = gatewayForFile({ setup: (g) => g.addApiKey('only', ACCOUNT_KEY).then(() => undefined) });
  let root: string;
  let manager: WorkerManager;
  let makeManager: (over?: Partial<WorkersDeps>) => WorkerManager;
  const notified: { type: string; subject: string; text: string }[] = [];
  const managers: WorkerManager[] = [];
  const pauseGate = (() => {
    let open!: () => void;
    const gate = {
      open: new Promise<void>((r) => {
        open = r;
      }),
      release: () => open(),
      wasReached: false,
      reached: () => {
        gate.wasReached = true;
      },
    };
    return gate;
  })();

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'ccflare-workers-e2e-')));
    for (const d of ['home', 'tmp']) mkdirSync(join(root, d), { recursive: true });
    t.up.setHandler((r) => {
      if (!isMessagesCall(r) || r.json?.stream !== true) return undefined;
      const model = String(r.json.model);
      const text = (s: string) => ({
        kind: 'sse' as const,
        events: turnEvents({ model, blocks: [{ type: 'text', text: s }] }),
      });
      // Side requests (titles, topics) are not offered Bash.
      if (!toolNames(r).includes('Bash')) return text('Worker task');
      const marker = Object.keys(TASKS).find((m) => userText(r).includes(m));
      if (marker === undefined) return text('Nothing to do.');
      const step = toolResultCount(r);
      const commands = TASKS[marker] as string[];
      if (userText(r).includes(RESUME_PROMPT) || step >= commands.length) {
        return text(`DONE. The tool said: ${toolResultText(r)}`);
      }
      const answer = {
        kind: 'sse' as const,
        events: turnEvents({
          model,
          ...(marker === 'TASK-SPEND' ? { usage: SPEND_USAGE } : {}),
          blocks: [
            { type: 'text', text: `Running step ${step + 1} of ${marker}.` },
            { type: 'tool_use', name: 'Bash', input: { command: commands[step], description: 'Run the task' } },
          ],
        }),
      };
      // The pause test holds the second turn until it has asked for the pause.
      if (marker === 'TASK-PAUSE' && step === 1) {
        pauseGate.reached();
        return pauseGate.open.then(() => answer);
      }
      return answer;
    });
    // Minted in the gateway's database as its own manager mints them (worker- names are kept for
    // workers, so the API refuses them); the gateway rereads its keys when one it does not know
    // arrives. Revoked through its API, which reloads its keys before answering.
    const minting = new KeyService({ store: t.gw.store, box: t.gw.box, clock: systemClock });
    const keyService = {
      create: (name: string) => minting.create(name, { internal: true }),
      revoke: async (name: string) => {
        const res = await api(t.gw.url, 'DELETE', `/api/keys/${name}`);
        if (res.status === 404) throw new GatewayError('not_found', res.text);
        if (res.status !== 200) throw new Error(`revoke ${name}: ${res.status} ${res.text}`);
        return res.json;
      },
    };
    makeManager = (over = {}) => {
      const { manager: m } = buildWorkers({
        home: t.gw.home,
        gatewayUrl: () => t.gw.url,
        store: t.gw.store,
        events: t.gw.server.events,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        keyService,
        internalKeys: new Set(),
        rules,
        maxConcurrent: () => 3,
        approvalTimeoutMs: 15 * 60_000,
        notify: (ev) => notified.push(ev),
        sdk: {
          claudeConfigDir: join(root, 'claude-configs'),
          home: join(root, 'home'),
          env: { TMPDIR: join(root, 'tmp') },
        },
        ...over,
      });
      managers.push(m);
      return m;
    };
    manager = makeManager();
    await manager.init();
  });

  afterAll(async () => {
    pauseGate.release();
    for (const m of managers) await m.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function project(name: string): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async function pendingApproval(worker: WorkerView, m = manager): Promise<ApprovalView> {
    let found: ApprovalView | undefined;
    await vi.waitFor(
      async () => {
        found = (await m.approvals({ workerId: worker.id, status: 'pending' }))[0];
        const w = await m.get(worker.id);
        const log = (await m.logs(worker.id)).map((e) => `${e.kind}: ${e.text}`).join('\n');
        expect(w.state, `worker ${w.state} (${w.stateReason}); log:\n${log}`).not.toMatch(/failed|completed|stopped/);
        expect(found, `a pending approval of ${w.name}, ${w.state}; log:\n${log}`).toBeDefined();
      },
      { timeout: STEP_TIMEOUT_MS, interval: 50 },
    );
    return found as ApprovalView;
  }

  async function ended(worker: WorkerView, m = manager): Promise<WorkerView> {
    let w = worker;
    await vi.waitFor(
      async () => {
        w = await m.get(worker.id);
        expect(['completed', 'failed', 'stopped', 'paused']).toContain(w.state);
      },
      { timeout: STEP_TIMEOUT_MS, interval: 50 },
    );
    return w;
  }

  async function describeLog(worker: WorkerView, m = manager): Promise<string> {
    return (await m.logs(worker.id)).map((e) => `${e.kind}: ${e.text}`).join('\n');
  }

  it(
    'a Bash touch waits for approval; approved, the file exists, the worker completes and its requests are recorded under its key',
    async () => {
      const cwd = project('touch');
      const w = await manager.create({
        name: 'toucher',
        prompt: 'TASK-TOUCH: create the marker file.',
        cwd,
        policy: 'low',
      });
      const a = await pendingApproval(w);
      expect(a).toMatchObject({ tool: 'Bash', risk: 'medium', reason: 'runs a shell command', workerName: 'toucher' });
      expect(a.input.command).toBe('touch made-by-worker.txt');
      expect((await manager.get(w.id)).state).toBe('waiting_approval');
      expect(existsSync(join(cwd, 'made-by-worker.txt')), 'nothing runs before the approval').toBe(false);
      expect(notified).toContainEqual(
        expect.objectContaining({
          type: 'worker.approval',
          subject: 'toucher',
          text: 'medium risk (runs a shell command): Bash: touch made-by-worker.txt',
        }),
      );

      await manager.approve(a.id);
      const done = await ended(w);
      expect(done.state, await describeLog(w)).toBe('completed');
      expect(existsSync(join(cwd, 'made-by-worker.txt'))).toBe(true);
      const log = await describeLog(w);
      expect(log).toContain('tool_use: Bash: touch made-by-worker.txt');
      expect(log).toContain('approval: Approved: Bash');
      expect(log).toContain('DONE. The tool said:');
      expect(done.sessionId).toEqual(expect.any(String));
      expect(done.turns).toBeGreaterThanOrEqual(2);

      await t.gw.settle();
      const all = await t.gw.store.requests.listRecords({ limit: 500 });
      const rows = all.filter((r) => r.clientKey === 'worker-toucher');
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.every((r) => r.success && r.accountName === 'only')).toBe(true);
      const page = await api(t.gw.url, 'GET', '/api/requests?limit=200');
      expect(page.status).toBe(200);
      const listed = (page.json.items as { clientKey: string | null; costUsd: number | null }[]).filter(
        (r) => r.clientKey === 'worker-toucher',
      );
      expect(listed.length).toBe(rows.length);
      const recordedCost = rows.reduce((n, r) => n + (r.costUsd ?? 0), 0);
      expect(recordedCost).toBeGreaterThan(0);
      // The worker's cost is the gateway's own reading of its requests (or the SDK's, when higher).
      expect((await manager.get(w.id)).costUsd).toBeGreaterThanOrEqual(recordedCost - 1e-9);
      // The run's key was revoked when it ended.
      const keyList = await api(t.gw.url, 'GET', '/api/keys');
      const key = (keyList.json.keys as { name: string; active: boolean }[]).find((k) => k.name === 'worker-toucher');
      expect(key?.active).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a rejected call is not run and the worker reads the rejection, then finishes',
    async () => {
      const outside = '/tmp/ccflare-workers-e2e-outside';
      mkdirSync(outside, { recursive: true });
      try {
        const w = await manager.create({
          name: 'remover',
          prompt: 'TASK-RM: clean up.',
          cwd: project('rm'),
          policy: 'medium',
        });
        const a = await pendingApproval(w);
        expect(a).toMatchObject({ tool: 'Bash', risk: 'high', reason: 'deletes files recursively' });
        await manager.reject(a.id, 'REJECTED-7c1: never delete outside the project');
        const done = await ended(w);
        expect(done.state, await describeLog(w)).toBe('completed');
        expect(existsSync(outside), 'the rejected command did not run').toBe(true);
        const answered = t.up.requests.filter(
          (r) => isMessagesCall(r) && toolResultText(r).includes('REJECTED-7c1: never delete outside the project'),
        );
        expect(answered.length, 'the model received the rejection as the tool result').toBeGreaterThanOrEqual(1);
        expect(await describeLog(w)).toMatch(/assistant: DONE\. The tool said: .*REJECTED-7c1/);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'pauses at the next turn boundary and resumes the same session to completion',
    async () => {
      const cwd = project('pause');
      const w = await manager.create({ name: 'pauser', prompt: 'TASK-PAUSE: two steps.', cwd, policy: 'medium' });
      await vi.waitFor(() => expect(pauseGate.wasReached, 'the second turn was asked for').toBe(true), {
        timeout: STEP_TIMEOUT_MS,
        interval: 20,
      });
      expect(existsSync(join(cwd, 'step1.txt')), 'step 1 ran, approved by the medium policy').toBe(true);
      const pausing = await manager.pause(w.id);
      expect([pausing.state, pausing.stateReason]).toEqual(['running', 'pausing at the next turn']);
      pauseGate.release();
      const paused = await ended(w);
      expect([paused.state, paused.stateReason], await describeLog(w)).toEqual(['paused', 'paused by the user']);
      expect(existsSync(join(cwd, 'step2.txt')), 'the turn after the pause did not run its tool').toBe(false);
      const sessionId = paused.sessionId;
      expect(sessionId).toEqual(expect.any(String));

      const before = t.up.requests.length;
      await manager.resume(w.id);
      const final = await ended(w);
      expect(final.state, await describeLog(w)).toBe('completed');
      expect(final.sessionId).toBe(sessionId);
      const resumed = t.up.requests
        .slice(before)
        .filter((r) => isMessagesCall(r) && userText(r).includes(RESUME_PROMPT));
      expect(resumed.length, 'the resumed session sent the continue prompt').toBeGreaterThanOrEqual(1);
      expect(userText(resumed[0] as RecordedRequest), 'with the earlier turns of the same session').toContain(
        'TASK-PAUSE',
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a worker running when the gateway stops shows paused and resumes after the restart',
    async () => {
      const cwd = project('restart');
      const before = makeManager();
      const w = await before.create({ name: 'survivor', prompt: 'TASK-RESTART: one step.', cwd, policy: 'low' });
      await pendingApproval(w, before);
      await before.close();
      const stopped = await t.gw.store.workers.get(w.id);
      expect([stopped?.state, stopped?.stateReason]).toEqual([
        'paused',
        'gateway stopped while it ran; resume to continue',
      ]);
      expect(existsSync(join(cwd, 'after-restart.txt'))).toBe(false);

      const after = makeManager();
      await after.init();
      await after.resume(w.id);
      // The resumed session may ask for the call again: approve whatever it asks until it ends.
      await vi.waitFor(
        async () => {
          for (const a of await after.approvals({ workerId: w.id, status: 'pending' })) await after.approve(a.id);
          expect((await after.get(w.id)).state).toMatch(/completed|failed|stopped/);
        },
        { timeout: STEP_TIMEOUT_MS, interval: 50 },
      );
      const final = await after.get(w.id);
      expect(final.state, await describeLog(w, after)).toBe('completed');
      expect(final.sessionId).toBe(stopped?.sessionId);
      await after.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops the worker with "budget reached" once its recorded cost reaches the budget',
    async () => {
      const w = await manager.create({
        name: 'spender',
        prompt: 'TASK-BUDGET: one step.',
        cwd: project('budget'),
        policy: 'low',
        budgetUsd: 0.000001,
      });
      const done = await ended(w);
      expect([done.state, done.stateReason], await describeLog(w)).toEqual(['stopped', BUDGET_REACHED]);
      expect(done.costUsd).toBeGreaterThanOrEqual(0.000001);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a priced model: the worker stops at the request that reaches its budget, not turns later',
    async () => {
      // The abort alone let Claude Code run all its turns (13 requests, 3.4x the budget) before
      // the SDK killed it.
      const spendCalls = () =>
        t.up.requests.filter(
          (r) => isMessagesCall(r) && toolNames(r).includes('Bash') && userText(r).includes('TASK-SPEND'),
        );
      const w = await manager.create({
        name: 'priced-spender',
        prompt: 'TASK-SPEND: echo twelve steps.',
        cwd: project('priced-budget'),
        model: 'claude-sonnet-4-6',
        policy: 'low',
        budgetUsd: 0.04,
      });
      const done = await ended(w);
      expect([done.state, done.stateReason], await describeLog(w)).toEqual(['stopped', BUDGET_REACHED]);
      // The 4th reaches $0.04; a 5th may be sent before its record arrives.
      expect(spendCalls().length, await describeLog(w)).toBeLessThanOrEqual(5);
      expect(done.costUsd).toBeGreaterThanOrEqual(0.04);
      expect(done.costUsd).toBeLessThan(0.04 + 2 * SPEND_TURN_USD);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an approval nobody decides is rejected at the timeout and the worker reads why',
    async () => {
      const m = makeManager({ approvalTimeoutMs: 500 });
      const w = await m.create({
        name: 'waiter',
        prompt: 'TASK-TIMEOUT: one step.',
        cwd: project('timeout'),
        policy: 'low',
      });
      const done = await ended(w, m);
      expect(done.state, await describeLog(w, m)).toBe('completed');
      expect((await m.approvals({ workerId: w.id }))[0]?.status).toBe('timed_out');
      expect(await describeLog(w, m)).toMatch(
        /assistant: DONE\. The tool said: .*No one approved this call within 1 s/,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'two workers run at once while a third waits in the queue, which drains in order',
    async () => {
      const m = makeManager({ maxConcurrent: () => 2 });
      const ws: WorkerView[] = [];
      for (const name of ['par-a', 'par-b', 'par-c']) {
        ws.push(
          await m.create({ name, prompt: 'TASK-TOUCH: create the marker file.', cwd: project(name), policy: 'low' }),
        );
      }
      const [a, b, c] = ws as [WorkerView, WorkerView, WorkerView];
      const first = await pendingApproval(a, m);
      await pendingApproval(b, m);
      const queued = await m.get(c.id);
      expect([queued.state, queued.queuePosition]).toEqual(['queued', 1]);

      await m.approve(first.id);
      expect((await ended(a, m)).state, await describeLog(a, m)).toBe('completed');
      const third = await pendingApproval(c, m);
      expect((await m.get(b.id)).state).toBe('waiting_approval');
      await m.approve(third.id);
      await m.approve((await m.approvals({ workerId: b.id, status: 'pending' }))[0]?.id as string);
      const done = await Promise.all([ended(b, m), ended(c, m)]);
      expect(done.map((w) => w.state)).toEqual(['completed', 'completed']);
      const finalA = await m.get(a.id);
      expect(done[1]?.startedAt ?? 0, 'the third started once the first had finished').toBeGreaterThanOrEqual(
        finalA.finishedAt ?? Number.POSITIVE_INFINITY,
      );
      for (const name of ['par-a', 'par-b', 'par-c'])
        expect(existsSync(join(root, name, 'made-by-worker.txt'))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an approval with edited input runs the edited call',
    async () => {
      const cwd = project('edit');
      const w = await manager.create({ name: 'editor', prompt: 'TASK-EDIT: one step.', cwd, policy: 'low' });
      const a = await pendingApproval(w);
      await manager.approve(a.id, { input: { ...a.input, command: 'touch edited.txt' } });
      expect((await ended(w)).state, await describeLog(w)).toBe('completed');
      expect(existsSync(join(cwd, 'edited.txt'))).toBe(true);
      expect(existsSync(join(cwd, 'original.txt'))).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});
