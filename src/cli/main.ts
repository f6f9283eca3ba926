/** Entry point imported by bin/ccflare. */
import type { CliIo } from './io.js';
import { type CliResult, runCli } from './program.js';

const io: CliIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  platform: process.platform,
};
const args = process.argv.slice(2);

async function runInteractive(): Promise<CliResult> {
  // No arguments on a terminal: the interactive UI (loaded only then). Elsewhere, the help.
  const { runTui } = await import('../tui/launch.js');
  try {
    return { code: await runTui(io, process.argv[1] ?? 'bin/ccflare'), server: null };
  } catch (err) {
    io.stderr.write(`ccflare: ${(err as Error).message}\n`);
    return { code: 1, server: null };
  }
}

const result =
  args.length === 0 && process.stdout.isTTY && process.stdin.isTTY ? await runInteractive() : await runCli(args, io);

if (result.server === null) {
  // Exit explicitly (a paused stdin or a detached browser launcher must not keep the CLI alive),
  // but only once buffered output is written: stdout may be an asynchronous pipe.
  process.exitCode = result.code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(result.code)));
}
