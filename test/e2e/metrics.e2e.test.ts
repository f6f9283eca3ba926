/**
 * `GET /metrics` end to end: after known requests (usage and prices known, one failover), the
 * Prometheus text holds exactly the expected counters, histograms and account gauges.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitState } from '../../src/storage/contract/accounts.js';
import { api } from '../support/api-request.js';
import {
  errorBody,
  type FakeResponse,
  type FakeUpstream,
  messageJson,
  startFakeUpstream,
} from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { parsePrometheus, type Sample, sampleValue } from '../support/prom-text.js';

const KEY_ALPHA = 'sk-ant-api03-metrics-e2e-alpha-000000000';
const KEY_GAMMA = 'sk-ant-api03-metrics-e2e-gamma-111111111';
const MODEL = 'claude-sonnet-4-5-20250929';
const USAGE = {
  input_tokens: 1000,
  output_tokens: 200,
  cache_read_input_tokens: 5000,
  cache_creation_input_tokens: 3000,
  cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
};
// Sonnet 4.5: input 3, 5m write 3.75, 1h write 6, read 0.30, output 15 USD per million tokens.
const COST = (1000 * 3 + 2000 * 3.75 + 1000 * 6 + 5000 * 0.3 + 200 * 15) / 1e6;
const NOW = Date.now();
const HOUR = 3_600_000;
const ALPHA_RL: RateLimitState = {
  observedAt: NOW,
  status: 'allowed',
  resetAt: NOW + 3 * HOUR,
  fiveHour: { status: 'allowed', utilization: 0.42, resetAt: 1_900_000_000_000 },
  sevenDay: { status: 'allowed', utilization: 0.13, resetAt: 1_900_500_000_000 },
  representativeClaim: 'seven_day',
};

let up: FakeUpstream;
let gw: TestGateway;
let rejectAlpha = false;

async function send(): Promise<number> {
  const res = await request(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body.text();
  return res.statusCode;
}

async function scrape(): Promise<{ samples: Sample[]; contentType: string }> {
  const r = await api(gw.server.api, 'GET', '/metrics');
  expect(r.status).toBe(200);
  return { samples: parsePrometheus(r.text), contentType: String(r.headers['content-type']) };
}

beforeAll(async () => {
  up = await startFakeUpstream();
  up.setHandler((req): FakeResponse | undefined => {
    if (!req.path.startsWith('/v1/messages')) return undefined;
    const key = req.headers['x-api-key'];
    if (key === KEY_ALPHA && rejectAlpha) {
      return { kind: 'json', status: 401, body: errorBody('authentication_error', 'invalid x-api-key') };
    }
    return {
      kind: 'json',
      body: messageJson({ model: MODEL, usage: USAGE }),
      headers:
        key === KEY_GAMMA
          ? {
              'anthropic-ratelimit-unified-status': 'allowed',
              'anthropic-ratelimit-unified-5h-utilization': '0.25',
              'anthropic-ratelimit-unified-5h-reset': '1900001000',
              'anthropic-ratelimit-unified-representative-claim': 'five_hour',
            }
          : {},
    };
  });
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('alpha', KEY_ALPHA, { priority: 0, rateLimit: ALPHA_RL });
      await g.addApiKey('beta', 'sk-ant-api03-metrics-e2e-beta-22222222', { priority: 1, paused: true });
      await g.addApiKey('gamma', KEY_GAMMA, { priority: 2 });
    },
  });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('GET /metrics', () => {
  it('exposes the expected series with the expected values after known requests', async () => {
    for (let i = 0; i < 3; i++) expect(await send()).toBe(200);
    // alpha's key is now refused: the next request fails over to gamma and alpha is disabled.
    rejectAlpha = true;
    expect(await send()).toBe(200);
    await gw.settle();

    const { samples: m, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(m, name, labels);

    expect(v('ccflare_requests_total', { status: '200', account: 'alpha', model: MODEL })).toBe(3);
    expect(v('ccflare_requests_total', { status: '200', account: 'gamma', model: MODEL })).toBe(1);
    expect(m.filter((s) => s.name === 'ccflare_requests_total')).toHaveLength(2);
    expect(v('ccflare_failovers_total')).toBe(1);

    for (const [kind, perRequest] of [
      ['input', 1000],
      ['cache_read', 5000],
      ['cache_write_5m', 2000],
      ['cache_write_1h', 1000],
      ['output', 200],
    ] as const) {
      expect(v('ccflare_tokens_total', { kind, account: 'alpha', model: MODEL })).toBe(3 * perRequest);
      expect(v('ccflare_tokens_total', { kind, account: 'gamma', model: MODEL })).toBe(perRequest);
    }
    expect(v('ccflare_cost_usd_total', { account: 'alpha', model: MODEL })).toBeCloseTo(3 * COST, 10);
    expect(v('ccflare_cost_usd_total', { account: 'gamma', model: MODEL })).toBeCloseTo(COST, 10);

    expect(v('ccflare_request_duration_seconds_count', { account: 'alpha', model: MODEL })).toBe(3);
    expect(v('ccflare_request_duration_seconds_bucket', { account: 'alpha', model: MODEL, le: '+Inf' })).toBe(3);
    expect(v('ccflare_request_duration_seconds_sum', { account: 'alpha', model: MODEL })).toBeGreaterThan(0);
    expect(v('ccflare_time_to_first_token_seconds_count', { account: 'alpha', model: MODEL })).toBe(3);
    expect(v('ccflare_time_to_first_token_seconds_count', { account: 'gamma', model: MODEL })).toBe(1);

    // One series per account and state, 1 for the current one.
    const state = (account: string) =>
      m
        .filter((s) => s.name === 'ccflare_account_state' && s.labels.account === account && s.value === 1)
        .map((s) => s.labels.state);
    expect(state('alpha')).toEqual(['disabled']);
    expect(state('beta')).toEqual(['paused']);
    expect(state('gamma')).toEqual(['active']);
    expect(m.filter((s) => s.name === 'ccflare_account_state')).toHaveLength(18);

    // Seeded state for alpha; gamma's comes from the response headers of the request it served.
    expect(v('ccflare_account_rate_limit_utilization', { account: 'alpha', window: '5h' })).toBe(0.42);
    expect(v('ccflare_account_rate_limit_utilization', { account: 'alpha', window: '7d' })).toBe(0.13);
    expect(v('ccflare_account_rate_limit_reset_timestamp_seconds', { account: 'alpha', window: '5h' })).toBe(
      1_900_000_000,
    );
    expect(v('ccflare_account_rate_limit_binding', { account: 'alpha', window: '7d' })).toBe(1);
    expect(v('ccflare_account_rate_limit_utilization', { account: 'gamma', window: '5h' })).toBe(0.25);
    expect(v('ccflare_account_rate_limit_reset_timestamp_seconds', { account: 'gamma', window: '5h' })).toBe(
      1_900_001_000,
    );
    expect(v('ccflare_account_rate_limit_binding', { account: 'gamma', window: '5h' })).toBe(1);
    expect(v('ccflare_account_rate_limit_utilization', { account: 'beta', window: '5h' })).toBeUndefined();

    expect(v('ccflare_write_queue_depth')).toBe(0);
    expect(v('ccflare_write_queue_lag_seconds')).toBe(0);
    expect(v('ccflare_event_stream_clients')).toBe(0);
    expect(v('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('follows account changes made through the API at the next scrape', async () => {
    await api(gw.server.api, 'POST', '/api/accounts/beta/resume');
    await api(gw.server.api, 'POST', '/api/accounts/gamma/rename', { newName: 'gamma2' });
    const { samples: m } = await scrape();
    expect(sampleValue(m, 'ccflare_account_state', { account: 'beta', state: 'active' })).toBe(1);
    expect(sampleValue(m, 'ccflare_account_state', { account: 'gamma2', state: 'active' })).toBe(1);
    expect(m.some((s) => s.name === 'ccflare_account_state' && s.labels.account === 'gamma')).toBe(false);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await api(gw.server.api, 'GET', '/api/openapi.json')).json;
    expect(Object.keys(doc.paths['/metrics'].get.responses[200].content)).toEqual(['text/plain']);
    for (const p of ['/api/accounts', '/api/accounts/oauth/init', '/api/accounts/{name}/pause', '/api/config']) {
      expect(doc.paths[p]).toBeDefined();
    }
  });
});
