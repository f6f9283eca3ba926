/**
 * The request path of agents (issue 12), over real sockets through the real gateway to the fake
 * upstream: attribution recorded, the agent's model preference applied to its sub-agent requests
 * only, the system-prompt interceptor, and the model fallback.
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDirectory, AgentSnapshot } from '../../src/agents/agent-directory.js';
import { RequestDetailSchema } from '../../src/shared/requests-schemas.js';
import { api } from '../support/api-request.js';
import { claudeCodeHeaders, claudeCodeRequestBody, environmentText } from '../support/claude-code-request.js';
import { gatewayForFile } from '../support/gateway.js';

const REVIEWER = 'You review code changes.\nName each problem with its file and line; say "LGTM" when there is none.';
const AGENT_ID = '0a1b2c3d4e5f60718';
const SONNET = 'claude-sonnet-4-5-20250929';
const OPUS = 'claude-opus-4-5-20251101';
const FAR = Date.now() + 3_600_000;

const snapshot: AgentSnapshot = {
  version: 1,
  agents: [
    { id: 'w:reviewer', name: 'reviewer', workspace: '/home/me/app', prompt: REVIEWER, model: 'claude-haiku-4-5' },
  ],
};
const observed: Array<{ bytes: number; sessionId: string | null }> = [];
const agents: AgentDirectory = {
  current: () => snapshot,
  observe: (body, sessionId) => observed.push({ bytes: body.length, sessionId }),
};

// Both accounts cool down for Opus 4.5 for the whole file (the fallback tests); the others use other models.
const file = gatewayForFile({
  agents,
  setup: async (g) => {
    await g.addApiKey('one', 'sk-ant-api03-one', { modelCooldowns: { 'opus-4-5': FAR } });
    await g.addApiKey('two', 'sk-ant-api03-two', { modelCooldowns: { 'opus-4-5': FAR } });
  },
});

async function send(body: string, headers: Record<string, string>) {
  const res = await request(`${file.gw.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

afterEach(async () => {
  await api(file.gw.url, 'PUT', '/api/models/rules', { rules: [], fallback: { enabled: false, map: [] } });
  await api(file.gw.url, 'PUT', '/api/tools/interceptors/system-prompt', {
    enabled: false,
    template: '',
    stripTools: false,
  });
  file.up.reset();
});

describe('attribution and model preference', () => {
  it("records a sub-agent request with its agent and instance, sends it with the agent's model, and leaves the main agent's model alone", async () => {
    await file.gw.settle();
    const sub = await send(
      claudeCodeRequestBody('Review src/app.ts', { subagent: { prompt: REVIEWER, tools: ['Read', 'Grep'] } }),
      claudeCodeHeaders(AGENT_ID),
    );
    const main = await send(claudeCodeRequestBody('Start the reviewer'), claudeCodeHeaders());
    expect([sub.status, main.status]).toEqual([200, 200]);
    expect(file.up.requests.map((r) => r.json.model)).toEqual(['claude-haiku-4-5', SONNET]);
    expect(sub.headers['x-ccflare-model']).toBe('claude-haiku-4-5');
    expect(main.headers['x-ccflare-model']).toBe(SONNET);

    const [mainRec, subRec] = await file.gw.records(2);
    expect(subRec).toMatchObject({
      agent: 'reviewer',
      agentInstance: AGENT_ID,
      modelRequested: SONNET,
      modelApplied: 'claude-haiku-4-5',
      modelFallback: false,
    });
    expect(mainRec).toMatchObject({ agent: 'main', agentInstance: null, modelRequested: SONNET, modelApplied: SONNET });
    const detail = RequestDetailSchema.parse((await api(file.gw.url, 'GET', `/api/requests/${subRec?.id}`)).json);
    expect(detail).toMatchObject({ agent: 'reviewer', agentInstance: AGENT_ID, modelFallback: false });
    // Workspace discovery got both bodies, after they were forwarded.
    expect(observed.slice(-2).map((o) => o.sessionId)).toEqual([
      claudeCodeHeaders()['x-claude-code-session-id'],
      claudeCodeHeaders()['x-claude-code-session-id'],
    ]);
  });

  it('records a sub-agent of unknown definition as `subagent` and rewrites models by the global rules', async () => {
    await file.gw.settle();
    const put = await api(file.gw.url, 'PUT', '/api/models/rules', {
      rules: [{ pattern: 'claude-opus-*', model: 'claude-sonnet-4-5', enabled: true }],
      fallback: { enabled: false, map: [] },
    });
    expect(put.status).toBe(200);
    const r = await send(
      claudeCodeRequestBody('x', { model: OPUS, subagent: { prompt: 'An agent nobody wrote a file for.' } }),
      claudeCodeHeaders(AGENT_ID),
    );
    expect(r.status).toBe(200);
    expect(file.up.requests[0]?.json.model).toBe('claude-sonnet-4-5');
    const [rec] = await file.gw.records(1);
    expect(rec).toMatchObject({ agent: 'subagent', agentInstance: AGENT_ID, modelRequested: OPUS });
  });

  it('refuses rules naming an unknown model, saying which', async () => {
    const r = await api(file.gw.url, 'PUT', '/api/models/rules', {
      rules: [{ pattern: '*', model: 'gpt-4o', enabled: true }],
      fallback: { enabled: false, map: [] },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/gpt-4o.*rules\[0\]\.model/);
    expect((await api(file.gw.url, 'GET', '/api/models/rules')).json.rules).toEqual([]);
  });
});

describe('system-prompt interceptor', () => {
  const TEMPLATE = 'You are a terse helper.\n{{env_block}}\nOne line answers.';

  it('off: the upstream receives the bytes the client sent', async () => {
    const body = claudeCodeRequestBody('hello', { environmentMessage: true });
    expect((await send(body, claudeCodeHeaders())).status).toBe(200);
    expect(file.up.requests[0]?.body).toBe(body);
  });

  it('on: the main agent prompt is the template with the environment text; sub-agents keep theirs; GET shows the last original', async () => {
    const put = await api(file.gw.url, 'PUT', '/api/tools/interceptors/system-prompt', {
      enabled: true,
      template: TEMPLATE,
      stripTools: true,
    });
    expect(put.status).toBe(200);
    const body = claudeCodeRequestBody('hello', { environmentMessage: true, workspace: '/srv/shop' });
    const subBody = claudeCodeRequestBody('r', { subagent: { prompt: REVIEWER } });
    expect((await send(body, claudeCodeHeaders())).status).toBe(200);
    expect((await send(subBody, claudeCodeHeaders(AGENT_ID))).status).toBe(200);
    const seen = file.up.requests[0]?.json;
    expect(seen.system[2].text).toBe(TEMPLATE.replace('{{env_block}}', environmentText('/srv/shop')));
    expect(seen.system[0].text).toMatch(/^x-anthropic-billing-header:/);
    expect(seen).not.toHaveProperty('tools');
    // The sub-agent's body changed only in its model (written in place, padded with spaces).
    expect(file.up.requests[1]?.body).toBe(
      subBody.replace(`"${SONNET}"`, `"claude-haiku-4-5"${' '.repeat(SONNET.length - 'claude-haiku-4-5'.length)}`),
    );

    const state = (await api(file.gw.url, 'GET', '/api/tools/interceptors/system-prompt')).json;
    expect(state).toMatchObject({ enabled: true, template: TEMPLATE, stripTools: true });
    expect(state.lastSeen.prompt).toBe(JSON.parse(body).system[2].text);
    expect(state.lastSeen.envBlock).toBe(environmentText('/srv/shop'));
  });
});

describe('x-ccflare-model', () => {
  it("is on the upstream's own error answer too, with the upstream's headers", async () => {
    file.up.setHandler(() => ({
      kind: 'json',
      status: 400,
      headers: { 'request-id': 'req_bad' },
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: too large' } },
    }));
    const r = await send(claudeCodeRequestBody('x'), claudeCodeHeaders());
    expect(r.status).toBe(400);
    expect(r.headers['x-ccflare-model']).toBe(SONNET);
    expect(r.headers['request-id']).toBe('req_bad');
  });
});

describe('model fallback', () => {
  it('off: with every account cooling down for the model, the 503 names the model', async () => {
    const r = await send(claudeCodeRequestBody('x', { model: OPUS }), claudeCodeHeaders());
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text).error.message).toMatch(`No usable account for ${OPUS}`);
    expect(r.headers['x-ccflare-model']).toBe(OPUS);
    expect(file.up.requests).toHaveLength(0);
  });

  it('on: the fallback model answers, and the record and headers say so', async () => {
    await file.gw.settle();
    await api(file.gw.url, 'PUT', '/api/models/rules', {
      rules: [],
      fallback: { enabled: true, map: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }] },
    });
    const r = await send(claudeCodeRequestBody('x', { model: OPUS, stream: false }), claudeCodeHeaders());
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).model).toBe('claude-sonnet-4-5');
    expect(r.headers['x-ccflare-model']).toBe('claude-sonnet-4-5');
    expect(r.headers['x-ccflare-model-fallback']).toBe(OPUS);
    expect(file.up.requests.map((q) => q.json.model)).toEqual(['claude-sonnet-4-5']);
    const [rec] = await file.gw.records(1);
    expect(rec).toMatchObject({
      modelRequested: OPUS,
      modelApplied: 'claude-sonnet-4-5',
      modelFallback: true,
      success: true,
    });
  });

  it('on: after every account answered 429 the fallback model is tried once, never chained', async () => {
    await file.gw.settle();
    await api(file.gw.url, 'PUT', '/api/models/rules', {
      rules: [],
      fallback: {
        enabled: true,
        map: [
          { from: 'claude-opus-*', to: 'claude-sonnet-4-5' },
          { from: 'claude-sonnet-4-5', to: 'claude-haiku-4-5' },
        ],
      },
    });
    const refuse = new Set(['claude-opus-4-1']);
    const refuser = () =>
      file.up.setHandler((req) =>
        refuse.has(req.json?.model)
          ? { kind: 'json', status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'busy' } } }
          : undefined,
      );
    refuser();
    const ok = await send(claudeCodeRequestBody('x', { model: 'claude-opus-4-1', stream: false }), claudeCodeHeaders());
    expect(ok.status).toBe(200);
    expect(ok.headers['x-ccflare-model-fallback']).toBe('claude-opus-4-1');
    expect(file.up.requests.map((q) => q.json.model)).toEqual([
      'claude-opus-4-1',
      'claude-opus-4-1',
      'claude-sonnet-4-5',
    ]);

    file.up.reset();
    refuser();
    refuse.add('claude-sonnet-4-5');
    const refused = await send(
      claudeCodeRequestBody('x', { model: 'claude-opus-4-1', stream: false }),
      claudeCodeHeaders(),
    );
    expect(refused.status).toBe(429);
    expect(file.up.requests.map((q) => q.json.model)).toEqual([
      'claude-opus-4-1',
      'claude-opus-4-1',
      'claude-sonnet-4-5',
      'claude-sonnet-4-5',
    ]);
    const [last, first] = await file.gw.records(2);
    expect(first).toMatchObject({ modelFallback: true, modelApplied: 'claude-sonnet-4-5', success: true, attempts: 3 });
    expect(last).toMatchObject({ modelFallback: true, modelApplied: 'claude-sonnet-4-5', success: false, status: 429 });
  });
});
