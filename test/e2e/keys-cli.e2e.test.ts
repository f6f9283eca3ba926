/**
 * `ccflare keys ...` run in process (test/support/cli-io.ts) on the data directory a running
 * gateway uses: keys created and revoked from the command line reach live traffic within two
 * seconds, and no key is ever written anywhere but stdout and admin.key.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, dbBytes, runCommand } from '../support/cli-io.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { timeUntil } from '../support/wait.js';

/** How long a wait for a key change goes on before the test fails (a bound for a stuck test, not a promise). */
const WAIT_MS = 10_000;

function run(home: string, ...args: string[]): Promise<CliRun> {
  return runCommand(args, { home });
}

/**
 * Waits for `check` to pass: the gateway picks CLI changes up on its keys poll (its interval is
 * src/revision-watch.test.ts's business, with fake timers; no duration is asserted here).
 */
const until = (check: () => Promise<unknown>) => timeUntil(check, WAIT_MS);

describe('ccflare keys against a running gateway', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  const secrets: string[] = [];

  beforeAll(async () => {
    up = await startFakeUpstream();
    // The gateway's real one-second poll: the promise to users is about this setting.
    gw = await startGateway({
      upstreamUrl: up.url,
      accountPollMs: 1000,
      setup: (g) => g.addApiKey('main', 'sk-ant-api03-keys-cli-account').then(() => {}),
    });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  const ask = (client: Anthropic) =>
    client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
  const accepted = async (client: Anthropic) => {
    try {
      await ask(client);
      return true;
    } catch (err) {
      if (err instanceof Anthropic.AuthenticationError) return false;
      throw err;
    }
  };

  it('starts with no keys and an open proxy', async () => {
    const r = await run(gw.home, 'keys', 'list');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^No client keys/);
    const json = await run(gw.home, 'keys', 'list', '--json');
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(await accepted(new Anthropic({ baseURL: gw.url, apiKey: 'whatever', maxRetries: 0 }))).toBe(true);
  });

  it('create prints the key once (text and --json); the running gateway then requires keys', async () => {
    const text = await run(gw.home, 'keys', 'create', 'laptop');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toBe('');
    const key = /^(ccf_[0-9A-Za-z]{40})$/m.exec(text.stdout)?.[1] as string;
    expect(key).toBeDefined();
    secrets.push(key);
    expect(text.stdout).toContain(`Created client key "laptop" (${key.slice(0, 8)})`);
    expect(text.stdout).toMatch(/first client key/);

    const json = await run(gw.home, 'keys', 'create', 'ci', '--json');
    expect(json.code, json.stderr).toBe(0);
    const created = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(created).toMatchObject({ name: 'ci', active: true, revokedAt: null, lastUsedAt: null });
    expect(created.key).toMatch(/^ccf_[0-9A-Za-z]{40}$/);
    expect(created.prefix).toBe((created.key as string).slice(0, 8));
    secrets.push(created.key as string);

    const anonymous = new Anthropic({ baseURL: gw.url, apiKey: 'whatever', maxRetries: 0 });
    const ci = new Anthropic({ baseURL: gw.url, apiKey: null, authToken: created.key as string, maxRetries: 0 });
    await until(async () => expect(await accepted(anonymous), 'keys required').toBe(false));
    // The gateway may have picked up "laptop" before "ci" was created: both must work.
    await until(async () => expect(await accepted(ci), 'ci key accepted').toBe(true));
    await gw.settle();
    expect(await accepted(new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 }))).toBe(true);
    expect(await accepted(ci)).toBe(true);
    const names = (await gw.records(2)).map((r) => r.clientKey).sort();
    expect(names).toEqual(['ci', 'laptop']);

    const dup = await run(gw.home, 'keys', 'create', 'laptop');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^ccflare: Client key "laptop" already exists\n$/);
    const bad = await run(gw.home, 'keys', 'create', 'no/slashes');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid key name/);
  });

  it('list shows names, prefixes, times and status, never the keys', async () => {
    const text = await run(gw.home, 'keys', 'list');
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+PREFIX\s+CREATED\s+LAST USED\s+STATUS\s+RPM\s+TOKENS TODAY\s+COST THIS MONTH\s+MODELS$/,
    );
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['laptop', 'ci']);
    expect(lines[1]).toMatch(/\bccf_[0-9A-Za-z]{4}\b.*\bactive\s+-\s+\S+\s+\$\d+\.\d{2,4}\s+any$/);
    const json = JSON.parse((await run(gw.home, 'keys', 'list', '--json')).stdout) as Record<string, unknown>[];
    expect(json.map((k) => k.name)).toEqual(['laptop', 'ci']);
    expect(Object.keys(json[0] as object).sort()).toEqual(
      ['active', 'createdAt', 'id', 'lastUsedAt', 'limits', 'name', 'prefix', 'revokedAt', 'use'].sort(),
    );
    for (const s of secrets) {
      expect(text.stdout).not.toContain(s);
      expect(JSON.stringify(json)).not.toContain(s);
    }
  });

  it('limits caps a key on the running gateway within 2 s; list shows use against each limit; --clear lifts them', async () => {
    const laptop = new Anthropic({ baseURL: gw.url, apiKey: secrets[0] as string, maxRetries: 0 });
    const limited = async () => {
      try {
        await ask(laptop);
        return false;
      } catch (err) {
        if (err instanceof Anthropic.RateLimitError) return true;
        throw err;
      }
    };
    const set = await run(
      gw.home,
      'keys',
      'limits',
      'laptop',
      '--rpm',
      '1',
      '--tokens-per-day',
      '2M',
      '--models',
      'haiku,sonnet',
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(
      'Client key "laptop": 1 request per minute; 2,000,000 tokens per day; models haiku, sonnet.\n',
    );
    // The limit counts from when the gateway read it: the first request after is admitted, the next refused.
    await timeUntil(async () => expect(await limited(), 'rpm limit enforced').toBe(true), 2000);
    await gw.settle();
    const list = await run(gw.home, 'keys', 'list');
    expect(list.stdout).toMatch(/^laptop\s+.*\bactive\s+\d+\/1\s+\S+\/2M\s+\$\d+\.\d{2,4}\s+haiku,sonnet$/m);

    const cost = await run(gw.home, 'keys', 'limits', 'laptop', '--cost-per-month', '$50', '--rpm', 'off', '--json');
    expect(JSON.parse(cost.stdout).limits).toEqual({
      rpm: null,
      tokensPerDay: 2_000_000,
      costPerMonthUsd: 50,
      models: ['haiku', 'sonnet'],
    });
    const cleared = await run(gw.home, 'keys', 'limits', 'laptop', '--clear');
    expect(cleared.stdout).toBe('Client key "laptop": no limits.\n');
    await timeUntil(async () => expect(await limited(), 'limits lifted').toBe(false), 2000);

    const bad = await run(gw.home, 'keys', 'limits', 'laptop', '--rpm', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rpm takes a whole number/);
    const model = await run(gw.home, 'keys', 'limits', 'laptop', '--models', 'gpt-4o');
    expect(model.code).toBe(1);
    expect(model.stderr).toMatch(/Invalid limits: models\.0 each model must be/);
    const nobody = await run(gw.home, 'keys', 'limits', 'nobody', '--rpm', '5');
    expect(nobody.stderr).toMatch(/no active client key named "nobody"/);
  });

  it('revoke stops a key on the running gateway; the list marks it revoked', async () => {
    const laptop = new Anthropic({ baseURL: gw.url, apiKey: secrets[0] as string, maxRetries: 0 });
    const r = await run(gw.home, 'keys', 'revoke', 'laptop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Revoked client key "laptop" \(ccf_[0-9A-Za-z]{4}\)\.\n$/);
    await until(async () => expect(await accepted(laptop), 'revocation enforced').toBe(false));
    const list = (await run(gw.home, 'keys', 'list')).stdout;
    expect(list).toMatch(/^laptop\s+ccf_\w{4}\s+.*revoked \S+/m);
    const again = await run(gw.home, 'keys', 'revoke', 'laptop');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/No active client key named "laptop"/);
    // The last key: the proxy is open again, and the command says so.
    const last = await run(gw.home, 'keys', 'revoke', 'ci');
    expect(last.stdout).toMatch(
      /^Revoked client key "ci" \(ccf_\w{4}\)\.\nNo active client key is left: \/v1\/\* accepts requests without a key again/,
    );
    expect((await run(gw.home, 'keys', 'revoke', 'ci', '--json')).code).toBe(1);
  });

  it('admin creates a key once, saves admin.key (0600), protects /api on the running gateway; --rotate replaces it', async () => {
    const r = await run(gw.home, 'keys', 'admin');
    expect(r.code, r.stderr).toBe(0);
    const key = /^(ccfa_[0-9A-Za-z]{40})$/m.exec(r.stdout)?.[1] as string;
    expect(key).toBeDefined();
    secrets.push(key);
    const file = join(gw.home, 'admin.key');
    expect(readFileSync(file, 'utf8')).toBe(`${key}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    await until(async () => expect((await fetch(`${gw.url}/api/keys`)).status, 'admin key enforced').toBe(401));
    const ok = await fetch(`${gw.url}/api/keys`, { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);

    const twice = await run(gw.home, 'keys', 'admin');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already exists: use --rotate/);

    const rotated = await run(gw.home, 'keys', 'admin', '--rotate', '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = JSON.parse(rotated.stdout) as { key: string; file: string };
    secrets.push(next.key);
    expect(next.key).not.toBe(key);
    expect(next.file).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe(`${next.key}\n`);
    await until(async () => {
      const old = await fetch(`${gw.url}/api/keys`, { headers: { authorization: `Bearer ${key}` } });
      expect(old.status, 'old admin key refused').toBe(401);
    });
    expect((await fetch(`${gw.url}/api/keys`, { headers: { 'x-ccflare-admin-key': next.key } })).status).toBe(200);

    const removed = await run(gw.home, 'keys', 'admin', '--remove');
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    await until(async () => expect((await fetch(`${gw.url}/api/keys`)).status, 'admin key lifted').toBe(200));
  });

  it('never writes a key to the database file or the gateway logs', async () => {
    await gw.settle();
    const bytes = dbBytes(gw.home);
    const logs = gw.logs.join('\n');
    expect(secrets.length).toBe(4);
    for (const s of secrets) {
      expect(bytes.includes(Buffer.from(s))).toBe(false);
      expect(bytes.includes(Buffer.from(s.slice(9)))).toBe(false);
      expect(logs.includes(s.slice(9))).toBe(false);
    }
  });
});

describe('ccflare serve on a non-loopback host', () => {
  it('starts with an admin key created by `keys admin` and a client key, or open only when allowed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ccflare-keys-serve-'));
    try {
      const refused = await run(home, 'serve', '--host', '0.0.0.0', '--port', '0');
      expect(refused.code).toBe(1);
      expect(refused.server).toBeNull();
      expect(refused.stderr).toMatch(/without an admin key: .*ccflare keys admin/);

      expect((await run(home, 'keys', 'admin')).code).toBe(0);
      // An admin key alone leaves /v1 open to the network: refused until a client key exists.
      const open = await run(home, 'serve', '--host', '0.0.0.0', '--port', '0');
      expect(open.code).toBe(1);
      expect(open.server).toBeNull();
      expect(open.stderr).toMatch(/no client key exists\. Create one with `ccflare keys create <name>`/);

      const allowed = await runCommand(['serve', '--host', '0.0.0.0', '--port', '0'], {
        home,
        env: { CCFLARE_ALLOW_OPEN_PROXY: 'true', CCFLARE_LOG_FORMAT: 'json' },
      });
      try {
        expect(allowed.code, allowed.stderr).toBe(0);
        const warn = allowed.stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: number; msg: string })
          .find((l) => l.msg.includes('no client key exists'));
        expect(warn?.level, 'the open proxy is logged as a warning').toBe(40);
      } finally {
        await allowed.server?.close();
      }

      expect((await run(home, 'keys', 'create', 'laptop')).code).toBe(0);
      const served = await run(home, 'serve', '--host', '0.0.0.0', '--port', '0');
      try {
        expect(served.code, served.stderr).toBe(0);
        expect(served.server?.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
        expect(served.stderr).toContain('ccflare listening');
        expect(served.stderr).not.toContain('no client key exists');
      } finally {
        await served.server?.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
