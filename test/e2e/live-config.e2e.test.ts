/**
 * Account changes made with the CLI (run in process, test/support/cli-io.ts, on the same data
 * directory, as another process would) while the gateway runs reach live traffic without a
 * restart and without a failed request, with the gateway's real 1 s account poll and with the test
 * harness's faster one. How soon is the poll interval's business (src/revision-watch.test.ts, with
 * fake timers); no duration is asserted here, the waits only give up after WAIT_MS.
 */
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../support/cli-io.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const KEY_A = 'sk-ant-api03-live-config-account-a';
const KEY_B = 'sk-ant-api03-live-config-account-b';
const KEY_C = 'sk-ant-api03-live-config-account-c';
/** How long a wait for a change goes on before the test fails (not a promise: a bound for a stuck test). */
const WAIT_MS = 10_000;

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
   * Sends a request every 50 ms until one satisfies `done`; returns every answer seen on the way.
   */
  async function sendUntil(done: (a: Answer) => boolean, budgetMs = WAIT_MS) {
    const seen: Answer[] = [];
    await vi.waitFor(
      async () => {
        const a = await send();
        seen.push(a);
        if (!done(a)) throw new Error(`not yet; answers so far: ${JSON.stringify(seen)}`);
      },
      { timeout: budgetMs, interval: 50 },
    );
    return { seen };
  }

  it('`accounts pause` moves traffic to the next account; `resume` brings it back', async () => {
    await start([
      ['a', KEY_A, 0],
      ['b', KEY_B, 1],
    ]);
    expect(await send()).toMatchObject({ status: 200, key: KEY_A });

    expect(await cli('accounts', 'pause', 'a')).toContain('Paused "a"');
    const toB = await sendUntil((a) => a.key === KEY_B);
    // No request failed while the change propagated.
    expect(toB.seen.every((a) => a.status === 200)).toBe(true);
    for (let i = 0; i < 5; i++) expect(await send()).toMatchObject({ status: 200, key: KEY_B });
    expect((await gw.account('a')).paused).toBe(true);

    // Back to a: resume it and pause b.
    expect(await cli('accounts', 'resume', 'a')).toContain('Resumed "a"');
    expect(await cli('accounts', 'pause', 'b')).toContain('Paused "b"');
    const toA = await sendUntil((a) => a.key === KEY_A);
    expect(toA.seen.every((a) => a.status === 200)).toBe(true);
    for (let i = 0; i < 3; i++) expect(await send()).toMatchObject({ status: 200, key: KEY_A });
  });

  // The same poll picks these changes up; the 1 s run above already shows the real interval works.
  if (pollMs !== 100) return;

  it('`accounts add-key` on a running gateway with no accounts makes the new account usable', async () => {
    await start([]);
    const none = await send();
    expect(none.status).toBe(503);
    expect(none.message).toMatch(/No accounts configured/);

    expect(await cli('accounts', 'add-key', 'c', '--key', KEY_C)).toContain('Added account "c"');
    const served = await sendUntil((a) => a.status === 200);
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
    await sendUntil((a) => a.key === KEY_C2);
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
    expect(toB.seen.every((a) => a.status === 200)).toBe(true);
    const afterSwitch = up.requests.length;
    for (let i = 0; i < 5; i++) expect(await send()).toMatchObject({ status: 200, key: KEY_B });
    expect(up.requests.slice(afterSwitch).some((r) => r.headers['x-api-key'] === KEY_A)).toBe(false);

    expect(await cli('accounts', 'remove', 'b', '--yes')).toContain('Removed account "b"');
    const gone = await sendUntil((a) => a.status === 503);
    expect(gone.seen.at(-1)?.message).toMatch(/No accounts configured/);
    expect(await gw.store.accounts.getByName('a')).toBeNull();
  });
});
