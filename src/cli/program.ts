/**
 * The `ccflare` command line. Every failure ends as one line `ccflare: <reason>` on stderr with
 * exit code 1 (2 for usage errors), so scripts can rely on stdout carrying only results.
 */
import { Command, CommanderError } from 'commander';
import { GatewayError } from '../errors.js';
import { packageVersion } from '../server/runtime-file.js';
import { registerAccountsCommands } from './accounts-command.js';
import { registerAgentsCommands } from './agents-command.js';
import { translateCcflareArgs } from './ccflare-flags.js';
import { registerConfigCommands } from './config-command.js';
import { registerConnectCommands } from './connect-command.js';
import { registerConversationsCommands } from './conversations-command.js';
import { registerExportCommand } from './export-command.js';
import { registerImportCommand } from './import-command.js';
import { CliError, type CliIo } from './io.js';
import { registerKeysCommands } from './keys-command.js';
import { registerLogsCommand } from './logs-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerNotifyCommands } from './notify-command.js';
import { registerReportCommands } from './report-commands.js';
import { registerServeCommand, type ServeResult } from './serve-command.js';
import { registerSimulateCommand } from './simulate-command.js';
import { terminalSafe } from './terminal-text.js';
import { registerWorkersCommands } from './workers-command.js';

export interface CliResult {
  code: number;
  /** Set by `serve`: the process must stay up; the server handles its own signals. */
  server: ServeResult | null;
}

export function buildProgram(raw: CliIo, onServerStarted: (server: ServeResult) => void): Command {
  // Every command's output shows stored strings as text (terminal-text.ts), but `export`, whose
  // CSV has no escapes of its own: it writes the data as stored.
  const io: CliIo = { ...raw, stdout: terminalSafe(raw.stdout) };
  const program = new Command('ccflare');
  // Settings inherited by subcommands must be in place before they are created.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Reported by runCli as one line, after commander throws.
      outputError: () => {},
    })
    .description('Self-hosted gateway for Claude: multi-account routing, failover, token refresh, request records')
    .version(packageVersion() || 'unknown', '-V, --version', 'print the version')
    .option('--home <dir>', 'data directory (default: CCFLARE_HOME or ~/.config/ccflare)')
    .option('--url <url>', 'the running gateway to use (default: CCFLARE_URL, then the one <home>/gateway.json names)')
    .option('--verbose', 'debug logging; stack traces on errors')
    .addHelpText(
      'after',
      "\nccflare's flags still work (--serve, --port, --logs [N], --stats, --add-account <name> [--mode] [--tier], --list,\n" +
        '--remove <name> [--force], --pause, --resume, --analyze, --reset-stats, --clear-history, --get-model,\n' +
        '--set-model <model>): each runs the command above that does the same and names it on stderr.',
    );
  registerServeCommand(program, io, onServerStarted);
  registerAccountsCommands(program, io);
  registerConfigCommands(program, io);
  registerKeysCommands(program, io);
  registerAgentsCommands(program, io);
  registerReportCommands(program, io);
  registerLogsCommand(program, io);
  registerImportCommand(program, io);
  registerExportCommand(program, raw);
  registerMigrateCommand(program, io);
  registerConnectCommands(program, io);
  registerNotifyCommands(program, io);
  registerConversationsCommands(program, io);
  registerSimulateCommand(program, io);
  registerWorkersCommands(program, io);
  return program;
}

function oneLine(message: string): string {
  return message
    .replace(/^error:\s*/i, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

function describeFailure(err: unknown): { message: string; code: number } {
  if (err instanceof CommanderError) return { message: err.message, code: 2 };
  if (err instanceof CliError) return { message: err.message, code: err.exitCode };
  if (err instanceof GatewayError) return { message: err.message, code: 1 };
  if (err instanceof Error) return { message: err.message || err.name, code: 1 };
  return { message: String(err), code: 1 };
}

export async function runCli(args: readonly string[], io: CliIo): Promise<CliResult> {
  let server: ServeResult | null = null;
  const program = buildProgram(io, (s) => {
    server = s;
  });
  if (args.length === 0) {
    program.outputHelp();
    return { code: 0, server };
  }
  try {
    // ccflare's flags (`--list`, `--add-account x --tier 5`): run the command they name.
    const logs = program.commands.find((c) => c.name() === 'logs');
    const ccflare = translateCcflareArgs(args, { logsTakesLines: logs?.options.some((o) => o.long === '--lines') });
    if (ccflare !== null) io.stderr.write(`${ccflare.hint}\n`);
    await program.parseAsync(ccflare?.args ?? [...args], { from: 'user' });
    return { code: 0, server };
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are CommanderErrors too; their output is already written.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return { code: 0, server };
      // A command group run without a subcommand: its help went to stderr.
      if (err.code === 'commander.help') return { code: 2, server };
    }
    const { message, code } = describeFailure(err);
    io.stderr.write(`ccflare: ${oneLine(message)}\n`);
    if (args.includes('--verbose') && err instanceof Error && err.stack) {
      io.stderr.write(`${err.stack}\n`);
    }
    return { code, server };
  }
}
