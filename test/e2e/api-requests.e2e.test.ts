/**
 * `/api/requests` against a running gateway, called in process, on records seeded through the
 * store's batched write (fixed values): newest-first pages, cursor pagination without gaps or
 * repeats, every filter, one request with its payload (credentials never shown), 400s naming the
 * parameter, 404s. Every response is parsed with its shared zod schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponseSchema } from '../../src/shared/api-schemas.js';
import {
  type RequestDetail,
  RequestDetailSchema,
  type RequestPage,
  RequestPageSchema,
} from '../../src/shared/requests-schemas.js';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const SECRET = 'sk-ant-api03-requests-e2e-secret-000000';
const SONNET = 'claude-sonnet-4-5-20250929';
const OPUS = 'claude-opus-4-1-20250805';
const T = Date.UTC(2025, 5, 1, 12, 0, 0);

let up: FakeUpstream;
let gw: TestGateway;
let alpha: AccountRow;
let beta: AccountRow;
let records: RequestRecord[];

/** Newest first, ties by id descending: the list order. */
function listOrder(rs: RequestRecord[]): string[] {
  return [...rs].sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : -1)).map((r) => r.id);
}

async function page(query: string): Promise<RequestPage> {
  const r = await api(gw.server.api, 'GET', `/api/requests${query}`);
  expect(r.status, r.text).toBe(200);
  return RequestPageSchema.parse(r.json);
}

/** Every page of a query, following nextCursor. */
async function all(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query === '' ? '?' : '&';
    const p: RequestPage = await page(
      `${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    pages++;
    ids.push(...p.items.map((i) => i.id));
    cursor = p.nextCursor;
  } while (cursor !== null);
  return { ids, pages };
}

function expect400(r: { status: number; json: unknown }, param: string): void {
  expect(r.status).toBe(400);
  const e = ErrorResponseSchema.parse(r.json);
  expect(e.error.type).toBe('invalid_request_error');
  expect(e.error.message).toContain(param);
}

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('alpha', 'sk-ant-api03-requests-e2e-alpha-00000');
      await g.addApiKey('beta', 'sk-ant-api03-requests-e2e-beta-000000');
    },
  });
  alpha = await gw.account('alpha');
  beta = await gw.account('beta');
  // 24 records, three per second (ties on ts): accounts alternate, every 4th an error, every 3rd opus.
  records = Array.from({ length: 24 }, (_, i) => {
    const acc = i % 2 === 0 ? alpha : beta;
    const failed = i % 4 === 3;
    return sampleRecord({
      id: `req-${String(i).padStart(2, '0')}`,
      ts: T - Math.floor(i / 3) * 1000,
      accountId: acc.id,
      accountName: acc.name,
      modelRequested: i % 3 === 0 ? OPUS : SONNET,
      modelApplied: failed ? null : i % 3 === 0 ? OPUS : SONNET,
      success: !failed,
      status: failed ? (i === 3 ? 529 : 429) : 200,
      error: failed ? 'rate_limit_error: slow down' : null,
      agent: i < 6 ? 'reviewer' : null,
      sessionId: i % 5 === 0 ? 'sess-5' : `sess-${i}`,
    });
  });
  const detailed = records[0] as RequestRecord;
  detailed.attempts = 2;
  detailed.attemptLog = [
    { account: 'beta', status: 429, error: 'rate_limit_error', ms: 12 },
    { account: 'alpha', status: 200, error: null, ms: 340 },
  ];
  detailed.payload = {
    // As an older version might have stored it: a credential must still never come back.
    requestHeaders: JSON.stringify({ 'content-type': 'application/json', 'x-api-key': SECRET, 'x-app': 'cli' }),
    requestBody: '{"model":"claude-opus-4-1","messages":[{"role":"user","content":"hi"}]}',
    responseHeaders: JSON.stringify({
      'content-type': 'application/json',
      'set-cookie': ['session=1'],
      vary: ['a', 'b'],
    }),
    responseBody: '{"type":"message","content":[]}',
    requestTruncated: false,
    responseTruncated: true,
  };
  await gw.store.requests.writeBatch(records, []);
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('GET /api/requests', () => {
  it('lists every record newest first (default limit 50) with no next page', async () => {
    const p = await page('');
    expect(p.items.map((i) => i.id)).toEqual(listOrder(records));
    expect(p.nextCursor).toBeNull();
    const first = p.items.find((i) => i.id === 'req-00');
    expect(first).toMatchObject({
      ts: T,
      accountId: alpha.id,
      accountName: 'alpha',
      modelApplied: OPUS,
      status: 200,
      success: true,
      attempts: 2,
      hasPayload: true,
      inputTokens: 10,
      outputTokens: 20,
      costUsd: 0.000123,
    });
    expect(first).not.toHaveProperty('payload');
    expect(p.items.find((i) => i.id === 'req-01')?.hasPayload).toBe(false);
  });

  it('pages with the cursor: no duplicates, no gaps, nextCursor null on the last page', async () => {
    for (const limit of [1, 5, 7, 24]) {
      const { ids, pages } = await all('', limit);
      expect(ids).toEqual(listOrder(records));
      expect(new Set(ids).size).toBe(24);
      expect(pages).toBe(Math.ceil(24 / limit));
    }
    const p = await page('?limit=10');
    expect(p.items).toHaveLength(10);
    expect(p.nextCursor).toEqual(expect.any(String));
  });

  it('pages a filtered list the same way', async () => {
    const { ids } = await all('?account=alpha&status=success', 3);
    expect(ids).toEqual(listOrder(records.filter((r) => r.accountId === alpha.id && r.success)));
    // alpha has the even records, failures are every 4th from the 4th: all odd.
    expect(ids).toHaveLength(12);
  });

  it('filters by time (ms or ISO), account (name or id), model, outcome, status code, agent and session', async () => {
    const ids = async (q: string) => (await page(`?${q}`)).items.map((i) => i.id);
    const expected = (f: (r: RequestRecord) => boolean) => listOrder(records.filter(f));
    expect(await ids(`since=${T - 2000}`)).toEqual(expected((r) => r.ts >= T - 2000));
    expect(await ids(`since=${new Date(T - 2000).toISOString()}`)).toEqual(expected((r) => r.ts >= T - 2000));
    expect(await ids(`until=${T - 5000}`)).toEqual(expected((r) => r.ts < T - 5000));
    expect(await ids(`since=${T - 5000}&until=${new Date(T - 3000).toISOString()}`)).toEqual(
      expected((r) => r.ts >= T - 5000 && r.ts < T - 3000),
    );
    expect(await ids('account=beta')).toEqual(expected((r) => r.accountId === beta.id));
    expect(await ids(`account=${alpha.id}`)).toEqual(expected((r) => r.accountId === alpha.id));
    expect(await ids('account=nobody')).toEqual([]);
    // Failed requests have no applied model and are found under the model they asked for.
    expect(await ids(`model=${OPUS}`)).toEqual(expected((r) => r.modelRequested === OPUS));
    expect(await ids(`model=${SONNET}`)).toHaveLength(16);
    expect(await ids('status=error')).toEqual(expected((r) => !r.success));
    expect(await ids('status=error')).toHaveLength(6);
    expect(await ids('status=success')).toHaveLength(18);
    expect(await ids('status=429')).toEqual(expected((r) => r.status === 429));
    expect(await ids('status=529')).toEqual(['req-03']);
    expect(await ids('status=404')).toEqual([]);
    expect(await ids('agent=reviewer')).toEqual(expected((r) => r.agent === 'reviewer'));
    expect(await ids('session=sess-5')).toEqual(['req-00', 'req-05', 'req-10', 'req-15', 'req-20']);
    expect(await ids(`account=alpha&model=${OPUS}&status=success&since=${T - 4000}`)).toEqual(
      expected((r) => r.accountId === alpha.id && r.modelApplied === OPUS && r.ts >= T - 4000),
    );
  });

  it('answers 400 naming the parameter for bad input', async () => {
    const bad: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor!', 'cursor'],
      [`cursor=${Buffer.from('x:y').toString('base64url')}`, 'cursor'],
      ['since=yesterday', 'since'],
      ['until=2025-13-45', 'until'],
      ['status=teapot', 'status'],
      ['status=700', 'status'],
      ['account=', 'account'],
      ['acount=alpha', 'acount'],
    ];
    for (const [q, param] of bad) expect400(await api(gw.server.api, 'GET', `/api/requests?${q}`), param);
  });
});

describe('GET /api/requests/:id', () => {
  it('returns the record with its attempts and payload, credentials redacted', async () => {
    const r = await api(gw.server.api, 'GET', '/api/requests/req-00');
    expect(r.status).toBe(200);
    const d: RequestDetail = RequestDetailSchema.parse(r.json);
    const rec = records[0] as RequestRecord;
    expect(d).toMatchObject({
      id: 'req-00',
      ts: T,
      accountName: 'alpha',
      attempts: 2,
      attemptLog: rec.attemptLog,
      hasPayload: true,
      sessionId: 'sess-5',
      agent: 'reviewer',
    });
    expect(d.payload).toEqual({
      requestHeaders: { 'content-type': 'application/json', 'x-api-key': expect.any(String), 'x-app': 'cli' },
      requestBody: rec.payload?.requestBody,
      responseHeaders: { 'content-type': 'application/json', 'set-cookie': '[redacted]', vary: ['a', 'b'] },
      responseBody: '{"type":"message","content":[]}',
      requestTruncated: false,
      responseTruncated: true,
    });
    expect(d.payload?.requestHeaders['x-api-key']).not.toBe(SECRET);
    expect(r.text).not.toContain(SECRET);
  });

  it('returns a record without payload with payload null', async () => {
    const r = await api(gw.server.api, 'GET', '/api/requests/req-03');
    const d = RequestDetailSchema.parse(r.json);
    expect(d).toMatchObject({ id: 'req-03', status: 529, success: false, hasPayload: false, payload: null });
    expect(d.modelApplied).toBeNull();
    expect(d.modelRequested).toBe(OPUS);
  });

  it('answers 404 for an unknown id', async () => {
    const r = await api(gw.server.api, 'GET', '/api/requests/no-such-request');
    expect(r.status).toBe(404);
    expect(ErrorResponseSchema.parse(r.json).error.message).toContain('no-such-request');
  });
});

describe('OpenAPI document', () => {
  it('describes the request, stats, analytics and maintenance routes', async () => {
    const doc = (await api(gw.server.api, 'GET', '/api/openapi.json')).json as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/requests',
        '/api/requests/{id}',
        '/api/stats',
        '/api/stats/reset',
        '/api/analytics',
        '/api/maintenance/cleanup',
        '/api/maintenance/compact',
      ]),
    );
    expect(doc.paths['/api/requests']?.get?.parameters?.map((p) => p.name)).toEqual([
      'limit',
      'cursor',
      'since',
      'until',
      'account',
      'model',
      'status',
      'agent',
      'session',
    ]);
    expect(doc.paths['/api/analytics']?.get?.parameters?.map((p) => p.name)).toEqual([
      'range',
      'accounts',
      'models',
      'agents',
      'status',
      'modelSeries',
    ]);
  });
});
