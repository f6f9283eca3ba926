/**
 * A worker driven only through the management API of a real gateway, with the real Claude Agent
 * SDK (and the Claude Code it bundles) against the fake upstream, which plays the model: its
 * first turn calls Bash `touch`, and once the tool result comes back it answers with text. The
 * gateway's own rules (risk.ts, policy auto-low) hold the command for approval; the test approves
 * it over the API and sees the file made, the worker completed, its log, the live events, the
 * dashboard bell and its requests in the request list under the worker's key.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openEventStream, type StreamEvent } from '../../src/cli/event-stream.js';
import { api } from '../support/api-request.js';
import { oneBashCallHandler } from '../support/claude-code-upstream.js';
import { REPO } from '../support/cli-io.js';
import { gatewayForFile } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';

const SDK_PRESENT = existsSync(join(REPO, 'node_modules', '@anthropic-ai', 'claude-agent-sdk', 'sdk.mjs'));
/** Generous: Claude Code is a large binary and the machine is shared. */
const STEP_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 240_000;

const root = realpathSync(mkdtempSync(join(tmpdir(), 'ccflare-workers-api-e2e-')));
for (const d of ['home', 'tmp', 'project']) mkdirSync(join(root, d), { recursive: true });

describe.skipIf(
  !requireTool(
    'Workers API end-to-end test',
    'The Claude Agent SDK (node_modules/@anthropic-ai/claude-agent-sdk)',
    SDK_PRESENT,
    '`npm install @anthropic-ai/claude-agent-sdk`, an optional dependency',
  ),
)('a worker through the workers API with the real Agent SDK', () => {
  const t = gatewayForFile({
    setup: (g) => g.addApiKey('only', 'sk-ant-api03-workers-api-e2e-account-0000').then(() => undefined),
    workerSdk: { home: join(root, 'home'), env: { TMPDIR: join(root, 'tmp') } },
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'creates a worker over the API, holds its Bash touch for approval, runs it once approved, and completes',
    async () => {
      t.up.setHandler(oneBashCallHandler('touch made-by-api.txt', 'Making the marker file.'));
      const live: StreamEvent[] = [];
      const events = await openEventStream(`${t.gw.url}/api/events?types=worker.changed,approval.changed`);
      const reading = (async () => {
        for await (const ev of events) live.push(ev);
      })();

      const cwd = join(root, 'project');
      const created = await api(t.gw.url, 'POST', '/api/workers', {
        name: 'api-toucher',
        prompt: 'Create the marker file.',
        cwd,
        policy: 'auto-low',
      });
      expect(created.status, created.text).toBe(201);

      let pending: { id: string; tool: string; risk: string; preview: unknown; status: string } | undefined;
      await vi.waitFor(
        async () => {
          const w = await api(t.gw.url, 'GET', '/api/workers/api-toucher');
          expect(w.json.state, `${w.json.state}: ${w.json.stateReason}`).not.toMatch(/failed|completed|stopped/);
          pending = (await api(t.gw.url, 'GET', '/api/approvals?worker=api-toucher')).json.approvals[0];
          expect(pending).toBeDefined();
        },
        { timeout: STEP_TIMEOUT_MS, interval: 100 },
      );
      expect(pending).toMatchObject({
        tool: 'Bash',
        risk: 'medium',
        status: 'pending',
        preview: { kind: 'command', command: 'touch made-by-api.txt', description: 'Make it' },
      });
      expect((await api(t.gw.url, 'GET', '/api/workers/api-toucher')).json.state).toBe('waiting_approval');
      expect(existsSync(join(cwd, 'made-by-api.txt')), 'nothing runs before the approval').toBe(false);
      // The dashboard's bell heard of it.
      await vi.waitFor(async () => {
        const inbox = await api(t.gw.url, 'GET', '/api/notify/inbox');
        expect(JSON.stringify(inbox.json)).toContain('Worker api-toucher is waiting for approval');
      });

      const approved = await api(t.gw.url, 'POST', `/api/approvals/${pending?.id}/approve`, {});
      expect(approved.status, approved.text).toBe(200);
      let done: { state: string; stateReason: string | null; costUsd: number } = {
        state: '',
        stateReason: null,
        costUsd: 0,
      };
      await vi.waitFor(
        async () => {
          done = (await api(t.gw.url, 'GET', '/api/workers/api-toucher')).json;
          expect(['completed', 'failed', 'stopped', 'paused']).toContain(done.state);
        },
        { timeout: STEP_TIMEOUT_MS, interval: 100 },
      );
      const log = await api(t.gw.url, 'GET', '/api/workers/api-toucher/logs', undefined, {
        accept: 'application/json',
      });
      const lines = (log.json.entries as { kind: string; text: string }[]).map((e) => `${e.kind}: ${e.text}`);
      expect(done.state, lines.join('\n')).toBe('completed');
      expect(existsSync(join(cwd, 'made-by-api.txt'))).toBe(true);
      expect(lines).toContain('tool_use: Bash: touch made-by-api.txt');
      expect(lines).toContain('approval: Approved: Bash');
      expect(lines.some((l) => l.startsWith('assistant: DONE. The tool said:'))).toBe(true);

      // Its requests went through the pool, attributed to the worker's key, with cost.
      await t.gw.settle();
      const page = await api(t.gw.url, 'GET', '/api/requests?limit=200');
      const mine = (page.json.items as { clientKey: string | null; costUsd: number | null }[]).filter(
        (r) => r.clientKey === 'worker-api-toucher',
      );
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(mine.reduce((n, r) => n + (r.costUsd ?? 0), 0)).toBeGreaterThan(0);

      await vi.waitFor(() => {
        const seen = live.map((e) => {
          const d = JSON.parse(e.data) as { state?: string; status?: string };
          return `${e.event}:${d.state ?? d.status}`;
        });
        expect(seen).toEqual(
          expect.arrayContaining(['approval.changed:pending', 'approval.changed:approved', 'worker.changed:completed']),
        );
      });
      events.close();
      await reading;
    },
    TEST_TIMEOUT_MS,
  );
});
