import { describe, expect, it } from 'vitest';
import type { AgentView, WorkspaceView } from '../../../../src/shared/agents-schemas.js';
import { figuresByAgent, groupAgents } from './agent-groups.js';

function agent(name: string, workspace: string | null): AgentView {
  return {
    id: `${workspace ?? 'user'}:${name}`,
    name,
    description: null,
    tools: null,
    toolsPreset: 'all',
    model: null,
    color: null,
    prompt: 'p',
    scope: workspace === null ? 'user' : 'workspace',
    workspace,
    path: `${workspace ?? '/home/u/.claude'}/agents/${name}.md`,
    preference: null,
    effectiveModel: null,
    error: null,
    modifiedAt: 0,
  };
}

function ws(path: string, lastSeen: number, exists = true): WorkspaceView {
  return { path, name: path.split('/').pop() ?? path, firstSeen: 0, lastSeen, requests: 1, exists, agents: 0 };
}

describe('groupAgents', () => {
  it('puts user agents first, then every workspace most recently seen first, empty or missing ones included', () => {
    const groups = groupAgents(
      [agent('zeta', null), agent('reviewer', '/w/app'), agent('alpha', null)],
      [ws('/w/old', 1, false), ws('/w/app', 5), ws('/w/empty', 3)],
      '/home/u/.claude/agents',
    );
    expect(groups.map((g) => g.path)).toEqual(['/home/u/.claude/agents', '/w/app', '/w/empty', '/w/old']);
    expect(groups[0]?.agents.map((a) => a.name)).toEqual(['alpha', 'zeta']);
    expect(groups[1]?.agents.map((a) => a.name)).toEqual(['reviewer']);
    expect(groups[2]?.agents).toEqual([]);
    const old = groups[3];
    expect(old?.kind === 'workspace' && old.workspace?.exists).toBe(false);
  });

  it('still shows an agent whose workspace is not in the workspace list, under that folder', () => {
    const groups = groupAgents([agent('x', '/w/unlisted')], [], '/u');
    expect(groups).toHaveLength(2);
    expect(groups[1]).toMatchObject({ kind: 'workspace', title: 'unlisted', workspace: null });
  });
});

describe('figuresByAgent', () => {
  it('keys the breakdown by agent name, leaving out unattributed requests', () => {
    const m = figuresByAgent([
      { agent: 'reviewer', requests: 3, costUsd: 0.5 },
      { agent: null, requests: 9, costUsd: 1 },
    ]);
    expect([...m.keys()]).toEqual(['reviewer']);
    expect(m.get('reviewer')).toEqual({ requests: 3, costUsd: 0.5 });
  });
});
