import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../../test/support/log-lines.js';
import { ManualClock } from '../clock.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { claudeCodeBody } from './__fixtures__/claude-code-body.js';
import { AgentRegistry, type AgentRegistryDeps, agentIdOf } from './agent-registry.js';

let root: string;
let userDir: string;
let ws: string;
let store: SqliteStore;
let registries: AgentRegistry[];

function agentText(name: string, prompt: string, extra = ''): string {
  return `---\nname: ${name}\ndescription: ${name} agent\n${extra}---\n\n${prompt}\n`;
}

function make(over: Partial<AgentRegistryDeps> = {}): AgentRegistry {
  const r = new AgentRegistry({
    store,
    clock: new ManualClock(1_700_000_000_000),
    logger: captureLogger().logger,
    userDir,
    claudeConfigDir: join(root, 'claude'),
    watchFiles: false,
    ...over,
  });
  registries.push(r);
  return r;
}

/** Lets the queued discovery scan (setImmediate) run, then writes its counts. */
async function discovered(r: AgentRegistry): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await r.flush();
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ccflare-registry-'));
  userDir = join(root, 'claude', 'agents');
  ws = join(root, 'app');
  mkdirSync(userDir, { recursive: true });
  mkdirSync(join(ws, '.claude', 'agents'), { recursive: true });
  writeFileSync(join(root, 'app', 'CLAUDE.md'), '# App\n');
  store = SqliteStore.open(':memory:');
  registries = [];
});

afterEach(async () => {
  for (const r of registries) r.stop();
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('AgentRegistry', () => {
  it("loads user agents, and a workspace's agents once a request names the workspace", async () => {
    writeFileSync(join(userDir, 'reviewer.md'), agentText('reviewer', 'User reviewer prompt.'));
    writeFileSync(join(userDir, 'broken.md'), 'no front matter');
    writeFileSync(join(ws, '.claude', 'agents', 'reviewer.md'), agentText('reviewer', 'Project reviewer prompt.'));
    const r = make();
    await r.start();
    expect(r.list().map((a) => [a.name, a.scope, a.error === null])).toEqual([
      ['broken', 'user', false],
      ['reviewer', 'user', true],
    ]);
    expect(r.current().agents.map((a) => a.prompt)).toEqual(['User reviewer prompt.']);

    r.observe(Buffer.from(claudeCodeBody({ workspace: ws, userConfigDir: join(root, 'claude') })), 'session-1');
    // Nothing happens on the request path: the body is only queued.
    expect(r.workspaces()).toEqual([]);
    await discovered(r);
    await r.reload();
    expect(r.workspaces()).toEqual([
      expect.objectContaining({ path: ws, name: 'app', requests: 1, exists: true, agents: 1 }),
    ]);
    // The workspace's agent comes first: it takes precedence over the user agent of the same name.
    expect(r.current().agents.map((a) => [a.name, a.workspace, a.prompt])).toEqual([
      ['reviewer', ws, 'Project reviewer prompt.'],
      ['reviewer', null, 'User reviewer prompt.'],
    ]);
  });

  it('scans a session once per TTL but counts every request, and lists unreachable workspaces', async () => {
    const r = make();
    await r.start();
    const body = Buffer.from(claudeCodeBody({ workspace: '/nowhere/else', workingDir: ws }));
    for (let i = 0; i < 5; i++) r.observe(body, 'session-1');
    r.observe(Buffer.from('{}'), 'session-1');
    await discovered(r);
    const list = await store.agents.listWorkspaces();
    expect(list.map((w) => [w.path, w.requests])).toEqual(
      expect.arrayContaining([
        ['/nowhere/else', 6],
        [ws, 6],
      ]),
    );
    expect(r.workspaces().find((w) => w.path === '/nowhere/else')).toMatchObject({ exists: false, agents: 0 });
  });

  it('picks up a file changed on disk within one poll, without fs.watch', async () => {
    const r = make({ pollMs: 20 });
    await r.start();
    expect(r.list()).toEqual([]);
    writeFileSync(join(userDir, 'planner.md'), agentText('planner', 'Plan.'));
    await vi.waitFor(() => expect(r.list().map((a) => a.name)).toEqual(['planner']), { timeout: 2000 });
    const v = r.current().version;
    writeFileSync(join(userDir, 'planner.md'), agentText('planner', 'Plan carefully, step by step.'));
    await vi.waitFor(() => expect(r.current().agents[0]?.prompt).toBe('Plan carefully, step by step.'), {
      timeout: 2000,
    });
    expect(r.current().version).toBeGreaterThan(v);
    rmSync(join(userDir, 'planner.md'));
    await vi.waitFor(() => expect(r.list()).toEqual([]), { timeout: 2000 });
  });

  it('picks up a new file through fs.watch long before the poll', async () => {
    const r = make({ pollMs: 600_000, watchFiles: true });
    await r.start();
    writeFileSync(join(userDir, 'fast.md'), agentText('fast', 'Quick.'));
    await vi.waitFor(() => expect(r.list().map((a) => a.name)).toEqual(['fast']), { timeout: 2000 });
  });

  it('effective model: preference, else the file’s full id, else the default agent model', async () => {
    writeFileSync(join(userDir, 'a.md'), agentText('a', 'A.', 'model: claude-haiku-4-5\n'));
    writeFileSync(join(userDir, 'b.md'), agentText('b', 'B.', 'model: haiku\n'));
    let def = '';
    const r = make({ defaultModel: () => def, resolveModel: (m) => (m === 'sonnet' ? 'claude-sonnet-4-6' : m) });
    await r.start();
    const model = (name: string) => r.current().agents.find((a) => a.name === name)?.model;
    expect([model('a'), model('b')]).toEqual(['claude-haiku-4-5', null]);
    def = 'sonnet';
    expect([model('a'), model('b')]).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6']);
    // Written by another process (the CLI): reaches the registry through the agents revision.
    const id = agentIdOf(join(userDir, 'a.md'));
    await store.agents.setPreferences([{ agentId: id, agentName: 'a', model: 'claude-opus-4-5' }], 1);
    await r.reload();
    expect(model('a')).toBe('claude-opus-4-5');
    expect(r.get(id)).toMatchObject({ preference: 'claude-opus-4-5', effectiveModel: 'claude-opus-4-5' });
  });

  it('keeps ids stable and URL-safe', () => {
    const id = agentIdOf('/home/me/.claude/agents/Code Reviewer.md');
    expect(id).toMatch(/^code-reviewer-[a-z0-9]{8}$/);
    expect(agentIdOf('/home/me/.claude/agents/Code Reviewer.md')).toBe(id);
    expect(agentIdOf('/other/.claude/agents/Code Reviewer.md')).not.toBe(id);
  });
});
