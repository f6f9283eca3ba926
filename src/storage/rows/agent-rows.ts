/**
 * Workspace and agent preference rows as both back-ends return them (snake_case columns of the
 * same types) and as the contract gives them out: one mapping for SQLite and PostgreSQL.
 */
import type { AgentPreferenceRow, WorkspaceRow } from '../contract/agents.js';

export interface WorkspaceDbRow {
  path: string;
  name: string;
  first_seen: number;
  last_seen: number;
  requests: number;
}

export const WORKSPACES_SQL =
  'SELECT path, name, first_seen, last_seen, requests FROM workspaces ORDER BY last_seen DESC, path';

export function toWorkspace(r: WorkspaceDbRow): WorkspaceRow {
  return { path: r.path, name: r.name, firstSeen: r.first_seen, lastSeen: r.last_seen, requests: r.requests };
}

export interface PreferenceDbRow {
  agent_id: string;
  agent_name: string;
  model: string;
  updated_at: number;
}

export const PREFERENCES_SQL =
  'SELECT agent_id, agent_name, model, updated_at FROM agent_preferences ORDER BY agent_id';

export function toPreference(r: PreferenceDbRow): AgentPreferenceRow {
  return { agentId: r.agent_id, agentName: r.agent_name, model: r.model, updatedAt: r.updated_at };
}
