/**
 * What the proxy needs from the agent registry, read on the request path: the agents it knows
 * (with the model each one's requests go to) as one immutable snapshot swapped on change, and a
 * hook that takes a forwarded request's body for workspace discovery off the request path.
 */

export interface KnownAgent {
  readonly id: string;
  readonly name: string;
  /** null for a user agent. */
  readonly workspace: string | null;
  /** The agent file's body: a sub-agent's system text starts with it (protocol.md §7). */
  readonly prompt: string;
  /** Preference, else the file's full id, else the default agent model; null: leave the client's model. */
  readonly model: string | null;
}

export interface AgentSnapshot {
  /** Bumped on every change, so derived lookup tables can be cached per snapshot. */
  readonly version: number;
  readonly agents: readonly KnownAgent[];
}

export interface AgentDirectory {
  /** The current snapshot; O(1), never touches disk or the database. */
  current(): AgentSnapshot;
  /**
   * A forwarded request's body, for workspace discovery (CLAUDE.md paths, "Primary working
   * directory:"). Returns at once; the scan runs later, off the request path.
   */
  observe(body: Buffer, sessionId: string | null): void;
}

const EMPTY_SNAPSHOT: AgentSnapshot = Object.freeze({ version: 0, agents: Object.freeze([]) });

/** A directory that knows no agent (tests, and the stand-in until the registry is wired). */
export function emptyAgentDirectory(): AgentDirectory {
  return { current: () => EMPTY_SNAPSHOT, observe: () => {} };
}
