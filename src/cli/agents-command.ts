/**
 * `ccflare agents list|show|set-model|reset-model` and `ccflare workspaces list`.
 *
 * Listings ask the running gateway (it also knows request counts not yet written) and read the
 * agent files and the database themselves when none answers. Model preferences are written to
 * the database directly, like the `accounts` commands, so they work with the gateway down; a
 * running gateway picks them up through the agents revision within 2 s.
 */
import type { Command } from 'commander';
import { AgentRegistry } from '../agents/agent-registry.js';
import { AgentService, agentView } from '../agents/agent-service.js';
import { systemClock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { ModelCatalogue } from '../models/model-catalogue.js';
import type { AgentList, AgentView, WorkspaceView } from '../shared/agents-schemas.js';
import { cliLiveSettings, EXISTING, type GlobalOptions, type StoreUse, withStore } from './context.js';
import { formatTime, renderTable } from './format.js';
import { resolveTarget } from './gateway-client.js';
import { CliError, type CliIo } from './io.js';

function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The agents service over the local files and database, for one command. */
function withLocalAgents<T>(
  io: CliIo,
  globals: GlobalOptions,
  fn: (svc: AgentService) => Promise<T>,
  use: StoreUse = EXISTING,
): Promise<T> {
  return withStore(
    io,
    globals,
    async (store, config) => {
      const logger = createLogger({ level: 'silent', format: 'json' });
      const live = cliLiveSettings(config, store);
      await live.refresh();
      const catalogue = new ModelCatalogue({ clock: systemClock, logger });
      const defaultModel = () => live.current().defaultAgentModel;
      const registry = new AgentRegistry({
        store,
        clock: systemClock,
        logger,
        userDir: config.claudeAgentsDir,
        defaultModel,
        resolveModel: (m) => catalogue.resolve(m),
        watchFiles: false,
      });
      await registry.reload();
      return fn(new AgentService({ registry, store, catalogue, clock: systemClock, defaultModel }));
    },
    use,
  );
}

/** Reads through the running gateway's API when one answers, else locally. */
async function read<T>(io: CliIo, globals: GlobalOptions, path: string, local: (svc: AgentService) => T): Promise<T> {
  const target = await resolveTarget(io, globals);
  if (target.api !== null) return target.api.get<T>(path);
  // No gateway runs for this data directory (an address the user gave that does not answer is
  // an error in resolveTarget): read the local files, as the reporting commands do.
  return withLocalAgents(io, globals, async (svc) => local(svc));
}

/** A GatewayError from the service as the CLI's one line (the message already says what to do). */
async function cli<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GatewayError) throw new CliError(err.message, err.status === 400 ? 2 : 1);
    throw err;
  }
}

function whereOf(a: AgentView): string {
  return a.workspace ?? 'user';
}

function modelSource(a: AgentView): string {
  if (a.effectiveModel === null) return "client's";
  if (a.preference !== null) return 'preference';
  if (a.model === a.effectiveModel) return 'file';
  return 'default';
}

export function renderAgents(list: AgentList): string {
  if (list.agents.length === 0) return `No agents in ${list.userDir} or any known workspace.\n`;
  const ok = list.agents.filter((a) => a.error === null);
  const broken = list.agents.filter((a) => a.error !== null);
  let out = renderTable(
    ['NAME', 'WHERE', 'MODEL', 'FROM', 'TOOLS', 'ID'],
    ok.map((a) => [a.name, whereOf(a), a.effectiveModel ?? '-', modelSource(a), a.toolsPreset, a.id]),
  );
  if (broken.length > 0) {
    out += `\n${broken.length} file${broken.length === 1 ? '' : 's'} could not be read:\n`;
    for (const a of broken) out += `  ${a.path}: ${a.error}\n`;
  }
  if (list.defaultModel !== null) out += `\nDefault agent model: ${list.defaultModel}\n`;
  return out;
}

export function renderAgent(a: AgentView): string {
  const lines: Array<[string, string]> = [
    ['name', a.name],
    ['id', a.id],
    ['where', whereOf(a)],
    ['file', a.path],
    ['description', a.description ?? '-'],
    ['tools', a.tools === null ? 'all' : `${a.toolsPreset}: ${a.tools.join(', ')}`],
    ['file model', a.model ?? '-'],
    ['preference', a.preference ?? '-'],
    ['model used', a.effectiveModel === null ? "the client's" : `${a.effectiveModel} (${modelSource(a)})`],
    ['color', a.color ?? '-'],
  ];
  if (a.error !== null) lines.push(['error', a.error]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n')}\n\n${a.prompt}\n`;
}

export function renderWorkspaces(list: readonly WorkspaceView[], now: number): string {
  if (list.length === 0) return 'No workspaces seen yet: they are discovered from Claude Code requests.\n';
  return renderTable(
    ['NAME', 'PATH', 'REQUESTS', 'LAST SEEN', 'ON THIS MACHINE', 'AGENTS'],
    list.map((w) => [
      w.name,
      w.path,
      String(w.requests),
      formatTime(w.lastSeen, now),
      w.exists ? 'yes' : 'no',
      String(w.agents),
    ]),
  );
}

export function registerAgentsCommands(program: Command, io: CliIo): void {
  const out = (s: string) => io.stdout.write(s);
  const warn = (warnings: readonly string[]) => {
    for (const w of warnings) io.stderr.write(`ccflare: warning: ${w}\n`);
  };
  const agents = program
    .command('agents')
    .description("Claude Code's agents (user folder and known workspaces) and the model each one's requests use");

  agents
    .command('list')
    .description('List agents with the model their requests use and where it comes from')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await read<AgentList>(io, globalsOf(cmd), '/api/agents', (svc) => svc.list());
      out(opts.json ? `${JSON.stringify(list, null, 2)}\n` : renderAgents(list));
    });

  agents
    .command('show')
    .description('Show one agent: its file, model preference and prompt')
    .argument('<name-or-id>')
    .option('--workspace <path>', 'pick among agents sharing the name: a workspace path, or "user"')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { json?: boolean; workspace?: string }, cmd: Command) => {
      const globals = globalsOf(cmd);
      // Resolved locally: the same files and database the gateway reads, and the same rule.
      const view = await cli(() =>
        withLocalAgents(io, globals, async (svc) => agentView(svc.find(ref, opts.workspace))),
      );
      out(opts.json ? `${JSON.stringify(view, null, 2)}\n` : renderAgent(view));
    });

  agents
    .command('set-model')
    .description("Prefer a model for an agent's requests (running gateways apply it within 2 s)")
    .argument('<name-or-id>')
    .argument('<model>', 'a Claude model id (claude-sonnet-4-6) or opus, sonnet, haiku')
    .option('--workspace <path>', 'pick among agents sharing the name: a workspace path, or "user"')
    .option('--json', 'print the agent and any warnings as JSON')
    .action(async (ref: string, model: string, opts: { json?: boolean; workspace?: string }, cmd: Command) => {
      const { result, warnings } = await cli(() =>
        // A preference may be the first thing stored in a data directory.
        withLocalAgents(io, globalsOf(cmd), async (svc) => svc.patch(svc.find(ref, opts.workspace).id, { model }), {}),
      );
      if (opts.json) {
        out(`${JSON.stringify({ ...result, warnings }, null, 2)}\n`);
        return;
      }
      warn(warnings);
      out(
        `${result.name} (${whereOf(result)}) now uses ${result.preference}; running gateways apply it within 2 seconds.\n`,
      );
    });

  agents
    .command('reset-model')
    .description("Remove an agent's model preference")
    .argument('<name-or-id>')
    .option('--workspace <path>', 'pick among agents sharing the name: a workspace path, or "user"')
    .option('--json', 'print the agent as JSON')
    .action(async (ref: string, opts: { json?: boolean; workspace?: string }, cmd: Command) => {
      const { result } = await cli(() =>
        withLocalAgents(io, globalsOf(cmd), async (svc) =>
          svc.patch(svc.find(ref, opts.workspace).id, { model: null }),
        ),
      );
      if (opts.json) {
        out(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const now =
        result.effectiveModel === null ? "the client's model" : `${result.effectiveModel} (${modelSource(result)})`;
      out(`Cleared the model preference of ${result.name} (${whereOf(result)}); its requests now use ${now}.\n`);
    });

  program
    .command('workspaces')
    .description('Workspaces discovered from Claude Code requests')
    .command('list')
    .description('List workspaces with their request counts and agents')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { workspaces } = await read<{ workspaces: WorkspaceView[] }>(
        io,
        globalsOf(cmd),
        '/api/workspaces',
        (svc) => ({ workspaces: svc.workspaces() }),
      );
      out(opts.json ? `${JSON.stringify({ workspaces }, null, 2)}\n` : renderWorkspaces(workspaces, Date.now()));
    });
}
