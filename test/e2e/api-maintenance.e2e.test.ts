/**
 * `/api/maintenance` end to end: retention applied on demand with the runtime retention settings
 * (a change through /api/config applies to the next run), payloads expiring before their rows,
 * and compaction of the database file while the server keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponseSchema } from '../../src/shared/api-schemas.js';
import {
  type CleanupResult,
  CleanupResultSchema,
  CompactResultSchema,
  StorageSummarySchema,
} from '../../src/shared/maintenance-schemas.js';
import { RequestDetailSchema, RequestPageSchema } from '../../src/shared/requests-schemas.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { samplePayload, sampleRecord } from '../support/sample-record.js';

const DAY = 86_400_000;

let up: FakeUpstream;
let gw: TestGateway;
let T0: number;

const payload = (size: number) =>
  samplePayload({ requestBody: 'b'.repeat(size), responseHeaders: null, responseBody: null });

async function cleanup(): Promise<CleanupResult> {
  const r = await api(gw.server.api, 'POST', '/api/maintenance/cleanup');
  expect(r.status, r.text).toBe(200);
  return CleanupResultSchema.parse(r.json);
}

async function detail(id: string) {
  const r = await api(gw.server.api, 'GET', `/api/requests/${id}`);
  return r.status === 200 ? RequestDetailSchema.parse(r.json) : ErrorResponseSchema.parse(r.json);
}

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startGateway({ upstreamUrl: up.url });
  T0 = Date.now();
  // Default retention: request rows 90 days, payloads 7 days.
  await gw.store.requests.writeBatch(
    [
      sampleRecord({ id: 'm1', ts: T0 - 100 * DAY, payload: payload(100) }),
      sampleRecord({ id: 'm2', ts: T0 - 10 * DAY, payload: payload(100) }),
      sampleRecord({ id: 'm3', ts: T0 - DAY, payload: payload(100) }),
      sampleRecord({ id: 'm4', ts: T0 - 1000 }),
    ],
    [],
  );
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('GET /api/maintenance/storage', () => {
  it('reports the sizes and the oldest stored request', async () => {
    const r = await api(gw.server.api, 'GET', '/api/maintenance/storage');
    expect(r.status, r.text).toBe(200);
    const s = StorageSummarySchema.parse(r.json);
    expect(s.oldestRequestTs).toBe(T0 - 100 * DAY);
    expect(s.databaseBytes).toBeGreaterThan(0);
    // Three payloads in segment files: an 18-byte frame header, 35 bytes of headers, 100 of body.
    expect(s.payloadFileBytes).toBe(3 * (18 + 35 + 100));
  });
});

describe('POST /api/maintenance/cleanup', () => {
  it('deletes rows past the request retention and payloads past the payload retention', async () => {
    const before = Date.now();
    const r = await cleanup();
    expect(r).toMatchObject({
      requestsDeleted: 1,
      // m1's (its row goes too) and m2's (its row stays).
      payloadsDeleted: 2,
      requestRetentionDays: 90,
      payloadRetentionDays: 7,
    });
    expect(r.rollupRowsDeleted).toBeGreaterThanOrEqual(1);
    expect(r.requestsBefore).toBeGreaterThanOrEqual(before - 90 * DAY);
    expect(r.requestsBefore).toBeLessThanOrEqual(Date.now() - 90 * DAY);
    expect(r.payloadsBefore - r.requestsBefore).toBe(83 * DAY);

    expect(await detail('m1')).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(await detail('m2')).toMatchObject({ id: 'm2', hasPayload: false, payload: null });
    expect(await detail('m3')).toMatchObject({ id: 'm3', hasPayload: true, payload: { requestBody: 'b'.repeat(100) } });
    const stats = await api(gw.server.api, 'GET', '/api/stats');
    expect(stats.json.totals.requests).toBe(3);

    expect(await cleanup()).toMatchObject({ requestsDeleted: 0, payloadsDeleted: 0, rollupRowsDeleted: 0 });
  });

  it('uses the retention settings as they are now', async () => {
    const patched = await api(gw.server.api, 'PATCH', '/api/config', { requestRetentionDays: 5 });
    expect(patched.status, patched.text).toBe(200);
    const r = await cleanup();
    expect(r).toMatchObject({ requestsDeleted: 1, payloadsDeleted: 0, requestRetentionDays: 5 });
    const list = RequestPageSchema.parse((await api(gw.server.api, 'GET', '/api/requests')).json);
    expect(list.items.map((i) => i.id)).toEqual(['m4', 'm3']);
  });
});

describe('POST /api/maintenance/compact', () => {
  it('reclaims the space of deleted rows and keeps serving', async () => {
    await gw.store.requests.writeBatch(
      Array.from({ length: 300 }, (_, i) =>
        // Payloads live in segment files, not the database: bulk up the row itself.
        sampleRecord({ id: `bulk-${i}`, ts: T0 - 20 * DAY, error: 'e'.repeat(30_000) }),
      ),
      [],
    );
    expect((await cleanup()).requestsDeleted).toBe(300);
    const r = await api(gw.server.api, 'POST', '/api/maintenance/compact');
    expect(r.status, r.text).toBe(200);
    const c = CompactResultSchema.parse(r.json);
    expect(c.afterBytes).toBeGreaterThan(0);
    // 300 rows of 30 KB were deleted: at least most of 9 MB comes back.
    expect(c.reclaimedBytes).toBeGreaterThan(5_000_000);
    expect(c.reclaimedBytes).toBe(c.beforeBytes - c.afterBytes);
    const list = RequestPageSchema.parse((await api(gw.server.api, 'GET', '/api/requests')).json);
    expect(list.items.map((i) => i.id)).toEqual(['m4', 'm3']);
    // Writes still go through after the file was rewritten.
    await gw.store.requests.writeBatch([sampleRecord({ id: 'after', ts: Date.now() })], []);
    expect(await detail('after')).toMatchObject({ id: 'after' });
  });
});
