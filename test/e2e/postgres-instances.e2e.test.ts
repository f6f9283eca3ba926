/**
 * Two gateways on one PostgreSQL schema, as two instances of one installation: each records the
 * requests it serves into the shared tables, and a client key's rpm limit holds across both (the
 * shared counters sync every 500 ms, so the second instance refuses once it has synced).
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../src/server/serve.js';
import { ClientKeySchema } from '../../src/shared/keys-schemas.js';
import { NO_LIMITS } from '../../src/storage/contract/keys.js';
import { api } from '../support/api-request.js';
import { runCommand } from '../support/cli-io.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { hasPg } from '../support/pg.js';
import { openPgInstallation, type PgInstallation } from '../support/pg-installation.js';

describe.runIf(hasPg('postgres instances'))('two gateways on one PostgreSQL', () => {
  let up: FakeUpstream;
  let db: PgInstallation;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    up = await startFakeUpstream();
    db = await openPgInstallation('gw');
    await db.addApiKey('acct', 'sk-ant-api03-pg-instances');
    const start = () => db.startGateway({ CCFLARE_UPSTREAM_URL: up.url }, { accountPollMs: 100 });
    [a, b] = await Promise.all([start(), start()]);
  });

  afterAll(async () => {
    await db?.close();
    await up?.close();
  });

  const send = async (gw: RunningServer, key: string) => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };
  const keyOn = async (gw: RunningServer, name: string) => {
    const listed = await api(gw.api, 'GET', '/api/keys');
    return ClientKeySchema.array()
      .parse(listed.json.keys)
      .find((k) => k.name === name);
  };

  it('records what each instance serves in the shared tables, and a key limit set on one holds on the other', async () => {
    const created = await api(a.api, 'POST', '/api/keys', { name: 'team' });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    expect((await api(a.api, 'PUT', '/api/keys/team/limits', { ...NO_LIMITS, rpm: 2 })).status).toBe(200);
    // The key and its limit reach the other instance through the database.
    await vi.waitFor(async () => expect((await keyOn(b, 'team'))?.limits.rpm).toBe(2), { timeout: 5000 });

    expect((await send(a, key)).status).toBe(200);
    expect((await send(a, key)).status).toBe(200);
    // B learns A's use at its next sync of the shared counters.
    await vi.waitFor(async () => expect((await keyOn(b, 'team'))?.use?.requestsLastMinute).toBe(2), {
      timeout: 5000,
      interval: 100,
    });
    const refused = await send(b, key);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(up.requests).toHaveLength(2);

    // Both instances' rows, the refusal included, in the one table.
    await vi.waitFor(async () => expect(await db.store.requests.count()).toBe(3), { timeout: 5000 });
    const rows = (await db.store.requests.listRecords({ limit: 10 })).map((r) => [r.clientKey, r.status]);
    expect(rows.sort()).toEqual([
      ['team', 200],
      ['team', 200],
      ['team', 429],
    ]);
  });

  it('the reporting commands work on the installation, through a gateway (--url) and from the database', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ccflare-pg-cli-'));
    const env = { CCFLARE_DATABASE_URL: db.url, CCFLARE_SECRET_KEY: db.secretKey };
    // They used to stop at once with "A postgres:// URL names a PostgreSQL database, not a SQLite file".
    for (const args of [['stats'], ['requests'], ['config', 'list'], ['analyze'], ['agents', 'list']]) {
      for (const target of [['--url', a.url], []]) {
        const r = await runCommand([...target, ...args], { home, env });
        expect(r.stderr, `${[...target, ...args].join(' ')}`).toBe('');
        expect(r.code).toBe(0);
      }
    }
    const direct = await runCommand(['--verbose', 'stats'], { home, env });
    expect(direct.stderr).toContain(`reading ${db.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')} directly`);
    expect(direct.stdout).toMatch(/acct/);
  });
});
