/**
 * The request-record journal across a restart: records a killed gateway left in
 * `<db>.journal/` are in the database before the next one on the same file answers, and a
 * line torn by the kill is skipped, counted and shown on /health and /metrics.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryBytes, JOURNAL_HEADER } from '../../src/storage/journal/record-journal.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { parsePrometheus, sampleValue } from '../support/prom-text.js';
import { sampleRecord } from '../support/sample-record.js';

/** A pid no process has (above Linux's pid_max): the gateway that wrote the segment is gone. */
const DEAD_PID = 99_999_999;

describe('a gateway started on the journal of a killed one', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  let journal: string;

  beforeAll(async () => {
    up = await startFakeUpstream();
    gw = await startGateway({
      upstreamUrl: up.url,
      setup: async (g) => {
        const a = await g.addApiKey('a', 'sk-ant-api03-journal-a');
        journal = join(g.home, 'ccflare.db.journal');
        mkdirSync(journal, { mode: 0o700 });
        const entries = ['j1', 'j2', 'j3'].map((id) =>
          entryBytes(sampleRecord({ id, accountId: a.id, accountName: 'a' })),
        );
        // kill -9 in the middle of a write: the last entry is cut short.
        const torn = entryBytes(sampleRecord({ id: 'j4' })).subarray(0, 50);
        writeFileSync(
          join(journal, `${DEAD_PID}-0badc0de-1.rec`),
          Buffer.concat([Buffer.from(JOURNAL_HEADER), ...entries, torn]),
        );
      },
    });
  });

  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  it('has written the journaled records before it serves, each counted once for its account', async () => {
    expect((await gw.store.requests.listRecords({ limit: 10 })).map((r) => r.id).sort()).toEqual(['j1', 'j2', 'j3']);
    expect((await gw.account('a')).requestCount).toBe(3);
    expect(readdirSync(journal)).toEqual([]);
  });

  it('says on /health and /metrics that the torn record was lost', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as {
      status: string;
      reasons: string[];
      recordsDropped: number;
      recordsWaiting: number;
    };
    expect(h).toMatchObject({ status: 'degraded', recordsDropped: 1, recordsWaiting: 0 });
    expect(h.reasons.join()).toMatch(/1 request record\(s\) lost/);
    const metrics = parsePrometheus(await (await fetch(`${gw.url}/metrics`)).text());
    expect(sampleValue(metrics, 'ccflare_records_dropped_total')).toBe(1);
    expect(sampleValue(metrics, 'ccflare_records_journaled_pending')).toBe(0);
    expect(gw.logs.some((l) => /unreadable line/.test(l))).toBe(true);
  });
});
