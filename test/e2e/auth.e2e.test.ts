/**
 * Access control end to end over real sockets: the admin key in front of every management route
 * (walked from the Hono app's own route table, plus the OpenAPI document and /metrics), client
 * keys in front of /v1/* with the official SDK, SSE tickets, CORS off, and no key ever in the
 * database file or the logs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Pool } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyService } from '../../src/auth/key-service.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { EventBus } from '../../src/events.js';
import { createLogger } from '../../src/log/logger.js';
import { buildApp } from '../../src/server/build-app.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { InlineRecordWriter } from '../../src/storage/writer/inline-writer.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { timeUntil } from '../support/wait.js';

const ACCOUNT_KEY = 'sk-ant-api03-auth-e2e-account';
const ENV_ADMIN_KEY = 'env-admin-key-for-the-auth-e2e-test-0123456789';
/** The promise made to users: a key change is live within this long. */
const LIVE_WITHIN_MS = 2000;

interface Probe {
  method: string;
  path: string;
}

/**
 * Every route the management API registers, from a throwaway instance of the same app the
 * gateway builds (never started, never listening): Hono's route table, middleware included, so
 * a route added later is covered without touching this test.
 */
function registeredRoutes(): Probe[] {
  const store = SqliteStore.open(':memory:');
  const config = loadConfig({ env: { CCFLARE_HOME: '/nonexistent/ccflare-auth-e2e' } });
  const upstream = new Pool('http://127.0.0.1:9');
  const app = buildApp({
    config,
    store,
    writer: new InlineRecordWriter(store),
    clock: systemClock,
    logger: createLogger({ level: 'silent', format: 'json' }),
    events: new EventBus(),
    upstream,
    box: createSecretBox(Buffer.alloc(32, 7)),
  });
  const probes = new Map<string, Probe>();
  for (const r of app.api.routes) {
    const method = r.method === 'ALL' ? 'GET' : r.method.toUpperCase();
    // Parameters get a dummy value: with the key such a route may answer 400 or 404, never 401.
    let path = r.path.replace(/:[A-Za-z0-9_]+(\{[^}]*\})?/g, 'x').replace(/\*/g, 'x');
    // A catch-all (middleware on '*') is reached through the prefixes the gateway hands to the app.
    if (path === '/x') path = '/api/x';
    probes.set(`${method} ${path}`, { method, path });
  }
  void upstream.close();
  void store.close();
  return [...probes.values()];
}

async function send(
  url: string,
  probe: Probe,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 10_000);
  try {
    const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(probe.method);
    const res = await fetch(url + probe.path, {
      method: probe.method,
      headers: hasBody ? { 'content-type': 'application/json', ...headers } : headers,
      body: hasBody ? '{}' : undefined,
      signal: ctrl.signal,
    });
    // Event streams never end: the status is all a probe needs.
    const text = res.headers.get('content-type')?.includes('text/event-stream') ? '' : await res.text();
    if (text === '') await res.body?.cancel().catch(() => {});
    return { status: res.status, headers: res.headers, text };
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
}

/** Retries `cond` until it holds and returns how long that took, in ms; fails after `withinMs`. */
function waitFor(what: string, cond: () => Promise<boolean>, withinMs = LIVE_WITHIN_MS): Promise<number> {
  return timeUntil(async () => expect(await cond(), `${what}: not within ${withinMs} ms`).toBe(true), withinMs);
}

function dbBytes(home: string): Buffer {
  const files = ['ccflare.db', 'ccflare.db-wal', 'ccflare.db-journal'].map((f) => join(home, f));
  return Buffer.concat(files.filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(async () => {
  await up?.close();
});

describe.each(['stored', 'env'] as const)('route table with an admin key (%s)', (source) => {
  let gw: TestGateway;
  let admin: string;
  const routes = registeredRoutes();

  beforeAll(async () => {
    gw = await startGateway({
      upstreamUrl: up.url,
      env: source === 'env' ? { CCFLARE_ADMIN_KEY: ENV_ADMIN_KEY } : {},
      setup: (g) => g.addApiKey('main', ACCOUNT_KEY).then(() => {}),
    });
    if (source === 'env') admin = ENV_ADMIN_KEY;
    else {
      // Open before the key exists...
      expect((await send(gw.url, { method: 'GET', path: '/api/keys' })).status).toBe(200);
      admin = await new KeyService({ store: gw.store, box: gw.box, clock: systemClock }).createAdminKey();
      // ...and closed within the promised delay once another process stored one.
      await waitFor(
        'admin key enforced',
        async () => (await send(gw.url, { method: 'GET', path: '/api/keys' })).status === 401,
      );
    }
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('covers the routes this issue adds, the OpenAPI document and every documented path', async () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    for (const k of [
      'GET /api/keys',
      'POST /api/keys',
      'DELETE /api/keys/x',
      'POST /api/events/ticket',
      'GET /api/openapi.json',
    ]) {
      expect(keys).toContain(k);
    }
    const doc = (await (
      await fetch(`${gw.url}/api/openapi.json`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        expect(keys, `${method} ${path} is documented but not in the route table`).toContain(
          `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, 'x')}`,
        );
      }
    }
  });

  it('answers 401 on every route without the admin key, and not 401 with it', async () => {
    const probes: Probe[] = [
      ...routes,
      { method: 'GET', path: '/metrics' },
      { method: 'GET', path: '/api' },
      { method: 'GET', path: '/api/' },
      { method: 'GET', path: '/api/no-such-route' },
      { method: 'DELETE', path: '/api/no-such-route' },
    ];
    const failures: string[] = [];
    for (const p of probes) {
      const without = await send(gw.url, p);
      if (without.status !== 401) failures.push(`${p.method} ${p.path} without key: ${without.status}`);
      else {
        const body = JSON.parse(without.text) as { type: string; error: { type: string } };
        if (body.type !== 'error' || body.error.type !== 'authentication_error')
          failures.push(`${p.method} ${p.path}: not the gateway error shape: ${without.text}`);
      }
      const wrong = await send(gw.url, p, { authorization: `Bearer ${admin}0` });
      if (wrong.status !== 401) failures.push(`${p.method} ${p.path} with a wrong key: ${wrong.status}`);
      const viaHeader = await send(gw.url, p, { 'x-ccflare-admin-key': admin });
      const viaBearer = await send(gw.url, p, { authorization: `Bearer ${admin}` });
      for (const [how, r] of [
        ['x-ccflare-admin-key', viaHeader],
        ['Bearer', viaBearer],
      ] as const) {
        if (r.status === 401 || r.status === 403 || r.status >= 500)
          failures.push(`${p.method} ${p.path} with the key (${how}): ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('leaves /health open and reveals nothing secret there', async () => {
    const res = await send(gw.url, { method: 'GET', path: '/health' });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(admin);
    expect(Object.keys(JSON.parse(res.text) as object).sort()).toEqual(
      expect.arrayContaining(['status', 'accounts', 'inFlight']),
    );
  });

  it('keeps CORS off: a preflight or a cross-origin request gets no Access-Control-* header', async () => {
    const variants: Record<string, string>[] = [{}, { authorization: `Bearer ${admin}` }];
    for (const headers of variants) {
      const preflight = await send(
        gw.url,
        { method: 'OPTIONS', path: '/api/keys' },
        { origin: 'https://evil.example', 'access-control-request-method': 'GET', ...headers },
      );
      expect(preflight.status).not.toBe(204);
      expect([...preflight.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    const cross = await send(
      gw.url,
      { method: 'GET', path: '/api/keys' },
      { origin: 'https://evil.example', authorization: `Bearer ${admin}` },
    );
    expect(cross.status).toBe(200);
    expect([...cross.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('does not gate the proxy with the admin key while no client key exists', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'anything', maxRetries: 0 });
    const msg = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [] });
    expect(msg.type).toBe('message');
  });
});

describe('client keys for /v1/*', () => {
  let gw: TestGateway;
  let admin: string;
  const adminHeaders = () => ({ authorization: `Bearer ${admin}`, 'content-type': 'application/json' });
  const seen: string[] = [];

  async function createKey(name: string): Promise<{ key: string; prefix: string; name: string }> {
    const res = await fetch(`${gw.url}/api/keys`, {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { key: string; prefix: string; name: string };
    seen.push(body.key);
    return body;
  }

  const ask = (client: Anthropic) =>
    client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });

  beforeAll(async () => {
    gw = await startGateway({
      upstreamUrl: up.url,
      // Stored request headers are a place a key could leak to: capture them.
      env: { CCFLARE_ADMIN_KEY: ENV_ADMIN_KEY, CCFLARE_PAYLOAD_CAPTURE: 'true' },
      setup: (g) => g.addApiKey('main', ACCOUNT_KEY).then(() => {}),
    });
    admin = ENV_ADMIN_KEY;
  });
  afterAll(async () => {
    await gw?.close();
  });
  beforeEach(async () => {
    up.reset();
    await gw.settle();
  });

  it('creates over the API (shown once), lists prefixes only and rejects bad input', async () => {
    const created = await createKey('laptop');
    expect(created.key).toMatch(/^ccf_[0-9A-Za-z]{40}$/);
    expect(created.prefix).toBe(created.key.slice(0, 8));
    const list = await (await fetch(`${gw.url}/api/keys`, { headers: adminHeaders() })).text();
    expect(list).toContain('"laptop"');
    expect(list).not.toContain(created.key);
    expect(list).not.toContain(created.key.slice(8));

    const dup = await fetch(`${gw.url}/api/keys`, {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ name: 'laptop' }),
    });
    expect(dup.status).toBe(409);
    const bad = await fetch(`${gw.url}/api/keys`, {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ name: 'no spaces' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/name/);
    const missing = await fetch(`${gw.url}/api/keys/nobody`, { method: 'DELETE', headers: adminHeaders() });
    expect(missing.status).toBe(404);
  });

  it('requires a key once one exists: apiKey and authToken work, the record carries the key name', async () => {
    const { key } = await createKey('sdk');
    const anonymous = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-not-a-client-key', maxRetries: 0 });
    const viaApiKey = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
    const accepted = (c: Anthropic) =>
      ask(c).then(
        () => true,
        (err: unknown) => {
          if (err instanceof Anthropic.AuthenticationError) return false;
          throw err;
        },
      );
    // The API rereads the keys before answering: enforced and known at once.
    expect(await accepted(anonymous)).toBe(false);
    expect(await accepted(viaApiKey)).toBe(true);
    await gw.settle();
    up.reset();

    expect((await ask(viaApiKey)).type).toBe('message');
    const viaToken = new Anthropic({ baseURL: gw.url, apiKey: null, authToken: key, maxRetries: 0 });
    const stream = viaToken.messages.stream({
      model: 'claude-haiku-4-5',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect((await stream.finalMessage()).type).toBe('message');

    const records = await gw.records(2);
    expect(records.map((r) => r.clientKey)).toEqual(['sdk', 'sdk']);
    expect(records.every((r) => r.status === 200)).toBe(true);
    // The client's key never reaches the upstream: the account's key replaces it.
    expect(up.requests).toHaveLength(2);
    for (const r of up.requests) {
      expect(r.headers['x-api-key']).toBe(ACCOUNT_KEY);
      expect(r.headers.authorization).toBeUndefined();
      expect(JSON.stringify(r.headers)).not.toContain(key);
    }
  });

  it('refuses a wrong or missing key with AuthenticationError and forwards nothing', async () => {
    const before = await gw.count();
    for (const client of [
      new Anthropic({ baseURL: gw.url, apiKey: 'ccf_0000000000000000000000000000000000000000', maxRetries: 0 }),
      new Anthropic({ baseURL: gw.url, apiKey: null, authToken: 'wrong-token', maxRetries: 0 }),
      new Anthropic({ baseURL: gw.url, apiKey: admin, maxRetries: 0 }),
    ]) {
      const err = await ask(client).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((err as InstanceType<typeof Anthropic.AuthenticationError>).status).toBe(401);
    }
    const raw = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(up.requests).toHaveLength(0);
    // A request let in afterwards is recorded after anything the refused ones left: its record
    // being the only new one shows they left none.
    const { key } = await createKey('witness');
    const witness = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
    await waitFor('witness key accepted', async () => {
      try {
        await ask(witness);
        return true;
      } catch (err) {
        if (err instanceof Anthropic.AuthenticationError) return false;
        throw err;
      }
    });
    const [rec] = await gw.records(1);
    expect(rec?.clientKey).toBe('witness');
    expect(await gw.count()).toBe(before + 1);
    const refused = gw.logs.filter((l) => l.includes('client key refused'));
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(refused.join('\n')).toContain('"keyHint":"ccf_0000…"');
    expect(refused.join('\n')).toContain('"remoteAddress":"127.0.0.1"');
    expect(refused.join('\n')).not.toContain('wrong-token');
  });

  it('a key made over the API works at once, and is refused as soon as its revocation is answered', async () => {
    const { key } = await createKey('short-lived');
    const client = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
    expect((await ask(client)).type).toBe('message');
    await waitFor('last use recorded', async () => {
      const list = (await (await fetch(`${gw.url}/api/keys`, { headers: adminHeaders() })).json()) as {
        keys: Array<{ name: string; lastUsedAt: number | null }>;
      };
      return (list.keys.find((k) => k.name === 'short-lived')?.lastUsedAt ?? null) !== null;
    });
    const res = await fetch(`${gw.url}/api/keys/short-lived`, { method: 'DELETE', headers: adminHeaders() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'short-lived', active: false });
    await expect(ask(client)).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('opens /api/events with a single-use ticket in place of the header', async () => {
    const noTicket = await send(gw.url, { method: 'GET', path: '/api/events' });
    expect(noTicket.status).toBe(401);
    const issued = await fetch(`${gw.url}/api/events/ticket`, { method: 'POST', headers: adminHeaders() });
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const { ticket, expiresAt } = (await issued.json()) as { ticket: string; expiresAt: number };
    expect(expiresAt - Date.now()).toBeGreaterThan(50_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    // Tickets open the event stream only.
    expect((await send(gw.url, { method: 'GET', path: `/api/keys?ticket=${ticket}` })).status).toBe(401);
    const first = await send(gw.url, { method: 'GET', path: `/api/events?ticket=${ticket}` });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const again = await send(gw.url, { method: 'GET', path: `/api/events?ticket=${ticket}` });
    expect(again.status).toBe(401);
  });

  it('never writes a key to the database file or the logs', async () => {
    // Traffic with a key and a stored admin key, then everything committed.
    const { key } = await createKey('bytes');
    const stored = await new KeyService({ store: gw.store, box: gw.box, clock: systemClock }).createAdminKey();
    seen.push(stored);
    const client = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
    await waitFor('key accepted', async () => {
      try {
        await ask(client);
        return true;
      } catch {
        return false;
      }
    });
    await gw.settle();
    const rec = (await gw.store.requests.listRecords({ limit: 1 }))[0];
    const payload = rec && (await gw.store.requests.get(rec.id))?.payload;
    expect(payload?.requestHeaders).toContain('[redacted]');

    const bytes = dbBytes(gw.home);
    const logs = gw.logs.join('\n');
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (const secret of [...seen, admin]) {
      expect(bytes.includes(Buffer.from(secret)), 'a key is in the database file').toBe(false);
      // The random part alone, in case a tag was stripped somewhere.
      expect(bytes.includes(Buffer.from(secret.slice(8))), 'a key is in the database file').toBe(false);
      expect(logs.includes(secret), 'a key is in the logs').toBe(false);
      expect(logs.includes(secret.slice(9)), 'a key is in the logs').toBe(false);
    }
  });
});
