/**
 * GET /api/export/{kind} in process on seeded records: JSON Lines and CSV (parsed back with
 * csv-parse as a spreadsheet reads it), oldest first across pages, the filters, payloads as JSON
 * text with credentials redacted, 400s for bad input; conversations one row each, with payloads per branch
 * (`requestPayloads`, beside the `requests` count).
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_ROWS } from '../../src/export/export-rows.js';
import { ErrorResponseSchema } from '../../src/shared/api-schemas.js';
import type { AccountRow } from '../../src/storage/contract/accounts.js';
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { sampleRecord } from '../support/sample-record.js';

const SECRET = 'sk-ant-api03-export-e2e-secret-0000000';
const T = Date.UTC(2025, 5, 1, 12, 0, 0);
/** More rows than one page, so the keyset paging is crossed. */
const N = PAGE_ROWS + 37;

let up: FakeUpstream;
let gw: TestGateway;
let alpha: AccountRow;
let records: RequestRecord[];

function csv(text: string): Record<string, string>[] {
  return parse(text, { columns: true, record_delimiter: '\r\n', relax_quotes: false }) as Record<string, string>[];
}

function jsonl(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({
    upstreamUrl: up.url,
    setup: async (g) => {
      await g.addApiKey('alpha', 'sk-ant-api03-export-e2e-alpha-000000');
    },
  });
  alpha = await gw.account('alpha');
  // Newest first as ids go up, so the export's oldest-first order is not the insert order.
  records = Array.from({ length: N }, (_, i) =>
    sampleRecord({
      id: `req-${String(i).padStart(4, '0')}`,
      ts: T - Math.floor(i / 2) * 1000,
      accountId: i % 3 === 0 ? alpha.id : null,
      accountName: i % 3 === 0 ? 'alpha' : null,
      clientKey: i % 4 === 0 ? 'laptop' : null,
      agent: i % 5 === 0 ? 'reviewer' : 'main',
    }),
  );
  const odd = records[0] as RequestRecord;
  // Everything a CSV must quote, and a formula a spreadsheet must not run.
  odd.error = '=HYPERLINK("x"), then\r\n"quoted", ünïcode ✓';
  odd.success = false;
  odd.status = 500;
  odd.path = '/v1/messages?beta=true&api_key=abc';
  odd.attemptLog = [{ account: 'alpha', status: 500, error: 'api_error', ms: 5 }];
  odd.payload = {
    requestHeaders: JSON.stringify({ 'content-type': 'application/json', 'x-api-key': SECRET }),
    requestBody: '{"messages":[{"role":"user","content":"a, \\"b\\"\\nc"}]}',
    responseHeaders: null,
    responseBody: 'event: ping\ndata: {"type":"ping"}\n\n',
    requestTruncated: false,
    responseTruncated: false,
  };
  await gw.store.requests.writeBatch(records, []);
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const oldestFirst = () => [...records].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)).map((r) => r.id);

describe('GET /api/export/requests', () => {
  it('streams every row as JSON Lines, oldest first, across pages', async () => {
    const r = await api(gw.server.api, 'GET', '/api/export/requests');
    expect(r.status, r.text).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="ccflare-requests-.+\.jsonl"$/);
    const rows = jsonl(r.text);
    expect(rows.map((x) => x.id)).toEqual(oldestFirst());
    const first = rows.find((x) => x.id === 'req-0000') as Record<string, unknown>;
    expect(first).toMatchObject({
      time: new Date(T).toISOString(),
      path: '/v1/messages?beta=true&api_key=[redacted]',
      status: 500,
      success: false,
      attemptLog: [{ account: 'alpha', status: 500, error: 'api_error', ms: 5 }],
    });
    expect(first).not.toHaveProperty('payload');
  });

  it('writes CSV a spreadsheet parser reads back: header, quoting, UTF-8, formulas neutralised', async () => {
    const r = await api(gw.server.api, 'GET', '/api/export/requests?format=csv');
    expect(r.status, r.text).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.text.startsWith('id,time,ts,method,path,')).toBe(true);
    const rows = csv(r.text);
    expect(rows.map((x) => x.id)).toEqual(oldestFirst());
    const first = rows.find((x) => x.id === 'req-0000') as Record<string, string>;
    expect(first.error).toBe(`'=HYPERLINK("x"), then\r\n"quoted", ünïcode ✓`);
    expect(first.success).toBe('false');
    expect(first.stream).toBe('true');
    expect(first.costUsd).toBe('0.000123');
    expect(JSON.parse(first.attemptLog as string)).toEqual([
      { account: 'alpha', status: 500, error: 'api_error', ms: 5 },
    ]);
    // A missing value is an empty cell.
    const other = rows.find((x) => x.id === 'req-0001') as Record<string, string>;
    expect(other.accountId).toBe('');
  });

  it('adds payloads as JSON text columns, credentials redacted', async () => {
    const r = await api(gw.server.api, 'GET', `/api/export/requests?format=csv&payloads=true&since=${T}`);
    expect(r.status, r.text).toBe(200);
    const rows = csv(r.text);
    expect(rows.map((x) => x.id)).toEqual(['req-0000', 'req-0001']);
    const withPayload = rows.find((x) => x.id === 'req-0000') as Record<string, string>;
    expect(JSON.parse(withPayload.requestHeaders as string)).toEqual({
      'content-type': 'application/json',
      'x-api-key': '[redacted]',
    });
    expect(r.text).not.toContain(SECRET);
    expect(JSON.parse(withPayload.requestBody as string)).toEqual({
      messages: [{ role: 'user', content: 'a, "b"\nc' }],
    });
    expect(withPayload.responseBody).toBe('event: ping\ndata: {"type":"ping"}\n\n');
    expect(withPayload.responseHeaders).toBe('');
    const without = rows.find((x) => x.id === 'req-0001') as Record<string, string>;
    expect(without.requestBody).toBe('');

    const j = jsonl((await api(gw.server.api, 'GET', `/api/export/requests?payloads=1&since=${T}`)).text);
    expect(j.find((x) => x.id === 'req-0000')?.payload).toMatchObject({
      requestHeaders: { 'x-api-key': '[redacted]' },
      responseHeaders: null,
    });
    expect(j.find((x) => x.id === 'req-0001')?.payload).toBeNull();
  });

  it('filters by time, account, key and agent', async () => {
    const ids = async (q: string) =>
      jsonl((await api(gw.server.api, 'GET', `/api/export/requests?${q}`)).text).map((x) => x.id);
    const inWindow = records.filter((r) => r.ts >= T - 10_000 && r.ts < T - 5000);
    expect(await ids(`since=${new Date(T - 10_000).toISOString()}&until=${T - 5000}`)).toEqual(
      oldestFirst().filter((id) => inWindow.some((r) => r.id === id)),
    );
    const expected = (f: (r: RequestRecord) => boolean) =>
      oldestFirst().filter((id) => f(records.find((r) => r.id === id) as RequestRecord));
    expect(await ids('account=alpha')).toEqual(expected((r) => r.accountId === alpha.id));
    expect(await ids('key=laptop')).toEqual(expected((r) => r.clientKey === 'laptop'));
    expect(await ids('agent=reviewer&key=laptop')).toEqual(
      expected((r) => r.agent === 'reviewer' && r.clientKey === 'laptop'),
    );
    // Relative times count back from now: the seeded rows are years old.
    expect(await ids('since=7d')).toEqual([]);
  });

  it('writes only the header for an empty CSV export', async () => {
    const r = await api(gw.server.api, 'GET', '/api/export/requests?format=csv&key=nobody');
    expect(r.status).toBe(200);
    expect(csv(r.text)).toEqual([]);
    expect(r.text.split('\r\n')[0]).toContain('id,time,ts');
  });

  it('answers 400 naming the parameter', async () => {
    for (const [q, word] of [
      ['format=xlsx', 'format'],
      ['since=yesterday', 'since'],
      ['until=2025-02-30', 'until'],
      [`since=${T}&until=${T}`, 'since must be before until'],
      ['payloads=yes', 'payloads'],
      ['colour=red', 'colour'],
    ] as const) {
      const r = await api(gw.server.api, 'GET', `/api/export/requests?${q}`);
      expect(r.status, q).toBe(400);
      expect(ErrorResponseSchema.parse(r.json).error.message).toContain(word);
    }
  });
});

describe('GET /api/export/conversations', () => {
  it('streams one row per conversation as CSV and JSON Lines, with payloads in order per branch', async () => {
    // A conversation of two turns on the main branch and a retried second turn (branch_1).
    const turn = (id: string, ts: number, messages: unknown[]) =>
      sampleRecord({
        id,
        ts,
        sessionId: 'sess-export',
        agent: 'main',
        clientKey: 'conv-key',
        accountId: alpha.id,
        accountName: 'alpha',
        linkBody: Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', messages })),
        payload: {
          requestHeaders: JSON.stringify({ 'x-api-key': SECRET }),
          requestBody: JSON.stringify({ messages }),
          responseHeaders: null,
          responseBody: `answer of ${id}`,
          requestTruncated: false,
          responseTruncated: false,
        },
      });
    const u1 = { role: 'user', content: 'EXPORT-CONV first, "quoted"' };
    const a1 = { role: 'assistant', content: 'ok' };
    await gw.store.requests.writeBatch(
      [
        turn('conv-1', T + 10_000, [u1]),
        turn('conv-2', T + 11_000, [u1, a1, { role: 'user', content: 'second' }]),
        turn('conv-3', T + 12_000, [u1, a1, { role: 'user', content: 'second, retried' }]),
      ],
      [],
    );

    const c = await api(gw.server.api, 'GET', '/api/export/conversations?format=csv&key=conv-key');
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toContain('text/csv');
    const rows = csv(c.text);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: 'conv-1',
      requests: '3',
      branches: '2',
      accounts: '["alpha"]',
      keys: '["conv-key"]',
      firstUserText: 'EXPORT-CONV first, "quoted"',
    });

    const j = await api(gw.server.api, 'GET', '/api/export/conversations?format=jsonl&key=conv-key&payloads=true');
    expect(j.status).toBe(200);
    const [conv] = jsonl(j.text) as {
      requests: number;
      requestPayloads: { id: string; branch: string; payload: Record<string, unknown> }[];
    }[];
    expect(conv?.requests).toBe(3);
    expect(conv?.requestPayloads.map((r) => [r.id, r.branch])).toEqual([
      ['conv-1', 'main'],
      ['conv-2', 'main'],
      ['conv-3', 'branch_1'],
    ]);
    expect(conv?.requestPayloads[2]?.payload.responseBody).toBe('answer of conv-3');
    expect(j.text).not.toContain(SECRET);

    const p = await api(gw.server.api, 'GET', '/api/export/conversations?format=csv&key=conv-key&payloads=true');
    expect(p.status).toBe(200);
    const [withPayloads] = csv(p.text);
    expect(withPayloads?.requests).toBe('3');
    expect((JSON.parse(withPayloads?.requestPayloads ?? 'null') as { id: string }[]).map((r) => r.id)).toEqual([
      'conv-1',
      'conv-2',
      'conv-3',
    ]);
    expect(p.text).not.toContain(SECRET);
  });
});
