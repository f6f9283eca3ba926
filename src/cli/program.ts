/**
 * The `ccflare` command line. Every failure ends as one line `ccflare: <reason>` on stderr with
 * exit code 1 (2 for usage errors), so scripts can rely on stdout carrying only results.
 */
import { Command, CommanderError } from 'commander';
import { GatewayError } from '../errors.js';
import { packageVersion } from '../server/runtime-file.js';
import { isCcflareSpelling, translateCcflareArgs } from './ccflare-flags.js';
import { CliError, type CliIo } from './io.js';
import type { ServeResult } from './serve-command.js';
import { terminalSafe } from './terminal-text.js';

/** Adds one module's commands; `raw` is the io without terminalSafe (export writes data as stored). */
type Register = (program: Command, io: CliIo, raw: CliIo, onServerStarted: (server: ServeResult) => void) => void;

/**
 * The top-level commands, in the order the help lists them, each with the module that defines it.
 * A module is imported only when its command runs (or for the full help): importing all of them
 * took ~400 ms of `ccflare --version`'s 430 (2026-12-07), each pulling in its own share of the
 * store, the API schemas and zod, where one command needs its own alone.
 */
const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register> }> = [
  {
    names: ['serve'],
    load: async () => {
      const m = await import('./serve-command.js');
      return (p, io, _raw, started) => m.registerServeCommand(p, io, started);
    },
  },
  { names: ['accounts'], load: async () => (await import('./accounts-command.js')).registerAccountsCommands },
  { names: ['config'], load: async () => (await import('./config-command.js')).registerConfigCommands },
  { names: ['keys'], load: async () => (await import('./keys-command.js')).registerKeysCommands },
  { names: ['agents', 'workspaces'], load: async () => (await import('./agents-command.js')).registerAgentsCommands },
  {
    names: ['stats', 'requests', 'analyze', 'reset-stats', 'clear-history'],
    load: async () => (await import('./report-commands.js')).registerReportCommands,
  },
  { names: ['logs'], load: async () => (await import('./logs-command.js')).registerLogsCommand },
  { names: ['import'], load: async () => (await import('./import-command.js')).registerImportCommand },
  {
    names: ['export'],
    load: async () => {
      const m = await import('./export-command.js');
      return (p, _io, raw) => m.registerExportCommand(p, raw);
    },
  },
  { names: ['migrate'], load: async () => (await import('./migrate-command.js')).registerMigrateCommand },
  {
    names: ['connect', 'disconnect'],
    load: async () => (await import('./connect-command.js')).registerConnectCommands,
  },
  { names: ['notify'], load: async () => (await import('./notify-command.js')).registerNotifyCommands },
  {
    names: ['conversations'],
    load: async () => (await import('./conversations-command.js')).registerConversationsCommands,
  },
  { names: ['simulate'], load: async () => (await import('./simulate-command.js')).registerSimulateCommand },
  { names: ['workers', 'approvals'], load: async () => (await import('./workers-command.js')).registerWorkersCommands },
];

/** Global options that take a value (as the next argument unless written `--home=dir`). */
const GLOBAL_VALUES = new Set(['--home', '--url']);

/**
 * Which commands `args` need: the one they run; none for `--version` alone; every one for the
 * help, an unknown command (commander suggests a near one) and ccflare's flags (translated first).
 */
function commandsFor(args: readonly string[]): typeof COMMANDS {
  if (args.length === 0 || isCcflareSpelling(args)) return COMMANDS;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (GLOBAL_VALUES.has(a)) {
      i++;
      continue;
    }
    if (a === '--') break;
    if (a.startsWith('-')) continue;
    const one = COMMANDS.find((c) => c.names.includes(a));
    return one === undefined ? COMMANDS : [one];
  }
  return args.includes('-V') || args.includes('--version') ? [] : COMMANDS;
}

export interface CliResult {
  code: number;
  /** Set by `serve`: the process must stay up; the server handles its own signals. */
  server: ServeResult | null;
}

export async function buildProgram(
  raw: CliIo,
  onServerStarted: (server: ServeResult) => void,
  commands: typeof COMMANDS = COMMANDS,
): Promise<Command> {
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
  const registers = await Promise.all(commands.map((c) => c.load()));
  for (const register of registers) register(program, io, raw, onServerStarted);
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
  const program = await buildProgram(
    io,
    (s) => {
      server = s;
    },
    commandsFor(args),
  );
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
