/**
 * The agents ccflare knows: Claude Code's agent files in the user folder (`$CLAUDE_CONFIG_DIR/
 * agents`, else `~/.claude/agents`, or CCFLARE_CLAUDE_AGENTS_DIR) and in `<workspace>/.claude/
 * agents/` of every known workspace whose folder exists on this machine, joined with the stored
 * model preferences. Implements the proxy's AgentDirectory.
 *
 * Freshness (changes visible within 2 s, no restart): every `pollMs` (1 s) one tick stats the
 * agent folders and rereads only files whose size or mtime moved, and checks the agents revision
 * (preferences, new workspaces: written by the API, the CLI or another gateway). fs.watch on the
 * folders, where the platform has it, rescans sooner; the tick is the safety net for the
 * platforms and file systems where it misses events.
 *
 * Workspace discovery stays off the request path: `observe` only queues the body; a
 * setImmediate scans it (once per session id per `sessionTtlMs`, a bounded map), and request
 * counts are added up in memory and written every `flushMs` in one transaction.
 *
 * Same name in two places: a workspace agent takes precedence over a user agent of the same name
 * in that workspace, as in Claude Code. Both stay listed; Claude Code running in the workspace
 * sends the workspace file's prompt, so its requests match that agent, and the user agent still
 * applies everywhere else. The snapshot lists workspace agents first so a lookup by name that
 * cannot tell them apart prefers the workspace's.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { type RevisionWatch, watchRevision } from '../revision-watch.js';
import { isModelId } from '../shared/model-ids.js';
import type { AgentPreferenceRow, WorkspaceRow, WorkspaceSighting } from '../storage/contract/agents.js';
import type { Store } from '../storage/contract/store.js';
import type { AgentDirectory, AgentSnapshot, KnownAgent } from './agent-directory.js';
import { type AgentFile, readAgentFile } from './agent-file.js';
import { workspacesInRequest } from './workspace-discovery.js';

export interface AgentEntry extends AgentFile {
  id: string;
  scope: 'user' | 'workspace';
  /** The workspace folder; null for a user agent. */
  workspace: string | null;
  /** The stored preference; null: none. */
  preference: string | null;
  /** Preference, else the file's full id, else the default agent model; null: the client's model. */
  effectiveModel: string | null;
}

export interface WorkspaceEntry extends WorkspaceRow {
  /** The folder exists on this machine (only then are its agents loaded). */
  exists: boolean;
  /** Agents loaded from its `.claude/agents/`. */
  agents: number;
}

export interface AgentRegistryDeps {
  store: Pick<Store, 'agents'>;
  clock: Clock;
  logger: Logger;
  /** Claude Code's user agents folder. */
  userDir: string;
  /** Claude Code's config folder, whose CLAUDE.md is the user's (default: the user folder's parent). */
  claudeConfigDir?: string;
  /** The default agent model setting now ('' for none), read on every snapshot access. */
  defaultModel?: () => string;
  /** Turns an alias (opus, sonnet, haiku) into a model id (the model catalogue). */
  resolveModel?: (model: string) => string;
  /** Folder stat and revision check interval (default 1000 ms). */
  pollMs?: number;
  /** How often discovered request counts are written (default 5000 ms). */
  flushMs?: number;
  /** A session's workspaces are looked for again after this long (default 5 min). */
  sessionTtlMs?: number;
  /** Sessions remembered at most (default 10,000). */
  maxSessions?: number;
  /** fs.watch the folders (default true); the poll runs either way. */
  watchFiles?: boolean;
}

interface CachedFile {
  size: number;
  mtimeMs: number;
  file: AgentFile;
}

interface Source {
  dir: string;
  scope: 'user' | 'workspace';
  workspace: string | null;
}

interface SessionSeen {
  at: number;
  /** null while the body waits to be scanned. */
  workspaces: string[] | null;
  /** Requests that arrived while the scan was pending: counted once it ran. */
  waiting: number;
}

interface Stored {
  workspaces: WorkspaceRow[];
  prefs: AgentPreferenceRow[];
}

/** URL-safe, stable while the file stays where it is: the file's name and a digest of its path. */
export function agentIdOf(path: string): string {
  const slug =
    basename(path)
      .replace(/\.md$/i, '')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'agent';
  return `${slug}-${createHash('sha256').update(path).digest('base64url').slice(0, 8).toLowerCase().replace(/[_-]/g, 'x')}`;
}

function workspaceName(path: string): string {
  return basename(path) || path;
}

const EMPTY: AgentSnapshot = Object.freeze({ version: 0, agents: Object.freeze([]) });

export class AgentRegistry implements AgentDirectory {
  private snapshot: AgentSnapshot = EMPTY;
  private snapshotDefault: string;
  private entries: readonly AgentEntry[] = [];
  private readonly files = new Map<string, CachedFile>();
  private workspaceRows: WorkspaceRow[] = [];
  private prefs = new Map<string, AgentPreferenceRow>();
  private readonly watch: RevisionWatch;
  private readonly watchers = new Map<string, FSWatcher>();
  private rescanTimer: NodeJS.Timeout | null = null;
  private readonly sessions = new Map<string, SessionSeen>();
  private queue: Array<{ key: string; body: Buffer }> = [];
  private drainScheduled = false;
  private readonly pending = new Map<string, WorkspaceSighting>();
  private lastFlush: number;
  private flushing: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly deps: AgentRegistryDeps) {
    this.snapshotDefault = deps.defaultModel?.() ?? '';
    this.lastFlush = deps.clock.now();
    this.watch = watchRevision<Stored>({
      revision: () => deps.store.agents.revision(),
      load: async () => ({
        workspaces: await deps.store.agents.listWorkspaces(),
        prefs: await deps.store.agents.listPreferences(),
      }),
      apply: (stored) => {
        this.workspaceRows = stored.workspaces;
        this.prefs = new Map(stored.prefs.map((p) => [p.agentId, p]));
        this.scan(true);
      },
      intervalMs: deps.pollMs ?? 1000,
      logger: deps.logger,
      what: 'agents',
      onTick: () => this.tick(),
    });
  }

  get userDir(): string {
    return this.deps.userDir;
  }

  /** Loads once, then follows files and the database until `stop()`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.watch.start();
  }

  /** Flushes discovered counts (best effort) and stops every timer and watcher. */
  stop(): void {
    this.stopped = true;
    this.watch.stop();
    if (this.rescanTimer !== null) clearTimeout(this.rescanTimer);
    this.rescanTimer = null;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    void this.flush();
  }

  /** Rereads the database (if its revision moved) and the agent folders now. */
  async reload(): Promise<void> {
    await this.watch.refresh();
    this.scan(false);
  }

  current(): AgentSnapshot {
    // The default model is a live setting: a change rebuilds the snapshot on the next read.
    const def = this.deps.defaultModel?.() ?? '';
    if (def !== this.snapshotDefault) this.rebuild();
    return this.snapshot;
  }

  /** Every agent file with its id, preference and effective model; workspace agents first. */
  list(): readonly AgentEntry[] {
    this.current();
    return this.entries;
  }

  get(id: string): AgentEntry | undefined {
    return this.list().find((a) => a.id === id);
  }

  /** Known workspaces with unwritten counts added, most recently seen first. */
  workspaces(): WorkspaceEntry[] {
    const byPath = new Map<string, WorkspaceEntry>();
    for (const w of this.workspaceRows) byPath.set(w.path, { ...w, exists: isDir(w.path), agents: 0 });
    for (const s of this.pending.values()) {
      const w = byPath.get(s.path);
      if (w === undefined) {
        byPath.set(s.path, {
          path: s.path,
          name: s.name,
          firstSeen: s.firstAt,
          lastSeen: s.lastAt,
          requests: s.requests,
          exists: isDir(s.path),
          agents: 0,
        });
      } else {
        w.requests += s.requests;
        w.lastSeen = Math.max(w.lastSeen, s.lastAt);
      }
    }
    for (const a of this.list()) {
      if (a.workspace !== null) {
        const w = byPath.get(a.workspace);
        if (w) w.agents++;
      }
    }
    return [...byPath.values()].sort((a, b) => b.lastSeen - a.lastSeen || a.path.localeCompare(b.path));
  }

  /** The agent folders read now: the user folder, then `.claude/agents` of each existing workspace. */
  sources(): Source[] {
    const out: Source[] = [{ dir: this.deps.userDir, scope: 'user', workspace: null }];
    for (const w of this.workspaceRows) {
      if (isDir(w.path)) out.push({ dir: join(w.path, '.claude', 'agents'), scope: 'workspace', workspace: w.path });
    }
    return out;
  }

  observe(body: Buffer, sessionId: string | null): void {
    const key = sessionId ?? '';
    const now = this.deps.clock.now();
    const seen = this.sessions.get(key);
    if (seen !== undefined && now - seen.at < (this.deps.sessionTtlMs ?? 5 * 60_000)) {
      if (seen.workspaces === null) seen.waiting++;
      else for (const ws of seen.workspaces) this.count(ws, 1, now);
      return;
    }
    if (seen !== undefined) this.sessions.delete(key);
    this.sessions.set(key, { at: now, workspaces: null, waiting: 1 });
    const max = this.deps.maxSessions ?? 10_000;
    while (this.sessions.size > max) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    this.queue.push({ key, body });
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Writes the request counts discovered so far; resolves when written (or failed, logged). */
  flush(): Promise<void> {
    if (this.flushing !== null) return this.flushing.then(() => this.flush());
    if (this.pending.size === 0) return Promise.resolve();
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.lastFlush = this.deps.clock.now();
    const isNew = batch.some((s) => !this.workspaceRows.some((w) => w.path === s.path));
    this.flushing = this.deps.store.agents
      .recordWorkspaces(batch)
      .then(async () => {
        // A new workspace: load its agents now rather than on the next tick.
        if (isNew && !this.stopped) await this.watch.refresh();
      })
      .catch((err: unknown) => {
        this.deps.logger.warn({ err }, 'workspace counts could not be written; they are kept for the next try');
        for (const s of batch) this.count(s.path, s.requests, s.lastAt, s.firstAt);
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  private drain(): void {
    this.drainScheduled = false;
    const queue = this.queue;
    this.queue = [];
    const configDir = this.deps.claudeConfigDir ?? dirname(this.deps.userDir);
    let added = false;
    for (const { key, body } of queue) {
      let found: string[] = [];
      try {
        found = workspacesInRequest(body, configDir);
      } catch (err) {
        this.deps.logger.debug({ err }, 'workspace discovery failed for a request');
      }
      const seen = this.sessions.get(key);
      const now = this.deps.clock.now();
      const waiting = seen?.waiting ?? 1;
      if (seen !== undefined) {
        seen.workspaces = found;
        seen.waiting = 0;
      }
      for (const ws of found) {
        if (!this.workspaceRows.some((w) => w.path === ws)) added = true;
        this.count(ws, waiting, now);
      }
    }
    if (added) void this.flush();
  }

  private count(path: string, requests: number, at: number, firstAt = at): void {
    const p = this.pending.get(path);
    if (p === undefined) {
      this.pending.set(path, { path, name: workspaceName(path), requests, firstAt, lastAt: at });
    } else {
      p.requests += requests;
      p.firstAt = Math.min(p.firstAt, firstAt);
      p.lastAt = Math.max(p.lastAt, at);
    }
  }

  private tick(): void {
    this.scan(false);
    if (this.deps.clock.now() - this.lastFlush >= (this.deps.flushMs ?? 5000)) void this.flush();
  }

  /** Stats the folders; rereads changed files; rebuilds when anything moved (or `force`). */
  private scan(force: boolean): void {
    let changed = force;
    const present = new Set<string>();
    const sources = this.sources();
    for (const src of sources) {
      let names: string[];
      try {
        names = readdirSync(src.dir);
      } catch {
        names = [];
      }
      for (const n of names) {
        if (!n.toLowerCase().endsWith('.md') || n.startsWith('.')) continue;
        const path = join(src.dir, n);
        let st: { size: number; mtimeMs: number; isFile(): boolean };
        try {
          st = statSync(path);
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        present.add(path);
        const cached = this.files.get(path);
        if (cached !== undefined && cached.size === st.size && cached.mtimeMs === st.mtimeMs) continue;
        this.files.set(path, { size: st.size, mtimeMs: st.mtimeMs, file: readAgentFile(path) });
        changed = true;
      }
    }
    for (const path of this.files.keys()) {
      if (!present.has(path)) {
        this.files.delete(path);
        changed = true;
      }
    }
    this.watchFolders(sources);
    if (changed) this.rebuild();
  }

  private watchFolders(sources: readonly Source[]): void {
    if (this.stopped || this.deps.watchFiles === false) return;
    const wanted = new Set(sources.map((s) => s.dir));
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir) || !isDir(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.scheduleRescan());
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // No fs.watch here (some network file systems): the poll covers it.
      }
    }
  }

  private scheduleRescan(): void {
    if (this.rescanTimer !== null || this.stopped) return;
    // Editors write a file in several steps (truncate, write, rename): one rescan after a burst.
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = null;
      if (!this.stopped) this.scan(false);
    }, 50);
    this.rescanTimer.unref();
  }

  private effectiveModel(file: AgentFile, preference: string | null, def: string): string | null {
    if (preference !== null) return preference;
    if (file.model !== null && isModelId(file.model)) return file.model;
    if (def !== '') return this.deps.resolveModel?.(def) ?? def;
    return null;
  }

  private rebuild(): void {
    const def = this.deps.defaultModel?.() ?? '';
    const userDir = this.deps.userDir;
    const entries: AgentEntry[] = [];
    for (const [path, { file }] of this.files) {
      const id = agentIdOf(path);
      const isUser = dirname(path) === userDir;
      const workspace = isUser ? null : dirname(dirname(dirname(path)));
      const preference = this.prefs.get(id)?.model ?? null;
      entries.push({
        ...file,
        id,
        scope: isUser ? 'user' : 'workspace',
        workspace,
        preference,
        effectiveModel: this.effectiveModel(file, preference, def),
      });
    }
    entries.sort(
      (a, b) =>
        (a.scope === b.scope ? 0 : a.scope === 'workspace' ? -1 : 1) ||
        (a.workspace ?? '').localeCompare(b.workspace ?? '') ||
        a.name.localeCompare(b.name) ||
        a.path.localeCompare(b.path),
    );
    this.entries = entries;
    const agents: KnownAgent[] = entries
      .filter((e) => e.error === null && e.prompt !== '')
      .map((e) =>
        Object.freeze({ id: e.id, name: e.name, workspace: e.workspace, prompt: e.prompt, model: e.effectiveModel }),
      );
    this.snapshotDefault = def;
    this.snapshot = Object.freeze({ version: this.snapshot.version + 1, agents: Object.freeze(agents) });
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
