/**
 * Moving over from ccflare: each of its command-line flags and environment variables, run the
 * way a ccflare user's scripts run them, does what ccflare did (ccflare's apps/tui main and
 * @ccflare/config). Flags run in process through runCli; `--serve` also once as the binary.
 * Each old spelling names the new one in one line on stderr; stdout carries only the result.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServeResult } from '../../src/cli/serve-command.js';
import { openStoreFromUrl } from '../../src/storage/open-store.js';
import { type CliRun, runCommand, spawnBinary, startCommand } from '../support/cli-io.js';
import { type FakeOAuth, startFakeOAuth } from '../support/fake-oauth.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';

const WAIT = { timeout: 15_000, interval: 20 };
const KEY = 'sk-ant-api03-ccflare-flags-000000000000';

let oauth: FakeOAuth;
let up: FakeUpstream;
const homes: string[] = [];
const servers: ServeResult[] = [];

function newHome(): string {
  const h = mkdtempSync(join(tmpdir(), 'ccflare-compat-'));
  homes.push(h);
  return h;
}

/** The one stderr line naming the new spelling. */
function expectHint(r: { stderr: string }, old: string, now: string): void {
  expect(r.stderr).toContain(`ccflare: note: "${old}" is ccflare's spelling; this is \`ccflare ${now}\``);
}

function ok(r: CliRun): CliRun {
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** `--add-account` as a person runs it: reads the printed URL, pastes code#state. */
async function addAccount(home: string, args: string[], env: Record<string, string>) {
  const c = startCommand(['--add-account', ...args, '--no-browser'], { home, env });
  const url = await vi.waitFor(() => {
    expect(c.stdout()).toContain('Paste the code');
    return /(https?:\/\/\S+)/.exec(c.stdout())?.[1] as string;
  }, WAIT);
  const state = new URL(url).searchParams.get('state');
  c.stdin.end(`good-${args[0]}#${state}\n`);
  return { run: await c.done, url: new URL(url) };
}

async function accounts(home: string, env: Record<string, string> = {}) {
  const r = ok(await runCommand(['accounts', 'list', '--json'], { home, env }));
  return JSON.parse(r.stdout) as { name: string; priority: number; status: string; kind: string }[];
}

beforeAll(async () => {
  oauth = await startFakeOAuth();
  up = await startFakeUpstream();
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await up?.close();
  await oauth?.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

describe("ccflare's account flags", () => {
  let home: string;
  let env: Record<string, string>;
  beforeAll(() => {
    home = newHome();
    env = {
      CCFLARE_OAUTH_AUTHORIZE_URL: oauth.authorizeUrl,
      CCFLARE_OAUTH_CONSOLE_AUTHORIZE_URL: oauth.authorizeUrl,
      CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl,
      CCFLARE_UPSTREAM_URL: oauth.url,
    };
  });

  it('--add-account <name> --mode --tier signs in with OAuth; the tier becomes a priority', async () => {
    const max = await addAccount(home, ['work', '--tier', '20'], env);
    ok(max.run);
    expectHint(max.run, '--add-account work --tier 20', 'accounts add work --mode max --priority 0 --no-browser');
    expect(max.run.stdout).toContain('Added account "work" (max, priority 0');
    const con = await addAccount(home, ['side', '--mode', 'console', '--tier', '5'], env);
    ok(con.run);
    expect(await accounts(home)).toEqual([
      expect.objectContaining({ name: 'work', kind: 'max', priority: 0 }),
      expect.objectContaining({ name: 'side', kind: 'console', priority: 10 }),
    ]);
    const bad = await runCommand(['--add-account', 'x', '--tier', '3'], { home, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'ccflare: --tier must be one of 1, 5, 20 (ccflare tier: 20 is priority 0, 5 is 10, 1 is 20); got "3"\n',
    );
  });

  it('--list lists the accounts', async () => {
    const r = ok(await runCommand(['--list'], { home, env }));
    expectHint(r, '--list', 'accounts list');
    expect(r.stdout).toMatch(/work[\s\S]*side/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('--pause and --resume take an account out of rotation and back', async () => {
    expectHint(ok(await runCommand(['--pause', 'side'], { home, env })), '--pause side', 'accounts pause side');
    expect((await accounts(home)).find((a) => a.name === 'side')?.status).toBe('paused');
    expectHint(ok(await runCommand(['--resume', 'side'], { home, env })), '--resume side', 'accounts resume side');
    expect((await accounts(home)).find((a) => a.name === 'side')?.status).toBe('active');
  });

  it('--remove asks for confirmation as `accounts remove` does; --force removes at once', async () => {
    const refused = await runCommand(['--remove', 'side'], { home, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to remove "side" without confirmation');
    const r = ok(await runCommand(['--remove', 'side', '--force'], { home, env }));
    expectHint(r, '--remove side --force', 'accounts remove side --yes');
    expect((await accounts(home)).map((a) => a.name)).toEqual(['work']);
  });

  it('--set-model and --get-model are the default agent model, ccflare’s short names included', async () => {
    const set = ok(await runCommand(['--set-model', 'opus-4'], { home, env }));
    expectHint(set, '--set-model opus-4', 'config set defaultAgentModel claude-opus-4-20250514');
    const get = ok(await runCommand(['--get-model'], { home, env }));
    expectHint(get, '--get-model', 'config get defaultAgentModel');
    expect(get.stdout).toBe('claude-opus-4-20250514\n');
    const bad = await runCommand(['--set-model', 'gpt-4'], { home, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid defaultAgentModel: "gpt-4"/);
  });
});

describe("ccflare's report and history flags", () => {
  let home: string;
  let server: ServeResult;
  beforeAll(async () => {
    home = newHome();
    const env = { CCFLARE_UPSTREAM_URL: up.url };
    ok(await runCommand(['accounts', 'add-key', 'k', '--key', KEY], { home, env }));
    // ccflare's `--port N` on its own started the server on that port.
    const started = ok(await runCommand(['--port', '0'], { home, env }));
    expectHint(started, '--port 0', 'serve --port 0');
    server = started.server as ServeResult;
    servers.push(server);
    for (const content of ['one', 'two']) {
      const res = await request(`${server.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'c', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content }] }),
      });
      await res.body.text();
    }
    await vi.waitFor(async () => {
      const r = await request(`${server.url}/api/stats`);
      expect(((await r.body.json()) as { totals: { requests: number } }).totals.requests).toBe(2);
    }, WAIT);
  });

  it('--stats prints the statistics as JSON on stdout', async () => {
    const r = ok(await runCommand(['--stats'], { home }));
    expectHint(r, '--stats', 'stats --json');
    expect(JSON.parse(r.stdout)).toMatchObject({ totals: { requests: 2 } });
  });

  it('--analyze prints the database analysis and the last day’s requests, active accounts and models', async () => {
    const r = ok(await runCommand(['--analyze'], { home }));
    expectHint(r, '--analyze', 'analyze --traffic');
    expect(r.stdout).toContain('INDEX');
    expect(r.stdout).toMatch(/Last 24 hours\n- 2 requests; 100\.0% succeeded/);
    expect(r.stdout).toContain('- 1 active account (not paused)');
    expect(r.stdout).toMatch(/claude-sonnet-4-6\s+2/);
  });

  it('--logs follows the running gateway’s log', async () => {
    const c = startCommand(['--logs', '5'], { home });
    await vi.waitFor(() => expect(c.stdout()).toContain('ccflare listening'), WAIT);
    c.interrupt();
    const r = ok(await c.done);
    expect(r.stderr).toContain('ccflare: note: "--logs 5" is ccflare\'s spelling; this is `ccflare logs --follow');
  });

  it('--reset-stats resets the usage counters; --clear-history keeps its confirmation', async () => {
    const reset = ok(await runCommand(['--reset-stats'], { home }));
    expectHint(reset, '--reset-stats', 'reset-stats');
    expect(reset.stdout).toContain('Reset the usage counters of 1 account');
    const refused = await runCommand(['--clear-history'], { home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to clear the request history without confirmation');
    const cleared = ok(await runCommand(['--clear-history', '--yes'], { home }));
    expectHint(cleared, '--clear-history', 'clear-history --yes');
    expect(cleared.stdout).toContain('Deleted 2 request records');
  });
});

describe("ccflare's environment variables", () => {
  it('--serve as the binary listens on PORT, logs in LOG_FORMAT, keeps its database at ccflare_DB_PATH', async () => {
    const home = newHome();
    const port = await freePort();
    const db = join(home, 'old-place', 'gateway.db');
    const env = {
      PORT: String(port),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'INFO',
      ccflare_DB_PATH: db,
      RETRY_BACKOFF: '2',
      CCFLARE_UPSTREAM_URL: up.url,
    };
    const proc = spawnBinary(['--serve'], { home, env });
    proc.stdin?.end();
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      await vi.waitFor(async () => {
        const r = await request(`http://127.0.0.1:${port}/health`);
        expect(r.statusCode, err).toBe(200);
        await r.body.dump();
      }, WAIT);
      expect(existsSync(db)).toBe(true);
      const [hint, ...logLines] = err.split('\n').filter(Boolean);
      expect(hint).toBe('ccflare: note: "--serve" is ccflare\'s spelling; this is `ccflare serve`');
      const records = logLines.map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(records).toContainEqual(
        expect.objectContaining({ msg: 'ccflare listening', url: `http://127.0.0.1:${port}` }),
      );
      expect(records).toContainEqual(
        expect.objectContaining({
          level: 40,
          msg: expect.stringMatching(/^RETRY_BACKOFF is ccflare's and is ignored/),
        }),
      );
    } finally {
      proc.kill('SIGTERM');
      expect(await exited, err).toBe(0);
    }
  });

  it('LB_STRATEGY, SESSION_DURATION_MS, DEFAULT_AGENT_MODEL and the retention days set the running gateway', async () => {
    const home = newHome();
    const env = {
      LB_STRATEGY: 'session',
      SESSION_DURATION_MS: '3600000',
      DEFAULT_AGENT_MODEL: 'sonnet-4',
      DATA_RETENTION_DAYS: '3',
      REQUEST_RETENTION_DAYS: '30',
      LOG_LEVEL: 'WARN',
      LOG_FORMAT: 'json',
      RETRY_ATTEMPTS: '3',
      RETRY_DELAY_MS: '1000',
      CCFLARE_UPSTREAM_URL: up.url,
    };
    const r = ok(await runCommand(['--serve', '--port', '0'], { home, env }));
    const server = r.server as ServeResult;
    servers.push(server);
    const config = (await (await request(`${server.url}/api/config`)).body.json()) as Record<
      string,
      { value: unknown; source: string; pinned: boolean }
    >;
    expect(config.strategy).toMatchObject({ value: 'session', source: 'environment', pinned: true });
    expect(config.sessionMs).toMatchObject({ value: 3_600_000, source: 'environment' });
    expect(config.defaultAgentModel).toMatchObject({ value: 'claude-sonnet-4-20250514', source: 'environment' });
    expect(config.payloadRetentionDays).toMatchObject({ value: 3, source: 'environment' });
    expect(config.requestRetentionDays).toMatchObject({ value: 30, source: 'environment' });
    // LOG_LEVEL=WARN: only warnings and worse, as JSON; the retry settings are named as ignored.
    const logLines = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.every((l) => l.level >= 40)).toBe(true);
    expect(logLines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^RETRY_ATTEMPTS is ccflare's and is ignored/),
        expect.stringMatching(/^RETRY_DELAY_MS is ccflare's and is ignored/),
      ]),
    );
    await server.close();
  });

  it('CLIENT_ID is the OAuth client id of a sign-in', async () => {
    const home = newHome();
    const env = {
      CLIENT_ID: 'ccflare-custom-client',
      CCFLARE_OAUTH_AUTHORIZE_URL: oauth.authorizeUrl,
      CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl,
    };
    const { run, url } = await addAccount(home, ['who'], env);
    expect(url.searchParams.get('client_id')).toBe('ccflare-custom-client');
    // The fake OAuth server knows only Claude Code's client id: the exchange used CLIENT_ID too.
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unknown client_id|invalid_client/);
  });

  it('ccflare_CONFIG_PATH names a ccflare.json whose snake_case keys apply; CCFLARE_* still wins', async () => {
    const home = newHome();
    // An installation: `config get` shows the settings of one, it does not start one.
    const store = await openStoreFromUrl(`sqlite:${join(home, 'ccflare.db')}`);
    await store.migrate();
    await store.close();
    const where = join(newHome(), 'ccflare.json');
    writeFileSync(
      where,
      JSON.stringify({ data_retention_days: 9, default_agent_model: 'claude-opus-4-1-20250805', retry_backoff: 2 }),
    );
    const r = ok(
      await runCommand(['config', 'get', '--json'], {
        home,
        env: { ccflare_CONFIG_PATH: where, REQUEST_RETENTION_DAYS: '40', CCFLARE_REQUEST_RETENTION_DAYS: '50' },
      }),
    );
    const c = JSON.parse(r.stdout) as Record<string, { value: unknown; source: string }>;
    expect(c.payloadRetentionDays).toMatchObject({ value: 9, source: 'file' });
    expect(c.defaultAgentModel).toMatchObject({ value: 'claude-opus-4-1-20250805', source: 'file' });
    expect(c.requestRetentionDays).toMatchObject({ value: 50, source: 'environment' });
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `ccflare: warning: "retry_backoff" in ${where} is ccflare's and is ignored: cooldowns grow with repeat offences and are capped; there is no multiplier to set`,
      'ccflare: warning: REQUEST_RETENTION_DAYS is ignored: CCFLARE_REQUEST_RETENTION_DAYS is also set and wins',
    ]);
  });
});
