/**
 * `ccflare connect` / `ccflare disconnect`: Claude Code's user settings pointed at the gateway,
 * and back (src/connect/claude-connect.ts). The change is shown first and asked for unless `--yes`.
 */
import type { Command } from 'commander';
import { KeyService } from '../auth/key-service.js';
import { systemClock } from '../clock.js';
import {
  type ConnectDeps,
  type Prepared,
  prepareConnect,
  prepareDisconnect,
  renderPlan,
} from '../connect/claude-connect.js';
import { ensureHome, type GlobalOptions, loadCliConfig, secretBoxOf, withConfigStore } from './context.js';
import { findGateway, gatewayBaseUrl } from './gateway-client.js';
import { CliError, type CliIo, readLine } from './io.js';

interface ConnectOptions {
  settings?: string;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

async function withConnectDeps<T>(
  io: CliIo,
  globals: GlobalOptions,
  opts: ConnectOptions,
  needUrl: boolean,
  fn: (deps: ConnectDeps) => Promise<T>,
): Promise<T> {
  const config = loadCliConfig(io, globals, opts.settings === undefined ? {} : { claudeSettingsFile: opts.settings });
  ensureHome(config);
  // The running gateway's URL (it knows the port `serve --port` picked), else the configured one.
  const { found } = needUrl ? await findGateway(io, globals, config) : { found: null };
  if (needUrl && found === null && config.port === 0) {
    throw new CliError(
      'no gateway is running and the configured port is 0: start `ccflare serve` first, or pass --url',
    );
  }
  const url = found?.base ?? gatewayBaseUrl(config);
  return withConfigStore(config, (store) => {
    const keys = new KeyService({ store, box: secretBoxOf(config), clock: systemClock });
    return fn({ home: config.home, settingsPath: config.claudeSettingsFile, url, keys, now: systemClock.now });
  });
}

async function run(io: CliIo, prepared: Prepared, opts: ConnectOptions, done: string): Promise<void> {
  const out = (s: string) => io.stdout.write(s);
  const { plan } = prepared;
  if (opts.json && (opts.dryRun || plan.changes.length === 0)) {
    out(`${JSON.stringify({ ...plan, applied: false, backupPath: null }, null, 2)}\n`);
    return;
  }
  if (!opts.json) {
    if (plan.changes.length === 0) out(`Nothing to change in ${plan.settingsPath}.\n`);
    else out(`${renderPlan(plan).join('\n')}\n`);
    for (const note of plan.notes) out(`Note: ${note}\n`);
  }
  if (opts.dryRun) {
    out('Dry run: nothing was written.\n');
    return;
  }
  if (plan.changes.length === 0 && plan.action === 'connect') return;
  if (!opts.yes) {
    let answer: string;
    try {
      answer = await readLine(io, `Write this to ${plan.settingsPath}? [y/N] `);
    } catch {
      throw new CliError('no answer to the confirmation: pass --yes to write without asking (nothing was written)');
    }
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled: nothing was written', 130);
  }
  const result = await prepared.apply();
  if (opts.json) {
    out(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  out(`${done}\n`);
  if (result.backupPath !== null) out(`The previous file is saved as ${result.backupPath}\n`);
}

export function registerConnectCommands(program: Command, io: CliIo): void {
  const globalsOf = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();
  const common = (cmd: Command) =>
    cmd
      .option(
        '--settings <file>',
        "Claude Code's user settings file (default: $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json)",
      )
      .option('-y, --yes', 'write without asking')
      .option('--dry-run', 'show the change and write nothing')
      .option('--json', 'print the plan or the result as JSON');

  common(
    program
      .command('connect')
      .description(
        "Point Claude Code at this gateway: ANTHROPIC_BASE_URL (and, when client keys are enforced, a new client key as ANTHROPIC_AUTH_TOKEN) in its user settings' env; shows the change first and keeps a backup",
      ),
  ).action(async (opts: ConnectOptions, cmd: Command) => {
    await withConnectDeps(io, globalsOf(cmd), opts, true, async (deps) => {
      const prepared = await prepareConnect(deps);
      await run(
        io,
        prepared,
        opts,
        `Claude Code now uses ccflare at ${deps.url} (new sessions; \`ccflare disconnect\` undoes it).`,
      );
    });
  });

  common(
    program
      .command('disconnect')
      .description(
        "Undo `ccflare connect`: restore the values it replaced in Claude Code's user settings and revoke the client key it created",
      ),
  ).action(async (opts: ConnectOptions, cmd: Command) => {
    await withConnectDeps(io, globalsOf(cmd), opts, false, async (deps) => {
      const prepared = await prepareDisconnect(deps);
      const key = prepared.plan.clientKey;
      await run(
        io,
        prepared,
        opts,
        `Claude Code no longer uses ccflare (new sessions)${key === null ? '' : `; the client key "${key.name}" is revoked`}.`,
      );
    });
  });
}
