/**
 * Account changes made with the CLI (run in process, test/support/cli-io.ts, on the same data
 * directory, as another process would) while the gateway runs reach live traffic within two
 * seconds, with the gateway's real 1 s account poll and with the test harness's faster one. Every
 * change runs at 100 ms; at 1 s, where each change costs up to a second of waiting, one test shows
 * the default interval keeps the promise.
 */
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli-io.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { timeUntil } from '../support/wait.js';

const KEY_A = 'sk-ant-api03-live-config-account-a';
const KEY_B = 'sk-ant-api03-live-config-account-b';
const KEY_C = 'sk-ant-api03-live-config-account-c';
/** The promise made to users: a CLI change is live within this long. */
const LIVE_WITHIN_MS = 2000;

interface Answer {
  status: number;
  /** The x-api-key the upstream saw, or null when the gateway answered itself. */
  key: string | null;
  message: string | null;
}

describe.each([1000, 100])('live account changes (account poll %i ms)', (pollMs) => {
  let up: FakeUpstream;
  let gw: TestGateway;
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (let c = cleanups.pop(); c; c = cleanups.pop()) await c();
  });

  async function start(accounts: Array<[name: string, key: string, priority: number]>): Promise<void> {
    up = await startFakeUpstream();
    cleanups.push(() => up.close());
    gw = await startGateway({
      upstreamUrl: up.url,
      accountPollMs: pollMs,
      setup: async (g) => {
        for (const [name, key, priority] of accounts) await g.addApiKey(name, key, { priority });
      },
    });
    cleanups.push(() => gw.close());
  }

  async function cli(...args: string[]): Promise<string> {
    const r = await runCommand(args, { home: gw.home });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  }

  async function send(): Promise<Answer> {
    const before = up.requests.length;
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = (await res.body.json()) as { error?: { message?: string } };
    const seen = up.requests.length > before ? up.requests[up.requests.length - 1] : undefined;
    const key = seen?.headers['x-api-key'];
    return {
      status: res.statusCode,
      key: typeof key === 'string' ? key : null,
      message: body.error?.message ?? null,
    };
  }

  /**
   * Sends a request every 50 ms until one satisfies `done`; returns how long that took and
   * every answer seen on the way.
   */
  async function sendUntil(done: (a: Answer) => boolean, budgetMs = LIVE_WITHIN_MS + 1500) {
    const seen: Answer[] = [];
    const ms = await timeUntil(
      async () => {
        const a = await send();
        seen.push(a);
        if (!done(a)) throw new Error(`not yet; answers so far: ${JSON.stringify(seen)}`);
      },
      budgetMs,
      50,
    );
    return { ms, seen };
  }

  it('`accounts pause` moves traffic to the next account; `resume` brings it back', async () => {
    await start([
      ['a', KEY_A, 0],
      ['b', KEY_B, 1],
    ]);
    expect(await send()).toMatchObject({ status: 200, key: KEY_A });

    expect(await cli('accounts', 'pause', 'a')).toContain('Paused "a"');
    const toB = await sendUntil((a) => a.key === KEY_B);
    expect(toB.ms).toBeLessThanOrEqual(LIVE_WITHIN_MS);
    // No request failed while the change propagated.
    expect(toB.seen.every((a) => a.status === 200)).toBe(true);
    for (let i = 0; i < 5; i++) expect(await send()).toMatchObject({ status: 200, key: KEY_B });
    expect((await gw.account('a')).paused).toBe(true);

    // Back to a: resume it and pause b.
    expect(await cli('accounts', 'resume', 'a')).toContain('Resumed "a"');
    expect(await cli('accounts', 'pause', 'b')).toContain('Paused "b"');
    const toA = await sendUntil((a) => a.key === KEY_A);
    expect(toA.ms).toBeLessThanOrEqual(LIVE_WITHIN_MS);
    expect(toA.seen.every((a) => a.status === 200)).toBe(true);
    for (let i = 0; i < 3; i++) expect(await send()).toMatchObject({ status: 200, key: KEY_A });
  });

  // The same poll picks these changes up; the 1 s run above already shows its interval keeps the promise.
  if (pollMs !== 100) return;

  it('`accounts add-key` on a running gateway with no accounts makes the new account usable', async () => {
    await start([]);
    const none = await send();
    expect(none.status).toBe(503);
    expect(none.message).toMatch(/No accounts configured/);

    expect(await cli('accounts', 'add-key', 'c', '--key', KEY_C)).toContain('Added account "c"');
    const served = await sendUntil((a) => a.status === 200);
    expect(served.ms).toBeLessThanOrEqual(LIVE_WITHIN_MS);
    expect(served.seen.at(-1)).toMatchObject({ status: 200, key: KEY_C });

    // The official SDK works through it too, with the key injected by the gateway.
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    const msg = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.type).toBe('message');
    expect(up.requests.at(-1)?.headers['x-api-key']).toBe(KEY_C);

    // Replacing the key (remove, add again under the same name) takes effect as well.
    const KEY_C2 = `${KEY_C}-rotated`;
    await cli('accounts', 'remove', 'c', '--yes');
    expect(await cli('accounts', 'add-key', 'c', '--key', KEY_C2)).toContain('Added account "c"');
    const rotated = await sendUntil((a) => a.key === KEY_C2);
    expect(rotated.ms).toBeLessThanOrEqual(LIVE_WITHIN_MS);
    for (let i = 0; i < 3; i++) expect(await send()).toMatchObject({ status: 200, key: KEY_C2 });
  });

  it('`accounts remove` stops using the account; removing the last one answers 503', async () => {
    await start([
      ['a', KEY_A, 0],
      ['b', KEY_B, 1],
    ]);
    expect(await send()).toMatchObject({ status: 200, key: KEY_A });

    expect(await cli('accounts', 'remove', 'a', '--yes')).toContain('Removed account "a"');
    const toB = await sendUntil((a) => a.key === KEY_B);
    expect(toB.ms).toBeLessThanOrEqual(LIVE_WITHIN_MS);
    expect(toB.seen.every((a) => a.status === 200)).toBe(true);
    const afterSwitch = up.requests.length;
    for (let i = 0; i < 5; i++) expect(await send()).toMatchObject({ status: 200, key: KEY_B });
    expect(up.requests.slice(afterSwitch).some((r) => r.headers['x-api-key'] === KEY_A)).toBe(false);

    expect(await cli('accounts', 'remove', 'b', '--yes')).toContain('Removed account "b"');
    const gone = await sendUntil((a) => a.status === 503);
    expect(gone.ms).toBeLessThanOrEqual(LIVE_WITHIN_MS);
    expect(gone.seen.at(-1)?.message).toMatch(/No accounts configured/);
    expect(await gw.store.accounts.getByName('a')).toBeNull();
  });
});
