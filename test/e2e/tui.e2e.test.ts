/**
 * The real terminal UI (`ccflare --home <dir>`, no command) in a tmux pseudo-terminal, against a real
 * gateway with seeded accounts and requests: pause an account, open a request's detail, quit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { requireTool } from '../support/required-tool.js';
import { sampleRecord } from '../support/sample-record.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin', 'ccflare');
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

let up: FakeUpstream;
let gw: TestGateway;

describe.skipIf(!requireTool('terminal UI end-to-end test', 'tmux', hasTmux(), 'apt-get install -y tmux'))(
  'terminal UI in a pseudo-terminal',
  () => {
    beforeAll(async () => {
      up = await startFakeUpstream();
      gw = await startGateway({
        upstreamUrl: up.url,
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
      const env = [
        `CCFLARE_HOME=${gw.home}-not-this-one`,
        `CCFLARE_PORT=${await freePort()}`,
        'NO_COLOR=1',
        `PATH=${process.env.PATH}`,
      ];
      // The exit status stays on screen after the UI ends, so the test can see it quit cleanly.
      const command = `env -i ${env.map((e) => `'${e}'`).join(' ')} TERM=xterm-256color '${process.execPath}' '${BIN}' --home '${gw.home}'; echo "EXITED:$?"; sleep 60`;
      tmux('new-session', '-d', '-s', SESSION, '-x', '140', '-y', '40', command);
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

      // An 80x24 terminal: the screen list stays on one line and the help line on screen.
      tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
      keys('1');
      const small = await waitFor(/^ccflare 1 Overview 2 Requests.* 7 Settings *\n/);
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

      keys('q');
      await waitFor(/EXITED:0/);
      // It ran on the --home directory: the one CCFLARE_HOME names was never created.
      expect(existsSync(`${gw.home}-not-this-one`)).toBe(false);
    });

    it('starts a gateway when none runs, and the "starting" notice does not stay above the UI', async () => {
      const home = mkdtempSync(join(tmpdir(), 'ccflare-tui-fresh-'));
      const env = [
        `CCFLARE_HOME=${home}`,
        `CCFLARE_PORT=${await freePort()}`,
        'NO_COLOR=1',
        `PATH=${process.env.PATH}`,
      ];
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
  },
);
