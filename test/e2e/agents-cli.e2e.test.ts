/**
 * `ccflare agents …` and `ccflare workspaces list` run in process (test/support/cli-io.ts):
 * with no gateway they read the agent files and the database themselves; set-model writes the
 * database, so a running gateway's proxy snapshot has the new model within 2 s; a name shared by
 * two agents is refused with the candidates and how to pick one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentListSchema, AgentSchema, WorkspaceListSchema } from '../../src/shared/agents-schemas.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { expectOneLineError, runCommand } from '../support/cli-io.js';
import { gatewayForFile } from '../support/gateway.js';

function agentText(name: string, prompt: string, extra = ''): string {
  return `---\nname: ${name}\ndescription: ${name} agent\n${extra}---\n\n${prompt}\n`;
}

describe('with no gateway running', () => {
  const home = mkdtempSync(join(tmpdir(), 'ccflare-agents-cli-'));
  const userDir = join(home, 'claude-agents');
  const ws = join(home, 'shop');
  const run = (...args: string[]) => runCommand(args, { home, env: { CCFLARE_PORT: '0' } });

  beforeAll(async () => {
    mkdirSync(userDir, { recursive: true });
    mkdirSync(join(ws, '.claude', 'agents'), { recursive: true });
    writeFileSync(join(userDir, 'reviewer.md'), agentText('reviewer', 'User review.', 'tools: Read, Grep\n'));
    writeFileSync(join(userDir, 'planner.md'), agentText('planner', 'Plan.', 'model: claude-opus-4-5\n'));
    writeFileSync(join(userDir, 'broken.md'), 'just text');
    writeFileSync(join(ws, '.claude', 'agents', 'reviewer.md'), agentText('reviewer', 'Shop review.'));
    const store = SqliteStore.open(join(home, 'ccflare.db'));
    await store.agents.recordWorkspaces([{ path: ws, name: 'shop', requests: 3, firstAt: 1, lastAt: Date.now() }]);
    await store.close();
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('lists agents with the model their requests use, and broken files with their error', async () => {
    const r = await run('agents', 'list');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+WHERE\s+MODEL\s+FROM\s+TOOLS\s+ID/);
    expect(r.stdout).toMatch(/planner\s+user\s+claude-opus-4-5\s+file\s+all/);
    expect(r.stdout).toMatch(new RegExp(`reviewer\\s+${ws}\\s+-\\s+client's`));
    expect(r.stdout).toMatch(/reviewer\s+user\s+-\s+client's\s+custom/);
    expect(r.stdout).toMatch(/broken\.md: no front matter/);
    const json = AgentListSchema.parse(JSON.parse((await run('agents', 'list', '--json')).stdout));
    expect(json.agents.map((a) => a.name).sort()).toEqual(['broken', 'planner', 'reviewer', 'reviewer']);
  });

  it('refuses an ambiguous name, naming the candidates and how to pick one', async () => {
    const r = await run('agents', 'set-model', 'reviewer', 'haiku');
    expectOneLineError(
      r,
      /Agent name "reviewer" is ambiguous: reviewer-\w+ \(workspace .*shop\), reviewer-\w+ \(user\)\. Pick one by its id, or with --workspace/,
    );
  });

  it('sets a preference by name and workspace, shows it, and resets it', async () => {
    const set = await run('agents', 'set-model', 'reviewer', 'haiku', '--workspace', ws);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(
      `reviewer (${ws}) now uses claude-haiku-4-5; running gateways apply it within 2 seconds.\n`,
    );
    const show = AgentSchema.parse(
      JSON.parse((await run('agents', 'show', 'reviewer', '--workspace', ws, '--json')).stdout),
    );
    expect(show).toMatchObject({
      preference: 'claude-haiku-4-5',
      effectiveModel: 'claude-haiku-4-5',
      prompt: 'Shop review.',
    });
    const text = await run('agents', 'show', show.id);
    expect(text.stdout).toMatch(/model used:\s+claude-haiku-4-5 \(preference\)/);
    expect(text.stdout.trim().endsWith('Shop review.')).toBe(true);
    const reset = await run('agents', 'reset-model', show.id);
    expect(reset.stdout).toBe(
      `Cleared the model preference of reviewer (${ws}); its requests now use the client's model.\n`,
    );
  });

  it('accepts an unknown claude-* id with a warning, and refuses other models and unknown agents in one line', async () => {
    const odd = await run('agents', 'set-model', 'planner', 'claude-nova-9');
    expect(odd.code).toBe(0);
    expect(odd.stderr).toMatch(/^ccflare: warning: claude-nova-9 is not a model this gateway knows/);
    expectOneLineError(await run('agents', 'set-model', 'planner', 'gpt-4o'), /Unknown model "gpt-4o"/, 2);
    expectOneLineError(
      await run('agents', 'show', 'nobody'),
      /No agent "nobody"; known agents: broken, planner, reviewer/,
    );
  });

  it('takes a default agent model from config set, used by agents without their own model', async () => {
    const set = await run('config', 'set', 'defaultAgentModel', 'sonnet');
    expect(set.stdout).toMatch(/^Set defaultAgentModel = sonnet;/);
    const list = AgentListSchema.parse(JSON.parse((await run('agents', 'list', '--json')).stdout));
    expect(list.defaultModel).toBe('claude-sonnet-5-5');
    expect(list.agents.find((a) => a.name === 'reviewer' && a.workspace === null)?.effectiveModel).toBe(
      'claude-sonnet-5-5',
    );
    expectOneLineError(
      await run('config', 'set', 'defaultAgentModel', 'gpt-4o'),
      /Invalid defaultAgentModel: "gpt-4o"/,
      2,
    );
    expect((await run('config', 'unset', 'defaultAgentModel')).stdout).toMatch(/now \(none\) \(default\)/);
  });

  it('lists workspaces', async () => {
    const r = await run('workspaces', 'list');
    expect(r.stdout).toMatch(new RegExp(`shop\\s+${ws}\\s+3\\s+.*\\s+yes\\s+1`));
    const json = WorkspaceListSchema.parse(JSON.parse((await run('workspaces', 'list', '--json')).stdout));
    expect(json.workspaces).toEqual([expect.objectContaining({ path: ws, requests: 3, exists: true, agents: 1 })]);
  });
});

describe('against a running gateway', () => {
  // The gateway's real one-second poll: set-model's promise to users is about it.
  const ctx = gatewayForFile({ accountPollMs: 1000 });
  const run = (...args: string[]) => runCommand(args, { home: ctx.gw.home });

  it('set-model reaches the proxy snapshot of the running gateway within 2 s', async () => {
    const dir = ctx.gw.config.claudeAgentsDir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'reviewer.md'), agentText('reviewer', 'Review.'));
    await ctx.gw.server.agents.reload();
    const viaApi = await run('agents', 'list', '--json', '--verbose');
    expect(viaApi.stderr).toMatch(/using the running gateway/);
    const listed = AgentListSchema.parse(JSON.parse(viaApi.stdout));
    expect(listed.agents.map((a) => a.name)).toEqual(['reviewer']);
    const r = await run('agents', 'set-model', 'reviewer', 'claude-sonnet-4-6');
    expect(r.code, r.stderr).toBe(0);
    await vi.waitFor(
      () =>
        expect(ctx.gw.server.agents.current().agents).toEqual([
          expect.objectContaining({ model: 'claude-sonnet-4-6' }),
        ]),
      { timeout: 2000, interval: 50 },
    );
  });
});
