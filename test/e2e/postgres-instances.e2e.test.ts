/**
 * Two gateways on one PostgreSQL schema, as two instances of one installation: each records the
 * requests it serves into the shared tables, and a client key's rpm limit holds across both (the
 * shared counters sync every 500 ms, so the second instance refuses once it has synced).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createSecretBox, loadSecretKey } from '../../src/crypto/secret-box.js';
import { type RunningServer, runServer } from '../../src/server/serve.js';
import { ClientKeySchema } from '../../src/shared/keys-schemas.js';
import { NO_LIMITS } from '../../src/storage/contract/keys.js';
import type { Store } from '../../src/storage/contract/store.js';
import { openStoreFromUrl } from '../../src/storage/open-store.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { freshSchema, hasPg, PG_URL } from '../support/pg.js';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.runIf(hasPg('postgres instances'))('two gateways on one PostgreSQL', () => {
  const schema = freshSchema('gw');
  const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const secretKey = randomBytes(32).toString('hex');
  const homes: string[] = [];
  let up: FakeUpstream;
  let store: Store;
  let a: RunningServer;
  let b: RunningServer;

  const start = (): Promise<RunningServer> => {
    const home = mkdtempSync(join(tmpdir(), 'ccflare-pg-'));
    homes.push(home);
    const config = loadConfig({
      env: {
        CCFLARE_HOME: home,
        CCFLARE_PORT: '0',
        CCFLARE_UPSTREAM_URL: up.url,
        CCFLARE_DATABASE_URL: url,
        CCFLARE_SECRET_KEY: secretKey,
        CCFLARE_LOG_LEVEL: 'warn',
      },
    });
    return runServer(config, { signals: false, accountPollMs: 100, logDestination: 2 });
  };

  beforeAll(async () => {
    up = await startFakeUpstream();
    await admin(`CREATE SCHEMA ${schema}`);
    store = await openStoreFromUrl(url);
    const box = createSecretBox(loadSecretKey(tmpdir(), secretKey));
    await store.accounts.insert(
      { name: 'acct', kind: 'api_key', apiKeyEnc: box.encrypt('sk-ant-api03-pg-instances') },
      Date.now(),
    );
    [a, b] = await Promise.all([start(), start()]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await store?.close();
    await up?.close();
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    for (const h of homes) rmSync(h, { recursive: true, force: true });
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
    await vi.waitFor(async () => expect(await store.requests.count()).toBe(3), { timeout: 5000 });
    const rows = (await store.requests.listRecords({ limit: 10 })).map((r) => [r.clientKey, r.status]);
    expect(rows.sort()).toEqual([
      ['team', 200],
      ['team', 200],
      ['team', 429],
    ]);
  });
});
