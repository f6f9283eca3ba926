/**
 * An account whose attempts fail looks failing: the case, an account answering one 429 and
 * four 529s while another serves every request, used to show 0 requests, 0 errors and "Active".
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api-request.js';
import { runCommand } from '../support/cli-io.js';
import { errorBody, type FakeResponse, type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const FLAKY = 'sk-ant-api03-failing-flaky';
const STEADY = 'sk-ant-api03-failing-steady';

let up: FakeUpstream;
let gw: TestGateway;
/** What the steady account answers next, in order: 529 (overloaded); past the end, 200. */
const steadyPlan: number[] = [];

const overloaded: FakeResponse = {
  kind: 'json',
  status: 529,
  body: errorBody('overloaded_error', 'Overloaded'),
};

beforeAll(async () => {
  up = await startFakeUpstream();
  let flakyCalls = 0;
  up.setHandler((req) => {
    if (req.headers['x-api-key'] === FLAKY) {
      // A bare 429 (no rate-limit headers) moves the request on without cooling the account down.
      return flakyCalls++ === 0
        ? { kind: 'json', status: 429, body: errorBody('rate_limit_error', 'Too many requests') }
        : overloaded;
    }
    return steadyPlan.shift() === 529 ? overloaded : undefined;
  });
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('flaky', FLAKY, { priority: 0 });
      await g.addApiKey('steady', STEADY, { priority: 1 });
    },
  });
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
  const ask = () =>
    client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  // 1: flaky 429 -> steady, which the session then stays on.
  await ask();
  // 2: steady 529, retried on steady: 200.
  steadyPlan.push(529);
  await ask();
  // 3 and 4: steady 529 twice, flaky 529 twice: no account answers, the client gets the 529.
  for (let i = 0; i < 2; i++) {
    steadyPlan.push(529, 529);
    await expect(ask()).rejects.toMatchObject({ status: 529 });
  }
  await gw.records(4);
  await gw.settle();
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('an account whose attempts fail', () => {
  it('counts every attempt and failed attempt on it, though it never served a request', async () => {
    const flaky = (await api(gw.url, 'GET', '/api/accounts/flaky')).json;
    expect(flaky).toMatchObject({ requestCount: 0, attemptCount: 5, failedAttemptCount: 5 });
    const steady = (await api(gw.url, 'GET', '/api/accounts/steady')).json;
    expect(steady).toMatchObject({ requestCount: 2, attemptCount: 7, failedAttemptCount: 5 });
  });

  it('keeps its last upstream errors with status, message and time', async () => {
    const flaky = (await api(gw.url, 'GET', '/api/accounts/flaky')).json;
    const errors = flaky.recentErrors as { at: number; status: number; error: string }[];
    expect(errors.map((e) => e.status)).toEqual([429, 529, 529, 529, 529]);
    expect(errors[0]?.error).toMatch(/^429 .*Too many requests/);
    expect(errors[4]?.error).toBe('529 overloaded: Overloaded');
    for (const e of errors) expect(Math.abs(e.at - Date.now())).toBeLessThan(60_000);
  });

  it('shows as failing, with what failed, instead of active', async () => {
    const flaky = (await api(gw.url, 'GET', '/api/accounts/flaky')).json;
    expect(flaky.status).toBe('failing');
    expect(flaky.statusReason).toBe(
      '529 ×4, 429 ×1 (its last 5 errors, all in the last 5 min); last: 529 overloaded: Overloaded',
    );
  });

  it('`accounts list` shows the state, the attempts and the last errors', async () => {
    const r = await runCommand(['accounts', 'list'], { home: gw.home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^flaky +api_key +failing: 529 ×4, 429 ×1 \(its last 5 errors, all in the last 5 min\); .* 0\/0 +5 \(5 failed\)/m,
    );
    expect(r.stdout).toMatch(/^Last errors of flaky:\n( {2}\d\d:\d\d {2}529 {2}529 overloaded: Overloaded\n){4}/m);
    const json = JSON.parse((await runCommand(['accounts', 'list', '--json'], { home: gw.home })).stdout);
    expect(json.find((a: { name: string }) => a.name === 'flaky')).toMatchObject({ failedAttemptCount: 5 });
  });
});

describe('request records', () => {
  it('a failed request names the accounts it tried, in the list and the detail', async () => {
    const page = (await api(gw.url, 'GET', '/api/requests?status=error')).json;
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({ accountName: null, triedAccounts: ['steady', 'flaky'], status: 529 });
    const detail = (await api(gw.url, 'GET', `/api/requests/${page.items[0].id}`)).json;
    expect(detail).toMatchObject({ triedAccounts: ['steady', 'flaky'], retries: 2, failovers: 1 });
    const r = await runCommand(['requests', '--limit', '1'], { home: gw.home });
    expect(r.stdout).toContain('none (tried steady, flaky) (2 retries, 1 failover)');
  });

  it('calls a retry on the same account a retry, and a move to another account a failover', async () => {
    const { items } = (await api(gw.url, 'GET', '/api/requests?status=success')).json;
    // Newest first: the second request retried steady; the first failed over from flaky.
    expect(items.map((i: { retries: number; failovers: number }) => [i.retries, i.failovers])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    const r = await runCommand(['requests', '--limit', '4'], { home: gw.home });
    expect(r.stdout).toMatch(/ steady \(1 retry\) /);
    expect(r.stdout).toMatch(/ steady \(1 failover\) /);
  });

  it('stats count failovers without the retries', async () => {
    const stats = (await api(gw.url, 'GET', '/api/stats')).json;
    expect(stats.totals.failovers).toBe(3);
  });
});
