/**
 * Payloads of a file database: segment files in `<db>-payloads/` (payloads/payload-files.ts) referenced
 * from the request row, read back through the store, expired by retention and removed by
 * clear-history; payloads in the legacy table from before migration 5 stay readable.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import { payloadDir } from '../payloads/payload-files.js';
import { openDatabase } from './connection.js';
import { PAYLOADS_PRUNED_KEY } from './maintenance.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'ccflare-payloads-'));
let n = 0;
const freshPath = () => join(root, `p${++n}`, 'ccflare.db');

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 20, 12);

const payload = (body: string) =>
  samplePayload({ requestBody: body, responseBody: `re: ${body}`, responseTruncated: true });

const stores: SqliteStore[] = [];
function open(path = freshPath()): SqliteStore {
  const s = SqliteStore.open(path);
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function count(s: SqliteStore, sql: string): number {
  return (s.connection.prepare(sql).get() as { n: number }).n;
}

async function hasPayload(s: SqliteStore): Promise<Record<string, boolean>> {
  const page = await s.requests.list({ limit: 100 });
  return Object.fromEntries(page.items.map((i) => [i.id, i.hasPayload]));
}

describe('payloads of a file database', () => {
  it('go to segment files, not the table, and read back through getRequest and the list', async () => {
    const path = freshPath();
    const s = open(path);
    await s.requests.writeBatch(
      [
        sampleRecord({ id: 'a', ts: NOW, payload: payload('α') }),
        sampleRecord({ id: 'none', ts: NOW + 1 }),
        sampleRecord({ id: 'b', ts: NOW + 2, payload: payload('b') }),
      ],
      [],
    );
    expect(count(s, 'SELECT count(*) AS n FROM request_payloads')).toBe(0);
    expect(readdirSync(payloadDir(path))).toHaveLength(1);
    expect((await s.requests.get('a'))?.payload).toEqual(payload('α'));
    expect((await s.requests.get('b'))?.payload).toEqual(payload('b'));
    expect((await s.requests.get('none'))?.payload).toBeNull();
    expect(await hasPayload(s)).toEqual({ a: true, none: false, b: true });
    const row = s.connection.prepare('SELECT payload_file, payload_offset, payload_length FROM requests WHERE id = ?');
    expect(row.get('none')).toEqual({ payload_file: null, payload_offset: null, payload_length: null });
  });

  it('reads as no payload once the file is gone', async () => {
    const path = freshPath();
    const s = open(path);
    await s.requests.writeBatch([sampleRecord({ id: 'a', ts: NOW, payload: payload('a') })], []);
    rmSync(payloadDir(path), { recursive: true });
    expect((await s.requests.get('a'))?.payload).toBeNull();
    // The next batch recreates the directory.
    await s.requests.writeBatch([sampleRecord({ id: 'b', ts: NOW, payload: payload('b') })], []);
    expect((await s.requests.get('b'))?.payload).toEqual(payload('b'));
  });

  it('retention clears expired payloads but keeps their rows, and deletes whole expired days', async () => {
    const path = freshPath();
    const s = open(path);
    await s.requests.writeBatch(
      [
        sampleRecord({ id: 'd10', ts: NOW - 10 * DAY, payload: payload('10') }),
        sampleRecord({ id: 'd3', ts: NOW - 3 * DAY, payload: payload('3') }),
        sampleRecord({ id: 'd0', ts: NOW, payload: payload('0') }),
      ],
      [],
    );
    expect(readdirSync(payloadDir(path))).toHaveLength(3);
    // Rows kept 30 days, payloads 2.
    const res = await s.maintenance.prune({ requestsBefore: NOW - 30 * DAY, payloadsBefore: NOW - 2 * DAY, now: NOW });
    expect(res).toMatchObject({ requestsDeleted: 0, payloadsDeleted: 2 });
    expect(await s.requests.count()).toBe(3);
    expect((await s.requests.get('d3'))?.payload).toBeNull();
    expect((await s.requests.get('d0'))?.payload).toEqual(payload('0'));
    expect(await hasPayload(s)).toEqual({ d0: true, d3: false, d10: false });
    expect(readdirSync(payloadDir(path))).toHaveLength(1);
    const mark = s.connection.prepare('SELECT value FROM meta WHERE key = ?').get(PAYLOADS_PRUNED_KEY);
    expect(mark).toEqual({ value: NOW - 2 * DAY });
    // Nothing new expired: nothing to do.
    expect(
      await s.maintenance.prune({ requestsBefore: NOW - 30 * DAY, payloadsBefore: NOW - 2 * DAY, now: NOW }),
    ).toMatchObject({ payloadsDeleted: 0 });
  });

  it('retention clears in chunks across many rows', async () => {
    const s = open();
    const recs = Array.from({ length: 5000 }, (_, i) =>
      sampleRecord({ id: `r${String(i).padStart(5, '0')}`, ts: NOW - 5 * DAY + (i % 7), payload: payload('x') }),
    );
    for (let i = 0; i < recs.length; i += 1000) await s.requests.writeBatch(recs.slice(i, i + 1000), []);
    const res = await s.maintenance.prune({ requestsBefore: NOW - 30 * DAY, payloadsBefore: NOW - DAY, now: NOW });
    expect(res.payloadsDeleted).toBe(5000);
    expect(count(s, 'SELECT count(*) AS n FROM requests WHERE payload_file IS NOT NULL')).toBe(0);
  });

  it('clear-history removes the segment files; the report counts them', async () => {
    const path = freshPath();
    const s = open(path);
    await s.requests.writeBatch(
      [
        sampleRecord({ id: 'a', ts: NOW - DAY, payload: payload('a') }),
        sampleRecord({ id: 'b', ts: NOW, payload: payload('b') }),
      ],
      [],
    );
    const m = s.maintenance;
    const before = await m.report();
    expect(before.payloadFiles).toBe(2);
    expect(before.payloadBytes).toBeGreaterThan(2 * 'a'.length);
    expect(before.oldestPayloadTs).toBe(NOW - DAY);
    expect(await m.clearHistory()).toMatchObject({ requestsDeleted: 2, payloadsDeleted: 2 });
    expect(readdirSync(payloadDir(path))).toEqual([]);
    expect(await m.report()).toMatchObject({ payloadFiles: 0, payloadBytes: 0, oldestPayloadTs: null });
    await s.requests.writeBatch([sampleRecord({ id: 'c', ts: NOW, payload: payload('c') })], []);
    expect((await s.requests.get('c'))?.payload).toEqual(payload('c'));
  });

  it('an in-memory database keeps writing payloads to the table', async () => {
    const s = open(':memory:');
    await s.requests.writeBatch([sampleRecord({ id: 'a', ts: NOW, payload: payload('a') })], []);
    expect(count(s, 'SELECT count(*) AS n FROM request_payloads')).toBe(1);
    expect(count(s, 'SELECT count(*) AS n FROM requests WHERE payload_file IS NOT NULL')).toBe(0);
    expect((await s.requests.get('a'))?.payload).toEqual(payload('a'));
    expect(await s.maintenance.report()).toMatchObject({ payloadFiles: 0, oldestPayloadTs: NOW });
  });
});

describe('upgrading a database with legacy payloads (schema 4 to 5)', () => {
  it('still reads the old payloads, writes new ones to files, and expires both', async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const old = openDatabase(path);
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 4),
    );
    old
      .prepare(`INSERT INTO requests (id, ts, method, path, success, latency_ms, attempts, stream)
        VALUES (?, ?, 'POST', '/v1/messages', 1, 100, 1, 1)`)
      .run('legacy', NOW - 5 * DAY);
    const p = payload('legacy');
    old
      .prepare(`INSERT INTO request_payloads (request_id, ts, request_headers, request_body, response_headers,
        response_body, request_truncated, response_truncated) VALUES (?, ?, ?, ?, ?, ?, 0, 1)`)
      .run('legacy', NOW - 5 * DAY, p.requestHeaders, p.requestBody, p.responseHeaders, p.responseBody);
    old.close();

    const s = open(path);
    expect((await s.requests.get('legacy'))?.payload).toEqual(p);
    await s.requests.writeBatch([sampleRecord({ id: 'new', ts: NOW, payload: payload('new') })], []);
    expect(count(s, 'SELECT count(*) AS n FROM request_payloads')).toBe(1);
    expect(existsSync(payloadDir(path))).toBe(true);
    expect((await s.requests.get('new'))?.payload).toEqual(payload('new'));
    expect(await hasPayload(s)).toEqual({ legacy: true, new: true });
    // The watermark starts a day before the newest row of the upgrade: old history is never rescanned.
    const mark = s.connection.prepare('SELECT value FROM meta WHERE key = ?').get(PAYLOADS_PRUNED_KEY);
    expect(mark).toEqual({ value: NOW - 6 * DAY });
    expect((await s.maintenance.report()).oldestPayloadTs).toBe(NOW - 5 * DAY);

    const res = await s.maintenance.prune({ requestsBefore: NOW - 30 * DAY, payloadsBefore: NOW - DAY, now: NOW });
    expect(res).toMatchObject({ requestsDeleted: 0, payloadsDeleted: 1 });
    expect((await s.requests.get('legacy'))?.payload).toBeNull();
    expect((await s.requests.get('new'))?.payload).toEqual(payload('new'));
  });
});

describe('an unwritable payload directory', () => {
  it('keeps the records, with their payloads in the table, and says so once', async () => {
    const path = freshPath();
    const s = open(path);
    // A plain file where the directory should be: every append fails.
    writeFileSync(payloadDir(path), 'not a directory');
    const warn = vi.spyOn(console, 'error').mockImplementation(() => {});
    await s.requests.writeBatch([sampleRecord({ id: 'a', ts: NOW, payload: payload('a') })], []);
    await s.requests.writeBatch([sampleRecord({ id: 'b', ts: NOW, payload: payload('b') })], []);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('cannot write request payloads');
    warn.mockRestore();
    expect(count(s, 'SELECT count(*) AS n FROM request_payloads')).toBe(2);
    expect((await s.requests.get('a'))?.payload).toEqual(payload('a'));
    expect(await hasPayload(s)).toEqual({ a: true, b: true });
  });
});
