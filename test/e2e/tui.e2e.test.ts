/**
 * The real terminal UI (`ccflare --home <dir>`, no command) in a tmux pseudo-terminal, against a real
 * gateway with seeded accounts and requests: pause an account, open a request's detail, quit; the
 * Agents screen on 80x24 with a user agents folder and a workspace seen in traffic; the Logs
 * screen's history, pause and clear; a worker's pending edit approved on the Workers screen (the
 * gateway runs workers on the fake engine: the test plays the worker). Closing the terminal:
 * `ccflare serve` finishes and records the stream in flight, and the UI stops the gateway it started.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readLiveRuntime } from '../../src/server/runtime-file.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { currentTuiBundle } from '../../src/tui/bundle-entry.js';
import { pricedModels } from '../../src/tui/screens/agents.js';
import { api } from '../support/api-request.js';
import { runCommand } from '../support/cli-io.js';
import { type FakeUpstream, messageStreamEvents, startFakeUpstream } from '../support/fake-upstream.js';
import { FakeEngine } from '../support/fake-worker-engine.js';
import { freePort } from '../support/free-port.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';
import { sampleRecord } from '../support/sample-record.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'ccflare');
const SOCKET = `ccflare-tui-${process.pid}`;
const SESSION = 'tui';

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

const screen = (session = SESSION) => tmux('capture-pane', '-p', '-t', session);

function waitFor(pattern: RegExp, timeout = 10_000, session = SESSION): Promise<string> {
  return vi.waitFor(
    () => {
      const last = screen(session);
      if (!pattern.test(last)) throw new Error(`screen never matched ${pattern}:\n${last}`);
      return last;
    },
    { timeout, interval: 100 },
  );
}

const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);

/** Stops the gateway `<home>/gateway.json` names, if one is left running (a failed test). */
function stopLeftGateway(home: string): void {
  const left = readLiveRuntime(home);
  if (left !== null) process.kill(left.pid, 'SIGKILL');
}

/** bin/ccflare with `args` and only `env`, as a window's own command (tmux runs it without a shell). */
function terminalCommand(env: readonly string[], args: readonly string[]): string[] {
  return ['env', '-i', ...env, 'TERM=xterm-256color', process.execPath, BIN, ...args];
}

let up: FakeUpstream;
let gw: TestGateway;
const engine = new FakeEngine();
/** Claude Code's user agents folder the gateway reads (CCFLARE_CLAUDE_AGENTS_DIR). */
const userAgents = mkdtempSync(join(tmpdir(), 'ccflare-tui-agents-'));
/** A workspace on this machine, made known by a request naming its CLAUDE.md. */
const workspace = mkdtempSync(join(tmpdir(), 'ccflare-tui-ws-'));

function agentFile(dir: string, file: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), text);
}

/** The environment of a UI or gateway on its own data directory `home`, on a free port, plain text. */
async function freshHomeEnv(home: string): Promise<string[]> {
  return [`CCFLARE_HOME=${home}`, `CCFLARE_PORT=${await freePort()}`, 'NO_COLOR=1', `PATH=${process.env.PATH}`];
}

/**
 * The command that runs the UI on the gateway's data directory in a tmux window; its exit status
 * stays on screen. Plain text unless `colors`.
 */
async function uiCommand(colors = false): Promise<string> {
  const env = [
    `CCFLARE_HOME=${gw.home}-not-this-one`,
    `CCFLARE_PORT=${await freePort()}`,
    ...(colors ? [] : ['NO_COLOR=1']),
    `PATH=${process.env.PATH}`,
  ];
  return `env -i ${env.map((e) => `'${e}'`).join(' ')} TERM=xterm-256color '${process.execPath}' '${BIN}' --home '${gw.home}'; echo "EXITED:$?"; sleep 60`;
}

describe.skipIf(!requireTool('terminal UI end-to-end test', 'tmux', hasTmux(), 'apt-get install -y tmux'))(
  'terminal UI in a pseudo-terminal',
  () => {
    beforeAll(async () => {
      up = await startFakeUpstream();
      agentFile(
        userAgents,
        'reviewer.md',
        '---\nname: reviewer\ndescription: Reviews diffs\ntools: Read, Grep, Glob, WebFetch, WebSearch\nmodel: haiku\ncolor: blue\n---\nYou review code.\n',
      );
      const wsAgents = join(workspace, '.claude', 'agents');
      agentFile(wsAgents, 'tester.md', '---\nname: tester\ndescription: Runs the tests\n---\nYou run tests.\n');
      agentFile(wsAgents, 'broken.md', '---\nname: [unclosed\n---\nbody\n');
      writeFileSync(join(workspace, 'CLAUDE.md'), '# Project\n');
      gw = await startGateway({
        upstreamUrl: up.url,
        env: { CCFLARE_CLAUDE_AGENTS_DIR: userAgents },
        workerEngine: engine,
        setup: async (g) => {
          await g.addApiKey('first', 'sk-ant-api03-tui-first-00000000000');
          await g.addApiKey('second', 'sk-ant-api03-tui-second-0000000000', { priority: 1 });
        },
      });
      const a = await gw.account('first');
      const now = Date.now();
      await gw.store.requests.writeBatch(
        [
          sampleRecord({
            id: '00000000-0000-7000-8000-0000000000a1',
            ts: now - 20_000,
            accountId: a.id,
            accountName: 'first',
          }),
          sampleRecord({
            id: '00000000-0000-7000-8000-0000000000a2',
            ts: now - 10_000,
            accountId: a.id,
            accountName: 'first',
            status: 429,
            success: false,
            error: 'rate_limited',
          }),
        ],
        [{ accountId: a.id, requests: 2, lastUsedAt: now - 10_000 }],
      );
      // `ccflare --home <dir>` opens the UI on that data directory, over CCFLARE_HOME, and finds the
      // gateway running there from its gateway.json although the configured port is another one.
      tmux('new-session', '-d', '-s', SESSION, '-x', '140', '-y', '40', await uiCommand());
    });

    afterAll(async () => {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      await gw?.close();
      await up?.close();
    });

    // A fresh install builds the one-module bundle these tests then run (src/tui/bundle-entry.ts);
    // locally, after a plain `tsc`, they run the modules instead, which is what this would catch in CI.
    it.runIf(process.env.CI)('runs the bundle the install built, not the slower module graph', () => {
      expect(currentTuiBundle(join(ROOT, 'dist'))).toBe(join(ROOT, 'dist', 'tui', 'launch.mjs'));
    });

    it('pauses an account, opens a request detail and quits', async () => {
      await waitFor(/Uptime:/);
      // Numbered as the dashboard's screens.
      expect(screen()).toMatch(/1 Overview.*2 Requests.*3 Accounts.*7 Settings/);
      expect(screen()).toMatch(new RegExp(`Address:\\s+${gw.url}\\s`));
      keys('3');
      await waitFor(/first\s+api_key\s+active/);
      keys('p');
      await waitFor(/first\s+api_key\s+paused/);
      expect((await gw.account('first')).paused).toBe(true);

      // A name pasted with its line ending submits the name; the key typed next stays masked.
      keys('a');
      await waitFor(/New account name/);
      tmux('set-buffer', 'third\n');
      tmux('paste-buffer', '-t', SESSION);
      await waitFor(/API key for third/);
      const secret = 'sk-ant-api03-tui-third-00000000000';
      keys('-l', secret);
      await waitFor(new RegExp(`API key for third: \\*{${secret.length}}`));
      expect(screen()).not.toContain(secret);
      keys('Enter');
      await waitFor(/added third/);
      expect((await gw.account('third')).kind).toBe('api_key');

      keys('2');
      await waitFor(/429 /);
      keys('Enter');
      const detail = await waitFor(/Request 00000000-0000-7000-8000-0000000000a2/);
      expect(detail).toContain('rate_limited');
      keys('Escape');
      await waitFor(/Requests \(page 1\)/);

      // An 80x24 terminal: the screen list stays on one line (without the title) and the help line on screen.
      tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
      keys('1');
      // The tab line is on every screen: the Overview's own line tells that the key was read.
      await waitFor(/Uptime:/);
      const small = await waitFor(/^1 Overview 2 Requests.* 7 Settings 8 Agents *\n/);
      expect(small.split('\n').filter((l) => l.includes('q quit'))).toHaveLength(1);
      // The request list has column headers, and its rows fit: the header ends with COST on its line.
      keys('2');
      const list = await waitFor(/^TIME +HTTP +ACCOUNT +MODEL +LATENCY +TOKENS \(in \/ out\) +COST *$/m);
      expect(list).toMatch(/^\S+ +429 +first +\S+ +\d+ ms +.*$/m);
      expect(list.split('\n').filter((l) => l.includes('q quit'))).toHaveLength(1);
      keys('3');
      const accounts = await waitFor(/^ +NAME +KIND +STATE +REQ +ATTEMPTS +WINDOWS *$/m);
      expect(accounts).toMatch(/^. first +api_key +paused +\d+ +\d+/m);
      expect(accounts.split('\n').every((l) => l.length <= 80)).toBe(true);

      // Every runtime setting as the gateway describes it; the arrows, sent at once, and Enter flip payloadCapture.
      keys('7');
      await waitFor(/Strategy: session/);
      keys('c');
      const settings = await waitFor(/^ {2}payloadRetentionDays +7 +default *$/m);
      expect(settings).toMatch(/^> strategy +session +default *$/m);
      expect(settings.split('\n').every((l) => l.length <= 80)).toBe(true);
      keys(...Array<string>(11).fill('Down'), 'Enter');
      await waitFor(/^> payloadCapture +false +database *$/m);
      expect(await gw.store.settings.get()).toMatchObject({ payloadCapture: false });
      keys('c');
      await waitFor(/Strategy: session/);

      // Quit from a frame as tall as the terminal: the shell's next line starts on a line of its own.
      keys('q');
      await waitFor(/^EXITED:0/m);
      // It ran on the --home directory: the one CCFLARE_HOME names was never created.
      expect(existsSync(`${gw.home}-not-this-one`)).toBe(false);
    });

    it('shows agents by workspace on 80x24, and sets and resets a model preference (Agents screen)', async () => {
      const a = await gw.account('second');
      const now = Date.now();
      await gw.store.requests.writeBatch(
        ['b1', 'b2'].map((id, i) =>
          sampleRecord({
            id: `00000000-0000-7000-8000-0000000000${id}`,
            ts: now - 5_000 + i,
            accountId: a.id,
            accountName: 'second',
            agent: 'reviewer',
            costUsd: 0.125,
          }),
        ),
        [],
      );
      // A Claude Code request naming the workspace's CLAUDE.md makes the workspace known.
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        // Claude Code's markers (protocol.md §7): the gateway looks for workspaces only in its requests.
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'client',
          'anthropic-version': '2023-06-01',
          'x-app': 'cli',
          'user-agent': 'claude-cli/2.1.328 (external, cli)',
        },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 5,
          messages: [
            {
              role: 'user',
              content: [
                {
                  type: 'text',
                  text: `<system-reminder>\nAs you answer the user, use the following context:\nContents of ${workspace}/CLAUDE.md (project instructions):\n\n# Project\n</system-reminder>`,
                },
                { type: 'text', text: 'hi' },
              ],
            },
          ],
        }),
      });
      await res.text();

      tmux('new-session', '-d', '-s', 'agents', '-x', '80', '-y', '24', await uiCommand());
      const send = (...k: string[]) => tmux('send-keys', '-t', 'agents', ...k);
      const seen = (pattern: RegExp) => waitFor(pattern, 10_000, 'agents');
      await seen(/Uptime:/);
      send('8');
      const wsName = basename(workspace);
      // Workspace agents are loaded within 2 s of the workspace being seen; figures come from analytics.
      await seen(/^ {2}● tester /m);
      const frame = await seen(/^> ● reviewer +.+ read-only +2 +\$0\.25 *$/m);
      const lines = frame.split('\n');
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      expect(at(/^User agents · /)).toBeLessThan(at(/reviewer/));
      expect(at(/reviewer/)).toBeLessThan(at(new RegExp(`^${wsName} · `)));
      expect(frame).toMatch(/^ {2}● tester +.+ all +0 +\$0\.00 *$/m);
      expect(frame).toMatch(/^ {2}! broken\.md +\S/m);
      // 80x24: every line fits, the screen list is one line and the help line is on screen.
      expect(lines.every((l) => l.length <= 80)).toBe(true);
      expect(lines[0]).toMatch(/^1 Overview .* 8 Agents *$/);
      expect(lines.filter((l) => l.includes('q quit'))).toHaveLength(1);

      const reviewer = async () =>
        (await api(gw.server.api, 'GET', '/api/agents')).json.agents.find(
          (x: { name: string }) => x.name === 'reviewer',
        );
      send('m');
      await seen(/Model preference for reviewer/);
      // The list starts at the first priced model when the agent has no preference.
      send(...Array<string>(pricedModels().indexOf('claude-haiku-4-5')).fill('Down'));
      await seen(/^> claude-haiku-4-5 *$/m);
      send('Enter');
      await seen(/reviewer: model set to claude-haiku-4-5/);
      expect((await reviewer()).preference).toBe('claude-haiku-4-5');
      await seen(/^> ● reviewer +\* claude-haiku-4-5 +read-only/m);
      send('r');
      await seen(/reviewer: model preference cleared/);
      expect((await reviewer()).preference).toBeNull();
      send('q');
      await waitFor(/EXITED:0/, 10_000, 'agents');
    });

    it('Logs: opens on the log file, space pauses and resumes the live tail, c clears it', async () => {
      tmux('new-session', '-d', '-s', 'logs', '-x', '120', '-y', '30', await uiCommand());
      const send = (...k: string[]) => tmux('send-keys', '-t', 'logs', ...k);
      const seen = (pattern: RegExp) => waitFor(pattern, 10_000, 'logs');
      await seen(/Uptime:/);
      send('5');
      // Logged when the gateway started, before this UI existed: read from the log file.
      await seen(/INFO {2}ccflare listening url=/);
      await seen(/\(live\)/);
      send('Space');
      await seen(/PAUSED · 0 new/);
      // Logs "account usage counters reset" at info.
      expect((await api(gw.url, 'POST', '/api/stats/reset')).status).toBe(200);
      const paused = await seen(/PAUSED · 1 new/);
      expect(paused).not.toContain('account usage counters reset');
      send('Space');
      const resumed = await seen(/INFO {2}account usage counters reset accountsReset=\d/);
      expect(resumed).toMatch(/\(live\)/);
      send('c');
      const cleared = await seen(/Waiting for log lines/);
      expect(cleared).not.toContain('ccflare listening');
      expect(cleared).not.toContain('account usage counters reset');
      send('q');
      await waitFor(/EXITED:0/, 10_000, 'logs');
    });

    it('Workers: the tab counts the waiting call; the edit shows as a coloured diff, a approves it and the worker goes on', async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'ccflare-tui-worker-'));
      writeFileSync(join(cwd, 'notes.txt'), 'keep\nold line\n');
      const created = await api(gw.url, 'POST', '/api/workers', {
        name: 'editor',
        prompt: 'Fix the notes',
        cwd,
        maxTurns: 10,
        budgetUsd: 1,
      });
      expect(created.status, created.text).toBe(201);
      const run = await vi.waitFor(() => engine.runOf('editor'));
      run.hooks.progress(1, 'Edit notes.txt');
      run.hooks.log([{ at: Date.now(), kind: 'assistant', text: 'Updating the notes.', data: null }]);
      const answer = run.ask({
        tool: 'Edit',
        toolUseId: 'toolu_edit',
        input: { file_path: join(cwd, 'notes.txt'), old_string: 'old line', new_string: 'new line' },
        risk: 'medium',
        reason: 'edits a file in the working directory',
      });

      tmux('new-session', '-d', '-s', 'workers', '-x', '80', '-y', '24', await uiCommand(true));
      const send = (...k: string[]) => tmux('send-keys', '-t', 'workers', ...k);
      const seen = (pattern: RegExp) => waitFor(pattern, 10_000, 'workers');
      await seen(/Uptime:/);
      // Seen from any screen: on 80 columns the Workers tab and its count take a second tab line.
      const overview = await seen(/^9 Workers \(1 pending\) *$/m);
      expect(overview.split('\n')[0]).toMatch(/^1 Overview .* 8 Agents *$/);
      expect(overview.split('\n').filter((l) => l.includes('q quit'))).toHaveLength(1);
      send('9');
      await seen(/^> editor +waiting approval +1\/10 +\$0\.00 \/ \$1\.00 /m);
      await seen(/assistant +Updating the notes\./);

      send('Right');
      const queue = await seen(/^\+new line *$/m);
      expect(queue).toMatch(/^> editor +Edit +medium +\d\d:\d\d +notes\.txt *$/m);
      expect(queue).toContain('Risk medium: edits a file in the working directory');
      expect(queue).toMatch(/^-old line *$/m);
      expect(queue.split('\n').every((l) => l.length <= 80)).toBe(true);
      // Added lines green, removed ones red (SGR 32 and 31).
      const coloured = tmux('capture-pane', '-p', '-e', '-t', 'workers');
      expect(coloured).toContain('\u001B[32m+new line');
      expect(coloured).toContain('\u001B[31m-old line');

      send('a');
      await seen(/approved Edit of editor/);
      await seen(/No tool call is waiting for approval\./);
      // The worker got the go-ahead with the input as asked, and the approval is recorded approved.
      expect(await answer).toEqual({
        allow: true,
        input: { file_path: join(cwd, 'notes.txt'), old_string: 'old line', new_string: 'new line' },
      });
      const recorded = await api(gw.url, 'GET', '/api/approvals?state=all&worker=editor');
      expect(recorded.json.approvals).toMatchObject([{ tool: 'Edit', status: 'approved' }]);
      await vi.waitFor(() => expect(screen('workers')).not.toContain('pending'), { timeout: 10_000 });

      send('Left');
      await seen(/^> editor +running +1\/10 /m);
      run.hooks.log([
        { at: Date.now(), kind: 'tool_result', text: 'The file notes.txt has been updated.', data: null },
      ]);
      run.complete();
      const done = await seen(/^> editor +completed /m);
      await seen(/tool_result +The file notes\.txt has been updated\./);
      expect(done.split('\n').every((l) => l.length <= 80)).toBe(true);
      send('q');
      await waitFor(/EXITED:0/, 10_000, 'workers');
    });

    it('Workers without the Agent SDK: the screen says how to add it, the other screens work', async () => {
      engine.available = false;
      try {
        tmux('new-session', '-d', '-s', 'nosdk', '-x', '80', '-y', '24', await uiCommand());
        const send = (...k: string[]) => tmux('send-keys', '-t', 'nosdk', ...k);
        await waitFor(/Uptime:/, 10_000, 'nosdk');
        send('9');
        const frame = await waitFor(/Workers are not available on this gateway\./, 10_000, 'nosdk');
        expect(frame.replace(/\s+/g, ' ')).toContain('npm install @anthropic-ai/claude-agent-sdk');
        expect(frame).not.toContain('pending');
        expect(frame.split('\n').every((l) => l.length <= 80)).toBe(true);
        send('3');
        await waitFor(/^ +NAME +KIND +STATE/m, 10_000, 'nosdk');
        send('q');
        await waitFor(/EXITED:0/, 10_000, 'nosdk');
      } finally {
        engine.available = true;
      }
    });

    it('starts a gateway when none runs, and the "starting" notice does not stay above the UI', async () => {
      const home = mkdtempSync(join(tmpdir(), 'ccflare-tui-fresh-'));
      const env = await freshHomeEnv(home);
      const command = `env -i ${env.map((e) => `'${e}'`).join(' ')} TERM=xterm-256color '${process.execPath}' '${BIN}'; echo "EXITED:$?"; sleep 60`;
      tmux('new-session', '-d', '-s', 'fresh', '-x', '100', '-y', '30', command);
      const first = await waitFor(/Uptime:/, 20_000, 'fresh');
      expect(first.split('\n')[0]).toMatch(/^ccflare +1 Overview/);
      expect(first).not.toContain('starting one in the background');
      tmux('send-keys', '-t', 'fresh', 'q');
      await waitFor(/EXITED:0/, 10_000, 'fresh');
      // The gateway it started is stopped again: its runtime file goes with it.
      await vi.waitFor(() => expect(existsSync(join(home, 'gateway.json'))).toBe(false), { timeout: 10_000 });
    });

    it('Overview: once the gateway stops answering, its last figures are not shown as current', async () => {
      const home = mkdtempSync(join(tmpdir(), 'ccflare-tui-gone-'));
      const env = await freshHomeEnv(home);
      tmux('new-session', '-d', '-s', 'gone-gw', '-x', '100', '-y', '30', ...terminalCommand(env, ['serve']));
      try {
        await vi.waitFor(() => expect(existsSync(join(home, 'gateway.json'))).toBe(true), { timeout: 15_000 });
        tmux('new-session', '-d', '-s', 'gone', '-x', '80', '-y', '24', ...terminalCommand(env, []));
        await waitFor(/^Status: +ok *$/m, 10_000, 'gone');
        // The gateway's terminal closes: it stops, the UI (which did not start it) stays.
        tmux('kill-session', '-t', 'gone-gw');
        const down = await waitFor(/Not answering: .*ECONNREFUSED/, 10_000, 'gone');
        expect(down).toMatch(/^Last seen: +\d+m \d+s ago, at \d\d:\d\d *$/m);
        expect(down).not.toMatch(/^(Status|Uptime|Strategy|Accounts|In flight):/m);
        tmux('send-keys', '-t', 'gone', 'q');
      } finally {
        stopLeftGateway(home);
      }
    });

    it('closing the terminal the UI runs in stops the gateway it started', async () => {
      const home = mkdtempSync(join(tmpdir(), 'ccflare-tui-hangup-'));
      const env = await freshHomeEnv(home);
      // The UI is the window's own process: closing the window hangs up on it.
      tmux('new-session', '-d', '-s', 'hangup', '-x', '100', '-y', '30', ...terminalCommand(env, []));
      try {
        await waitFor(/Uptime:/, 20_000, 'hangup');
        expect(existsSync(join(home, 'gateway.json'))).toBe(true);
        tmux('kill-session', '-t', 'hangup');
        await vi.waitFor(() => expect(existsSync(join(home, 'gateway.json'))).toBe(false), { timeout: 10_000 });
      } finally {
        stopLeftGateway(home);
      }
    });

    it('closing the terminal `ccflare serve` runs in lets the stream in flight finish, records it and stops', async () => {
      const home = mkdtempSync(join(tmpdir(), 'ccflare-serve-hangup-'));
      const port = await freePort();
      const vars = { CCFLARE_PORT: String(port), CCFLARE_UPSTREAM_URL: up.url };
      const added = await runCommand(['accounts', 'add-key', 'a', '--key', 'sk-ant-api03-hangup-0000000000'], {
        home,
        env: vars,
      });
      expect(added.stdout).toContain('Added account "a"');
      let release = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      up.setHandler(async () => {
        await held;
        return { kind: 'sse', events: messageStreamEvents({ deltas: 5 }), intervalMs: 10 };
      });
      try {
        const env = [
          `CCFLARE_HOME=${home}`,
          ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
          `PATH=${process.env.PATH}`,
        ];
        tmux('new-session', '-d', '-s', 'serve', '-x', '120', '-y', '30', ...terminalCommand(env, ['serve']));
        await vi.waitFor(() => expect(existsSync(join(home, 'gateway.json'))).toBe(true), { timeout: 15_000 });
        const before = up.requests.length;
        const answer = request(`http://127.0.0.1:${port}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'client' },
          body: JSON.stringify({
            model: 'claude-sonnet-4-6',
            max_tokens: 64,
            stream: true,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        await vi.waitFor(() => expect(up.requests.length).toBe(before + 1), { timeout: 10_000 });
        tmux('kill-session', '-t', 'serve');
        release();
        const res = await answer;
        const text = await res.body.text();
        expect(res.statusCode).toBe(200);
        expect(text).toContain('event: message_stop');
        await vi.waitFor(() => expect(existsSync(join(home, 'gateway.json'))).toBe(false), { timeout: 15_000 });
        const store = SqliteStore.open(join(home, 'ccflare.db'));
        try {
          const rows = await store.requests.listRecords({ limit: 10 });
          expect(rows.map((r) => [r.status, r.success, r.error])).toEqual([[200, true, null]]);
        } finally {
          await store.close();
        }
      } finally {
        release();
        up.setHandler(null);
        stopLeftGateway(home);
      }
    });
  },
);
