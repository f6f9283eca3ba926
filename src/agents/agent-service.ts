/**
 * What the management API and the CLI do to agents: create, edit and delete agent files, set and
 * clear model preferences, find an agent by id or name. Files are written atomically with
 * unknown front matter keys kept (agent-file.ts); preferences go to `store.agents`, whose revision
 * brings them to every running gateway. After each change the registry rereads at once, so the
 * answer shows the result.
 */
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import {
  type AgentList,
  type AgentView,
  type CreateAgentRequest,
  MODEL_ALIASES,
  type PatchAgentRequest,
  TOOL_PRESETS,
  type ToolsChoice,
  toolPresetOf,
  type WorkspaceView,
} from '../shared/agents-schemas.js';
import type { Store } from '../storage/contract/store.js';
import { type AgentFileChanges, editAgentFileText, newAgentFileText, writeFileAtomic } from './agent-file.js';
import type { AgentEntry, AgentRegistry } from './agent-registry.js';

export interface AgentServiceDeps {
  registry: AgentRegistry;
  store: Pick<Store, 'agents'>;
  catalogue: ModelCatalogue;
  clock: Clock;
  /** The default agent model setting ('' for none). */
  defaultModel: () => string;
}

export interface Changed<T> {
  result: T;
  /** Accepted, but worth a look: an unknown `claude-*` model id. */
  warnings: string[];
}

export function agentView(a: AgentEntry): AgentView {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    tools: a.tools,
    toolsPreset: toolPresetOf(a.tools),
    model: a.model,
    color: a.color,
    prompt: a.prompt,
    scope: a.scope,
    workspace: a.workspace,
    path: a.path,
    preference: a.preference,
    effectiveModel: a.effectiveModel,
    error: a.error,
    modifiedAt: a.modifiedAt,
  };
}

function where(a: AgentEntry): string {
  return a.scope === 'user' ? 'user' : `workspace ${a.workspace}`;
}

function toolsOf(choice: ToolsChoice): string[] | null {
  if (choice.preset === 'all') return null;
  if (choice.preset === 'custom') {
    if (choice.tools === undefined || choice.tools.length === 0) {
      throw new GatewayError('bad_request', 'tools.tools: a custom preset needs the list of tools');
    }
    return [...new Set(choice.tools.map((t) => t.trim()).filter((t) => t !== ''))];
  }
  return [...TOOL_PRESETS[choice.preset]];
}

export class AgentService {
  constructor(private readonly deps: AgentServiceDeps) {}

  private defaultModel(): string | null {
    const d = this.deps.defaultModel();
    return d === '' ? null : this.deps.catalogue.resolve(d);
  }

  list(): AgentList {
    return {
      agents: this.deps.registry.list().map(agentView),
      userDir: this.deps.registry.userDir,
      defaultModel: this.defaultModel(),
    };
  }

  workspaces(): WorkspaceView[] {
    return this.deps.registry.workspaces();
  }

  /**
   * The agent an id or a name names. `workspace`: `user` or a workspace path, to pick among
   * agents sharing a name. Several left: a 409 listing them and how to pick one.
   */
  find(ref: string, workspace?: string): AgentEntry {
    const all = this.deps.registry.list();
    const byId = all.find((a) => a.id === ref);
    if (byId !== undefined) return byId;
    let named = all.filter((a) => a.name === ref);
    if (workspace !== undefined) {
      const ws = workspace === 'user' ? null : resolve(workspace);
      named = named.filter((a) => a.workspace === ws);
    }
    if (named.length === 1) return named[0] as AgentEntry;
    if (named.length === 0) {
      const names = [...new Set(all.map((a) => a.name))].sort();
      throw new GatewayError(
        'not_found',
        `No agent "${ref}"${workspace === undefined ? '' : ` in ${workspace}`}; known agents: ${names.length > 0 ? names.join(', ') : 'none'}`,
      );
    }
    const list = named.map((a) => `${a.id} (${where(a)})`).join(', ');
    throw new GatewayError(
      'conflict',
      `Agent name "${ref}" is ambiguous: ${list}. Pick one by its id, or with --workspace <path> (or --workspace user)`,
    );
  }

  private byId(id: string): AgentEntry {
    const a = this.deps.registry.get(id);
    if (a === undefined) throw new GatewayError('not_found', `No agent with id "${id}"`);
    return a;
  }

  /** A model for a preference: checked against the catalogue, aliases resolved to a full id. */
  private preferenceModel(model: string, warnings: string[]): string {
    const c = this.deps.catalogue.check(model);
    if (!c.ok) throw new GatewayError('bad_request', c.error);
    if (c.warning !== null) warnings.push(c.warning);
    return c.model;
  }

  /** A model for a file's `model:`: an alias (Claude Code resolves it) or a checked id. */
  private fileModel(model: string, warnings: string[]): string {
    const lower = model.trim().toLowerCase();
    if ((MODEL_ALIASES as readonly string[]).includes(lower)) return lower;
    return this.preferenceModel(model, warnings);
  }

  private async reloaded(id: string): Promise<AgentView> {
    await this.deps.registry.reload();
    return agentView(this.byId(id));
  }

  async create(req: CreateAgentRequest): Promise<Changed<AgentView>> {
    const warnings: string[] = [];
    let dir: string;
    if (req.scope === 'user') dir = this.deps.registry.userDir;
    else {
      const path = resolve(req.scope);
      const ws = this.deps.registry.workspaces().find((w) => w.path === path);
      if (ws === undefined) {
        throw new GatewayError(
          'bad_request',
          `scope: "${req.scope}" is not a known workspace; use "user" or one of: ${this.deps.registry
            .workspaces()
            .map((w) => w.path)
            .join(', ')}`,
        );
      }
      if (!ws.exists)
        throw new GatewayError('bad_request', `scope: the workspace ${path} does not exist on this machine`);
      dir = join(path, '.claude', 'agents');
    }
    // Claude Code knows an agent by its name, not its file: a second `code-reviewer` in the same
    // folder (say reviewer.md declares it) is the same agent to it, and its requests would be
    // counted under both.
    const workspace = req.scope === 'user' ? null : resolve(req.scope);
    const same = this.deps.registry.list().find((a) => a.name === req.name && a.workspace === workspace);
    if (same !== undefined) {
      throw new GatewayError(
        'conflict',
        `An agent named "${req.name}" already exists in ${same.scope === 'user' ? 'the user folder' : `workspace ${same.workspace}`} (${same.path}); pick another name or edit that one`,
      );
    }
    const text = newAgentFileText({
      name: req.name,
      description: req.description,
      prompt: req.prompt,
      tools: req.tools === undefined ? null : toolsOf(req.tools),
      model: req.model === undefined || req.model.trim() === '' ? null : this.fileModel(req.model, warnings),
      color: req.color ?? null,
    });
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${req.name}.md`);
    writeFileAtomic(path, text, { exclusive: true });
    await this.deps.registry.reload();
    const created = this.deps.registry.list().find((a) => a.path === path);
    if (created === undefined)
      throw new GatewayError('internal', `The agent file ${path} was written but not read back`);
    return { result: agentView(created), warnings };
  }

  async patch(id: string, req: PatchAgentRequest): Promise<Changed<AgentView>> {
    const a = this.byId(id);
    const warnings: string[] = [];
    const changes: AgentFileChanges = {};
    if (req.description !== undefined) changes.description = req.description;
    if (req.tools !== undefined) changes.tools = toolsOf(req.tools);
    if (req.color !== undefined) changes.color = req.color === null || req.color.trim() === '' ? null : req.color;
    if (req.prompt !== undefined) changes.prompt = req.prompt;
    // Checked before anything is written: a bad model leaves the file alone too.
    const preference =
      req.model === undefined ? undefined : req.model === null ? null : this.preferenceModel(req.model, warnings);
    if (Object.keys(changes).length > 0) {
      let text: string;
      try {
        text = readFileSync(a.path, 'utf8');
      } catch (err) {
        throw new GatewayError('not_found', `The agent file ${a.path} cannot be read: ${(err as Error).message}`);
      }
      writeFileAtomic(a.path, editAgentFileText(text, changes));
    }
    if (preference !== undefined) {
      await this.deps.store.agents.setPreferences(
        [{ agentId: a.id, agentName: a.name, model: preference }],
        this.deps.clock.now(),
      );
    }
    return { result: await this.reloaded(a.id), warnings };
  }

  async remove(id: string): Promise<AgentView> {
    const a = this.byId(id);
    try {
      unlinkSync(a.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await this.deps.store.agents.setPreferences(
      [{ agentId: a.id, agentName: a.name, model: null }],
      this.deps.clock.now(),
    );
    await this.deps.registry.reload();
    return agentView(a);
  }

  /** Sets (or with null clears) the preference of the given agents, every agent when none given. */
  async setPreferences(model: string | null, ids?: readonly string[]): Promise<Changed<number>> {
    const warnings: string[] = [];
    const resolved = model === null ? null : this.preferenceModel(model, warnings);
    const all = this.deps.registry.list();
    let targets: AgentEntry[];
    if (ids === undefined) targets = [...all];
    else {
      const unknown = ids.filter((id) => !all.some((a) => a.id === id));
      if (unknown.length > 0) throw new GatewayError('bad_request', `agents: no agent with id ${unknown.join(', ')}`);
      targets = all.filter((a) => ids.includes(a.id));
    }
    await this.deps.store.agents.setPreferences(
      targets.map((a) => ({ agentId: a.id, agentName: a.name, model: resolved })),
      this.deps.clock.now(),
    );
    await this.deps.registry.reload();
    return { result: targets.length, warnings };
  }
}
