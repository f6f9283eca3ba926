/**
 * `/api/agents` and `/api/workspaces` against a running gateway: agent files listed from the
 * user folder and known workspaces (broken ones with their error), created, edited with unknown
 * front matter keys kept, deleted; model preferences checked against the model catalogue
 * (unknown claude-* ids accepted with a warning); hand edits visible within 2 s.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentListSchema, type AgentView, WorkspaceListSchema } from '../../src/shared/agents-schemas.js';
import { ErrorResponseSchema } from '../../src/shared/api-schemas.js';
import { api } from '../support/api-request.js';
import { gatewayForFile } from '../support/gateway.js';

const root = mkdtempSync(join(tmpdir(), 'ccflare-agents-api-'));
const userDir = join(root, 'claude', 'agents');
const ws = join(root, 'shop');
mkdirSync(userDir, { recursive: true });
mkdirSync(join(ws, '.claude', 'agents'), { recursive: true });

const REVIEWER = `---
name: reviewer
description: Reviews diffs
tools: Read, Grep
x-owner: team-a # not ccflare's key
---

You review diffs.
`;

const ctx = gatewayForFile({ env: { CCFLARE_CLAUDE_AGENTS_DIR: userDir }, accountPollMs: 100 });
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function agents(): Promise<AgentView[]> {
  const r = await api(ctx.gw.server.api, 'GET', '/api/agents');
  expect(r.status).toBe(200);
  return AgentListSchema.parse(r.json).agents;
}

async function agentNamed(name: string, workspace: string | null = null): Promise<AgentView> {
  const a = (await agents()).find((x) => x.name === name && x.workspace === workspace);
  if (a === undefined) throw new Error(`no agent ${name}`);
  return a;
}

function errorOf(r: { status: number; json: unknown }): string {
  return ErrorResponseSchema.parse(r.json).error.message;
}

beforeEach(async () => {
  rmSync(userDir, { recursive: true, force: true });
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'reviewer.md'), REVIEWER);
  writeFileSync(join(userDir, 'broken.md'), '---\nname: [oops\n---\nBody\n');
  await ctx.gw.server.agents.reload();
});

describe('GET /api/agents', () => {
  it('lists the user folder with each file’s fields, and a broken file with its error', async () => {
    const r = await api(ctx.gw.server.api, 'GET', '/api/agents');
    const list = AgentListSchema.parse(r.json);
    expect(list.userDir).toBe(userDir);
    expect(list.defaultModel).toBeNull();
    const reviewer = list.agents.find((a) => a.name === 'reviewer');
    expect(reviewer).toMatchObject({
      description: 'Reviews diffs',
      tools: ['Read', 'Grep'],
      toolsPreset: 'custom',
      scope: 'user',
      workspace: null,
      prompt: 'You review diffs.',
      preference: null,
      effectiveModel: null,
      error: null,
    });
    expect(reviewer?.id).toMatch(/^[a-z0-9-]+$/);
    expect(list.agents.find((a) => a.name === 'broken')?.error).toMatch(/invalid YAML/);
  });

  it('shows a file edited by hand within 2 s', async () => {
    writeFileSync(join(userDir, 'reviewer.md'), REVIEWER.replace('Reviews diffs', 'Reviews every diff twice'));
    await vi.waitFor(async () => expect((await agentNamed('reviewer')).description).toBe('Reviews every diff twice'), {
      timeout: 2000,
      interval: 50,
    });
  });
});

describe('workspaces', () => {
  it('lists workspaces discovered by any process, and loads the agents of those that exist', async () => {
    writeFileSync(join(ws, '.claude', 'agents', 'reviewer.md'), REVIEWER.replace('You review diffs.', 'Shop review.'));
    const now = Date.now();
    await ctx.gw.store.agents.recordWorkspaces([
      { path: ws, name: 'shop', requests: 4, firstAt: now, lastAt: now },
      { path: '/not/on/this/machine', name: 'machine', requests: 1, firstAt: now - 5, lastAt: now - 5 },
    ]);
    await vi.waitFor(async () => expect((await agentNamed('reviewer', ws)).prompt).toBe('Shop review.'), {
      timeout: 2000,
      interval: 50,
    });
    const r = await api(ctx.gw.server.api, 'GET', '/api/workspaces');
    expect(WorkspaceListSchema.parse(r.json).workspaces).toEqual([
      expect.objectContaining({ path: ws, name: 'shop', requests: 4, exists: true, agents: 1 }),
      expect.objectContaining({ path: '/not/on/this/machine', exists: false, agents: 0 }),
    ]);
  });
});

describe('POST /api/agents', () => {
  it('creates a file in the user folder, and refuses a second one with 409', async () => {
    const body = {
      name: 'planner',
      description: 'Plans work: step by step',
      prompt: 'You plan.',
      scope: 'user',
      tools: { preset: 'read-only' },
      model: 'opus',
      color: 'green',
    };
    const r = await api(ctx.gw.server.api, 'POST', '/api/agents', body);
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      name: 'planner',
      toolsPreset: 'read-only',
      model: 'opus',
      color: 'green',
      warnings: [],
    });
    const text = readFileSync(join(userDir, 'planner.md'), 'utf8');
    expect(text).toContain('tools: Read, Grep, Glob, WebFetch, WebSearch\n');
    expect(text.trim().endsWith('You plan.')).toBe(true);
    const again = await api(ctx.gw.server.api, 'POST', '/api/agents', { ...body, prompt: 'Other.' });
    expect(again.status).toBe(409);
    expect(readFileSync(join(userDir, 'planner.md'), 'utf8')).toBe(text);
  });

  it('refuses a name another file in the same folder declares, writing nothing', async () => {
    writeFileSync(join(userDir, 'review-file.md'), REVIEWER.replace('name: reviewer', 'name: code-reviewer'));
    await ctx.gw.server.agents.reload();
    const r = await api(ctx.gw.server.api, 'POST', '/api/agents', {
      name: 'code-reviewer',
      description: 'Reviews code',
      prompt: 'You review.',
      scope: 'user',
    });
    expect(r.status).toBe(409);
    expect(errorOf(r)).toBe(
      `An agent named "code-reviewer" already exists in the user folder (${join(userDir, 'review-file.md')}); pick another name or edit that one`,
    );
    expect(existsSync(join(userDir, 'code-reviewer.md'))).toBe(false);
    expect((await agents()).filter((a) => a.name === 'code-reviewer')).toHaveLength(1);
  });

  it('refuses an unknown workspace and a bad name, writing nothing', async () => {
    const bad = await api(ctx.gw.server.api, 'POST', '/api/agents', {
      name: 'x',
      description: 'd',
      prompt: 'p',
      scope: '/nope',
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toMatch(/not a known workspace/);
    const name = await api(ctx.gw.server.api, 'POST', '/api/agents', {
      name: 'Bad Name',
      description: 'd',
      prompt: 'p',
      scope: 'user',
    });
    expect(name.status).toBe(400);
    expect(existsSync(join(userDir, 'x.md'))).toBe(false);
  });
});

describe('PATCH /api/agents/{id}', () => {
  it('writes description, tools and color to the file, keeping keys it does not know', async () => {
    const a = await agentNamed('reviewer');
    const r = await api(ctx.gw.server.api, 'PATCH', `/api/agents/${a.id}`, {
      description: 'Reviews carefully',
      tools: { preset: 'all' },
      color: 'red',
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ description: 'Reviews carefully', tools: null, toolsPreset: 'all', color: 'red' });
    const text = readFileSync(a.path, 'utf8');
    expect(text).toContain('x-owner: team-a # not ccflare');
    expect(text).not.toContain('tools:');
  });

  it('stores the model as a preference: aliases resolved, unknown claude ids with a warning, others refused', async () => {
    const a = await agentNamed('reviewer');
    const before = readFileSync(a.path, 'utf8');
    const haiku = await api(ctx.gw.server.api, 'PATCH', `/api/agents/${a.id}`, { model: 'haiku' });
    expect(haiku.json).toMatchObject({
      preference: 'claude-haiku-4-5',
      effectiveModel: 'claude-haiku-4-5',
      warnings: [],
    });
    const unknown = await api(ctx.gw.server.api, 'PATCH', `/api/agents/${a.id}`, { model: 'claude-nova-9' });
    expect(unknown.status).toBe(200);
    expect(unknown.json.preference).toBe('claude-nova-9');
    expect(unknown.json.warnings).toEqual([expect.stringMatching(/claude-nova-9 is not a model this gateway knows/)]);
    const bad = await api(ctx.gw.server.api, 'PATCH', `/api/agents/${a.id}`, { model: 'gpt-4o', color: 'red' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toMatch(/Unknown model "gpt-4o".*claude-sonnet-4-6/);
    // Nothing of a refused change is written: not the preference, not the file.
    expect((await agentNamed('reviewer')).preference).toBe('claude-nova-9');
    expect(readFileSync(a.path, 'utf8')).toBe(before);
    const cleared = await api(ctx.gw.server.api, 'PATCH', `/api/agents/${a.id}`, { model: null });
    expect(cleared.json).toMatchObject({ preference: null, effectiveModel: null });
    expect(await ctx.gw.store.agents.listPreferences()).toEqual([]);
  });

  it('falls back to the default agent model set at runtime', async () => {
    const a = await agentNamed('reviewer');
    const set = await api(ctx.gw.server.api, 'PATCH', '/api/config', { defaultAgentModel: 'sonnet' });
    expect(set.status).toBe(200);
    expect((await agentNamed('reviewer')).effectiveModel).toBe('claude-sonnet-5-5');
    expect((await api(ctx.gw.server.api, 'GET', '/api/agents')).json.defaultModel).toBe('claude-sonnet-5-5');
    const bad = await api(ctx.gw.server.api, 'PATCH', '/api/config', { defaultAgentModel: 'gpt-4o' });
    expect(bad.status).toBe(400);
    await api(ctx.gw.server.api, 'PATCH', '/api/config', { defaultAgentModel: null });
    expect((await agentNamed('reviewer')).effectiveModel).toBeNull();
    expect(a.id).toBe((await agentNamed('reviewer')).id);
  });

  it('answers 404 for an unknown id and 409 for a file it cannot parse', async () => {
    expect((await api(ctx.gw.server.api, 'PATCH', '/api/agents/nope-12345678', { color: 'red' })).status).toBe(404);
    const broken = await agentNamed('broken');
    const r = await api(ctx.gw.server.api, 'PATCH', `/api/agents/${broken.id}`, { color: 'red' });
    expect(r.status).toBe(409);
    expect(errorOf(r)).toMatch(/fix it by hand/);
  });
});

describe('bulk preference and DELETE', () => {
  it('sets a model for every agent, then clears it', async () => {
    const set = await api(ctx.gw.server.api, 'POST', '/api/agents/bulk-preference', { model: 'claude-sonnet-4-6' });
    expect(set.json).toEqual({ updated: (await agents()).length, warnings: [] });
    expect((await agents()).every((a) => a.effectiveModel === 'claude-sonnet-4-6')).toBe(true);
    const unknownId = await api(ctx.gw.server.api, 'POST', '/api/agents/bulk-preference', {
      model: null,
      agents: ['nope'],
    });
    expect(unknownId.status).toBe(400);
    await api(ctx.gw.server.api, 'POST', '/api/agents/bulk-preference', { model: null });
    expect((await agents()).every((a) => a.preference === null)).toBe(true);
  });

  it('deletes the file and its preference', async () => {
    const a = await agentNamed('reviewer');
    await api(ctx.gw.server.api, 'PATCH', `/api/agents/${a.id}`, { model: 'haiku' });
    const r = await api(ctx.gw.server.api, 'DELETE', `/api/agents/${a.id}`);
    expect(r.status).toBe(200);
    expect(existsSync(a.path)).toBe(false);
    expect((await agents()).some((x) => x.id === a.id)).toBe(false);
    expect(await ctx.gw.store.agents.listPreferences()).toEqual([]);
  });
});
