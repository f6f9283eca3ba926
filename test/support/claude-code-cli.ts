/**
 * The real Claude Code CLI (`@anthropic-ai/claude-code`, a dev dependency) run headless
 * (`claude -p`) against a gateway, for end-to-end tests: a temp workspace (its cwd) with the files
 * a test gives, a temp HOME and CLAUDE_CONFIG_DIR, and no traffic but to ANTHROPIC_BASE_URL.
 *
 * The child gets only the environment built here, never the parent's: a developer's own
 * ANTHROPIC_* settings, ~/.claude (agents, settings, credentials) and proxies stay out of it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from './cli-io.js';

/** The native binary the package's install script places (a ~370 MB executable). */
export const CLAUDE_BIN = join(REPO, 'node_modules', '.bin', 'claude');

/** `claude --version` (e.g. `2.1.328 (Claude Code)`), or null when the CLI is missing or does not run. */
export function claudeCliVersion(): string | null {
  if (!existsSync(CLAUDE_BIN)) return null;
  try {
    return execFileSync(CLAUDE_BIN, ['--version'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH },
    })
      .trim()
      .split('\n')[0] as string;
  } catch {
    return null;
  }
}

/** A Claude Code agent definition file (protocol.md §7): YAML front matter, then the body (its system prompt). */
export function agentFile(a: {
  name: string;
  description: string;
  tools?: string;
  model?: string;
  body: string;
}): string {
  const lines = ['---', `name: ${a.name}`, `description: ${a.description}`];
  if (a.tools !== undefined) lines.push(`tools: ${a.tools}`);
  if (a.model !== undefined) lines.push(`model: ${a.model}`);
  lines.push('---', a.body, '');
  return lines.join('\n');
}

export interface ClaudeWorkspace {
  /** The project folder the CLI runs in (real path: what the CLI reports as its working directory). */
  dir: string;
  /** HOME of the CLI. */
  home: string;
  /** CLAUDE_CONFIG_DIR of the CLI (its user agents folder is `<configDir>/agents`). */
  configDir: string;
  /** TMPDIR of the CLI (it keeps task output and sockets there). */
  tmp: string;
  remove(): void;
}

/** A temp project folder holding `files` (relative path → content), and a temp home for the CLI beside it. */
export function makeClaudeWorkspace(files: Record<string, string>): ClaudeWorkspace {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'ccflare-claude-')));
  const dir = join(root, 'project');
  const home = join(root, 'home');
  const configDir = join(home, '.claude');
  const tmp = join(root, 'tmp');
  for (const d of [dir, configDir, tmp]) mkdirSync(d, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return { dir, home, configDir, tmp, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ClaudeRunOptions {
  workspace: ClaudeWorkspace;
  /**
   * ANTHROPIC_BASE_URL: the gateway. null: neither it nor ANTHROPIC_API_KEY is set, so the CLI
   * finds the gateway through its settings file alone (`ccflare connect`).
   */
  baseUrl: string | null;
  /** ANTHROPIC_API_KEY (default: a placeholder with a base URL, none without; the gateway holds the real accounts). */
  apiKey?: string;
  /** More CLI arguments after `-p <prompt>`. */
  args?: readonly string[];
  env?: Record<string, string>;
  /** Killed (SIGKILL) after this long; the result then has `timedOut`. Default 60 s. */
  timeoutMs?: number;
}

export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Wall time of the run, ms (reported by tests, never asserted). */
  ms: number;
}

/**
 * The CLI's environment. Measured with 2.1.328: with these switches a `-p` run sends nothing but
 * POST /v1/messages to ANTHROPIC_BASE_URL (no telemetry, update check, title or count_tokens
 * request). It is not sandboxed further: the CLI hangs before its first request when HTTPS_PROXY
 * points at a dead port, even with the base URL in NO_PROXY.
 */
function claudeEnv(o: ClaudeRunOptions): Record<string, string> {
  const w = o.workspace;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: w.home,
    TMPDIR: w.tmp,
    CLAUDE_CONFIG_DIR: w.configDir,
    ...(o.baseUrl === null ? {} : { ANTHROPIC_BASE_URL: o.baseUrl }),
    ...(o.apiKey !== undefined || o.baseUrl !== null
      ? { ANTHROPIC_API_KEY: o.apiKey ?? 'sk-ant-api03-placeholder-the-gateway-holds-the-accounts' }
      : {}),
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    NO_COLOR: '1',
    ...o.env,
  };
}

/**
 * `claude -p <prompt>` in the workspace, to its exit. Never `--dangerously-skip-permissions`: the CLI
 * refuses it as root, and `-p` runs read-only tools and sub-agents without asking (protocol.md §7).
 */
export function runClaude(prompt: string, o: ClaudeRunOptions): Promise<ClaudeRun> {
  return runClaudeArgs(['-p', prompt, ...(o.args ?? [])], o);
}

/** The CLI with these arguments (`mcp add …`, `mcp list`) in the workspace, to its exit. */
export function runClaudeArgs(args: readonly string[], o: ClaudeRunOptions): Promise<ClaudeRun> {
  const t0 = performance.now();
  const child = spawn(CLAUDE_BIN, args, {
    cwd: o.workspace.dir,
    env: claudeEnv(o),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** A one-line account of a run for assertion messages. */
export function describeRun(r: ClaudeRun): string {
  const end = r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`;
  return `claude: ${end} after ${Math.round(r.ms)} ms\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`;
}
