/**
 * Every row of the failure table in protocol.md section 4, against the fake upstream, through the
 * real server, with the official SDK as the client.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../support/api-request.js';
import {
  errorBody,
  type FakeResponse,
  type FakeUpstream,
  messageJson,
  type RecordedRequest,
  rateLimited,
  startFakeUpstream,
} from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const KEY_A = 'sk-ant-api03-account-a';
const KEY_B = 'sk-ant-api03-account-b';

let up: FakeUpstream | undefined;
let gw: TestGateway | undefined;

afterEach(async () => {
  await gw?.close();
  await up?.close();
  gw = undefined;
  up = undefined;
});

/** Starts an upstream that answers account A with `onA` and account B normally. */
async function setup(
  onA: (req: RecordedRequest, nthForA: number) => FakeResponse | undefined,
  opts: { accounts?: 'a' | 'ab'; env?: Record<string, string> } = {},
) {
  up = await startFakeUpstream();
  let nA = 0;
  up.setHandler((req) => (req.headers['x-api-key'] === KEY_A ? onA(req, nA++) : undefined));
  gw = await startGateway({
    upstreamUrl: up.url,
    env: opts.env,
    setup: async (g) => {
      await g.addApiKey('a', KEY_A, { priority: 0 });
      if ((opts.accounts ?? 'ab') === 'ab') await g.addApiKey('b', KEY_B, { priority: 1 });
    },
  });
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
  return { up, gw, client };
}

const ask = (client: Anthropic, model = 'claude-sonnet-4-6') =>
  client.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'the same body every time' }] });

/** A request the test can walk away from: `leave()` aborts it, `asked` settles with what the client saw. */
function askThenLeave(client: Anthropic) {
  const ctl = new AbortController();
  const asked = client.messages
    .create(
      { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      { signal: ctl.signal },
    )
    .catch((e: unknown) => e);
  return { leave: () => ctl.abort(), asked };
}

/** Pauses through the management API, which rereads the accounts before answering: no poll to wait for. */
const pause = (g: TestGateway, name: string) => api(g.url, 'POST', `/api/accounts/${name}/pause`);

const keysSeen = (u: FakeUpstream) => u.requests.map((r) => (r.headers['x-api-key'] === KEY_A ? 'a' : 'b'));
const nowS = () => Math.floor(Date.now() / 1000);

describe('failover table', () => {
  it('429 with a rejected 5h window: next account, A cools down until the reset', async () => {
    const { client, up, gw } = await setup(() => rateLimited('5h', 3_600_000));
    const msg = await ask(client);
    expect(msg.type).toBe('message');
    expect(keysSeen(up)).toEqual(['a', 'b']);
    // The body is replayed byte for byte, the client never resends.
    expect(up.requests[1]?.body).toBe(up.requests[0]?.body);
    const a = await gw.account('a');
    const reset = (nowS() + 3600) * 1000;
    expect(a.cooldownUntil).toBeGreaterThanOrEqual(reset - 5000);
    expect(a.cooldownUntil).toBeLessThanOrEqual(reset + 35_000);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ success: true, accountName: 'b', attempts: 2 });
    expect(rec?.attemptLog.map((x) => x.status)).toEqual([429, 200]);
    // The next request skips A without asking it.
    await ask(client);
    expect(keysSeen(up)).toEqual(['a', 'b', 'b']);
  });

  it('429 with a rejected 7d window: cooldown until the latest rejected reset', async () => {
    const { client, gw } = await setup(() => rateLimited('7d', 3 * 86_400_000));
    await ask(client);
    const a = await gw.account('a');
    expect(a.cooldownUntil).toBeGreaterThan(Date.now() + 3 * 86400_000 - 10_000);
  });

  it('429 with only a model-scoped window rejected: next account, A cools down for that model only', async () => {
    const { client, up, gw } = await setup((req) => {
      if (!String(req.json?.model).includes('opus')) return undefined;
      const reset = String(nowS() + 7200);
      return {
        kind: 'json',
        status: 429,
        headers: {
          'anthropic-ratelimit-unified-status': 'allowed',
          'anthropic-ratelimit-unified-7d_oi-status': 'rejected',
          'anthropic-ratelimit-unified-7d_oi-reset': reset,
        },
        body: errorBody('rate_limit_error', 'Opus weekly limit reached'),
      };
    });
    await ask(client, 'claude-opus-4-5');
    expect(keysSeen(up)).toEqual(['a', 'b']);
    const a = await gw.account('a');
    expect(a.cooldownUntil).toBeNull();
    expect(Object.values(a.modelCooldowns)[0]).toBeGreaterThan(Date.now() + 7000_000);
    // With B out of the way, Sonnet still goes to A while Opus finds no account.
    expect((await pause(gw, 'b')).status).toBe(200);
    await ask(client, 'claude-sonnet-4-6');
    expect(keysSeen(up)).toEqual(['a', 'b', 'a']);
    const err = (await ask(client, 'claude-opus-4-5').catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/cooling down for opus/);
    expect(keysSeen(up)).toEqual(['a', 'b', 'a']);
  });

  it('bare 429 (no rate-limit headers): next account, A unchanged', async () => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status: 429,
      headers: { 'x-should-retry': 'true' },
      body: errorBody('rate_limit_error', 'Number of concurrent connections has exceeded your rate limit.'),
    }));
    await ask(client);
    expect(keysSeen(up)).toEqual(['a', 'b']);
    const a = await gw.account('a');
    expect(a.cooldownUntil).toBeNull();
    expect(a.health).toBe('ok');
  });

  it('a burst that all fails over at once reaches the healthy account: the retry budget does not refuse it', async () => {
    up = await startFakeUpstream();
    // B holds its answers until every request of the burst is there (or one client already has
    // its answer, which happens when the gateway refused the failover), so all failovers overlap.
    let releaseB!: () => void;
    const bReleased = new Promise<void>((r) => {
      releaseB = r;
    });
    let atB = 0;
    up.setHandler(async (req) => {
      if (req.headers['x-api-key'] === KEY_A) {
        return {
          kind: 'json',
          status: 429,
          body: errorBody('rate_limit_error', 'Number of concurrent connections has exceeded your rate limit.'),
        };
      }
      if (++atB === 4) releaseB();
      await bReleased;
      return undefined;
    });
    gw = await startGateway({
      upstreamUrl: up.url,
      setup: async (g) => {
        await g.addApiKey('a', KEY_A, { priority: 0 });
        await g.addApiKey('b', KEY_B, { priority: 1 });
      },
    });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    const burst = Array.from({ length: 4 }, () =>
      ask(client).then(
        () => 200,
        (err: { status?: number }) => err.status ?? 0,
      ),
    );
    for (const answer of burst) void answer.then(releaseB);
    expect(await Promise.all(burst)).toEqual([200, 200, 200, 200]);
    expect(gw.logs.filter((l) => l.includes('retry budget exhausted'))).toEqual([]);
  });

  it('a 529 burst whose retries on A would exceed the retry budget goes to the healthy account instead', async () => {
    up = await startFakeUpstream();
    // Each request's first try on A is overloaded; its retry on A and any try on B are held until
    // four are held at once (or a client already has its answer), so the retries overlap.
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const seenA = new Map<string, number>();
    let held = 0;
    const overloaded: FakeResponse = {
      kind: 'json',
      status: 529,
      body: errorBody('overloaded_error', 'Overloaded'),
    };
    up.setHandler(async (req) => {
      const content = JSON.stringify(req.json);
      if (req.headers['x-api-key'] === KEY_A) {
        const n = seenA.get(content) ?? 0;
        seenA.set(content, n + 1);
        if (n === 0) return overloaded;
      }
      if (++held === 4) release();
      await released;
      return req.headers['x-api-key'] === KEY_A ? overloaded : undefined;
    });
    gw = await startGateway({
      upstreamUrl: up.url,
      setup: async (g) => {
        await g.addApiKey('a', KEY_A, { priority: 0 });
        await g.addApiKey('b', KEY_B, { priority: 1 });
      },
    });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    const burst = [1, 2, 3, 4].map((i) =>
      client.messages
        .create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: `request ${i}` }] })
        .then(
          () => 200,
          (err: { status?: number }) => err.status ?? 0,
        ),
    );
    for (const answer of burst) void answer.then(release);
    expect(await Promise.all(burst)).toEqual([200, 200, 200, 200]);
    expect(gw.logs.filter((l) => l.includes('retry budget exhausted'))).toEqual([]);
  });

  it('API-key per-minute 429: next account, A cools down until the reset', async () => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status: 429,
      headers: {
        'retry-after': '20',
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': new Date(Date.now() + 20_000).toISOString(),
      },
      body: errorBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'),
    }));
    await ask(client);
    expect(keysSeen(up)).toEqual(['a', 'b']);
    const a = await gw.account('a');
    expect(a.cooldownUntil).toBeGreaterThan(Date.now() + 10_000);
    expect(a.cooldownUntil).toBeLessThan(Date.now() + 60_000);
  });

  it('API-key per-minute 429 on the only account: waits retry-after when it fits the deadline', async () => {
    const { client, up } = await setup(
      (_req, n) =>
        n === 0
          ? {
              kind: 'json',
              status: 429,
              headers: { 'retry-after': '1', 'anthropic-ratelimit-requests-remaining': '0' },
              body: errorBody('rate_limit_error', 'per-minute rate limit'),
            }
          : undefined,
      { accounts: 'a' },
    );
    const t0 = Date.now();
    const msg = await ask(client);
    expect(msg.type).toBe('message');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(keysSeen(up)).toEqual(['a', 'a']);
  });

  it('API-key per-minute 429 on the only account: a client that leaves during the wait ends the request at once', async () => {
    const { client, up, gw } = await setup(
      () => ({
        kind: 'json',
        status: 429,
        headers: { 'retry-after': '60', 'anthropic-ratelimit-requests-remaining': '0' },
        body: errorBody('rate_limit_error', 'per-minute rate limit'),
      }),
      { accounts: 'a' },
    );
    const inFlight = async () => ((await (await fetch(`${gw.url}/health`)).json()) as { inFlight: number }).inFlight;
    const { leave, asked } = askThenLeave(client);
    // A's cooldown is stored right before the gateway starts waiting the 60 s for it.
    await vi.waitFor(async () => expect((await gw.account('a')).cooldownUntil).not.toBeNull(), {
      timeout: 10_000,
      interval: 20,
    });
    expect(await inFlight()).toBe(1);
    leave();
    expect(await asked).toBeInstanceOf(Anthropic.APIUserAbortError);
    // Long before the wait would have ended, the request is over and recorded.
    await vi.waitFor(async () => expect(await inFlight()).toBe(0), { timeout: 10_000, interval: 20 });
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 499, success: false, error: 'client disconnected', attempts: 1 });
    expect(keysSeen(up)).toEqual(['a']);
  });

  it('the client leaving while an attempt waits for headers: the record lists that attempt on its account', async () => {
    const { client, up, gw } = await setup(() => ({ kind: 'hang' }), { accounts: 'a' });
    const { leave, asked } = askThenLeave(client);
    await vi.waitFor(() => expect(up.requests).toHaveLength(1), { timeout: 10_000, interval: 20 });
    leave();
    expect(await asked).toBeInstanceOf(Anthropic.APIUserAbortError);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 499, success: false, error: 'client disconnected', attempts: 1 });
    // It was recorded with no attempt and no account, as if nothing had gone out.
    expect(rec?.attemptLog).toEqual([
      expect.objectContaining({ account: 'a', status: null, error: 'client disconnected' }),
    ]);
  });

  it('credits / spend-limit error: no retry, no failover, the account is flagged', async () => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status: 400,
      body: errorBody('invalid_request_error', 'Your credit balance is too low to access the Anthropic API.'),
    }));
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((err as Error).message)).toContain('credit balance is too low');
    expect(keysSeen(up)).toEqual(['a']);
    const a = await gw.account('a');
    expect(a.flag).toBeTruthy();
    expect(a.health).toBe('ok');
    expect(a.cooldownUntil).toBeNull();
  });

  it('403 permission_error: next account, A disabled until a person acts', async () => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status: 403,
      body: errorBody('permission_error', 'OAuth token has been revoked.'),
    }));
    await ask(client);
    expect(keysSeen(up)).toEqual(['a', 'b']);
    const a = await gw.account('a');
    expect(a.health).toBe('disabled');
    await ask(client);
    expect(keysSeen(up)).toEqual(['a', 'b', 'b']);
  });

  it('400 "organization has been disabled": next account, A disabled', async () => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status: 400,
      body: errorBody('invalid_request_error', 'This organization has been disabled.'),
    }));
    await ask(client);
    expect(keysSeen(up)).toEqual(['a', 'b']);
    expect((await gw.account('a')).health).toBe('disabled');
  });

  it('403 on /v1/models (tokens refused on that endpoint): passed through, the account stays enabled', async () => {
    const { client, up, gw } = await setup((req) =>
      req.path.startsWith('/v1/models')
        ? {
            kind: 'json',
            status: 403,
            body: errorBody('permission_error', 'OAuth authentication is not supported here'),
          }
        : undefined,
    );
    const err = (await client.models.list().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(403);
    expect(keysSeen(up)).toEqual(['a']);
    expect((await gw.account('a')).health).toBe('ok');
  });

  it.each([
    [400, 'invalid_request_error', Anthropic.BadRequestError],
    [404, 'not_found_error', Anthropic.NotFoundError],
    [413, 'request_too_large', Anthropic.APIError],
  ])('%i %s: passed through, no retry, A unchanged', async (status, type, cls) => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status,
      body: errorBody(type, `upstream says ${type}`),
    }));
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
    expect(String((err as Error).message)).toContain(`upstream says ${type}`);
    expect(keysSeen(up)).toEqual(['a']);
    const a = await gw.account('a');
    expect(a.health).toBe('ok');
    expect(a.cooldownUntil).toBeNull();
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status, success: false, attempts: 1 });
  });

  it.each([500, 502, 503, 504])(
    '%i: retried on the same account with backoff, then the next; A unchanged',
    async (status) => {
      const { client, up, gw } = await setup(() => ({
        kind: 'json',
        status,
        body: errorBody('api_error', 'Internal server error'),
      }));
      const msg = await ask(client);
      expect(msg.type).toBe('message');
      expect(keysSeen(up)).toEqual(['a', 'a', 'b']);
      const gap = (up.requests[1]?.receivedAt ?? 0) - (up.requests[0]?.receivedAt ?? 0);
      expect(gap).toBeGreaterThanOrEqual(100);
      const a = await gw.account('a');
      expect(a.cooldownUntil).toBeNull();
      expect(a.health).toBe('ok');
    },
  );

  it('a transient 500 recovers on the same account', async () => {
    const { client, up } = await setup((_r, n) =>
      n === 0 ? { kind: 'json', status: 500, body: errorBody('api_error', 'Internal server error') } : undefined,
    );
    await ask(client);
    expect(keysSeen(up)).toEqual(['a', 'a']);
  });

  it('connection reset before headers: retried, then the next account', async () => {
    const { client, up, gw } = await setup(() => ({ kind: 'reset' }));
    const msg = await ask(client);
    expect(msg.type).toBe('message');
    expect(keysSeen(up)).toEqual(['a', 'a', 'b']);
    expect((await gw.account('a')).health).toBe('ok');
  });

  it('connection refused: 502 in Anthropic shape after the attempts, recorded', async () => {
    // Nothing listens on the upstream port once the fake is closed.
    const { client, up, gw } = await setup(() => undefined, { accounts: 'a' });
    await up.close();
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(502);
    // Names the upstream, the attempts and the account, then the cause in words.
    expect(String((err as Error).message)).toMatch(
      /Upstream 127\.0\.0\.1:\d+ unreachable \(\d attempts on account a\): network error: connection refused \(ECONNREFUSED\)/,
    );
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 502, success: false });
    expect(rec?.attempts).toBeGreaterThanOrEqual(2);
  });

  it('529 overloaded: retried with backoff, then the next account; at most a short cooldown', async () => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status: 529,
      body: errorBody('overloaded_error', 'Overloaded'),
    }));
    const msg = await ask(client);
    expect(msg.type).toBe('message');
    expect(keysSeen(up)[0]).toBe('a');
    expect(keysSeen(up).at(-1)).toBe('b');
    const a = await gw.account('a');
    expect((a.cooldownUntil ?? 0) - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('a hang before headers uses up the one deadline: no retry on A, no extra time for B, then 504, recorded', async () => {
    // The smallest deadline the setting accepts.
    const { client, up, gw } = await setup(() => ({ kind: 'hang' }), { env: { CCFLARE_REQUEST_DEADLINE_MS: '1000' } });
    const err = (await ask(client).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(504);
    expect(err.message).toContain('No upstream answer within 1000 ms');
    // A network failure before headers is otherwise retried on the same account, then the next
    // (see the connection-reset row): the hang ate the whole deadline, so neither happened.
    expect(keysSeen(up)).toEqual(['a']);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 504, success: false, attempts: 1 });
  });

  it('a hang before headers on a stream: after the attempt timeout the next account answers, A tried once', async () => {
    const { client, up, gw } = await setup(() => ({ kind: 'hang' }), {
      env: { CCFLARE_ATTEMPT_TIMEOUT_MS: '1000', CCFLARE_REQUEST_DEADLINE_MS: '600000' },
    });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    for await (const e of stream)
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
    expect(text).not.toBe('');
    expect(keysSeen(up)).toEqual(['a', 'b']);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 200, success: true, accountName: 'b', attempts: 2 });
    expect(rec?.attemptLog[0]).toMatchObject({ account: 'a', status: null });
    expect(rec?.attemptLog[0]?.error).toContain('no response headers in time');
    expect(rec?.attemptLog[0]?.ms).toBeGreaterThanOrEqual(990);
  });

  it('a non-streaming Messages call waits for its whole answer up to the deadline, not the attempt timeout', async () => {
    // Its headers come only with the whole answer: 1.5 s of writing must not fail over at 1 s.
    const { client, up, gw } = await setup(() => ({ kind: 'json', body: messageJson(), delayMs: 1500 }), {
      env: { CCFLARE_ATTEMPT_TIMEOUT_MS: '1000' },
    });
    expect((await ask(client)).type).toBe('message');
    expect(keysSeen(up)).toEqual(['a']);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 200, accountName: 'a', attempts: 1 });
  });

  it('no usable account: 503 with the reason and the earliest time an account frees up, recorded', async () => {
    const { client, up, gw } = await setup(() => rateLimited('5h', 1_800_000), { accounts: 'a' });
    const err = await ask(client).catch((e: unknown) => e);
    // The only account's own 429 is passed through on the first request...
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(429);
    // ...and the next request gets a 503 saying when an account frees up, without asking upstream.
    const err2 = await ask(client).catch((e: unknown) => e);
    const e2 = err2 as InstanceType<typeof Anthropic.APIError>;
    expect(e2.status).toBe(503);
    expect(e2.message).toMatch(/No usable account/);
    expect(e2.message).toMatch(/cooling down/);
    expect(e2.message).toMatch(/frees up at \d{4}-\d{2}-\d{2}T/);
    expect(Number(e2.headers?.get('retry-after'))).toBeGreaterThan(1700);
    // It comes back by itself: the client may retry.
    expect(e2.headers?.get('x-should-retry')).toBe('true');
    expect(up.requests).toHaveLength(1);
    const rows = await gw.records(2);
    expect(rows[0]).toMatchObject({ status: 503, success: false, accountName: null, attempts: 0 });
  });

  it('no accounts configured: 503 telling how to add one', async () => {
    up = await startFakeUpstream();
    gw = await startGateway({ upstreamUrl: up.url });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    const err = (await ask(client).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/ccflare accounts add/);
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(up.requests).toHaveLength(0);
  });

  it('every account paused or disabled: 503 that tells the client not to retry', async () => {
    const { client, up, gw } = await setup(() => ({
      kind: 'json',
      status: 401,
      body: errorBody('authentication_error', 'invalid x-api-key'),
    }));
    expect((await pause(gw, 'b')).status).toBe(200);
    // A's key is refused: A is disabled, B paused; neither comes back without a person.
    await ask(client).catch(() => undefined);
    expect((await gw.account('a')).health).toBe('disabled');
    const err = (await ask(client).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/No usable account for claude-sonnet-4-6 \(2 configured: 1 disabled, 1 paused\)/);
    // The SDK (and Claude Code) obey it before any status rule: the message shows at once.
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(err.headers?.get('retry-after')).toBeNull();
    expect(up.requests).toHaveLength(1);
  });

  it('paused accounts are skipped', async () => {
    const { client, up, gw } = await setup(() => undefined);
    expect((await pause(gw, 'a')).status).toBe(200);
    await ask(client);
    expect(keysSeen(up)).toEqual(['b']);
  });

  it('session affinity: one client session stays on its account', async () => {
    const { up, gw } = await setup(() => undefined);
    const client = new Anthropic({
      baseURL: gw.url,
      apiKey: 'client',
      maxRetries: 0,
      defaultHeaders: { 'x-claude-code-session-id': 'session-1' },
    });
    // Move the session window to B, then make A preferable again: the session stays on B.
    expect((await pause(gw, 'a')).status).toBe(200);
    await ask(client);
    // The API calls after this store write reread every account, this row included.
    await gw.store.accounts.update((await gw.account('b')).id, { sessionStart: null });
    expect((await api(gw.url, 'POST', '/api/accounts/a/resume')).json).toMatchObject({ paused: false, priority: 0 });
    expect((await api(gw.url, 'POST', '/api/accounts/b/priority', { priority: 5 })).json).toMatchObject({
      priority: 5,
    });
    await ask(client);
    expect(keysSeen(up)).toEqual(['b', 'b']);
    expect(messageJson).toBeDefined();
  });
});
