/**
 * `store.agents`: the workspaces discovered from Claude Code traffic and the model preference of
 * each agent. Agent definitions themselves are Claude Code's files (src/agents), not rows.
 */

export interface WorkspaceRow {
  /** Absolute folder path as the client sent it. */
  path: string;
  /** The folder's name, for display. */
  name: string;
  firstSeen: number;
  lastSeen: number;
  /** Requests that named this workspace. */
  requests: number;
}

/** Requests that named a workspace since the last flush (discovery batches them). */
export interface WorkspaceSighting {
  path: string;
  name: string;
  /** Requests to add. */
  requests: number;
  /** Unix ms of the first and last of them. */
  firstAt: number;
  lastAt: number;
}

export interface AgentPreferenceRow {
  /** The agent's id (derived from its file's path, src/agents/agent-registry.ts). */
  agentId: string;
  /** The agent's name when set, so a preference whose file went away still reads. */
  agentName: string;
  model: string;
  updatedAt: number;
}

export interface AgentPreferenceChange {
  agentId: string;
  agentName: string;
  /** null removes the preference. */
  model: string | null;
}

export interface AgentsStore {
  /** Every known workspace, most recently seen first. */
  listWorkspaces(): Promise<WorkspaceRow[]>;
  /**
   * Adds sightings in one transaction: a new path is inserted, a known one gets its requests
   * added and its last-seen moved forward (never back).
   */
  recordWorkspaces(sightings: readonly WorkspaceSighting[]): Promise<void>;
  listPreferences(): Promise<AgentPreferenceRow[]>;
  /** Writes the given preferences in one transaction. */
  setPreferences(changes: readonly AgentPreferenceChange[], now: number): Promise<void>;
  /**
   * Monotonic counter bumped by a preference change and by a new (or removed) workspace, from any
   * process; request counts moving do not bump it.
   */
  revision(): Promise<number>;
}
