/**
 * /api/openapi.json matches what the server really returns: every documented JSON operation is
 * called against a seeded gateway and its answer checked against the documented schema for the
 * status it came back with.
 */

import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentIdOf } from '../../src/agents/agent-registry.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { checkSchema } from '../support/json-schema-check.js';

let up: FakeUpstream;
let gw: TestGateway;
let doc: Record<string, unknown>;

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('alpha', 'sk-ant-api03-openapi-alpha');
      await g.addApiKey('beta', 'sk-ant-api03-openapi-beta', { priority: 1 });
    },
  });
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });
  await client.messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 5,
    messages: [{ role: 'user', content: 'a' }],
  });
  await client.messages
    .stream({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'b' }] })
    .finalMessage();
  await gw.settle();
  doc = (await (await fetch(`${gw.url}/api/openapi.json`)).json()) as Record<string, unknown>;
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

type Call = [method: string, template: string, path: string, body?: unknown];

describe('OpenAPI document', () => {
  it('describes what every JSON endpoint returns', async () => {
    const requestId =
      (await gw.records(0)).length >= 0 ? (await gw.store.requests.listRecords({ limit: 1 }))[0]?.id : '';
    const agentId = agentIdOf(join(gw.config.claudeAgentsDir, 'oa.md'));
    const calls: Call[] = [
      ['GET', '/api/accounts', '/api/accounts'],
      ['POST', '/api/accounts', '/api/accounts', { name: 'gamma', apiKey: 'sk-ant-api03-openapi-gamma' }],
      ['POST', '/api/accounts', '/api/accounts', { name: 'gamma', apiKey: 'sk-ant-api03-openapi-gamma' }],
      ['POST', '/api/accounts', '/api/accounts', { name: '' }],
      ['GET', '/api/accounts/{name}', '/api/accounts/alpha'],
      ['GET', '/api/accounts/{name}', '/api/accounts/nobody'],
      ['POST', '/api/accounts/{name}/pause', '/api/accounts/beta/pause'],
      ['POST', '/api/accounts/{name}/resume', '/api/accounts/beta/resume'],
      ['POST', '/api/accounts/{name}/rename', '/api/accounts/gamma/rename', { newName: 'delta' }],
      ['POST', '/api/accounts/{name}/priority', '/api/accounts/delta/priority', { priority: 7 }],
      ['POST', '/api/accounts/{name}/priority', '/api/accounts/delta/priority', { priority: -1 }],
      ['DELETE', '/api/accounts/{name}', '/api/accounts/delta'],
      ['POST', '/api/accounts/oauth/init', '/api/accounts/oauth/init', { mode: 'max', name: 'sub' }],
      ['POST', '/api/accounts/oauth/callback', '/api/accounts/oauth/callback', { flowId: 'nope', code: 'a#b' }],
      ['GET', '/api/requests', '/api/requests'],
      ['GET', '/api/requests', '/api/requests?limit=1'],
      ['GET', '/api/requests', '/api/requests?limit=0'],
      ['GET', '/api/requests/{id}', `/api/requests/${requestId}`],
      ['GET', '/api/requests/{id}', '/api/requests/00000000-0000-7000-8000-000000000000'],
      ['GET', '/api/conversations', '/api/conversations?q=a&limit=5'],
      ['GET', '/api/conversations', '/api/conversations?limit=0'],
      // A one-turn conversation's id is its request's.
      ['GET', '/api/conversations/{id}', `/api/conversations/${requestId}`],
      ['GET', '/api/conversations/{id}', '/api/conversations/00000000-0000-7000-8000-000000000000'],
      ['GET', '/api/stats', '/api/stats'],
      ['GET', '/api/analytics', '/api/analytics?range=24h'],
      ['GET', '/api/analytics', '/api/analytics?range=2y'],
      ['GET', '/api/config', '/api/config'],
      ['GET', '/api/strategy', '/api/strategy'],
      ['GET', '/api/strategy', '/api/strategy?model=claude-opus-4-6'],
      [
        'PUT',
        '/api/strategy/thresholds',
        '/api/strategy/thresholds',
        { global: { '5h': 95, '7d': null }, perFamily: { opus: { '7d': 80 } }, perAccount: { alpha: { '5h': 99 } } },
      ],
      ['PUT', '/api/strategy/thresholds', '/api/strategy/thresholds', { global: { '5h': -1 } }],
      ['PATCH', '/api/config', '/api/config', { hybridWeights: '1,2' }],
      ['PATCH', '/api/config', '/api/config', { sessionMs: 3_600_000 }],
      ['PUT', '/api/config', '/api/config', { payloadCapture: true }],
      ['PATCH', '/api/config', '/api/config', { sessionMs: 5 }],
      ['GET', '/api/maintenance/storage', '/api/maintenance/storage'],
      ['POST', '/api/maintenance/cleanup', '/api/maintenance/cleanup'],
      ['POST', '/api/maintenance/compact', '/api/maintenance/compact'],
      ['GET', '/api/logs', '/api/logs'],
      ['GET', '/api/logs', '/api/logs?limit=1'],
      ['GET', '/api/logs', '/api/logs?limit=0'],
      ['GET', '/api/logs/history', '/api/logs/history?limit=5'],
      ['GET', '/api/logs/history', '/api/logs/history?limit=lots'],
      ['GET', '/api/keys', '/api/keys'],
      ['POST', '/api/keys', '/api/keys', { name: 'laptop' }],
      [
        'PUT',
        '/api/keys/{name}/limits',
        '/api/keys/laptop/limits',
        { rpm: 60, tokensPerDay: null, costPerMonthUsd: 5, models: ['sonnet'] },
      ],
      ['PUT', '/api/keys/{name}/limits', '/api/keys/laptop/limits', { rpm: 0 }],
      ['DELETE', '/api/keys/{name}', '/api/keys/laptop'],
      ['DELETE', '/api/keys/{name}', '/api/keys/laptop'],
      ['POST', '/api/stats/reset', '/api/stats/reset'],
      ['POST', '/api/maintenance/clear-history', '/api/maintenance/clear-history'],
      ['POST', '/api/agents', '/api/agents', { name: 'oa', description: 'd', prompt: 'p', scope: 'user' }],
      ['POST', '/api/agents', '/api/agents', { name: 'oa', description: 'd', prompt: 'p', scope: 'user' }],
      ['POST', '/api/agents', '/api/agents', { name: 'oa', description: 'd', prompt: 'p', scope: '/nope' }],
      ['GET', '/api/agents', '/api/agents'],
      ['PATCH', '/api/agents/{id}', `/api/agents/${agentId}`, { model: 'claude-nova-9', color: 'red' }],
      ['PATCH', '/api/agents/{id}', `/api/agents/${agentId}`, { model: 'gpt-4o' }],
      ['PATCH', '/api/agents/{id}', '/api/agents/nope', { color: 'red' }],
      ['POST', '/api/agents/bulk-preference', '/api/agents/bulk-preference', { model: 'haiku' }],
      ['POST', '/api/agents/bulk-preference', '/api/agents/bulk-preference', { model: 'gpt-4o' }],
      ['DELETE', '/api/agents/{id}', `/api/agents/${agentId}`],
      ['DELETE', '/api/agents/{id}', `/api/agents/${agentId}`],
      ['GET', '/api/workspaces', '/api/workspaces'],
      ['GET', '/api/models/rules', '/api/models/rules'],
      [
        'PUT',
        '/api/models/rules',
        '/api/models/rules',
        {
          rules: [{ pattern: 'claude-opus-*', model: 'claude-sonnet-4-5', enabled: false }],
          fallback: { enabled: false, map: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }] },
        },
      ],
      ['PUT', '/api/models/rules', '/api/models/rules', { rules: [{ pattern: '*', model: 'nope' }], fallback: {} }],
      [
        'PUT',
        '/api/models/rules',
        '/api/models/rules',
        { rules: [{ pattern: '*', model: 'gpt-4o' }], fallback: { enabled: false, map: [] } },
      ],
      // ccflare's paths (api/routes/ccflare-routes.ts), in ccflare's shapes.
      ['POST', '/api/oauth/init', '/api/oauth/init', { name: 'oa-ccflare', mode: 'max', tier: 5 }],
      ['POST', '/api/oauth/init', '/api/oauth/init', { name: 'oa-ccflare', tier: 3 }],
      ['POST', '/api/oauth/init', '/api/oauth/init', { name: 'alpha', mode: 'console' }],
      ['POST', '/api/oauth/callback', '/api/oauth/callback', { sessionId: 'nope', code: 'a#b' }],
      ['POST', '/api/accounts/{id}/tier', '/api/accounts/alpha/tier', { tier: 20 }],
      ['POST', '/api/accounts/{id}/tier', '/api/accounts/nope/tier', { tier: 20 }],
      ['POST', '/api/accounts/{id}/tier', '/api/accounts/alpha/tier', { tier: 2 }],
      ['GET', '/api/config/strategy', '/api/config/strategy'],
      ['POST', '/api/config/strategy', '/api/config/strategy', { strategy: 'session' }],
      ['POST', '/api/config/strategy', '/api/config/strategy', { strategy: 'nope' }],
      ['GET', '/api/strategies', '/api/strategies'],
      ['GET', '/api/config/model', '/api/config/model'],
      ['POST', '/api/config/model', '/api/config/model', { model: 'opus-4' }],
      ['POST', '/api/config/model', '/api/config/model', { model: 'gpt-4o' }],
      ['GET', '/api/config/retention', '/api/config/retention'],
      ['POST', '/api/config/retention', '/api/config/retention', { payloadDays: 7 }],
      ['POST', '/api/config/retention', '/api/config/retention', {}],
      ['GET', '/api/requests/detail', '/api/requests/detail?limit=3'],
      ['GET', '/api/requests/detail', '/api/requests/detail?limit=x'],
      ['GET', '/api/tools/interceptors/system-prompt', '/api/tools/interceptors/system-prompt'],
      [
        'PUT',
        '/api/tools/interceptors/system-prompt',
        '/api/tools/interceptors/system-prompt',
        { enabled: false, template: 'Be brief.\n{{env_block}}', stripTools: false },
      ],
      ['PUT', '/api/tools/interceptors/system-prompt', '/api/tools/interceptors/system-prompt', { enabled: 'yes' }],
      ['GET', '/api/connect/claude-code', '/api/connect/claude-code'],
      ['POST', '/api/connect/claude-code', '/api/connect/claude-code', { dryRun: true }],
      ['POST', '/api/connect/claude-code', '/api/connect/claude-code', { dryRun: 'no' }],
      ['POST', '/api/connect/claude-code', '/api/connect/claude-code', {}],
      ['DELETE', '/api/connect/claude-code', '/api/connect/claude-code?dryRun=true'],
      ['DELETE', '/api/connect/claude-code', '/api/connect/claude-code'],
      ['DELETE', '/api/connect/claude-code', '/api/connect/claude-code'],
      ['GET', '/api/notify/channels', '/api/notify/channels'],
      [
        'POST',
        '/api/notify/channels',
        '/api/notify/channels',
        { name: 'oa-hook', kind: 'webhook', url: 'http://127.0.0.1:9/x' },
      ],
      [
        'POST',
        '/api/notify/channels',
        '/api/notify/channels',
        { name: 'oa-hook', kind: 'webhook', url: 'http://127.0.0.1:9/x' },
      ],
      ['POST', '/api/notify/channels', '/api/notify/channels', { name: 'oa-ftp', kind: 'webhook', url: 'ftp://x/y' }],
      ['PATCH', '/api/notify/channels/{name}', '/api/notify/channels/oa-hook', { events: ['pool.exhausted'] }],
      ['PATCH', '/api/notify/channels/{name}', '/api/notify/channels/nope', { enabled: false }],
      ['PATCH', '/api/notify/channels/{name}', '/api/notify/channels/oa-hook', { events: ['nope'] }],
      ['POST', '/api/notify/channels/{name}/test', '/api/notify/channels/oa-hook/test'],
      ['POST', '/api/notify/channels/{name}/test', '/api/notify/channels/nope/test'],
      ['POST', '/api/notify/channels/{name}/test', '/api/notify/channels/dashboard/test'],
      ['GET', '/api/notify/deliveries', '/api/notify/deliveries'],
      ['GET', '/api/notify/deliveries', '/api/notify/deliveries?limit=0'],
      ['GET', '/api/notify/rules', '/api/notify/rules'],
      [
        'PUT',
        '/api/notify/rules',
        '/api/notify/rules',
        {
          windowMs: 600_000,
          spend: { dailyUsd: 5, monthlyUsd: null, keyDailyUsd: null, keyMonthlyUsd: null },
          errorRate: { percent: 25, minRequests: 10 },
        },
      ],
      ['PUT', '/api/notify/rules', '/api/notify/rules', { windowMs: 1 }],
      ['GET', '/api/notify/inbox', '/api/notify/inbox'],
      ['GET', '/api/notify/inbox', '/api/notify/inbox?limit=x'],
      ['POST', '/api/notify/inbox/read', '/api/notify/inbox/read', {}],
      ['POST', '/api/notify/inbox/read', '/api/notify/inbox/read', { ids: 'all' }],
      ['DELETE', '/api/notify/channels/{name}', '/api/notify/channels/oa-hook'],
      ['DELETE', '/api/notify/channels/{name}', '/api/notify/channels/oa-hook'],
      ['DELETE', '/api/notify/channels/{name}', '/api/notify/channels/dashboard'],
      ['POST', '/api/prompts', '/api/prompts', { name: 'oa', format: 'yaml', source: 'template: Hi {{who}}' }],
      ['POST', '/api/prompts', '/api/prompts', { name: 'oa', format: 'yaml', source: 'template: Hi' }],
      ['POST', '/api/prompts', '/api/prompts', { name: 'ob', format: 'yaml', source: 'template: "{{#if}}"' }],
      ['POST', '/api/prompts', '/api/prompts', { name: 'ob', format: 'markdown', source: 'x'.repeat(300_000) }],
      ['GET', '/api/prompts', '/api/prompts'],
      ['GET', '/api/prompts/{name}', '/api/prompts/oa'],
      ['GET', '/api/prompts/{name}', '/api/prompts/nope'],
      ['GET', '/api/prompts/{name}', '/api/prompts/..'],
      ['PUT', '/api/prompts/{name}', '/api/prompts/oa', { source: 'template: Hello {{who}}' }],
      ['PUT', '/api/prompts/{name}', '/api/prompts/oa', { source: 'template: [' }],
      ['PUT', '/api/prompts/{name}', '/api/prompts/nope', { source: 'template: x' }],
      ['PUT', '/api/prompts/{name}', '/api/prompts/oa', { source: 'x'.repeat(300_000) }],
      ['POST', '/api/prompts/preview', '/api/prompts/preview', { format: 'yaml', source: 'template: Hi {{who}}' }],
      ['POST', '/api/prompts/preview', '/api/prompts/preview', { format: 'toml', source: 'x' }],
      ['DELETE', '/api/prompts/{name}', '/api/prompts/oa'],
      ['DELETE', '/api/prompts/{name}', '/api/prompts/oa'],
      ['DELETE', '/api/prompts/{name}', '/api/prompts/.x'],
      ['GET', '/api/token-usage/current', '/api/token-usage/current'],
      ['GET', '/api/token-usage/current', '/api/token-usage/current?dayStart=1'],
      ['GET', '/api/token-usage/daily', '/api/token-usage/daily'],
      // The 200s are JSON Lines or CSV, checked below.
      ['GET', '/api/export/{kind}', '/api/export/requests?format=xlsx'],
      ['GET', '/api/export/{kind}', '/api/export/conversations?format=xlsx'],
      // Analysis is off by default: 409; no analysis stored: 404; a bad body: 400.
      ['POST', '/api/conversations/{id}/analysis', `/api/conversations/${requestId}/analysis`, {}],
      ['POST', '/api/conversations/{id}/analysis', `/api/conversations/${requestId}/analysis`, { colour: 1 }],
      ['GET', '/api/conversations/{id}/analysis', `/api/conversations/${requestId}/analysis`],
      // Workers: created paused (no Claude Code is started), so every answer comes from the API alone.
      ['POST', '/api/workers', '/api/workers', { name: 'oa-worker', prompt: 'Say hi', cwd: gw.home, start: false }],
      ['POST', '/api/workers', '/api/workers', { name: 'oa-worker', prompt: 'Say hi', cwd: gw.home, start: false }],
      ['POST', '/api/workers', '/api/workers', { name: 'oa-other', prompt: 'x', template: 'fix-lint', cwd: gw.home }],
      ['POST', '/api/workers', '/api/workers', { name: 'oa-other', template: 'no-such', cwd: gw.home }],
      ['GET', '/api/workers', '/api/workers'],
      ['GET', '/api/workers/{id}', '/api/workers/oa-worker'],
      ['GET', '/api/workers/{id}', '/api/workers/nobody'],
      ['PATCH', '/api/workers/{id}', '/api/workers/oa-worker', { budgetUsd: 2, maxTurns: 20 }],
      ['PATCH', '/api/workers/{id}', '/api/workers/oa-worker', {}],
      ['PATCH', '/api/workers/{id}', '/api/workers/nobody', { maxTurns: 3 }],
      ['POST', '/api/workers/{id}/pause', '/api/workers/oa-worker/pause'],
      ['POST', '/api/workers/{id}/resume', '/api/workers/nobody/resume'],
      ['POST', '/api/workers/{id}/start', '/api/workers/nobody/start'],
      ['POST', '/api/workers/{id}/stop', '/api/workers/oa-worker/stop'],
      ['GET', '/api/workers/{id}/logs', '/api/workers/nobody/logs'],
      ['GET', '/api/approvals', '/api/approvals?state=all'],
      ['GET', '/api/approvals', '/api/approvals?state=maybe'],
      ['POST', '/api/approvals/{id}/approve', '/api/approvals/nope/approve', {}],
      ['POST', '/api/approvals/{id}/reject', '/api/approvals/nope/reject', { message: 'no' }],
      ['POST', '/api/approvals/{id}/reject', '/api/approvals/nope/reject', {}],
      ['GET', '/api/templates', '/api/templates'],
      ['DELETE', '/api/workers/{id}', '/api/workers/oa-worker'],
    ];
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const covered = new Set<string>();
    const problems: string[] = [];
    for (const [method, template, path, body] of calls) {
      const op = paths[template]?.[method.toLowerCase()];
      expect(op, `${method} ${template} is documented`).toBeDefined();
      const res = await fetch(`${gw.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const documented = op?.responses[String(res.status)] as
        | { content?: Record<string, { schema: Record<string, unknown> }> }
        | undefined;
      if (!documented) {
        problems.push(`${method} ${path}: status ${res.status} is not documented`);
        continue;
      }
      const schema = documented.content?.['application/json']?.schema;
      const json = res.status === 204 ? null : await res.json();
      if (schema) problems.push(...checkSchema(json, schema, doc).map((e) => `${method} ${path} ${res.status} ${e}`));
      covered.add(`${method} ${template}`);
    }
    expect(problems).toEqual([]);
    // Every documented JSON operation was exercised (events and metrics are not JSON).
    const documentedOps = Object.entries(paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const notJson = new Set([
      'GET /api/events',
      'POST /api/events/ticket',
      'GET /metrics',
      'GET /api/requests/stream',
      'GET /api/logs/stream',
    ]);
    expect(documentedOps.filter((o) => !covered.has(o) && !notJson.has(o))).toEqual([]);
  });

  it('documents /metrics and /api/events with their non-JSON content types', async () => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
    expect(Object.keys(paths['/metrics']?.get?.responses['200']?.content ?? {})[0]).toMatch(/text\/plain/);
    expect(Object.keys(paths['/api/events']?.get?.responses['200']?.content ?? {})).toContain('text/event-stream');
    const metrics = await fetch(`${gw.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await metrics.text()).toContain('ccflare_requests_total');
    const exportOp = paths['/api/export/{kind}']?.get?.responses['200']?.content ?? {};
    expect(Object.keys(exportOp).sort()).toEqual(['application/x-ndjson', 'text/csv']);
    const csv = await fetch(`${gw.url}/api/export/requests?format=csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    // The history was cleared by the first test: the header row alone.
    expect((await csv.text()).split('\r\n')[0]).toMatch(/^id,time,ts,/);
  });

  it('answers a wrong method on a known path with 405 and the methods it takes', async () => {
    const put = await api(gw.url, 'PUT', '/api/accounts');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    expect(put.json.error).toEqual({
      type: 'invalid_request_error',
      message: 'PUT is not allowed on /api/accounts; it takes GET, HEAD, POST',
    });
    // With a parameter in the path, too; an unknown path stays a 404.
    expect((await api(gw.url, 'PUT', '/api/accounts/alpha')).headers.allow).toMatch(/DELETE/);
    const nowhere = await api(gw.url, 'PUT', '/api/nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.headers.allow).toBeUndefined();
  });
});
