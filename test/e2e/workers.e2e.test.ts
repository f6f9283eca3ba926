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
import { systemClock } from '../../src/clock.js';
import { GatewayError } from '../../src/errors.js';
import { SdkWorkerEngine } from '../../src/workers/engine.js';
import { WorkerManager } from '../../src/workers/manager.js';
import type { ApprovalRules, ApprovalView, WorkerView } from '../../src/workers/types.js';
import { keyServiceWorkerKeys } from '../../src/workers/worker-keys.js';
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

/** What the model does for each task marker: the Bash command of its first turn. */
const TASKS: Record<string, string> = {
  'TASK-TOUCH': 'touch made-by-worker.txt',
  'TASK-RM': 'rm -rf /tmp/ccflare-workers-e2e-outside',
};

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

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'ccflare-workers-e2e-')));
    for (const d of ['home/.claude', 'tmp']) mkdirSync(join(root, d), { recursive: true });
    t.up.setHandler((r) => {
      if (!isMessagesCall(r) || r.json?.stream !== true) return undefined;
      const model = String(r.json.model);
      const text = (s: string) => ({
        kind: 'sse' as const,
        events: turnEvents({ model, blocks: [{ type: 'text', text: s }] }),
      });
      // Side requests (titles, topics) are not offered Bash.
      if (!toolNames(r).includes('Bash')) return text('Worker task');
      const results = toolResultText(r);
      if (results !== '') return text(`DONE. The tool said: ${results}`);
      const marker = Object.keys(TASKS).find((m) => userText(r).includes(m));
      if (marker === undefined) return text('Nothing to do.');
      return {
        kind: 'sse',
        events: turnEvents({
          model,
          blocks: [
            { type: 'text', text: `Running the command for ${marker}.` },
            { type: 'tool_use', name: 'Bash', input: { command: TASKS[marker], description: 'Run the task' } },
          ],
        }),
      };
    });
    // The worker keys go through the gateway's API, which reloads its keys before answering.
    const keys = keyServiceWorkerKeys({
      create: async (name) => {
        const res = await api(t.gw.url, 'POST', '/api/keys', { name });
        if (res.status !== 201) throw new Error(`key ${name}: ${res.status} ${res.text}`);
        return { key: res.json.key as string, view: res.json };
      },
      revoke: async (name) => {
        const res = await api(t.gw.url, 'DELETE', `/api/keys/${name}`);
        if (res.status === 404) throw new GatewayError('not_found', res.text);
        if (res.status !== 200) throw new Error(`revoke ${name}: ${res.status} ${res.text}`);
        return res.json;
      },
    });
    manager = new WorkerManager({
      store: t.gw.store,
      engine: new SdkWorkerEngine({
        gatewayUrl: t.gw.url,
        rules,
        claudeConfigDir: join(root, 'home/.claude'),
        home: join(root, 'home'),
        env: { TMPDIR: join(root, 'tmp') },
        clock: systemClock,
      }),
      keys,
      events: t.gw.server.events,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    await manager.init();
  });

  afterAll(async () => {
    await manager?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function project(name: string): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async function pendingApproval(worker: WorkerView): Promise<ApprovalView> {
    let found: ApprovalView | undefined;
    await vi.waitFor(
      async () => {
        found = (await manager.approvals({ workerId: worker.id, status: 'pending' }))[0];
        const w = await manager.get(worker.id);
        const log = (await manager.logs(worker.id)).map((e) => `${e.kind}: ${e.text}`).join('\n');
        expect(w.state, `worker ${w.state} (${w.stateReason}); log:\n${log}`).not.toMatch(/failed|completed|stopped/);
        expect(found, 'a pending approval').toBeDefined();
      },
      { timeout: STEP_TIMEOUT_MS, interval: 50 },
    );
    return found as ApprovalView;
  }

  async function ended(worker: WorkerView): Promise<WorkerView> {
    let w = worker;
    await vi.waitFor(
      async () => {
        w = await manager.get(worker.id);
        expect(['completed', 'failed', 'stopped', 'paused']).toContain(w.state);
      },
      { timeout: STEP_TIMEOUT_MS, interval: 50 },
    );
    return w;
  }

  async function describeLog(worker: WorkerView): Promise<string> {
    return (await manager.logs(worker.id)).map((e) => `${e.kind}: ${e.text}`).join('\n');
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
});
