/** Entry point imported by bin/ccflare. */
import type { CliIo } from './io.js';
import { type CliResult, runCli } from './program.js';

const io: CliIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  platform: process.platform,
  ownsProcess: true,
};
const args = process.argv.slice(2);

/** `--home <dir>` / `--home=<dir>` and nothing else: the data directory for the interactive UI. */
function homeOnly(argv: readonly string[]): string | null | undefined {
  if (argv.length === 0) return null;
  if (argv.length === 1 && argv[0]?.startsWith('--home=')) return argv[0].slice('--home='.length);
  if (argv.length === 2 && argv[0] === '--home') return argv[1];
  return undefined;
}

async function runInteractive(home: string | null): Promise<CliResult> {
  // No command on a terminal: the interactive UI (loaded only then). Elsewhere, the help.
  const { runTui } = await import('../tui/launch.js');
  // The UI and a gateway it starts read the data directory from the environment.
  const tuiIo = home === null ? io : { ...io, env: { ...io.env, CCFLARE_HOME: home } };
  try {
    return { code: await runTui(tuiIo, process.argv[1] ?? 'bin/ccflare'), server: null };
  } catch (err) {
    io.stderr.write(`ccflare: ${(err as Error).message}\n`);
    return { code: 1, server: null };
  }
}

const home = homeOnly(args);
const result =
  home !== undefined && home !== '' && process.stdout.isTTY && process.stdin.isTTY
    ? await runInteractive(home)
    : await runCli(args, io);

if (result.server === null) {
  // Exit explicitly (a paused stdin or a detached browser launcher must not keep the CLI alive),
  // but only once buffered output is written: stdout may be an asynchronous pipe.
  process.exitCode = result.code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(result.code)));
}
