/**
 * Conversation analysis (issue 16, item 6) on the real gateway with the fake upstream scripted to
 * answer it: refused (409) while the setting is off; once on, the transcript goes through the
 * gateway's own /v1/messages, the answer is stored, and the request row is recorded with agent
 * `ccflare-analysis`; `ccflare conversations analyze` does the same through the running gateway; an
 * outside client sending the internal marker gets no such attribution.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorResponseSchema } from '../../src/shared/api-schemas.js';
import { ConversationAnalysisSchema } from '../../src/shared/conversation-schemas.js';
import { api } from '../support/api-request.js';
import { expectOneLineError, runCommand } from '../support/cli-io.js';
import { type FakeUpstream, messageJson, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const T = Date.UTC(2025, 5, 1, 12, 0, 0);
let up: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('alpha', 'sk-ant-api03-analysis-e2e-alpha-0000');
    },
  });
  const u1 = { role: 'user', content: 'ANALYSE-ME: add a login page' };
  const a1 = {
    role: 'assistant',
    content: [
      { type: 'text', text: 'I will read the router.' },
      { type: 'tool_use', id: 'tu_1', name: 'Read', input: { file_path: '/src/router.ts' } },
    ],
  };
  const u2 = {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'tu_1', content: 'export const routes = [];' },
      { type: 'text', text: '<system-reminder>\nSECRET-REMINDER\n</system-reminder>' },
    ],
  };
  const turn = (id: string, ts: number, messages: unknown[], answer: string) =>
    sampleRecord({
      id,
      ts,
      sessionId: 'sess-analysis',
      agent: 'main',
      linkBody: Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', messages })),
      payload: {
        requestHeaders: '{}',
        requestBody: JSON.stringify({ model: 'claude-sonnet-4-5', messages }),
        responseHeaders: null,
        responseBody: JSON.stringify({ content: [{ type: 'text', text: answer }] }),
        requestTruncated: false,
        responseTruncated: false,
      },
    });
  await gw.store.requests.writeBatch(
    [turn('an-1', T, [u1], 'ignored'), turn('an-2', T + 1000, [u1, a1, u2], 'DONE: login page added')],
    [],
  );
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('conversation analysis', () => {
  it('is refused with 409 while the setting is off', async () => {
    const r = await api(gw.server.api, 'POST', '/api/conversations/an-1/analysis', {});
    expect(r.status).toBe(409);
    expect(ErrorResponseSchema.parse(r.json).error.message).toMatch(/conversationAnalysis true/);
    expect(up.requests.filter((q) => q.path.startsWith('/v1/messages'))).toHaveLength(0);
    expect((await api(gw.server.api, 'GET', '/api/conversations/an-1/analysis')).status).toBe(404);
  });

  it('once enabled, sends the transcript through the gateway, stores the answer and records the request', async () => {
    expect((await api(gw.server.api, 'PATCH', '/api/config', { conversationAnalysis: true })).status).toBe(200);
    up.setHandler((q) =>
      q.json?.system?.startsWith?.('You review a coding-agent session')
        ? { kind: 'json', body: messageJson({ model: q.json.model, text: 'What was asked: a login page.' }) }
        : undefined,
    );
    const r = await api(gw.server.api, 'POST', '/api/conversations/an-1/analysis', { model: 'claude-haiku-4-5' });
    expect(r.status, r.text).toBe(200);
    const a = ConversationAnalysisSchema.parse(r.json);
    expect(a).toMatchObject({
      conversationId: 'an-1',
      model: 'claude-haiku-4-5',
      status: 'done',
      text: 'What was asked: a login page.',
      error: null,
    });
    expect(a.requestId).not.toBeNull();

    const sent = up.requests.find((q) => q.json?.system?.startsWith?.('You review'));
    expect(sent?.json.model).toBe('claude-haiku-4-5');
    const transcript = sent?.json.messages[0].content as string;
    expect(transcript).toContain('User: ANALYSE-ME: add a login page');
    expect(transcript).toContain('→ Read {"file_path":"/src/router.ts"}');
    expect(transcript).toContain('Assistant: DONE: login page added');
    expect(transcript).not.toContain('SECRET-REMINDER');
    // The marker is the gateway's own: it never reaches the upstream.
    expect(sent?.headers['x-ccflare-internal']).toBeUndefined();

    const latest = await api(gw.server.api, 'GET', '/api/conversations/an-1/analysis');
    expect(latest.status).toBe(200);
    expect(ConversationAnalysisSchema.parse(latest.json)).toEqual(a);

    const row = await vi.waitFor(
      async () => {
        const stored = await gw.store.requests.get(a.requestId as string);
        if (stored === null) throw new Error('not recorded yet');
        return stored;
      },
      { timeout: 10_000 },
    );
    expect(row).toMatchObject({ agent: 'ccflare-analysis', accountName: 'alpha', status: 200, success: true });
    // Recorded, but not a conversation of its own in the list beside the one it analysed.
    expect((await gw.store.conversations.linkOf(a.requestId as string))?.conversationId ?? null).toBeNull();
    const listed = await api(gw.server.api, 'GET', '/api/conversations');
    expect(listed.json.items.map((c: { id: string }) => c.id)).not.toContain(a.requestId);
  });

  it('`ccflare conversations analyze` asks the running gateway and prints the analysis', async () => {
    const r = await runCommand(['conversations', 'analyze', 'an-1', '--url', gw.url], { home: gw.home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^Analysis by claude-sonnet-4-6 \(request [0-9a-f-]{36}\):\n\nWhat was asked: a login page\.\n$/,
    );
    const off = await runCommand(['conversations', 'analyze', 'nope', '--url', gw.url], { home: gw.home });
    expectOneLineError(off, /answered 404: No conversation nope/);
  });

  it('stores a failure with the upstream error', async () => {
    up.setHandler(() => ({
      kind: 'json',
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'model: unknown' } },
    }));
    const r = await api(gw.server.api, 'POST', '/api/conversations/an-1/analysis', {});
    expect(r.status).toBe(200);
    expect(ConversationAnalysisSchema.parse(r.json)).toMatchObject({
      status: 'failed',
      model: 'claude-sonnet-4-6',
      text: null,
      error: expect.stringContaining('model: unknown'),
    });
    expect((await api(gw.server.api, 'POST', '/api/conversations/nope/analysis', {})).status).toBe(404);
  });

  it('does not attribute an outside request carrying the internal marker to ccflare-analysis', async () => {
    up.setHandler(null);
    const sentAt = Date.now() - 1000;
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-ccflare-internal': 'f'.repeat(64),
      },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect(res.headers.get('x-ccflare-request-id')).toBeNull();
    expect(up.requests.at(-1)?.headers['x-ccflare-internal']).toBeUndefined();
    const row = await vi.waitFor(
      async () => {
        const page = await gw.store.requests.list({ limit: 10, since: sentAt });
        const r = page.items.find((x) => x.agent !== 'ccflare-analysis');
        if (r === undefined) throw new Error('not recorded yet');
        return r;
      },
      { timeout: 10_000 },
    );
    expect(row.agent).not.toBe('ccflare-analysis');
    // Only the three analyses above carry the agent.
    const analyses = await gw.store.requests.list({ limit: 10, agent: 'ccflare-analysis' });
    expect(analyses.items).toHaveLength(3);
  });
});
