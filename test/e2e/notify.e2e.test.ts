/**
 * Notifications end to end: the real gateway, a fake upstream, a local webhook receiver and a
 * fake Slack endpoint on 127.0.0.1. Each event type reaches both once per window with the right
 * content; a failing receiver is retried and logged; a receiver that never answers leaves the
 * proxy untouched.
 */
import { createHmac } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { requestFinishedEvent } from '../../src/api/live-events.js';
import { workerApprovalEvent } from '../../src/notify/detector.js';
import { NOTIFY_EVENT_TYPES } from '../../src/shared/notify-events.js';
import { api } from '../support/api-request.js';
import { errorBody, type FakeResponse, rateLimited, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const KEY_A = 'sk-ant-api03-notify-a-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'sk-ant-api03-notify-b-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const SECRET = 'webhook-signing-secret';
const SLACK_TOKEN = 'XOXSLACKTOKEN123';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function setup(notify: Parameters<typeof startGateway>[0]['notify'] = {}) {
  const up = await startFakeUpstream();
  open.push(up);
  const gw = await startGateway({
    upstreamUrl: up.url,
    notify,
    setup: async (g) => {
      await g.addApiKey('a', KEY_A, { priority: 0 });
      await g.addApiKey('b', KEY_B, { priority: 1 });
    },
  });
  open.push(gw);
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });
  return { up, gw, client };
}

async function receiver(answer?: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(answer);
  open.push(r);
  return r;
}

function ask(client: Anthropic) {
  return client.messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 5,
    messages: [{ role: 'user', content: 'hi' }],
  });
}

const invalidKey: FakeResponse = {
  kind: 'json',
  status: 401,
  body: errorBody('authentication_error', 'invalid x-api-key'),
};

async function addChannel(gw: TestGateway, body: Record<string, unknown>) {
  const r = await api(gw.url, 'POST', '/api/notify/channels', body);
  expect(r.status, r.text).toBe(201);
  return r.json;
}

async function deliveries(gw: TestGateway) {
  const r = await api(gw.url, 'GET', '/api/notify/deliveries?limit=500');
  expect(r.status).toBe(200);
  return r.json.deliveries as {
    channel: string;
    eventType: string;
    status: string;
    attempts: number;
    lastError: string | null;
  }[];
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

describe('notifications', () => {
  it('counts the requests other instances of a cluster served toward the spend threshold', async () => {
    const { gw } = await setup();
    const hook = await receiver();
    await addChannel(gw, { name: 'hook', kind: 'webhook', url: `${hook.url}/hook`, secret: SECRET });
    const rules = await api(gw.url, 'PUT', '/api/notify/rules', {
      windowMs: 3_600_000,
      spend: { dailyUsd: 1, monthlyUsd: null, keyDailyUsd: null, keyMonthlyUsd: null },
      errorRate: { percent: null, minRequests: 4 },
    });
    expect(rules.status, rules.text).toBe(200);
    // Another instance's finished request, as its live summary arrives here.
    const peer = requestFinishedEvent(sampleRecord({ id: 'peer-1', ts: Date.now(), costUsd: 0.6 }));
    gw.server.events.emit('request.peer', peer);
    gw.server.events.emit('request.peer', { ...peer, id: 'peer-2' });
    await vi.waitFor(() => expect(hook.received.map((h) => h.json.type)).toEqual(['spend.threshold']), {
      timeout: 5000,
    });
    expect(hook.received[0]?.json.fields).toMatchObject({ period: 'day', thresholdUsd: 1 });
  });

  it('sends each event type once per window to a webhook, Slack and the dashboard, with the right content', async () => {
    const { up, gw, client } = await setup();
    const hook = await receiver();
    const slack = await receiver();
    await addChannel(gw, { name: 'hook', kind: 'webhook', url: `${hook.url}/hook`, secret: SECRET });
    const slackChannel = await addChannel(gw, {
      name: 'slack',
      kind: 'slack',
      url: `${slack.url}/services/T000/B000/${SLACK_TOKEN}`,
    });
    expect(slackChannel.url).not.toContain(SLACK_TOKEN);
    const rules = await api(gw.url, 'PUT', '/api/notify/rules', {
      windowMs: 3_600_000,
      spend: { dailyUsd: 0.000001, monthlyUsd: null, keyDailyUsd: null, keyMonthlyUsd: null },
      errorRate: { percent: 50, minRequests: 4 },
    });
    expect(rules.status, rules.text).toBe(200);

    let modeA: 'ok' | '429' = 'ok';
    let modeB: 'ok' | '401' = 'ok';
    up.setHandler((req) => {
      if (req.headers['x-api-key'] === KEY_A && modeA === '429') return rateLimited('5h', 3_600_000);
      if (req.headers['x-api-key'] === KEY_B && modeB === '401') return invalidKey;
      return undefined;
    });

    // Spend past the day's threshold: the first priced answer.
    await ask(client);
    // A's 5h window rejected: failover to B, A benched until the reset.
    modeA = '429';
    await ask(client);
    // B's key refused (the 401 is passed on): disabled; nothing left, answers turn into 503s.
    modeB = '401';
    await expect(ask(client)).rejects.toMatchObject({ status: 401 });
    // 2 of 4 requests failed in 5 minutes: the error rate threshold (50 %).
    await expect(ask(client)).rejects.toMatchObject({ status: 503 });
    await expect(ask(client)).rejects.toMatchObject({ status: 503 });

    // A's cooldown lifted by hand before its reset (as `accounts resume` does, from another
    // process): recovered, then serving again.
    modeA = 'ok';
    const a = await gw.account('a');
    await gw.store.accounts.update(a.id, { cooldownUntil: null, cooldownReason: null });
    await vi.waitFor(() => expect(hook.received.map((h) => h.json.type)).toContain('account.recovered'), {
      timeout: 5000,
    });
    await ask(client);
    // After the recoveries, A benched again and the pool out again are told again; the error
    // rate, still high, is collapsed inside its window.
    modeA = '429';
    await expect(ask(client)).rejects.toMatchObject({ status: 429 });
    await expect(ask(client)).rejects.toMatchObject({ status: 503 });
    // No emitter exists yet for workers; the type is delivered like the others.
    gw.server.notifier.notify(workerApprovalEvent('w1', 'wants to run a shell command'));

    const told = NOTIFY_EVENT_TYPES.length + 2;
    await vi.waitFor(
      async () => {
        const d = await deliveries(gw);
        expect(d.filter((x) => x.status === 'delivered')).toHaveLength(2 * told);
      },
      { timeout: 10_000, interval: 50 },
    );
    await gw.settle();

    const types = hook.received.map((h) => h.json.type as string);
    expect(countBy(types, (t) => t)).toEqual({
      ...Object.fromEntries(NOTIFY_EVENT_TYPES.map((t) => [t, 1])),
      'account.rate_limited': 2,
      'pool.exhausted': 2,
    });
    expect(slack.received).toHaveLength(told);
    expect((await deliveries(gw)).every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);

    const byType = Object.fromEntries(hook.received.map((h) => [h.json.type, h]));
    // Signed over the exact body.
    for (const h of hook.received) {
      expect(h.headers['x-ccflare-signature']).toBe(
        `sha256=${createHmac('sha256', SECRET).update(h.body).digest('hex')}`,
      );
    }
    expect(byType['account.rate_limited']?.json).toMatchObject({
      subject: 'a',
      fields: { account: 'a', windows: '5h' },
    });
    const resetAt = Date.parse(byType['account.rate_limited']?.json.fields.resetAt);
    expect(resetAt).toBeGreaterThan(Date.now() + 3_000_000);
    expect(byType['account.reauth']?.json).toMatchObject({
      subject: 'b',
      severity: 'critical',
      fields: { status: 'disabled' },
    });
    expect(byType['pool.exhausted']?.json.text).toMatch(/^No usable account/);
    expect(byType['pool.recovered']?.json.fields).toEqual({ account: 'a' });
    expect(byType['account.recovered']?.json).toMatchObject({ subject: 'a' });
    expect(byType['account.recovered']?.json.text).toMatch(
      /^Its cooldown was lifted by hand before the 5h window's reset/,
    );
    expect(byType['spend.threshold']?.json).toMatchObject({ fields: { period: 'day', thresholdUsd: 0.000001 } });
    expect(byType['error_rate.high']?.json.fields).toMatchObject({ failed: 2, total: 4, threshold: 50 });
    expect(byType['worker.approval']?.json).toMatchObject({ subject: 'w1', text: 'wants to run a shell command' });

    // Slack gets formatted blocks on its own path; the token stays out of logs and the database's channel row.
    for (const s of slack.received) {
      expect(s.path).toBe(`/services/T000/B000/${SLACK_TOKEN}`);
      expect(s.json.blocks[0].type).toBe('header');
      expect(typeof s.json.text).toBe('string');
    }
    expect(slack.received.map((s) => s.json.blocks[0].text.text)).toContain('Account a is rate limited (5h)');
    expect(gw.logs.join('\n')).not.toContain(SLACK_TOKEN);
    const row = gw.store.connection.prepare("SELECT * FROM notify_channels WHERE name = 'slack'").get();
    expect(JSON.stringify(row)).not.toContain(SLACK_TOKEN);

    // The bell: every notice, unread until read.
    const inbox = await api(gw.url, 'GET', '/api/notify/inbox');
    expect(inbox.json.unread).toBe(told);
    const read = await api(gw.url, 'POST', '/api/notify/inbox/read', {});
    expect(read.json.unread).toBe(0);
  });

  it('retries a failing receiver with backoff and logs status, attempts and the last error', async () => {
    const { gw } = await setup({ maxAttempts: 3, retryBaseMs: 20 });
    const flaky = await receiver((n) => (n < 2 ? 500 : 200));
    const broken = await receiver(() => 503);
    await addChannel(gw, { name: 'flaky', kind: 'webhook', url: `${flaky.url}/x`, events: ['worker.approval'] });
    await addChannel(gw, { name: 'broken', kind: 'webhook', url: `${broken.url}/x`, events: ['worker.approval'] });

    gw.server.notifier.notify(workerApprovalEvent('w1', 'approve?'));
    await vi.waitFor(
      async () => {
        const d = await deliveries(gw);
        expect(d.filter((x) => x.status !== 'pending')).toHaveLength(2);
      },
      { timeout: 10_000, interval: 20 },
    );
    const byChannel = Object.fromEntries((await deliveries(gw)).map((d) => [d.channel, d]));
    expect(byChannel.flaky).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(byChannel.broken).toMatchObject({ status: 'failed', attempts: 3, lastError: 'HTTP 503: receiver says no' });
    expect(flaky.received).toHaveLength(3);
    expect(broken.received).toHaveLength(3);
    // Every retry is the same delivery, so a receiver can deduplicate.
    expect(new Set(flaky.received.map((h) => h.headers['x-ccflare-delivery'])).size).toBe(1);
    // The dashboard channel is not in the delivery log: it got the event in its inbox.
    expect((await api(gw.url, 'GET', '/api/notify/inbox')).json.events[0]).toMatchObject({ type: 'worker.approval' });
  });

  it('marks a delivery waiting for its retry interrupted when the gateway stops, and one a dead gateway left at start', async () => {
    const { gw } = await setup({ maxAttempts: 5, retryBaseMs: 600_000 });
    const down = await receiver(() => 503);
    await addChannel(gw, { name: 'down', kind: 'webhook', url: `${down.url}/x`, events: ['worker.approval'] });
    gw.server.notifier.notify(workerApprovalEvent('w1', 'approve?'));
    await vi.waitFor(async () => expect(await deliveries(gw)).toMatchObject([{ status: 'pending', attempts: 1 }]), {
      timeout: 5000,
      interval: 20,
    });

    gw.server.notifier.stop();
    expect(await deliveries(gw)).toMatchObject([
      { channel: 'down', status: 'interrupted', attempts: 1, lastError: 'HTTP 503: receiver says no' },
    ]);

    // A row a crashed gateway left pending is marked at the next start.
    const now = Date.now();
    await gw.store.notify.insertDelivery({
      id: 'left-by-a-crash',
      channelId: 'x',
      channelName: 'down',
      eventId: 'e',
      eventType: 'pool.exhausted',
      subject: 'pool',
      title: 't',
      status: 'pending',
      attempts: 2,
      lastError: 'timed out',
      responseStatus: null,
      createdAt: now,
      updatedAt: now,
      owner: 'a-crashed-instance',
    });
    await gw.server.notifier.start();
    const after = await deliveries(gw);
    expect(after.find((d) => d.eventType === 'pool.exhausted')).toMatchObject({
      status: 'interrupted',
      attempts: 2,
      lastError: 'timed out',
    });
    expect(after.filter((d) => d.status === 'pending')).toHaveLength(0);
  });

  it('keeps proxying while a receiver never answers', async () => {
    const { gw, client } = await setup({ timeoutMs: 600_000 });
    const hang = await receiver(() => 'hang');
    await addChannel(gw, { name: 'hang', kind: 'webhook', url: `${hang.url}/x` });
    gw.server.notifier.notify(workerApprovalEvent('w1', 'approve?'));
    await vi.waitFor(() => expect(hang.received).toHaveLength(1), { timeout: 5000 });

    // The receiver holds the delivery open; requests are answered regardless.
    const msgs = await Promise.all([ask(client), ask(client), ask(client)]);
    expect(msgs.map((m) => m.type)).toEqual(['message', 'message', 'message']);
    expect(hang.received[0]?.answered).toBe(false);
    const d = await deliveries(gw);
    expect(d).toMatchObject([{ channel: 'hang', status: 'pending', attempts: 0 }]);
  });

  it('takes the repeat window as a duration with units, as other duration settings', async () => {
    const { gw } = await setup();
    const rules = (windowMs: unknown) =>
      api(gw.url, 'PUT', '/api/notify/rules', {
        windowMs,
        spend: { dailyUsd: null, monthlyUsd: null, keyDailyUsd: null, keyMonthlyUsd: null },
        errorRate: { percent: 50, minRequests: 20 },
      });
    const five = await rules('5m');
    expect(five.status, five.text).toBe(200);
    expect(five.json.windowMs).toBe(300_000);
    expect((await api(gw.url, 'GET', '/api/notify/rules')).json.windowMs).toBe(300_000);
    expect((await rules(90_000)).json.windowMs).toBe(90_000);
    expect((await rules('10 minutes')).json.windowMs).toBe(600_000);
    for (const bad of ['5 minutes later', '8d', '500ms']) {
      const r = await rules(bad);
      expect(r.status).toBe(400);
      expect(r.json.error.message).toBe(
        'Invalid body: windowMs: expected a duration such as 90m, 5h, 1h30m, 45s, 7d or 2 hours (a bare number is milliseconds), from 1s to 7d',
      );
    }
  });

  it('refuses a URL that is not http(s), and sends a test on request', async () => {
    const { gw } = await setup();
    const bad = await api(gw.url, 'POST', '/api/notify/channels', {
      name: 'x',
      kind: 'webhook',
      url: 'file:///etc/passwd',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('http:// or https://');

    const hook = await receiver((n) => (n === 0 ? 200 : 500));
    await addChannel(gw, { name: 'hook', kind: 'webhook', url: `${hook.url}/x` });
    const ok = await api(gw.url, 'POST', '/api/notify/channels/hook/test');
    expect(ok.json).toMatchObject({ channel: 'hook', eventType: 'test', status: 'delivered', attempts: 1 });
    expect(hook.received[0]?.json).toMatchObject({ type: 'test', subject: 'hook' });
    const failed = await api(gw.url, 'POST', '/api/notify/channels/hook/test');
    expect(failed.json).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 500: receiver says no' });

    const off = await api(gw.url, 'PATCH', '/api/notify/channels/hook', { events: [], enabled: false });
    expect(off.json).toMatchObject({ events: [], enabled: false });

    // Renamed in place; a taken name is a 409, the dashboard channel keeps its name.
    const renamed = await api(gw.url, 'PATCH', '/api/notify/channels/hook', { name: 'hook-2' });
    expect(renamed.json).toMatchObject({ name: 'hook-2', events: [], enabled: false });
    await addChannel(gw, { name: 'hook', kind: 'webhook', url: `${hook.url}/y` });
    expect((await api(gw.url, 'PATCH', '/api/notify/channels/hook', { name: 'hook-2' })).status).toBe(409);
    expect((await api(gw.url, 'PATCH', '/api/notify/channels/dashboard', { name: 'bell' })).status).toBe(400);
    expect((await api(gw.url, 'DELETE', '/api/notify/channels/hook-2')).status).toBe(200);
    expect((await api(gw.url, 'DELETE', '/api/notify/channels/dashboard')).status).toBe(400);
    expect((await api(gw.url, 'DELETE', '/api/notify/channels/hook')).status).toBe(200);
    expect(
      (await api(gw.url, 'GET', '/api/notify/channels')).json.channels.map((c: { name: string }) => c.name),
    ).toEqual(['dashboard']);
  });
});
