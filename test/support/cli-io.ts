/**
 * Runs `ccflare` commands the way tests need them: in process through runCli with a fake
 * terminal (fast, and the same code path as bin/ccflare minus the process itself), or as the
 * built binary for the few tests about the process (exit codes set by main.ts, signals).
 *
 * The environment holds only CCFLARE_HOME, NO_COLOR, a Claude agents folder inside the home and what a test adds: none of the parent's
 * CCFLARE_* settings, and no DISPLAY, so `accounts add` never opens a browser.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { expect } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import type { ServeResult } from '../../src/cli/serve-command.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin', 'ccflare');
const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Set by a `serve` that started: the test closes it. */
  server: ServeResult | null;
}

export interface CliOptions {
  /** The data directory (CCFLARE_HOME). */
  home: string;
  /** More environment variables, e.g. CCFLARE_PORT of a running gateway. */
  env?: Record<string, string>;
  /** The whole of stdin, ended after it (default: empty). Ignored by startCommand. */
  input?: string;
  /** Whether stdin claims to be a terminal (default false: a pipe, as in scripts). */
  tty?: boolean;
  /** stdout as a terminal this many columns wide (default: a pipe). */
  columns?: number;
}

export interface RunningCommand {
  /** stdin of the command: write to it, end() it. */
  stdin: PassThrough;
  stdout(): string;
  stderr(): string;
  /** Ctrl-C: ends `logs -f`. */
  interrupt(): void;
  done: Promise<CliRun>;
}

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

function cliEnv(opts: CliOptions): NodeJS.ProcessEnv {
  // Never the real ~/.claude/agents: agent commands write agent files.
  return {
    NO_COLOR: '1',
    CCFLARE_HOME: opts.home,
    CCFLARE_CLAUDE_AGENTS_DIR: join(opts.home, 'claude-agents'),
    // Nor the real ~/.claude/settings.json: `connect` writes it.
    CCFLARE_CLAUDE_SETTINGS_FILE: join(opts.home, 'claude-settings.json'),
    ...opts.env,
  };
}

/** Starts a command whose stdin the test feeds while it runs (prompts, the OAuth paste). */
export function startCommand(args: readonly string[], opts: CliOptions): RunningCommand {
  const stdin = new PassThrough();
  // readHidden switches a terminal to raw mode; a fake terminal has nothing to switch.
  if (opts.tty) Object.assign(stdin, { isTTY: true, setRawMode: () => stdin });
  const out = capture();
  if (opts.columns !== undefined) Object.assign(out.stream, { isTTY: true, columns: opts.columns });
  const err = capture();
  const ctrlC = new AbortController();
  const io: CliIo = {
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: out.stream,
    stderr: err.stream,
    env: cliEnv(opts),
    platform: process.platform,
    interrupt: ctrlC.signal,
  };
  const done = runCli(args, io).then((r) => ({
    code: r.code,
    stdout: out.text(),
    stderr: err.text(),
    server: r.server,
  }));
  return { stdin, stdout: out.text, stderr: err.text, interrupt: () => ctrlC.abort(), done };
}

/** Runs a command to completion with `opts.input` (default: nothing) on stdin. */
export function runCommand(args: readonly string[], opts: CliOptions): Promise<CliRun> {
  const c = startCommand(args, opts);
  c.stdin.end(opts.input ?? '');
  return c.done;
}

/** The failure contract of every command: one line `ccflare: …` on stderr and the exit code. */
export function expectOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp, code = 1): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ccflare: /);
  expect(lines[0]).toMatch(pattern);
}

/** Every byte of the SQLite files of a data directory (main file and any leftover journals). */
export function dbBytes(home: string): Buffer {
  const files = ['ccflare.db', 'ccflare.db-wal', 'ccflare.db-journal'].map((f) => join(home, f));
  return Buffer.concat(files.filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

/** The environment of a spawned binary: the parent's, minus CCFLARE_* and any desktop. */
function binaryEnv(opts: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CCFLARE_') && k !== 'DISPLAY' && k !== 'WAYLAND_DISPLAY') env[k] = v;
  }
  return { ...env, ...cliEnv(opts) };
}

/** A spawned process's stdout and stderr as they arrive, and its exit. */
export function watchChild(child: ChildProcess): {
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  let out = '';
  const append = (c: Buffer) => {
    out += c.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return { output: () => out, exited };
}

/** bin/ccflare as a child process; it imports the build, which `npm test` makes first. */
export function spawnBinary(args: readonly string[], opts: CliOptions): ChildProcess {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first (\`npm test\` does)`);
  return spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: binaryEnv(opts), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs bin/ccflare to its exit with `opts.input` on a piped stdin. */
export function runBinary(
  args: readonly string[],
  opts: CliOptions,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnBinary(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin?.end(opts.input ?? '');
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}
