/** `store.agents` for PostgreSQL (same behaviour as sqlite/agents.ts). */
import type {
  AgentPreferenceChange,
  AgentPreferenceRow,
  AgentsStore,
  WorkspaceRow,
  WorkspaceSighting,
} from '../contract/agents.js';
import {
  PREFERENCES_SQL,
  type PreferenceDbRow,
  toPreference,
  toWorkspace,
  WORKSPACES_SQL,
  type WorkspaceDbRow,
} from '../rows/agent-rows.js';
import { inTransaction, type PgPool } from './connection.js';
import { type RevisionReader, revisionDdl } from './revisions.js';

export const AGENTS_DDL = `
  -- Workspaces named by Claude Code requests; the gateway loads <path>/.claude/agents of those
  -- that exist on its machine.
  CREATE TABLE workspaces (
    path TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0
  );
  -- The model an agent's requests are rewritten to; agent_id is derived from its file's path.
  CREATE TABLE agent_preferences (
    agent_id TEXT PRIMARY KEY,
    agent_name TEXT NOT NULL,
    model TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  -- Counts moving on a known workspace (an UPDATE) do not bump it: nothing to reload for them.
  ${revisionDdl('agents_rev', [
    { table: 'workspaces', events: 'INSERT OR DELETE' },
    { table: 'agent_preferences', events: 'INSERT OR UPDATE OR DELETE' },
  ])}
`;

export class PgAgents implements AgentsStore {
  constructor(
    private readonly pool: PgPool,
    private readonly revisions: RevisionReader,
  ) {}

  async listWorkspaces(): Promise<WorkspaceRow[]> {
    const { rows } = await this.pool.query<WorkspaceDbRow>(WORKSPACES_SQL);
    return rows.map(toWorkspace);
  }

  async recordWorkspaces(sightings: readonly WorkspaceSighting[]): Promise<void> {
    if (sightings.length === 0) return;
    // ON CONFLICT may touch a row once per statement, so a path seen twice is merged first; sorted,
    // so two instances upserting the same paths lock them in one order and cannot deadlock.
    const byPath = new Map<string, WorkspaceSighting>();
    for (const s of sightings) {
      const seen = byPath.get(s.path);
      byPath.set(
        s.path,
        seen === undefined
          ? { ...s }
          : {
              path: s.path,
              name: s.name,
              requests: seen.requests + s.requests,
              firstAt: Math.min(seen.firstAt, s.firstAt),
              lastAt: Math.max(seen.lastAt, s.lastAt),
            },
      );
    }
    const merged = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // A known path takes the DO UPDATE branch, which fires no INSERT trigger: the revision stays.
    await this.pool.query(
      `INSERT INTO workspaces (path, name, first_seen, last_seen, requests)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
       ON CONFLICT (path) DO UPDATE SET
         requests = workspaces.requests + excluded.requests,
         first_seen = LEAST(workspaces.first_seen, excluded.first_seen),
         last_seen = GREATEST(workspaces.last_seen, excluded.last_seen)`,
      [
        merged.map((s) => s.path),
        merged.map((s) => s.name),
        merged.map((s) => s.firstAt),
        merged.map((s) => s.lastAt),
        merged.map((s) => s.requests),
      ],
    );
  }

  async listPreferences(): Promise<AgentPreferenceRow[]> {
    const { rows } = await this.pool.query<PreferenceDbRow>(PREFERENCES_SQL);
    return rows.map(toPreference);
  }

  async setPreferences(changes: readonly AgentPreferenceChange[], now: number): Promise<void> {
    if (changes.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      for (const c of changes) {
        if (c.model === null) await client.query('DELETE FROM agent_preferences WHERE agent_id = $1', [c.agentId]);
        else
          await client.query(
            `INSERT INTO agent_preferences (agent_id, agent_name, model, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (agent_id) DO UPDATE SET agent_name = excluded.agent_name, model = excluded.model,
               updated_at = excluded.updated_at`,
            [c.agentId, c.agentName, c.model, now],
          );
      }
    });
  }

  async revision(): Promise<number> {
    return this.revisions.read('agents_rev');
  }
}
