import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/support/log-lines.js';
import { KeyRegistry } from '../auth/key-registry.js';
import { KeyService } from '../auth/key-service.js';
import { ManualClock } from '../clock.js';
import { createSecretBox } from '../crypto/secret-box.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { createAuth, TICKET_TTL_MS } from './auth.js';
import { newRouter } from './router.js';

const T0 = 1_700_000_000_000;

async function harness() {
  const store = SqliteStore.open(':memory:');
  const box = createSecretBox(randomBytes(32));
  const clock = new ManualClock(T0);
  const { logger, lines } = captureLogger();
  const keys = new KeyRegistry({ store, box, clock, logger, pollMs: 60_000 });
  await keys.start();
  const auth = createAuth({ keys, clock, logger });
  // A stand-in for the real API: the events route as the other routes would mount it.
  const app = newRouter();
  app.use('*', auth.middleware);
  app.get('/api/events', (c) => c.text('stream'));
  app.get('/api/other', (c) => c.text('other'));
  app.get('/api/workers/:id/logs', (c) => c.text('log stream'));
  app.get('/api/workers/:id', (c) => c.text('worker'));
  app.post('/api/events/ticket', (c) => c.json(auth.issueTicket()));
  const service = new KeyService({ store, box, clock });
  return { store, clock, lines, keys, auth, app, service };
}

describe('admin middleware', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  let admin: string;

  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    h.keys.stop();
    await h.store.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => h.app.request(path, { headers });

  it('lets everything through while no admin key is set', async () => {
    expect((await get('/api/other')).status).toBe(200);
    expect((await get('/api/nothing-here')).status).toBe(404);
  });

  describe('with an admin key', () => {
    beforeEach(async () => {
      admin = await h.service.createAdminKey();
      await h.keys.refresh();
    });

    it('answers 401 in the gateway error shape without it, for known and unknown paths alike', async () => {
      for (const path of ['/api/other', '/api/events', '/api/nothing-here']) {
        const res = await get(path);
        expect(res.status, path).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="ccflare"');
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
        expect(await res.json()).toEqual({
          type: 'error',
          error: { type: 'authentication_error', message: expect.stringMatching(/needs the admin key/) },
        });
      }
    });

    it('logs requests without any key once per client address, at info; a wrong key every time, at warn', async () => {
      const from = (remoteAddress: string, headers: Record<string, string> = {}) =>
        h.app.request('/api/other', { headers }, { incoming: { headers, socket: { remoteAddress } } });
      // A dashboard before sign-in: a dozen keyless requests from one browser.
      for (let i = 0; i < 12; i++) expect((await from('10.0.0.1')).status).toBe(401);
      expect((await from('10.0.0.2')).status).toBe(401);
      expect((await from('10.0.0.1', { authorization: 'Bearer wrong-one' })).status).toBe(401);
      expect((await from('10.0.0.1', { authorization: 'Bearer wrong-two' })).status).toBe(401);
      const records = h.lines.map((l) => JSON.parse(l) as { level: number; msg: string; remoteAddress: string });
      const keyless = records.filter((r) => r.msg.includes('without the admin key'));
      expect(keyless.map((r) => [r.level, r.remoteAddress])).toEqual([
        [30, '10.0.0.1'],
        [30, '10.0.0.2'],
      ]);
      const wrong = records.filter((r) => r.msg.includes('invalid admin key'));
      expect(wrong.map((r) => r.level)).toEqual([40, 40]);
    });

    it('accepts authorization: Bearer and x-ccflare-admin-key, nothing else', async () => {
      expect((await get('/api/other', { authorization: `Bearer ${admin}` })).status).toBe(200);
      expect((await get('/api/other', { 'x-ccflare-admin-key': admin })).status).toBe(200);
      expect((await get('/api/other', { 'x-api-key': admin })).status).toBe(401);
      expect((await get('/api/other', { authorization: admin })).status).toBe(401);
      // The last character changed (to one it is not: a key ending in "x" must not stay valid).
      const last = admin.endsWith('x') ? 'y' : 'x';
      const wrong = await get('/api/other', { authorization: `Bearer ${admin.slice(0, -1)}${last}` });
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe('Invalid admin key');
      const log = h.lines.join('');
      expect(log).not.toContain(admin.slice(0, 12));
      expect(log).toContain(`"keyHint":"${admin.slice(0, 9)}…"`);
    });

    it('opens GET /api/events with a ticket once, and nothing else', async () => {
      const issued = await h.app.request('/api/events/ticket', { method: 'POST' });
      expect(issued.status).toBe(401);
      const res = await h.app.request('/api/events/ticket', {
        method: 'POST',
        headers: { 'x-ccflare-admin-key': admin },
      });
      const { ticket, expiresAt } = (await res.json()) as { ticket: string; expiresAt: number };
      expect(expiresAt).toBe(T0 + TICKET_TTL_MS);
      expect((await get(`/api/other?ticket=${ticket}`)).status).toBe(401);
      expect((await get(`/api/events?ticket=${ticket}`)).status).toBe(200);
      // Single use.
      expect((await get(`/api/events?ticket=${ticket}`)).status).toBe(401);
      expect((await get('/api/events?ticket=ccft_made-up')).status).toBe(401);
      expect(h.lines.join('')).not.toContain(ticket);
    });

    it("opens a worker's log stream with a ticket once, but not the worker itself", async () => {
      const ticket = () => h.auth.issueTicket().ticket;
      const once = ticket();
      expect((await get(`/api/workers/w1/logs?ticket=${once}`)).status).toBe(200);
      expect((await get(`/api/workers/w1/logs?ticket=${once}`)).status).toBe(401);
      expect((await get(`/api/workers/w1?ticket=${ticket()}`)).status).toBe(401);
      expect((await get(`/api/workers/w1/logs/x?ticket=${ticket()}`)).status).toBe(401);
    });

    it('expires tickets', async () => {
      const a = h.auth.issueTicket();
      const b = h.auth.issueTicket();
      h.clock.advance(TICKET_TTL_MS - 1);
      expect(h.auth.verifyTicket(a.ticket)).toBe(true);
      h.clock.advance(1);
      expect(h.auth.verifyTicket(b.ticket)).toBe(false);
    });
  });
});

describe('tickets', () => {
  it('are unique, unguessable and bounded in number', async () => {
    const h = await harness();
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 10_050; i++) seen.add(h.auth.issueTicket().ticket);
      expect(seen.size).toBe(10_050);
      for (const t of seen) expect(t).toMatch(/^ccft_[A-Za-z0-9_-]{43}$/);
      // The oldest were dropped to keep at most 10,000 outstanding.
      const all = [...seen];
      expect(h.auth.verifyTicket(all[0] as string)).toBe(false);
      expect(h.auth.verifyTicket(all[all.length - 1] as string)).toBe(true);
    } finally {
      h.keys.stop();
      await h.store.close();
    }
  });
});
