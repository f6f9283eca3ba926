/**
 * `ccflare migrate --to postgres://…` in process with a fake terminal: a SQLite installation
 * copied into a fresh schema, counts printed per table, the key reminder, a progress line on a
 * terminal, a rerun, and the refusals (missing file, unreachable server without its password).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { hasPg, PG_URL, pgStoreFactory } from '../../test/support/pg.js';
import { samplePayload, sampleRecord } from '../../test/support/sample-record.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

let home: string;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'ccflare-migrate-cli-'));
  const store = SqliteStore.open(join(home, 'ccflare.db'));
  const acc = await store.accounts.insert({ name: 'work', kind: 'console', apiKeyEnc: 'v1:opaque' }, Date.now());
  const records = Array.from({ length: 30 }, (_, i) =>
    sampleRecord({
      id: `r-${String(i).padStart(3, '0')}`,
      ts: 1_700_000_000_000 + i * 1000,
      accountId: acc.id,
      accountName: acc.name,
      payload: i % 10 === 0 ? samplePayload({ responseBody: `answer ${i}` }) : null,
    }),
  );
  await store.requests.writeBatch(records, []);
  await store.close();
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('ccflare migrate refusals', () => {
  it('refuses a --to that is not PostgreSQL (usage error)', async () => {
    const r = await runCommand(['migrate', '--to', 'sqlite:/tmp/x.db'], { home });
    expectOneLineError(r, /--to must be a postgres:\/\/ URL/, 2);
  });

  it('refuses a missing SQLite file before connecting anywhere', async () => {
    const r = await runCommand(['migrate', '--to', 'postgres://u@127.0.0.1:1/x', '--from', `sqlite:${home}/nope.db`], {
      home,
    });
    expectOneLineError(r, /No SQLite database at .*nope\.db/);
  });

  it('names an unreachable server without its password', async () => {
    const r = await runCommand(['migrate', '--to', 'postgres://ccf:hunter2@127.0.0.1:1/x'], { home });
    expectOneLineError(
      r,
      /PostgreSQL at postgres:\/\/ccf:\*\*\*@127\.0\.0\.1:1\/x cannot be used.*is the server running/,
    );
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });
});

describe.runIf(hasPg('ccflare migrate'))('ccflare migrate into PostgreSQL', () => {
  const openPg = pgStoreFactory();

  it('copies the installation, prints source and target counts per table, and a rerun changes nothing', async () => {
    const target = await openPg();
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${target.options.schema}`);
    let err = '';
    let out = '';
    const sink = (add: (s: string) => void) =>
      new Writable({
        write(chunk, _enc, cb) {
          add(chunk.toString());
          cb();
        },
      });
    const stdin = new PassThrough();
    stdin.end();
    const io: CliIo = {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: sink((s) => (out += s)),
      stderr: Object.assign(
        sink((s) => (err += s)),
        { isTTY: true },
      ),
      env: { CCFLARE_HOME: home, NO_COLOR: '1' },
      platform: process.platform,
    };
    const r = await runCli(['migrate', '--to', url.toString()], io);
    expect(r.code, err).toBe(0);
    expect(out).toMatch(/requests\s+30\s+30\s+ok/);
    expect(out).toMatch(/request_payloads\s+3\s+3\s+ok/);
    expect(out).toMatch(/accounts\s+1\s+1\s+ok/);
    expect(out).toContain('CCFLARE_SECRET_KEY');
    expect(err).toMatch(/requests: 30\/30 rows \([\d,]+\/s\)/);
    expect(err).not.toContain('workers:');
    expect(await target.requests.count()).toBe(30);
    expect((await target.requests.get('r-010'))?.payload?.responseBody).toBe('answer 10');

    const again = await runCommand(['migrate', '--to', url.toString()], { home });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/requests\s+30\s+30\s+ok/);
    expect(again.stderr).toBe('');
    expect(await target.requests.count()).toBe(30);
  });
});
