import { describe, expect, it } from 'vitest';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import { KeptBytes } from '../../proxy/kept-bytes.js';
import type { PayloadBody, RequestRecord } from '../contract/records.js';
import { entryBytes, JOURNAL_BODY_BYTES, JOURNAL_HEADER, parseSegment } from '../journal/record-journal.js';
import { bodyBytes } from '../payloads/body-bytes.js';
import { packRecords, unpackRecords } from './write-protocol.js';

/** Every field set to a value no other field has, so a swapped or shifted field shows. */
function distinct(id: string): RequestRecord {
  return sampleRecord({
    id,
    ts: 1_800_000_000_123,
    method: 'PUT',
    path: '/v1/messages/count_tokens',
    accountId: 'acc-id',
    accountName: 'acc-name',
    status: 529,
    success: false,
    error: 'overloaded_error: busy',
    latencyMs: 812.4,
    ttftMs: 99.1,
    attempts: 3,
    attemptLog: [
      { account: 'a', status: 529, error: 'overloaded', ms: 12 },
      { account: null, status: null, error: 'connect ECONNREFUSED', ms: 0 },
    ],
    modelRequested: 'claude-opus-4-1',
    modelApplied: 'claude-opus-4-1-20250805',
    agent: 'reviewer',
    agentInstance: 'a1b2c3d4e5f607182',
    routeReason: 'score 6.95 (health 1.40, bucket 5.00, quota 0.50, rest 0.05)',
    modelFallback: true,
    sessionId: 'sess',
    clientKey: 'laptop',
    stream: false,
    stopReason: 'max_tokens',
    inputTokens: 1,
    cacheReadTokens: 2,
    cacheWrite5mTokens: 3,
    cacheWrite1hTokens: 4,
    outputTokens: 5,
    costUsd: 0.0061,
    outputTokensPerSecond: 41.2,
  });
}

const text = (b: PayloadBody | null) => (b === null || typeof b === 'string' ? b : bodyBytes(b).toString('utf8'));

/** Over a real structured clone with the bytes transferred, as postMessage does it. */
function viaClone(records: RequestRecord[]): RequestRecord[] {
  const packed = packRecords(records);
  return unpackRecords(structuredClone(packed, { transfer: [packed.bytes] }));
}

describe('packRecords / unpackRecords', () => {
  it("carries a long answer's deflated parts as they are; the journal keeps its first bytes", () => {
    const events = Array.from({ length: 3000 }, (_, i) => `event: content_block_delta\ndata: {"text":"w${i}"}\n\n`);
    const k = new KeptBytes();
    for (const e of events) k.push(Buffer.from(e));
    const answer = events.join('');
    const r = sampleRecord({ id: 'long', payload: { ...samplePayload(), responseBody: k.body() } });
    const [back] = viaClone([r]);
    const body = back?.payload?.responseBody ?? null;
    expect(body !== null && typeof body === 'object' && !(body instanceof Uint8Array)).toBe(true);
    expect(text(body)).toBe(answer);
    // The journal entry holds the answer's first JOURNAL_BODY_BYTES, marked cut.
    const seg = parseSegment(Buffer.concat([Buffer.from(JOURNAL_HEADER), entryBytes(r)]));
    const kept = seg.records[0]?.payload;
    expect(text(kept?.responseBody ?? null)).toBe(answer.slice(0, JOURNAL_BODY_BYTES));
    expect(kept?.responseTruncated).toBe(true);
  });

  it('carries the link body, once when it is the captured request body', () => {
    const body = Buffer.from('{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}');
    const payload = {
      requestHeaders: '{}',
      requestBody: body.subarray(0),
      responseHeaders: null,
      responseBody: null,
      requestTruncated: false,
      responseTruncated: false,
    };
    const shared = { ...distinct('shared'), payload, linkBody: body };
    const own = { ...distinct('own'), linkBody: body };
    const [a, b] = viaClone([shared, own]);
    expect(text(a?.linkBody ?? null)).toBe(body.toString());
    expect(text(b?.linkBody ?? null)).toBe(body.toString());
    expect(packRecords([shared]).length).toBeLessThan(
      packRecords([{ ...shared, payload: { ...payload, requestBody: Buffer.from(body) } }]).length,
    );
  });

  it('gives back every field of every record, in order', () => {
    const records = [
      distinct('a'),
      sampleRecord({ id: 'b' }),
      { ...distinct('c'), attemptLog: [], error: null, accountId: null, ttftMs: null, costUsd: null },
    ];
    expect(viaClone(records)).toEqual(records);
  });

  it('carries short and long text that is not ASCII, also when it starts as ASCII', () => {
    const text = {
      id: 'r-ü',
      accountName: 'zoë',
      error: 'overloaded 🚦 try later',
      routeReason: `${'x'.repeat(80)}é`,
      sessionId: 'é',
      agent: '',
    };
    const [back, after] = unpackRecords(packRecords([sampleRecord(text), distinct('after')]));
    expect(back).toMatchObject(text);
    expect(after).toEqual(distinct('after'));
  });

  it('carries text and byte bodies, nulls and the truncated flags', () => {
    const socketChunk = Buffer.from('HEADERS{"model":"claude-sonnet-4-5","messages":[]}');
    const records: RequestRecord[] = [
      {
        ...distinct('bytes'),
        payload: {
          requestHeaders: '{"content-type":"application/json"}',
          // a view into a bigger buffer: only its own bytes may travel
          requestBody: socketChunk.subarray(7),
          responseHeaders: '{"content-type":"text/event-stream"}',
          responseBody: Buffer.from('event: ping\ndata: {"type":"ping"} — ✓\n\n'),
          requestTruncated: true,
          responseTruncated: false,
        },
      },
      { ...distinct('none'), payload: null },
      {
        ...distinct('text'),
        payload: {
          requestHeaders: '{}',
          requestBody: null,
          responseHeaders: null,
          responseBody: '{"type":"error"}',
          requestTruncated: false,
          responseTruncated: true,
        },
      },
    ];
    const back = viaClone(records);
    expect(back.map((r) => r.id)).toEqual(['bytes', 'none', 'text']);
    const [b, none, t] = back as [RequestRecord, RequestRecord, RequestRecord];
    expect({
      ...b.payload,
      requestBody: text(b.payload?.requestBody ?? null),
      responseBody: text(b.payload?.responseBody ?? null),
    }).toEqual({
      requestHeaders: '{"content-type":"application/json"}',
      requestBody: '{"model":"claude-sonnet-4-5","messages":[]}',
      responseHeaders: '{"content-type":"text/event-stream"}',
      responseBody: 'event: ping\ndata: {"type":"ping"} — ✓\n\n',
      requestTruncated: true,
      responseTruncated: false,
    });
    expect(none.payload).toBeNull();
    expect(t.payload).toEqual(records[2]?.payload);
    expect({ ...b, payload: null }).toEqual({ ...distinct('bytes'), payload: null });
  });

  it('packs an empty batch and batches larger than its first buffer guess', () => {
    expect(unpackRecords(packRecords([]))).toEqual([]);
    const big = Array.from({ length: 50 }, (_, i) => ({ ...distinct(`r${i}`), error: `é${'x'.repeat(2000)}` }));
    expect(viaClone(big)).toEqual(big);
  });

  it('packs into a spare buffer when it is big enough, and into a new one when not', () => {
    const records = [distinct('a'), distinct('b')];
    const roomy = new ArrayBuffer(1 << 20);
    const a = packRecords(records, roomy);
    expect(a.bytes).toBe(roomy);
    expect(unpackRecords(a)).toEqual(records);
    const small = new ArrayBuffer(16);
    const b = packRecords(records, small);
    expect(b.bytes).not.toBe(small);
    expect(unpackRecords(b)).toEqual(records);
  });

  it('refuses a value it cannot carry instead of writing something else', () => {
    const bad = { ...distinct('bad'), agent: { name: 'x' } as unknown as string };
    expect(() => packRecords([bad])).toThrow(/cannot pack/);
  });
});
