/** Entry point imported by bin/ccflare. */
import { loadTui } from '../tui/bundle-entry.js';
import type { CliIo } from './io.js';
import type { CliResult } from './program.js';

const io: CliIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  platform: process.platform,
  ownsProcess: true,
};
const args = process.argv.slice(2);

/**
 * `--home <dir>` and `--url <url>` (either as `--opt=value`) and nothing else: the options of the
 * interactive UI; undefined for anything else (a command).
 */
function interactiveOptions(argv: readonly string[]): { home?: string; url?: string } | undefined {
  const out: { home?: string; url?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--(home|url)(?:=(.*))?$/.exec(arg);
    if (!m) return undefined;
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') return undefined;
    out[m[1] as 'home' | 'url'] = value;
  }
  return out;
}

async function runInteractive(opts: { home?: string; url?: string }): Promise<CliResult> {
  // No command on a terminal: the interactive UI (loaded only then). Elsewhere, the help.
  const { runTui } = await loadTui();
  // The UI and a gateway it starts read the data directory from the environment.
  const tuiIo = opts.home === undefined ? io : { ...io, env: { ...io.env, CCFLARE_HOME: opts.home } };
  try {
    return { code: await runTui(tuiIo, process.argv[1] ?? 'bin/ccflare', { url: opts.url }), server: null };
  } catch (err) {
    io.stderr.write(`ccflare: ${(err as Error).message}\n`);
    return { code: 1, server: null };
  }
}

const interactive = interactiveOptions(args);
const result =
  interactive !== undefined && process.stdout.isTTY && process.stdin.isTTY
    ? await runInteractive(interactive)
    : await (await import('./program.js')).runCli(args, io);

if (result.server === null) {
  // Exit explicitly (a paused stdin or a detached browser launcher must not keep the CLI alive),
  // but only once buffered output is written: stdout may be an asynchronous pipe.
  process.exitCode = result.code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(result.code)));
}
