import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { hasPg } from '../../test/support/pg.js';
import { openPgInstallation, type PgInstallation } from '../../test/support/pg-installation.js';
import { createSecretBox, loadSecretKey } from '../crypto/secret-box.js';
import type { Store } from '../storage/contract/store.js';
import { openStoreFromUrl } from '../storage/open-store.js';
import { buildCcflareFixture, type CcflareFixture } from '../storage/sqlite/__fixtures__/ccflare-db.js';
import type { CcflareImportSummary } from './ccflare-import.js';
import { defaultCcflareDir } from './ccflare-location.js';
import { tierPriority } from './ccflare-tier.js';

let root: string;
let home: string;
let fixture: CcflareFixture;
let workspace: string;

function agentFile(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.md`), `---\nname: ${name}\ndescription: ${name} agent\n---\nYou are ${name}.\n`);
}

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreFromUrl(`sqlite:${join(home, 'ccflare.db')}`);
  try {
    await store.migrate();
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function importJson(args: string[] = []): Promise<CcflareImportSummary> {
  const r = await runCommand(['import', 'ccflare', '--from', fixture.dir, '--json', ...args], { home });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CcflareImportSummary;
}

/** Everything a user can see of the imported data, as one digest. */
async function storeDigest(): Promise<string> {
  return withStore(async (store) => {
    const h = createHash('sha256');
    const accounts = (await store.accounts.list()).map(({ accessTokenEnc, refreshTokenEnc, apiKeyEnc, ...a }) => a);
    h.update(JSON.stringify(accounts));
    h.update(JSON.stringify(await store.settings.get()));
    h.update(JSON.stringify(await store.agents.listPreferences()));
    h.update(JSON.stringify(await store.agents.listWorkspaces()));
    h.update(JSON.stringify(await store.requests.listRecords({ limit: 10_000 })));
    for (const r of fixture.requests.slice(0, 20)) h.update(JSON.stringify(await store.requests.get(r.id)));
    const now = Date.now();
    h.update(
      JSON.stringify(await store.analytics.query({ range: '30d', now, accounts: [], models: [], status: 'all' })),
    );
    const payloadDir = join(home, 'ccflare.db-payloads');
    for (const f of readdirSync(payloadDir).sort()) h.update(`${f}:${statSync(join(payloadDir, f)).size}`);
    return h.digest('hex');
  });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ccflare-import-'));
  home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  workspace = join(root, 'myproj');
  agentFile(join(home, 'claude-agents'), 'code-reviewer');
  agentFile(join(workspace, '.claude', 'agents'), 'test-runner');
  const dir = join(root, 'ccflare-old');
  mkdirSync(dir);
  fixture = buildCcflareFixture(dir, { now: Date.now(), requests: 360, days: 6, workspaces: [workspace] });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ccflare import ccflare', () => {
  it('brings over every account, setting, agent preference and request, figures intact', async () => {
    const r = await runCommand(['import', 'ccflare', '--from', fixture.dir], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Accounts: 5 added, 0 already here, 0 skipped/);
    expect(r.stdout).toMatch(/Requests: 360 in ccflare; 360 imported \(360 with payloads\)/);
    expect(r.stderr).toMatch(/ccflare: import: 360\/360 requests read/);

    await withStore(async (store) => {
      const box = createSecretBox(loadSecretKey(home, undefined));
      const accounts = await store.accounts.list();
      expect(accounts.map((a) => a.name).sort()).toEqual(
        ['home-max5', 'old-laptop', 'spare-pro', 'team-console', 'work-max20'].sort(),
      );
      for (const src of fixture.accounts) {
        const a = accounts.find((x) => x.name === src.name.replace(' ', '-'));
        expect(a, src.name).toBeDefined();
        if (!a) continue;
        expect(a.kind).toBe(src.kind);
        expect(a.priority).toBe(tierPriority(src.tier));
        expect(a.paused).toBe(src.paused);
        expect(a.createdAt).toBe(src.createdAt);
        const served = fixture.requests.filter((q) => q.accountUsed === src.id).length;
        expect(a.requestCount).toBe(served);
        if (src.kind === 'console') {
          expect(box.decrypt(a.apiKeyEnc as string)).toBe(src.apiKey);
          expect(a.refreshTokenEnc).toBeNull();
        } else {
          // Encrypted at rest: the stored blob is not the token, and decrypts to it.
          expect(a.refreshTokenEnc).not.toContain(src.refreshToken);
          expect(box.decrypt(a.refreshTokenEnc as string)).toBe(src.refreshToken);
          expect(a.refreshFp).toBe(box.fingerprint(src.refreshToken));
        }
      }
      // The tier-20 account is tried first, the tier-1 ones last.
      expect(accounts[0]?.name).toBe('work-max20');

      expect(await store.settings.get()).toMatchObject({
        strategy: 'session',
        sessionMs: 4 * 3_600_000,
        requestRetentionDays: 400,
        payloadRetentionDays: 30,
        defaultAgentModel: 'claude-sonnet-4-20250514',
      });

      const prefs = await store.agents.listPreferences();
      expect(prefs.map((p) => [p.agentName, p.model]).sort()).toEqual([
        ['code-reviewer', 'claude-opus-4-20250514'],
        ['test-runner', 'claude-3-5-haiku-20241022'],
      ]);

      expect(await store.requests.count()).toBe(360);
      const byName = new Map(accounts.map((a) => [a.name, a]));
      const nameOf = new Map(fixture.accounts.map((a) => [a.id, a.name.replace(' ', '-')]));
      const sample = fixture.requests.filter((_, i) => i % 37 === 0);
      for (const src of sample) {
        const got = await store.requests.get(src.id);
        expect(got, src.id).not.toBeNull();
        if (!got) continue;
        expect(got.ts).toBe(src.timestamp);
        expect(got.modelApplied).toBe(src.model);
        expect(got.status).toBe(src.statusCode);
        expect(got.success).toBe(src.success);
        expect(got.costUsd).toBe(src.costUsd);
        const account = src.accountUsed === null ? undefined : nameOf.get(src.accountUsed);
        expect(got.accountName).toBe(account ?? null);
        expect(got.accountId).toBe(account === undefined ? null : byName.get(account)?.id);
        if (src.success) {
          expect(got.inputTokens).toBe(src.inputTokens);
          expect(got.cacheReadTokens).toBe(src.cacheReadTokens);
          expect(got.cacheWrite5mTokens).toBe(src.cacheCreationTokens);
          expect(got.outputTokens).toBe(src.outputTokens);
        }
        expect(got.agent).toBe(src.agentUsed === null ? null : src.agentUsed.replace(/^.*:/, ''));
        expect(got.stream).toBe(src.stream);
        expect(got.payload?.requestBody).toBe(src.requestBody);
        expect(got.payload?.responseBody).toBe(src.responseBody);
        expect(JSON.parse(got.payload?.requestHeaders ?? '{}').authorization).toBe('[redacted]');
      }

      // The analytics read the rollups: imported requests count there too.
      const q = await store.analytics.query({ range: '7d', now: Date.now(), accounts: [], models: [], status: 'all' });
      expect(q.totals.requests).toBe(360);
      const cost = fixture.requests.reduce((s, x) => s + x.costUsd, 0);
      expect(q.totals.costUsd).toBeCloseTo(cost, 6);
      expect(q.totals.tokens.output).toBe(fixture.requests.reduce((s, x) => s + x.outputTokens, 0));
    });
  });

  it('a second run changes nothing', async () => {
    await importJson();
    const before = await storeDigest();
    const second = await importJson();
    expect(await storeDigest()).toBe(before);
    expect(second.accounts.added).toEqual([]);
    expect(second.accounts.present.map((p) => p.name).sort()).toHaveLength(5);
    expect(second.settings.applied).toEqual([]);
    expect(second.settings.present).toHaveLength(5);
    expect(second.agentPreferences.applied).toEqual([]);
    expect(second.agentPreferences.present.sort()).toEqual(['code-reviewer', 'myproj:test-runner']);
    expect(second.requests).toMatchObject({ inSource: 360, imported: 0, alreadyPresent: 360 });
  });

  it('leaves the ccflare installation untouched', async () => {
    const snapshot = (names: string[]) =>
      names.map((f) => {
        const p = join(fixture.dir, f);
        return `${f}:${statSync(p).mtimeMs}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      });
    const files = readdirSync(fixture.dir).sort();
    const before = snapshot(files);
    await importJson();
    expect(snapshot(files)).toEqual(before);
    // A reader of a WAL database may leave SQLite's index files beside it, as ccflare itself does;
    // the log holds nothing: nothing was written.
    const wal = join(fixture.dir, 'ccflare.db-wal');
    if (readdirSync(fixture.dir).includes('ccflare.db-wal')) expect(statSync(wal).size).toBe(0);
  });

  it('reports what it could not bring, and why', async () => {
    const s = await importJson();
    expect(s.accounts.added.find((a) => a.ccflareName === 'old laptop')?.name).toBe('old-laptop');
    expect(s.agentPreferences.skipped).toEqual([
      { item: 'ghost-agent', reason: expect.stringMatching(/no agent file ghost-agent\.md/) },
    ]);
    expect(s.settings.skipped.map((x) => x.item).sort()).toEqual(['port', 'retry_attempts']);
    expect(s.settings.skipped.find((x) => x.item === 'port')?.reason).toMatch(/CCFLARE_PORT/);
    expect(s.interceptor.imported).toBe(false);
  });

  it('keeps an account of the same name already here, and one of another kind is skipped with the reason', async () => {
    await withStore(async (store) => {
      await store.accounts.insert({ name: 'team-console', kind: 'max', priority: 3 }, 1);
    });
    const s = await importJson();
    expect(s.accounts.skipped).toEqual([
      { item: 'team-console', reason: expect.stringMatching(/already exists here as a max account/) },
    ]);
    await withStore(async (store) => {
      expect((await store.accounts.getByName('team-console'))?.priority).toBe(3);
    });
  });

  it('keeps the credentials of an account of the same name and kind already here', async () => {
    await withStore(async (store) => {
      const box = createSecretBox(loadSecretKey(home, undefined));
      await store.accounts.insert({ name: 'team-console', kind: 'console', apiKeyEnc: box.encrypt('sk-ant-mine') }, 1);
    });
    const s = await importJson();
    expect(s.accounts.present).toEqual([{ name: 'team-console', note: "kept this gateway's credentials" }]);
    await withStore(async (store) => {
      const box = createSecretBox(loadSecretKey(home, undefined));
      const a = await store.accounts.getByName('team-console');
      expect(box.decrypt(a?.apiKeyEnc as string)).toBe('sk-ant-mine');
      // Its ccflare history is attributed to it.
      const served = fixture.requests.filter((r) => r.accountUsed === fixture.accounts[3]?.id).length;
      expect(a?.requestCount).toBe(served);
    });
  });

  it('stops before writing anything when ccflare.json is broken', async () => {
    writeFileSync(fixture.configPath, '{"lb_strategy": "session",');
    const r = await runCommand(['import', 'ccflare', '--from', fixture.dir], { home });
    expectOneLineError(r, /ccflare\.json is not valid JSON .*fix or move it and run again/);
    // Not even an empty installation and a key for it.
    expect(readdirSync(home)).toEqual(['claude-agents']);
    writeFileSync(fixture.configPath, '[]');
    expectOneLineError(
      await runCommand(['import', 'ccflare', '--from', fixture.dir], { home }),
      /ccflare\.json is not a JSON object/,
    );
    expect(readdirSync(home)).toEqual(['claude-agents']);
    await withStore(async (store) => {
      expect(await store.accounts.list()).toEqual([]);
      expect(await store.requests.count()).toBe(0);
    });
  });

  it('--dry-run shows the plan and writes nothing', async () => {
    const s = await importJson(['--dry-run']);
    expect(s.dryRun).toBe(true);
    expect(s.accounts.added).toHaveLength(5);
    expect(s.requests.imported).toBe(360);
    await withStore(async (store) => {
      expect(await store.accounts.list()).toEqual([]);
      expect(await store.requests.count()).toBe(0);
      expect(await store.settings.get()).toEqual({});
    });
  });

  it('finds ccflare in its default folder ($XDG_CONFIG_HOME/ccflare)', async () => {
    const r = await runCommand(['import', 'ccflare', '--json'], { home, env: { XDG_CONFIG_HOME: root } });
    expectOneLineError(
      r,
      /No ccflare installation found: .*ccflare-import-.*\/ccflare\/ccflare\.db does not exist; name it with --from/,
    );
    const { renameSync } = await import('node:fs');
    renameSync(fixture.dir, join(root, 'ccflare'));
    const ok = await runCommand(['import', 'ccflare', '--json'], { home, env: { XDG_CONFIG_HOME: root } });
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as CcflareImportSummary).requests.imported).toBe(360);
  });

  it('gives a clear error for a bad path and for a file that is no ccflare database', async () => {
    expectOneLineError(
      await runCommand(['import', 'ccflare', '--from', join(root, 'nope')], { home }),
      /--from .*nope: no such file or folder/,
    );
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expectOneLineError(
      await runCommand(['import', 'ccflare', '--from', empty], { home }),
      /the folder has no ccflare\.db/,
    );
    const text = join(root, 'notes.txt');
    writeFileSync(text, 'hello, not a database\n'.repeat(100));
    expectOneLineError(
      await runCommand(['import', 'ccflare', '--from', text], { home }),
      /notes\.txt is not a readable SQLite database/,
    );
    // This gateway's own database is refused by what it is.
    await withStore(async () => {});
    const other = join(root, 'other-home');
    mkdirSync(other);
    expectOneLineError(
      await runCommand(['import', 'ccflare', '--from', join(home, 'ccflare.db')], { home: other }),
      /is a database of this gateway, not of the original ccflare/,
    );
    // ccflare's database and this gateway's at the same path: nothing is opened for writing.
    const before = readFileSync(fixture.dbPath);
    expectOneLineError(
      await runCommand(['import', 'ccflare', '--from', fixture.dir], { home: fixture.dir }),
      /is both ccflare's database and this gateway's/,
    );
    expect(readFileSync(fixture.dbPath).equals(before)).toBe(true);
    // On a fresh install the shared default path holds this gateway's own data: no advice to move it.
    const fresh = join(root, 'fresh-home');
    mkdirSync(fresh);
    expect((await runCommand(['keys', 'create', 'k'], { home: fresh })).code).toBe(0);
    const own = await runCommand(['import', 'ccflare', '--from', fresh], { home: fresh });
    expectOneLineError(own, /holds this gateway's own data, not an original ccflare installation/);
    expect(own.stderr).not.toContain('mv ');
  });
});

describe('ccflare locations and tiers', () => {
  it("uses ccflare's folder per platform", () => {
    expect(defaultCcflareDir({}, 'linux', '/home/u')).toBe('/home/u/.config/ccflare');
    expect(defaultCcflareDir({}, 'darwin', '/Users/u')).toBe('/Users/u/.config/ccflare');
    expect(defaultCcflareDir({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/ccflare');
    expect(defaultCcflareDir({ LOCALAPPDATA: 'C:\\L', APPDATA: 'C:\\R' }, 'win32', 'C:\\U')).toMatch(/^C:\\L.ccflare$/);
  });

  it('tries the larger subscription first: tier 20, then 5, then 1', () => {
    expect([tierPriority(20), tierPriority(5), tierPriority(1)]).toEqual([0, 10, 20]);
  });
});

describe.runIf(hasPg('ccflare import into PostgreSQL'))('ccflare import ccflare into a PostgreSQL installation', () => {
  let db: PgInstallation;
  beforeAll(async () => {
    db = await openPgInstallation('imp');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('imports (it stopped with "A postgres:// URL names a PostgreSQL database, not a SQLite file")', async () => {
    const env = { CCFLARE_DATABASE_URL: db.url, CCFLARE_SECRET_KEY: db.secretKey };
    const r = await runCommand(['import', 'ccflare', '--from', fixture.dir, '--json'], { home, env });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as CcflareImportSummary).requests.imported).toBe(360);
    expect(await db.store.accounts.list()).toHaveLength(5);
    expect(await db.store.requests.count()).toBe(360);
  });
});
