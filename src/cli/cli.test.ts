/**
 * The account commands, usage errors and the OAuth flow, run in process with a temporary data
 * directory and a fake terminal (test/support/cli-io.ts); the last block runs the built binary
 * (bin/ccflare -> dist/src/cli/main.js) as a script would, for what only a process shows.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CliOptions,
  type CliRun,
  dbBytes,
  expectOneLineError,
  runBinary,
  runCommand,
  startCommand,
} from '../../test/support/cli-io.js';
import { type FakeOAuth, startFakeOAuth } from '../../test/support/fake-oauth.js';
import { freePort } from '../../test/support/free-port.js';

const KEY1 = 'sk-ant-api03-CLITESTKEY1-abcdefghijklmnopqrstuvwxyz0123456789';
const KEY2 = 'sk-ant-api03-CLITESTKEY2-zyxwvutsrqponmlkjihgfedcba9876543210';

const tempHome = () => mkdtempSync(join(tmpdir(), 'ccflare-cli-'));

let home: string;

beforeEach(() => {
  home = tempHome();
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function run(args: string[], opts: Omit<CliOptions, 'home'> = {}): Promise<CliRun> {
  return runCommand(args, { home, ...opts });
}

async function listJson(env?: Record<string, string>): Promise<Record<string, unknown>[]> {
  const r = await run(['accounts', 'list', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

describe('ccflare accounts (API keys)', () => {
  it('adds keys via --key and via stdin; list --json and the database never show them', async () => {
    const a = await run(['accounts', 'add-key', 'one', '--key', KEY1, '--priority', '2']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.stdout).toContain('"one"');

    const b = await run(['accounts', 'add-key', 'two'], { input: `  ${KEY2}\n` });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).not.toContain(KEY2);

    const raw = await run(['accounts', 'list', '--json']);
    expect(raw.code).toBe(0);
    for (const secret of [KEY1, KEY2, 'CLITESTKEY', 'v1:']) expect(raw.stdout).not.toContain(secret);
    const list = JSON.parse(raw.stdout) as Record<string, unknown>[];
    expect(list.map((v) => [v.name, v.kind, v.priority, v.status])).toEqual([
      ['two', 'api_key', 0, 'active'],
      ['one', 'api_key', 2, 'active'],
    ]);
    for (const v of list) {
      expect(Object.keys(v).filter((k) => /enc$/i.test(k) || k === 'refreshFp')).toEqual([]);
      expect(v).toHaveProperty('requestCount', 0);
      expect(v).toHaveProperty('sessionRequestCount', 0);
      expect(v).toHaveProperty('rateLimit', null);
    }

    const table = await run(['accounts', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/NAME\s+KIND\s+STATUS\s+PRIORITY/);
    expect(table.stdout).toMatch(/one\s+api_key\s+active\s+2/);
    expect(table.stdout).not.toContain('CLITESTKEY');

    const db = dbBytes(home);
    expect(db.includes('two')).toBe(true);
    expect(db.includes(KEY1)).toBe(false);
    expect(db.includes(KEY2)).toBe(false);
    expect(db.includes('CLITESTKEY')).toBe(false);
  });

  it('reads the key without echo on a terminal', async () => {
    const c = startCommand(['accounts', 'add-key', 'typed'], { home, tty: true });
    await vi.waitFor(() => expect(c.stdout()).toBe('API key: '));
    c.stdin.write(`${KEY1}x\u007f\r`);
    const r = await c.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('API key: \nAdded account "typed" (api_key, priority 0).\n');
    expect(await listJson()).toMatchObject([{ name: 'typed', kind: 'api_key' }]);
  });

  it('refuses an empty key from stdin', async () => {
    const r = await run(['accounts', 'add-key', 'empty'], { input: '\n' });
    expectOneLineError(r, /empty/i);
    expect(await listJson()).toEqual([]);
  });

  it('a duplicate name fails with one line and changes nothing', async () => {
    expect((await run(['accounts', 'add-key', 'dup', '--key', KEY1])).code).toBe(0);
    const r = await run(['accounts', 'add-key', 'dup', '--key', KEY2]);
    expectOneLineError(r, /"dup" already exists/);
    expectOneLineError(
      await run(['accounts', 'add', 'dup', '--mode', 'max', '--no-browser']),
      /^ccflare: Account "dup" already exists as an api_key account; pick another name$/,
    );
    expect(await listJson()).toHaveLength(1);
  });

  it('an invalid name fails with one line', async () => {
    expectOneLineError(await run(['accounts', 'add-key', 'bad name', '--key', KEY1]), /Invalid account name/);
  });

  it('remove without --yes refuses when stdin is not a terminal; --yes removes', async () => {
    expect((await run(['accounts', 'add-key', 'gone', '--key', KEY1])).code).toBe(0);
    const refused = await run(['accounts', 'remove', 'gone']);
    expectOneLineError(refused, /use --yes to confirm/, 2);
    expect(await listJson()).toHaveLength(1);

    const removed = await run(['accounts', 'remove', 'gone', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await listJson()).toEqual([]);

    expectOneLineError(await run(['accounts', 'remove', 'gone', '--yes']), /^ccflare: No account named "gone"$/);
  });

  it('remove on a terminal asks for the name and removes only when it is typed', async () => {
    expect((await run(['accounts', 'add-key', 'gone', '--key', KEY1])).code).toBe(0);
    const wrong = await run(['accounts', 'remove', 'gone'], { tty: true, input: 'gon\n' });
    expect(wrong.stdout).toBe('Type the account name to remove "gone": ');
    expectOneLineError(wrong, /^ccflare: the typed name does not match; nothing was removed$/);
    expect(await listJson()).toHaveLength(1);

    const typed = await run(['accounts', 'remove', 'gone'], { tty: true, input: 'gone\n' });
    expect(typed.code, typed.stderr).toBe(0);
    expect(typed.stdout).toBe('Type the account name to remove "gone": Removed account "gone".\n');
    expect(await listJson()).toEqual([]);
  });

  it('pause, resume, rename and priority show in list --json', async () => {
    expect((await run(['accounts', 'add-key', 'acc', '--key', KEY1])).code).toBe(0);

    expect((await run(['accounts', 'pause', 'acc'])).code).toBe(0);
    expect((await listJson())[0]).toMatchObject({ name: 'acc', paused: true, status: 'paused' });

    expect((await run(['accounts', 'resume', 'acc'])).code).toBe(0);
    expect((await listJson())[0]).toMatchObject({ name: 'acc', paused: false, status: 'active' });

    const renamed = await run(['accounts', 'rename', 'acc', 'renamed']);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect((await listJson()).map((v) => v.name)).toEqual(['renamed']);

    const prio = await run(['accounts', 'priority', 'renamed', '42']);
    expect(prio.code, prio.stderr).toBe(0);
    expect((await listJson())[0]).toMatchObject({ name: 'renamed', priority: 42 });

    expectOneLineError(await run(['accounts', 'priority', 'renamed', '1001']), /0 to 1000/, 2);
    expectOneLineError(await run(['accounts', 'pause', 'acc']), /No account named "acc"/);
  });

  it('--home selects the data directory', async () => {
    const other = tempHome();
    try {
      const r = await run(['--home', other, 'accounts', 'add-key', 'elsewhere', '--key', KEY1]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(other, 'ccflare.db'))).toBe(true);
      expect(existsSync(join(home, 'ccflare.db'))).toBe(false);
      const there = await run(['accounts', 'list', '--json', '--home', other]);
      expect(JSON.parse(there.stdout)).toHaveLength(1);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('a data directory that does not exist (a mistyped --home)', () => {
  it('is named by every command that shows or changes what must be there, and is not created', async () => {
    const typo = join(home, 'typo');
    const port = String(await freePort());
    const commands = [
      ['accounts', 'list'],
      ['accounts', 'list', '--json'],
      ['accounts', 'pause', 'a'],
      ['accounts', 'resume', 'a'],
      ['accounts', 'rename', 'a', 'b'],
      ['accounts', 'priority', 'a', '3'],
      ['accounts', 'remove', 'a', '--yes'],
      ['keys', 'list'],
      ['keys', 'limits', 'laptop', '--rpm', '60'],
      ['keys', 'revoke', 'laptop'],
      ['keys', 'admin', '--remove'],
      ['notify', 'list'],
      ['notify', 'rules'],
      ['notify', 'edit', 'ops', '--disable'],
      ['notify', 'test', 'ops'],
      ['notify', 'remove', 'ops'],
      ['config', 'list'],
      ['config', 'get', 'strategy'],
      ['config', 'unset', 'strategy'],
      ['agents', 'list'],
      ['agents', 'show', 'reviewer'],
      ['agents', 'reset-model', 'reviewer'],
      ['workspaces', 'list'],
    ];
    for (const args of commands) {
      const r = await runCommand(args, { home: typo, env: { CCFLARE_PORT: port } });
      expect([args, r.code, r.stdout]).toEqual([args, 1, '']);
      expect(r.stderr).toBe(
        `ccflare: nothing is set up at ${join(typo, 'ccflare.db')}: no such database (add an account with ` +
          '`ccflare accounts add` to start one, or point --home or CCFLARE_HOME at the data directory the gateway uses)\n',
      );
    }
    expect(existsSync(typo)).toBe(false);
  });

  it('is created by the commands that add the first thing', async () => {
    const typo = join(home, 'new');
    const r = await runCommand(['keys', 'create', 'laptop'], { home: typo });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(typo, 'ccflare.db'))).toBe(true);
  });
});

describe('ccflare usage and configuration errors', () => {
  it('an invalid CCFLARE_PORT fails with a message naming it', async () => {
    const r = await run(['serve'], { env: { CCFLARE_PORT: 'eighty' } });
    expectOneLineError(r, /CCFLARE_PORT.*an integer from 0 to 65535/);
    const list = await run(['accounts', 'list'], { env: { CCFLARE_PORT: '-5' } });
    expectOneLineError(list, /CCFLARE_PORT/);
    // A flag is named as it was typed.
    const flag = await run(['serve', '--port', '99999']);
    expectOneLineError(flag, /^ccflare: Invalid --port \(CCFLARE_PORT\): "99999"; expected an integer from 0 to 65535/);
  });

  it('a data directory that is a file is named, with what to do', async () => {
    const file = join(home, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await runCommand(['accounts', 'add-key', 'a', '--key', 'sk-ant-api03-x'], { home: join(file, 'home') });
    expectOneLineError(
      r,
      new RegExp(`^ccflare: cannot use ${join(file, 'home')} as the data directory \\(a file is in the way\\)`),
    );
  });

  it('serve refuses a non-loopback host without an admin key', async () => {
    const r = await run(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(r.server).toBeNull();
    expectOneLineError(r, /^ccflare: Refusing to listen on 0\.0\.0\.0 without an admin key: set CCFLARE_ADMIN_KEY/);
  });

  it('usage errors come out as one line with exit code 2', async () => {
    expectOneLineError(await run(['acounts']), /unknown command 'acounts'/, 2);
    expectOneLineError(await run(['accounts', 'add', 'x']), /--mode/, 2);
    expectOneLineError(await run(['accounts', 'add', 'x', '--mode', 'pro']), /--mode/, 2);
    expectOneLineError(await run(['accounts', 'list', '--bogus']), /unknown option '--bogus'/, 2);
    expectOneLineError(await run(['accounts', 'rename', 'only-one']), /missing required argument/, 2);
  });

  it('--url with a command that works on the database directly is refused, not silently ignored', async () => {
    for (const args of [
      ['accounts', 'pause', 'team'],
      ['accounts', 'list'],
      ['keys', 'list'],
      ['notify', 'list'],
    ]) {
      expectOneLineError(
        await run(['--url', 'http://127.0.0.1:9', ...args]),
        /^ccflare: --url names a running gateway, but this command works on a data directory's database directly/,
        2,
      );
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
    }
  });

  it('--help succeeds', async () => {
    const r = await run(['accounts', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('add-key');
  });

  it('--help lists every command, though each is loaded only when it runs', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const commands = r.stdout.slice(r.stdout.indexOf('\nCommands:'));
    const listed = [...commands.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual([
      'serve',
      'accounts',
      'config',
      'keys',
      'agents',
      'workspaces',
      'stats',
      'requests',
      'analyze',
      'reset-stats',
      'clear-history',
      'logs',
      'import',
      'export',
      'migrate',
      'connect',
      'disconnect',
      'notify',
      'conversations',
      'simulate',
      'workers',
      'approvals',
      'help',
    ]);
    // Global options before the command, in either form, still find it.
    expect((await run(['accounts', 'add-key', 'here', '--key', KEY1])).code).toBe(0);
    const other = tempHome();
    try {
      for (const args of [
        ['--home', other, 'accounts', 'list', '--json'],
        [`--home=${other}`, '--verbose', 'accounts', 'list', '--json'],
      ]) {
        // The error names the other directory, not the one with the account.
        const listing = await run(args);
        expect([listing.code, listing.stdout]).toEqual([1, '']);
        expect(listing.stderr).toContain(`nothing is set up at ${join(other, 'ccflare.db')}:`);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('ccflare accounts add (OAuth, against a fake authorization server)', () => {
  let fake: FakeOAuth;
  let env: Record<string, string>;

  beforeEach(async () => {
    fake = await startFakeOAuth();
    env = { CCFLARE_OAUTH_TOKEN_URL: fake.tokenUrl, CCFLARE_OAUTH_AUTHORIZE_URL: fake.authorizeUrl };
  });

  afterEach(async () => {
    await fake.close();
  });

  /** Reads the printed authorize URL, then pastes `code#<state>` as a person would. */
  async function addInteractively(args: string[], paste: (state: string) => string): Promise<CliRun> {
    const c = startCommand(['accounts', 'add', ...args], { home, env });
    const prompted = vi.waitFor(
      () => {
        expect(c.stdout()).toContain('Paste the code');
        const url = /(https?:\/\/\S+)/.exec(c.stdout())?.[1] as string;
        const state = new URL(url).searchParams.get('state');
        if (!state) throw new Error(`no state in ${url}`);
        return state;
      },
      { timeout: 10_000, interval: 5 },
    );
    const exited = c.done.then((r) => {
      throw new Error(`exited before prompting: ${r.stderr}${r.stdout}`);
    });
    const state = await Promise.race([prompted, exited]);
    c.stdin.end(`${paste(state)}\n`);
    return c.done;
  }

  it('max: stores an OAuth account from the pasted code#state', async () => {
    const r = await addInteractively(
      ['sub', '--mode', 'max', '--no-browser', '--priority', '1'],
      (s) => `good-code123#${s}`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(fake.authorizeUrl);
    expect(r.stdout).toContain('Added account "sub"');
    expect(fake.exchangeCalls).toBe(1);

    const raw = await run(['accounts', 'list', '--json'], { env });
    const [view] = JSON.parse(raw.stdout) as Record<string, unknown>[];
    expect(view).toMatchObject({ name: 'sub', kind: 'max', status: 'active', priority: 1 });
    expect(typeof view?.tokenExpiresAt).toBe('number');
    expect(view?.tokenExpiresAt as number).toBeGreaterThan(Date.now());
    expect(raw.stdout).not.toMatch(/Enc"|refreshFp|v1:/);
  });

  it('console: mints an API key through the upstream and stores it', async () => {
    env = { ...env, CCFLARE_OAUTH_CONSOLE_AUTHORIZE_URL: fake.authorizeUrl, CCFLARE_UPSTREAM_URL: fake.url };
    const r = await addInteractively(['con', '--mode', 'console', '--no-browser'], (s) => `good-c#${s}`);
    expect(r.code, r.stderr).toBe(0);
    expect(fake.mintedKeys).toHaveLength(1);
    const raw = await run(['accounts', 'list', '--json'], { env });
    expect(JSON.parse(raw.stdout)).toMatchObject([{ name: 'con', kind: 'console', status: 'active' }]);
    expect(raw.stdout).not.toContain(fake.mintedKeys[0]);
    expect(dbBytes(home).includes(fake.mintedKeys[0] as string)).toBe(false);
  });

  it('a pasted state that does not match fails clearly and stores nothing', async () => {
    const r = await addInteractively(['sub', '--mode', 'max', '--no-browser'], () => 'good-code123#not-the-state');
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ccflare: .*state/i);
    expect(fake.exchangeCalls).toBe(0);
    expect(await listJson(env)).toEqual([]);
  });

  it('stdin closing before a code is pasted fails instead of hanging', async () => {
    const r = await run(['accounts', 'add', 'sub', '--mode', 'max', '--no-browser'], { env });
    expectOneLineError(r, /stdin closed/);
  });
});

describe('bin/ccflare, the built binary', () => {
  it('reads a key from a piped stdin, prints list --json and exits with each command’s code', async () => {
    const added = await runBinary(['accounts', 'add-key', 'piped'], { home, input: `${KEY1}\n` });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('Added account "piped" (api_key, priority 0).\n');

    const list = await runBinary(['accounts', 'list', '--json'], { home });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'piped', kind: 'api_key', status: 'active' }]);

    expectOneLineError(await runBinary(['acounts'], { home }), /unknown command 'acounts'/, 2);
  });
});
