/**
 * End to end: the built CLI (bin/ccflare -> dist/src/cli/main.js) as a child process, with a
 * temporary data directory, exactly as a user or a script runs it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOAuth, startFakeOAuth } from '../../test/support/fake-oauth.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO, 'bin', 'ccflare');
const MAIN_JS = join(REPO, 'dist', 'src', 'cli', 'main.js');

const KEY1 = 'sk-ant-api03-CLITESTKEY1-abcdefghijklmnopqrstuvwxyz0123456789';
const KEY2 = 'sk-ant-api03-CLITESTKEY2-zyxwvutsrqponmlkjihgfedcba9876543210';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The parent's CCFLARE_* settings (and a desktop to open browsers on) must not leak into the child. */
function childEnv(home: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CCFLARE_') && k !== 'DISPLAY' && k !== 'WAYLAND_DISPLAY') env[k] = v;
  }
  return { ...env, NO_COLOR: '1', CCFLARE_HOME: home, ...extra };
}

function spawnCli(home: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: childEnv(home, env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/** stdin is a pipe, never a TTY: `input` is written and then closed. */
function run(home: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  const child = spawnCli(home, args, opts.env);
  const done = collect(child);
  child.stdin?.end(opts.input ?? '');
  return done;
}

function expectOneLineError(r: Run, pattern: RegExp, code = 1): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ccflare: /);
  expect(lines[0]).toMatch(pattern);
}

async function listJson(home: string): Promise<Record<string, unknown>[]> {
  const r = await run(home, ['accounts', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

function dbBytes(home: string): Buffer {
  // After close SQLite folds the WAL back in, but read any leftover journal files too.
  const files = ['ccflare.db', 'ccflare.db-wal', 'ccflare.db-journal'].map((f) => join(home, f));
  return Buffer.concat(files.filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

beforeAll(() => {
  const started = Date.now();
  let output = '';
  try {
    execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (e) {
    // tsc still emits when other modules have type errors; only ours must be clean here.
    output = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
  }
  const ours = output.split('\n').filter((l) => /^src\/(cli\/|accounts\/account-s|config\/)/.test(l));
  if (ours.length > 0) throw new Error(`build errors in the CLI:\n${ours.join('\n')}`);
  if (!existsSync(MAIN_JS) || statSync(MAIN_JS).mtimeMs < started - 1000) {
    throw new Error(`build did not produce ${MAIN_JS}:\n${output}`);
  }
}, 240_000);

describe('ccflare accounts (API keys)', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-cli-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('adds keys via --key and via stdin; list --json and the database never show them', async () => {
    const a = await run(home, ['accounts', 'add-key', 'one', '--key', KEY1, '--priority', '2']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.stdout).toContain('"one"');

    const b = await run(home, ['accounts', 'add-key', 'two'], { input: `  ${KEY2}\n` });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).not.toContain(KEY2);

    const raw = await run(home, ['accounts', 'list', '--json']);
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

    const table = await run(home, ['accounts', 'list']);
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

  it('refuses an empty key from stdin', async () => {
    const r = await run(home, ['accounts', 'add-key', 'empty'], { input: '\n' });
    expectOneLineError(r, /empty/i);
    expect(await listJson(home)).toEqual([]);
  });

  it('a duplicate name fails with one line and changes nothing', async () => {
    expect((await run(home, ['accounts', 'add-key', 'dup', '--key', KEY1])).code).toBe(0);
    const r = await run(home, ['accounts', 'add-key', 'dup', '--key', KEY2]);
    expectOneLineError(r, /"dup" already exists/);
    expect(await listJson(home)).toHaveLength(1);
  });

  it('an invalid name fails with one line', async () => {
    expectOneLineError(await run(home, ['accounts', 'add-key', 'bad name', '--key', KEY1]), /Invalid account name/);
  });

  it('remove without --yes refuses when stdin is not a terminal; --yes removes', async () => {
    expect((await run(home, ['accounts', 'add-key', 'gone', '--key', KEY1])).code).toBe(0);
    const refused = await run(home, ['accounts', 'remove', 'gone']);
    expectOneLineError(refused, /use --yes to confirm/, 2);
    expect(await listJson(home)).toHaveLength(1);

    const removed = await run(home, ['accounts', 'remove', 'gone', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await listJson(home)).toEqual([]);

    expectOneLineError(await run(home, ['accounts', 'remove', 'gone', '--yes']), /^ccflare: No account named "gone"$/);
  });

  it('pause, resume, rename and priority show in list --json', async () => {
    expect((await run(home, ['accounts', 'add-key', 'acc', '--key', KEY1])).code).toBe(0);

    expect((await run(home, ['accounts', 'pause', 'acc'])).code).toBe(0);
    expect((await listJson(home))[0]).toMatchObject({ name: 'acc', paused: true, status: 'paused' });

    expect((await run(home, ['accounts', 'resume', 'acc'])).code).toBe(0);
    expect((await listJson(home))[0]).toMatchObject({ name: 'acc', paused: false, status: 'active' });

    const renamed = await run(home, ['accounts', 'rename', 'acc', 'renamed']);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect((await listJson(home)).map((v) => v.name)).toEqual(['renamed']);

    const prio = await run(home, ['accounts', 'priority', 'renamed', '42']);
    expect(prio.code, prio.stderr).toBe(0);
    expect((await listJson(home))[0]).toMatchObject({ name: 'renamed', priority: 42 });

    expectOneLineError(await run(home, ['accounts', 'priority', 'renamed', '1001']), /0 to 1000/, 2);
    expectOneLineError(await run(home, ['accounts', 'pause', 'acc']), /No account named "acc"/);
  });

  it('--home selects the data directory', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ccflare-cli-'));
    try {
      const r = await run(home, ['--home', other, 'accounts', 'add-key', 'elsewhere', '--key', KEY1]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(other, 'ccflare.db'))).toBe(true);
      expect(await listJson(home)).toEqual([]);
      const there = await run(home, ['accounts', 'list', '--json', '--home', other]);
      expect(JSON.parse(there.stdout)).toHaveLength(1);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('ccflare usage and configuration errors', () => {
  let home: string;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-cli-'));
  });

  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('an invalid CCFLARE_PORT fails with a message naming it', async () => {
    const r = await run(home, ['serve'], { env: { CCFLARE_PORT: 'eighty' } });
    expectOneLineError(r, /CCFLARE_PORT.*an integer from 0 to 65535/);
    const list = await run(home, ['accounts', 'list'], { env: { CCFLARE_PORT: '-5' } });
    expectOneLineError(list, /CCFLARE_PORT/);
  });

  it('serve refuses a non-loopback host without an admin key', async () => {
    const r = await run(home, ['serve', '--host', '0.0.0.0', '--port', '0']);
    expectOneLineError(r, /^ccflare: Refusing to listen on 0\.0\.0\.0 without an admin key: set CCFLARE_ADMIN_KEY/);
  });

  it('usage errors come out as one line with exit code 2', async () => {
    expectOneLineError(await run(home, ['acounts']), /unknown command 'acounts'/, 2);
    expectOneLineError(await run(home, ['accounts', 'add', 'x']), /--mode/, 2);
    expectOneLineError(await run(home, ['accounts', 'add', 'x', '--mode', 'pro']), /--mode/, 2);
    expectOneLineError(await run(home, ['accounts', 'list', '--bogus']), /unknown option '--bogus'/, 2);
    expectOneLineError(await run(home, ['accounts', 'rename', 'only-one']), /missing required argument/, 2);
  });

  it('--help succeeds', async () => {
    const r = await run(home, ['accounts', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('add-key');
  });
});

describe('ccflare accounts add (OAuth, against a fake authorization server)', () => {
  let home: string;
  let fake: FakeOAuth;
  let env: Record<string, string>;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-cli-'));
    fake = await startFakeOAuth();
    env = { CCFLARE_OAUTH_TOKEN_URL: fake.tokenUrl, CCFLARE_OAUTH_AUTHORIZE_URL: fake.authorizeUrl };
  });

  afterEach(async () => {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Reads the printed authorize URL, then pastes `code#<state>` as a person would. */
  async function addInteractively(args: string[], paste: (state: string) => string): Promise<Run> {
    const child = spawnCli(home, ['accounts', 'add', ...args], env);
    const done = collect(child);
    let seen = '';
    const state = await new Promise<string>((res, rej) => {
      child.stdout?.on('data', (d: Buffer | string) => {
        seen += d.toString();
        const url = /(https?:\/\/\S+)/.exec(seen)?.[1];
        if (url && seen.includes('Paste the code')) {
          const s = new URL(url).searchParams.get('state');
          if (s) res(s);
          else rej(new Error(`no state in ${url}`));
        }
      });
      child.on('close', () => rej(new Error(`exited before prompting: ${seen}`)));
    });
    child.stdin?.end(`${paste(state)}\n`);
    return done;
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

    const raw = await run(home, ['accounts', 'list', '--json'], { env });
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
    const raw = await run(home, ['accounts', 'list', '--json'], { env });
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
    expect(JSON.parse((await run(home, ['accounts', 'list', '--json'], { env })).stdout)).toEqual([]);
  });

  it('stdin closing before a code is pasted fails instead of hanging', async () => {
    const r = await run(home, ['accounts', 'add', 'sub', '--mode', 'max', '--no-browser'], { env });
    expectOneLineError(r, /stdin closed/);
  });
});
