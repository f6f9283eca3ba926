import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../../test/support/log-lines.js';
import { ManualClock } from '../clock.js';
import { createSecretBox } from '../crypto/secret-box.js';
import { createLogger } from '../log/logger.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { KeyRegistry, TOUCH_EVERY_MS } from './key-registry.js';
import { KeyService } from './key-service.js';

const T0 = 1_700_000_000_000;

function harness(adminKey?: string) {
  const store = SqliteStore.open(':memory:');
  const box = createSecretBox(randomBytes(32));
  const clock = new ManualClock(T0);
  const { logger, lines } = captureLogger();
  const registry = new KeyRegistry({ store, box, clock, logger, pollMs: 60_000, adminKey });
  const service = new KeyService({ store, box, clock });
  return { store, box, clock, lines, registry, service };
}

function fakeExchange(headers: Record<string, string>) {
  const req = {
    headers,
    url: '/v1/messages?beta=true',
    socket: { remoteAddress: '203.0.113.9' },
  } as unknown as IncomingMessage;
  const sent: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
  const res = {
    writeHead(status: number, h: Record<string, unknown>) {
      sent.status = status;
      sent.headers = h;
    },
    end(body: string) {
      sent.body = body;
    },
  } as unknown as ServerResponse;
  return { req, res, sent };
}

describe('KeyRegistry', () => {
  let h: ReturnType<typeof harness>;

  beforeEach(async () => {
    h = harness();
    await h.registry.start();
  });
  afterEach(async () => {
    h.registry.stop();
    await h.store.close();
  });

  it('requires nothing until a key exists, then only active keys pass', async () => {
    expect(h.registry.clientKeysRequired()).toBe(false);
    expect(h.registry.adminRequired()).toBe(false);
    const open = fakeExchange({});
    expect(await h.registry.authenticateClient(open.req, open.res)).toBeNull();

    const { key } = await h.service.create('laptop');
    const other = await h.service.create('ci');
    await h.registry.refresh();
    expect(h.registry.clientKeysRequired()).toBe(true);
    expect(h.registry.clientKeyName(key)).toBe('laptop');
    expect(h.registry.clientKeyName(other.key)).toBe('ci');
    expect(h.registry.clientKeyName(`${key}x`)).toBeNull();

    await h.service.revoke('ci');
    await h.registry.refresh();
    expect(h.registry.clientKeyName(other.key)).toBeNull();
    expect(h.registry.clientKeyName(key)).toBe('laptop');
    await h.service.revoke('laptop');
    await h.registry.refresh();
    expect(h.registry.clientKeysRequired()).toBe(false);
  });

  it("an internal key (a worker's) leaves /v1 open to keyless clients and attributes its own requests", async () => {
    const store = SqliteStore.open(':memory:');
    const box = createSecretBox(randomBytes(32));
    const clock = new ManualClock(T0);
    const { logger } = captureLogger();
    const registry = new KeyRegistry({
      store,
      box,
      clock,
      logger,
      pollMs: 60_000,
      internalKey: (name) => name.startsWith('worker-'),
    });
    const service = new KeyService({ store, box, clock });
    try {
      await registry.start();
      const worker = await service.create('worker-alpha', { internal: true });
      await registry.refresh();
      expect(registry.clientKeysRequired()).toBe(false);
      const keyless = fakeExchange({ 'x-api-key': 'sk-ant-api03-placeholder' });
      expect(await registry.authenticateClient(keyless.req, keyless.res)).toBeNull();
      const own = fakeExchange({ 'x-api-key': worker.key });
      expect(await registry.authenticateClient(own.req, own.res)).toBe('worker-alpha');

      const laptop = await service.create('laptop');
      await registry.refresh();
      expect(registry.clientKeysRequired()).toBe(true);
      const refused = fakeExchange({});
      expect(await registry.authenticateClient(refused.req, refused.res)).toBe(false);
      expect(refused.sent.status).toBe(401);
      const again = fakeExchange({ authorization: `Bearer ${worker.key}` });
      expect(await registry.authenticateClient(again.req, again.res)).toBe('worker-alpha');
      expect(registry.clientKeyName(laptop.key)).toBe('laptop');
    } finally {
      registry.stop();
      await store.close();
    }
  });

  it('beyond loopback, refuses /v1 while no client key exists (the last one revoked), logging it once', async () => {
    const store = SqliteStore.open(':memory:');
    const box = createSecretBox(randomBytes(32));
    const { logger, lines } = captureLogger();
    const exposed = new KeyRegistry({ store, box, clock: h.clock, logger, pollMs: 60_000, exposedAt: '0.0.0.0' });
    const service = new KeyService({ store, box, clock: h.clock, changed: () => exposed.refresh() });
    await exposed.start();
    try {
      const { key } = await service.create('laptop');
      const ok = fakeExchange({ 'x-api-key': key });
      expect(await exposed.authenticateClient(ok.req, ok.res)).toBe('laptop');
      await service.revoke('laptop');
      for (let i = 0; i < 3; i++) {
        const anyone = fakeExchange({});
        expect(await exposed.authenticateClient(anyone.req, anyone.res)).toBe(false);
        expect(anyone.sent.status).toBe(401);
        expect(JSON.parse(anyone.sent.body ?? '{}').error.message).toMatch(
          /listens on 0\.0\.0\.0 and has no client key.*ccflare keys create/,
        );
      }
      expect(lines.filter((l) => l.includes('no client key exists while listening beyond loopback'))).toHaveLength(1);
    } finally {
      exposed.stop();
      await store.close();
    }
  });

  it('accepts a key another process created since the last poll at once, rereading the keys once', async () => {
    await h.service.create('first');
    await h.registry.refresh();
    // Created after the registry's last read; its poll is a minute away.
    const { key } = await h.service.create('just-made');
    const fresh = fakeExchange({ 'x-api-key': key });
    expect(await h.registry.authenticateClient(fresh.req, fresh.res)).toBe('just-made');
    expect(fresh.sent.status).toBeUndefined();
    const bad = fakeExchange({ 'x-api-key': 'ccf_not-a-key-0123456789abcdefghijklmnopqrs' });
    expect(await h.registry.authenticateClient(bad.req, bad.res)).toBe(false);
    expect(bad.sent.status).toBe(401);
  });

  it('accepts x-api-key or Bearer, answers 401 authentication_error otherwise, logging no secret', async () => {
    const { key } = await h.service.create('laptop');
    await h.registry.refresh();
    expect(await h.registry.authenticateClient(fakeExchange({ 'x-api-key': key }).req, fakeExchange({}).res)).toBe(
      'laptop',
    );
    expect(
      await h.registry.authenticateClient(fakeExchange({ authorization: `Bearer ${key}` }).req, fakeExchange({}).res),
    ).toBe('laptop');
    // Both headers (ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN set): either may carry our key.
    const both = fakeExchange({ 'x-api-key': 'sk-ant-api03-something-else', authorization: `Bearer ${key}` });
    expect(await h.registry.authenticateClient(both.req, both.res)).toBe('laptop');

    const wrong = 'ccf_WXYZ0123456789abcdefghijklmnopqrstuvwxyz';
    const bad = fakeExchange({ 'x-api-key': wrong });
    expect(await h.registry.authenticateClient(bad.req, bad.res)).toBe(false);
    expect(bad.sent.status).toBe(401);
    expect(JSON.parse(bad.sent.body ?? '')).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Invalid client key (unknown or revoked)' },
    });
    const none = fakeExchange({});
    expect(await h.registry.authenticateClient(none.req, none.res)).toBe(false);
    expect(JSON.parse(none.sent.body ?? '').error.message).toMatch(/requires a client key/);

    const log = h.lines.join('');
    expect(log).not.toContain(wrong);
    expect(log).not.toContain(wrong.slice(4, 12));
    expect(log).not.toContain(key);
    const refused = h.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ remoteAddress: '203.0.113.9', path: '/v1/messages', keyHint: 'ccf_WXYZ…' });
    expect(refused[1]).toMatchObject({ keyHint: null });
  });

  it('writes last use at most once a minute per key, off the request', async () => {
    const { key, view } = await h.service.create('laptop');
    await h.registry.refresh();
    const lastUsed = async () => (await h.store.keys.list()).find((k) => k.id === view.id)?.lastUsedAt;
    h.registry.clientKeyName(key);
    expect(await lastUsed()).toBeNull();
    h.registry.stop();
    expect(await lastUsed()).toBe(T0);
    h.clock.advance(TOUCH_EVERY_MS - 1);
    h.registry.clientKeyName(key);
    h.registry.stop();
    expect(await lastUsed()).toBe(T0);
    h.clock.advance(1);
    h.registry.clientKeyName(key);
    h.registry.stop();
    expect(await lastUsed()).toBe(T0 + TOUCH_EVERY_MS);
  });

  it('follows the stored admin key: created, rotated, removed', async () => {
    const first = await h.service.createAdminKey();
    await h.registry.refresh();
    expect(h.registry.adminRequired()).toBe(true);
    expect(h.registry.isAdminKey(first)).toBe(true);
    expect(h.registry.isAdminKey(`${first}x`)).toBe(false);
    await expect(h.service.createAdminKey()).rejects.toThrow(/already exists: use --rotate/);
    const second = await h.service.createAdminKey({ rotate: true });
    await h.registry.refresh();
    expect(h.registry.isAdminKey(first)).toBe(false);
    expect(h.registry.isAdminKey(second)).toBe(true);
    expect(await h.service.removeAdminKey()).toBe(true);
    await h.registry.refresh();
    expect(h.registry.adminRequired()).toBe(false);
    expect(await h.service.removeAdminKey()).toBe(false);
  });
});

describe('KeyRegistry with CCFLARE_ADMIN_KEY', () => {
  it('accepts the configured key and a stored one alike', async () => {
    const h = harness('  my-configured-admin-key  ');
    try {
      await h.registry.start();
      expect(h.registry.adminRequired()).toBe(true);
      expect(h.registry.isAdminKey('my-configured-admin-key')).toBe(true);
      expect(h.registry.isAdminKey('my-configured-admin-ke')).toBe(false);
      const stored = await h.service.createAdminKey();
      await h.registry.refresh();
      expect(h.registry.isAdminKey(stored)).toBe(true);
      expect(h.registry.isAdminKey('my-configured-admin-key')).toBe(true);
    } finally {
      h.registry.stop();
      await h.store.close();
    }
  });

  it('polls the revision: a change from another connection lands within one interval', async () => {
    // Date too: revision watches check on the multiples of their interval on the clock.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(Date.UTC(2026, 11, 5, 12));
    const h = harness();
    const registry = new KeyRegistry({
      store: h.store,
      box: h.box,
      clock: h.clock,
      logger: createLogger({ level: 'silent', format: 'json' }),
      pollMs: 1000,
    });
    try {
      await registry.start();
      const { key, view } = await h.service.create('laptop');
      await vi.advanceTimersByTimeAsync(999);
      expect(registry.clientKeyName(key)).toBeNull();
      await vi.advanceTimersByTimeAsync(1);
      expect(registry.clientKeyName(key)).toBe('laptop');
      // The use just noted is written on the next tick.
      const lastUsed = async () => (await h.store.keys.list()).find((k) => k.id === view.id)?.lastUsedAt;
      expect(await lastUsed()).toBeNull();
      await vi.advanceTimersByTimeAsync(1000);
      expect(await lastUsed()).toBe(T0);
    } finally {
      registry.stop();
      vi.useRealTimers();
      await h.store.close();
    }
  });
});

describe('KeyService', () => {
  it('validates names and stores only digests', async () => {
    const h = harness();
    try {
      await expect(h.service.create('bad name')).rejects.toThrow(/Invalid key name/);
      await expect(h.service.revoke('missing')).rejects.toThrow(/No active client key named "missing"/);
      const { key, view } = await h.service.create('laptop');
      expect(view).toMatchObject({ name: 'laptop', prefix: key.slice(0, 8), active: true, revokedAt: null });
      const [row] = await h.store.keys.list();
      expect(row?.digest).toBe(h.box.keyDigest(key));
      expect(JSON.stringify(await h.store.keys.list())).not.toContain(key.slice(8));
      await expect(h.service.create('laptop')).rejects.toThrow(/already exists/);
    } finally {
      await h.store.close();
    }
  });
});
