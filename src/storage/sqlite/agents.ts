/** Workspaces and agent model preferences (migration 8) for the SQLite store. */
import type Database from 'better-sqlite3';
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
import type { Migration } from './migration.js';

export const AGENTS_MIGRATION: Migration = {
  version: 8,
  name: 'workspaces and agent model preferences',
  up: `
    -- Workspaces named by Claude Code requests (CLAUDE.md paths, working directory); the
    -- gateway loads <path>/.claude/agents of those that exist on its machine.
    CREATE TABLE workspaces (
      path TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0
    );
    -- The model an agent's requests are rewritten to; agent_id is derived from its file's path.
    CREATE TABLE agent_preferences (
      agent_id TEXT PRIMARY KEY,
      agent_name TEXT NOT NULL,
      model TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('agents_rev', 0);
    -- Polled like accounts_rev: \`ccflare agents set-model\` reaches a running gateway. Counts
    -- moving on a known workspace (UPDATE) do not bump it: nothing to reload for them.
    CREATE TRIGGER agents_rev_workspace_insert AFTER INSERT ON workspaces
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'agents_rev'; END;
    CREATE TRIGGER agents_rev_workspace_delete AFTER DELETE ON workspaces
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'agents_rev'; END;
    CREATE TRIGGER agents_rev_pref_insert AFTER INSERT ON agent_preferences
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'agents_rev'; END;
    CREATE TRIGGER agents_rev_pref_update AFTER UPDATE ON agent_preferences
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'agents_rev'; END;
    CREATE TRIGGER agents_rev_pref_delete AFTER DELETE ON agent_preferences
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'agents_rev'; END;
  `,
};

export class SqliteAgents implements AgentsStore {
  private readonly selectWorkspaces: Database.Statement<[], WorkspaceDbRow>;
  private readonly selectPrefs: Database.Statement<[], PreferenceDbRow>;
  private readonly rev: Database.Statement<[], { value: number }>;
  private readonly record: (sightings: readonly WorkspaceSighting[]) => void;
  private readonly setPrefs: (changes: readonly AgentPreferenceChange[], now: number) => void;

  constructor(db: Database.Database) {
    this.selectWorkspaces = db.prepare(WORKSPACES_SQL);
    this.selectPrefs = db.prepare(PREFERENCES_SQL);
    this.rev = db.prepare("SELECT value FROM meta WHERE key = 'agents_rev'");
    // An UPDATE only when the path exists (the DO UPDATE branch), so a known workspace never
    // fires the INSERT trigger and the revision stays put while counts move.
    const upsert = db.prepare<[string, string, number, number, number]>(
      `INSERT INTO workspaces (path, name, first_seen, last_seen, requests) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET
         requests = requests + excluded.requests,
         first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen)`,
    );
    this.record = db.transaction((sightings: readonly WorkspaceSighting[]) => {
      for (const s of sightings) upsert.run(s.path, s.name, s.firstAt, s.lastAt, s.requests);
    });
    const putPref = db.prepare<[string, string, string, number]>(
      `INSERT INTO agent_preferences (agent_id, agent_name, model, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET agent_name = excluded.agent_name, model = excluded.model,
         updated_at = excluded.updated_at`,
    );
    const deletePref = db.prepare<[string]>('DELETE FROM agent_preferences WHERE agent_id = ?');
    this.setPrefs = db.transaction((changes: readonly AgentPreferenceChange[], now: number) => {
      for (const c of changes) {
        if (c.model === null) deletePref.run(c.agentId);
        else putPref.run(c.agentId, c.agentName, c.model, now);
      }
    });
  }

  async listWorkspaces(): Promise<WorkspaceRow[]> {
    return this.selectWorkspaces.all().map(toWorkspace);
  }

  async recordWorkspaces(sightings: readonly WorkspaceSighting[]): Promise<void> {
    if (sightings.length > 0) this.record(sightings);
  }

  async listPreferences(): Promise<AgentPreferenceRow[]> {
    return this.selectPrefs.all().map(toPreference);
  }

  async setPreferences(changes: readonly AgentPreferenceChange[], now: number): Promise<void> {
    if (changes.length > 0) this.setPrefs(changes, now);
  }

  async revision(): Promise<number> {
    return Number(this.rev.get()?.value ?? 0);
  }
}
