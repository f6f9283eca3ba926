/** One delivery attempt against a real local receiver (the transport is the point: timeouts, caps, redirects). */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attempt, maskUrl, slackBody } from './delivery.js';
import type { NotifyEvent } from './notify-event.js';

const ev: NotifyEvent = {
  id: 'e1',
  type: 'account.rate_limited',
  subject: 'alpha',
  severity: 'warning',
  title: 'Account alpha is rate limited (5h)',
  text: 'The 5h window was rejected <soon>.',
  at: Date.UTC(2026, 11, 5),
  fields: { account: 'alpha', windows: '5h', resetAt: '2026-12-05T15:00:00.000Z' },
};

let server: Server;
let base: string;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];
let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => res.end('ok');

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('attempt', () => {
  it('posts the event as JSON, signed with HMAC-SHA256 over the exact body', async () => {
    handler = (_q, res) => res.end('ok');
    const r = await attempt({ kind: 'webhook', url: `${base}/hook`, secret: 'shh-its-a-secret' }, ev, 'd1');
    expect(r).toEqual({ ok: true, status: 200, error: null });
    const got = received.at(-1);
    const body = JSON.parse(got?.body ?? '{}');
    expect(body).toMatchObject({ delivery: 'd1', type: 'account.rate_limited', subject: 'alpha', fields: ev.fields });
    const expected = `sha256=${createHmac('sha256', 'shh-its-a-secret')
      .update(got?.body ?? '')
      .digest('hex')}`;
    expect(got?.headers['x-ccflare-signature']).toBe(expected);
    expect(got?.headers['x-ccflare-event']).toBe('account.rate_limited');
  });

  it('sends no signature without a secret', async () => {
    await attempt({ kind: 'webhook', url: `${base}/hook`, secret: null }, ev, 'd2');
    expect(received.at(-1)?.headers['x-ccflare-signature']).toBeUndefined();
  });

  it('reports a failing receiver with its status and a cut body, read only up to the cap', async () => {
    handler = (_q, res) => {
      res.writeHead(500);
      res.end(`nope ${'x'.repeat(1_000_000)}`);
    };
    const r = await attempt({ kind: 'webhook', url: `${base}/hook`, secret: null }, ev, 'd3');
    expect(r.ok).toBe(false);
    expect(r.status).toBe(500);
    expect(r.error?.startsWith('HTTP 500: nope x')).toBe(true);
    expect(r.error?.length).toBeLessThanOrEqual(220);
  });

  it('gives up on a receiver that never answers', async () => {
    handler = () => {};
    const r = await attempt({ kind: 'webhook', url: `${base}/hang`, secret: null }, ev, 'd4', 200);
    expect(r).toEqual({ ok: false, status: null, error: 'timed out' });
  });

  it('does not follow redirects', async () => {
    handler = (_q, res) => {
      res.writeHead(302, { location: `${base}/elsewhere` });
      res.end();
    };
    const before = received.length;
    const r = await attempt({ kind: 'webhook', url: `${base}/hook`, secret: null }, ev, 'd5');
    expect(r).toMatchObject({ ok: false, status: 302 });
    expect(received.length).toBe(before + 1);
  });

  it('never names the URL in an error', async () => {
    const url = 'http://127.0.0.1:1/services/T000/B000/SECRETTOKEN';
    const r = await attempt({ kind: 'slack', url, secret: null }, ev, 'd6');
    expect(r.ok).toBe(false);
    expect(r.error).not.toContain('SECRETTOKEN');
  });

  it('masks a URL a failing receiver or fetch puts in its error text', async () => {
    handler = (_q, res) => {
      res.writeHead(400);
      res.end('bad hook https://hooks.example.com/services/T0/B0/ECHOEDTOKEN?token=Q1 (see docs)');
    };
    const r = await attempt({ kind: 'webhook', url: `${base}/hook`, secret: null }, ev, 'd7');
    expect(r.error).toBe('HTTP 400: bad hook https://hooks.example.com/•••• (see docs)');
    // fetch names a URL with credentials in its refusal.
    const creds = await attempt(
      { kind: 'webhook', url: `${base.replace('//', '//u:PASSWORD@')}/x`, secret: null },
      ev,
      'd8',
    );
    expect(creds.ok).toBe(false);
    expect(creds.error).not.toContain('PASSWORD');
  });
});

describe('slackBody', () => {
  it('has a fallback text and blocks with the title, escaped text and fields', () => {
    const b = JSON.parse(slackBody(ev));
    expect(b.text).toContain('Account alpha is rate limited');
    expect(b.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ev.title, emoji: true } });
    expect(b.blocks[1].text.text).toContain('&lt;soon&gt;');
    expect(b.blocks[2].fields).toContainEqual({ type: 'mrkdwn', text: '*windows*\n5h' });
  });
});

describe('maskUrl', () => {
  it('shows only the origin', () => {
    expect(maskUrl('https://hooks.slack.com/services/T0/B0/abc')).toBe('https://hooks.slack.com/••••');
  });
});
