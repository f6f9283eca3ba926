/**
 * How the Agents screen lays agents out: Claude Code's user folder first, then every known
 * workspace (most recently seen first), including workspaces with no agents and workspaces that do
 * not exist on this machine, so the user sees where agents could live and why some are not loaded.
 */
import type { AgentView, WorkspaceView } from '../../../../src/shared/agents-schemas.js';

export interface AgentFigures {
  requests: number;
  costUsd: number;
}

export type AgentGroup =
  | { kind: 'user'; key: string; title: string; path: string; agents: AgentView[] }
  | {
      kind: 'workspace';
      key: string;
      title: string;
      path: string;
      /** Null for a workspace only named by its agents' paths (not in the workspace list). */
      workspace: WorkspaceView | null;
      agents: AgentView[];
    };

const byName = (a: AgentView, b: AgentView) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path);

export function groupAgents(
  agents: readonly AgentView[],
  workspaces: readonly WorkspaceView[],
  userDir: string,
): AgentGroup[] {
  const user: AgentGroup = { kind: 'user', key: 'user', title: 'User agents', path: userDir, agents: [] };
  const groups = new Map<string, Extract<AgentGroup, { kind: 'workspace' }>>();
  const sorted = [...workspaces].sort((a, b) => b.lastSeen - a.lastSeen || a.path.localeCompare(b.path));
  for (const w of sorted) {
    groups.set(w.path, { kind: 'workspace', key: w.path, title: w.name, path: w.path, workspace: w, agents: [] });
  }
  for (const a of agents) {
    if (a.scope === 'user' || a.workspace === null) {
      user.agents.push(a);
      continue;
    }
    let g = groups.get(a.workspace);
    if (!g) {
      const name = a.workspace.split(/[\\/]/).filter(Boolean).pop() ?? a.workspace;
      g = { kind: 'workspace', key: a.workspace, title: name, path: a.workspace, workspace: null, agents: [] };
      groups.set(a.workspace, g);
    }
    g.agents.push(a);
  }
  user.agents.sort(byName);
  for (const g of groups.values()) g.agents.sort(byName);
  return [user, ...groups.values()];
}

/** Requests and cost per agent name from GET /api/analytics's `agents` breakdown. */
export function figuresByAgent(
  rows: readonly { agent: string | null; requests: number; costUsd: number }[] | undefined,
): Map<string, AgentFigures> {
  const out = new Map<string, AgentFigures>();
  for (const r of rows ?? []) {
    if (r.agent === null) continue;
    out.set(r.agent, { requests: r.requests, costUsd: r.costUsd });
  }
  return out;
}
