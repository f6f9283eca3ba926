import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../../test/support/sample-record.js';
import { entryBytes, JOURNAL_BODY_BYTES, JOURNAL_HEADER, parseSegment, RecordJournal } from './record-journal.js';

const root = mkdtempSync(join(tmpdir(), 'ccflare-journal-'));
let n = 0;
const freshDir = () => join(root, `j${++n}`);
const turn = () => new Promise<void>((r) => setImmediate(r));
const HEADER = JOURNAL_HEADER;
/** A record as the journal writes it. */
const entry = (id: string) => entryBytes(sampleRecord({ id }));
/** A pid no process has (above Linux's pid_max). */
const DEAD_PID = 99_999_999;

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function filesOf(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('RecordJournal', () => {
  it('has every record of a turn on disk at the end of that turn, in one file only the owner can read', async () => {
    const dir = freshDir();
    const j = new RecordJournal(dir);
    j.append(sampleRecord({ id: 'a' }));
    j.append(sampleRecord({ id: 'b' }));
    expect(filesOf(dir)).toEqual([]);
    await turn();
    const [file] = filesOf(dir);
    expect(file).toMatch(new RegExp(`^${process.pid}-[0-9a-f]+-1\\.rec$`));
    const path = join(dir, file as string);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(parseSegment(readFileSync(path)).records.map((r) => r.id)).toEqual(['a', 'b']);
    j.close();
  });

  it('deletes a segment once it is full and every record in it is committed, so the journal does not grow', async () => {
    const dir = freshDir();
    const j = new RecordJournal(dir, { segmentBytes: 1 });
    const first = j.append(sampleRecord({ id: 'a' }));
    await turn();
    const second = j.append(sampleRecord({ id: 'b' }));
    await turn();
    expect(filesOf(dir)).toHaveLength(2);
    j.release(first, 1);
    expect(filesOf(dir)).toHaveLength(1);
    j.release(second, 1);
    expect(filesOf(dir)).toEqual([]);
    j.close();
  });

  it('keeps refused records, counts them as waiting, and gives their segment to a replay once nothing else is pending', async () => {
    const dir = freshDir();
    const j = new RecordJournal(dir);
    const chunk = j.append(sampleRecord({ id: 'a' }));
    j.append(sampleRecord({ id: 'b' }));
    // Refused before the turn's write: still counted, still on disk after it.
    expect(j.park(chunk, 1)).toBe(true);
    await turn();
    expect(j.waiting()).toBe(1);
    expect(j.nextReplayable()).toBeNull();
    j.release(chunk, 1);
    const seg = j.nextReplayable();
    expect(seg).not.toBeNull();
    expect(j.read(seg as NonNullable<typeof seg>).records.map((r) => r.id)).toEqual(['a', 'b']);
    j.replayed(seg as NonNullable<typeof seg>);
    expect(j.waiting()).toBe(0);
    expect(filesOf(dir)).toEqual([]);
    j.close();
  });

  it("takes over a dead process's segments and leaves a running one's alone", () => {
    const dir = freshDir();
    new RecordJournal(dir).close();
    const x = entry('x');
    writeFileSync(join(dir, `${DEAD_PID}-abcd-1.jsonl`), Buffer.concat([Buffer.from(HEADER), x, x]));
    writeFileSync(join(dir, '4242-abcd-1.jsonl'), Buffer.concat([Buffer.from(HEADER), x]));
    const j = new RecordJournal(dir, { isAlive: (pid) => pid === 4242 });
    expect(j.waiting()).toBe(2);
    const seg = j.nextReplayable();
    expect(seg?.name).toBe(`${DEAD_PID}-abcd-1.jsonl`);
    j.replayed(seg as NonNullable<typeof seg>);
    expect(j.nextReplayable()).toBeNull();
    expect(filesOf(dir)).toEqual(['4242-abcd-1.jsonl']);
    j.close();
  });

  it('reports records it could not write as lost when the database refuses them too', async () => {
    const dir = freshDir();
    const lost: number[] = [];
    const errors: unknown[] = [];
    const j = new RecordJournal(dir, { onLost: (k) => lost.push(k), onError: (e) => errors.push(e) });
    // The directory replaced by a file: no segment can be created (as on a full or read-only disk).
    rmSync(dir, { recursive: true });
    writeFileSync(dir, '');
    const chunk = j.append(sampleRecord({ id: 'a' }));
    await turn();
    expect(String(errors[0])).toMatch(/Cannot write the request record journal/);
    expect(j.park(chunk, 1)).toBe(false);
    expect(j.waiting()).toBe(0);
    j.close();
    rmSync(dir);
    expect(lost).toEqual([]);
  });

  it('reads bodies back byte for byte', () => {
    const rec = sampleRecord({
      id: 'p',
      payload: {
        requestHeaders: '{}',
        requestBody: new TextEncoder().encode('{"q":"é"}'),
        responseHeaders: null,
        responseBody: 'plain',
        requestTruncated: false,
        responseTruncated: false,
      },
    });
    const file = Buffer.concat([Buffer.from(HEADER), entryBytes(rec), entry('after')]);
    const { records } = parseSegment(file);
    expect(Buffer.from(records[0]?.payload?.requestBody as Uint8Array).toString()).toBe('{"q":"é"}');
    expect(records[0]?.payload?.responseBody).toBe('plain');
    expect(records.map((r) => r.id)).toEqual(['p', 'after']);
  });

  it('journals a body beyond 4 KiB cut there and marked truncated, the rest of the record whole', () => {
    const rec = sampleRecord({
      id: 'big',
      payload: {
        requestHeaders: '{}',
        requestBody: Buffer.alloc(JOURNAL_BODY_BYTES + 1000, 97),
        responseHeaders: null,
        responseBody: 'short',
        requestTruncated: false,
        responseTruncated: false,
      },
    });
    const back = parseSegment(Buffer.concat([Buffer.from(HEADER), entryBytes(rec)])).records[0];
    expect((back?.payload?.requestBody as Uint8Array | undefined)?.byteLength).toBe(JOURNAL_BODY_BYTES);
    expect(back?.payload).toMatchObject({ requestTruncated: true, responseTruncated: false });
    expect({ ...back, payload: null }).toEqual({ ...rec, payload: null });
  });
});

describe('parseSegment', () => {
  it('skips an entry torn by kill -9 and an unreadable one, keeping the records around them', () => {
    const torn = entry('c').subarray(0, 40);
    const garbage = Buffer.alloc(4 + 9);
    garbage.writeUInt32LE(9, 0);
    garbage.write('not a rec', 4);
    const file = Buffer.concat([Buffer.from(HEADER), entry('a'), garbage, entry('b'), torn]);
    expect(parseSegment(file)).toMatchObject({ records: [{ id: 'a' }, { id: 'b' }], skipped: 2 });
    expect(parseSegment(Buffer.alloc(0))).toEqual({ records: [], skipped: 0 });
  });

  it('still reads a segment an earlier version wrote (format 1: a JSON line per record, body bytes after it)', () => {
    const rec = sampleRecord({ id: 'old' });
    const body = Buffer.from('{"model":"claude-sonnet-4-5"}');
    const line = JSON.stringify({
      ...rec,
      payload: {
        requestHeaders: '{}',
        requestBody: { bytes: body.length },
        responseHeaders: null,
        responseBody: null,
        requestTruncated: false,
        responseTruncated: false,
      },
    });
    const file = Buffer.concat([
      Buffer.from('{"ccflareRecordJournal":1}\n'),
      Buffer.from(`${JSON.stringify(sampleRecord({ id: 'old0' }))}\n${line}\n`),
      body,
      Buffer.from('\n'),
    ]);
    const { records, skipped } = parseSegment(file);
    expect(skipped).toBe(0);
    expect(records.map((r) => r.id)).toEqual(['old0', 'old']);
    expect(Buffer.from(records[1]?.payload?.requestBody as Uint8Array).toString()).toBe(body.toString());
  });

  it('skips an entry whose body bytes were cut short', () => {
    const rec = sampleRecord({
      id: 'big',
      payload: {
        requestHeaders: '{}',
        requestBody: Buffer.alloc(1000, 97),
        responseHeaders: null,
        responseBody: null,
        requestTruncated: false,
        responseTruncated: false,
      },
    });
    const whole = entryBytes(rec);
    const file = Buffer.concat([Buffer.from(HEADER), entry('a'), whole.subarray(0, whole.length - 500)]);
    expect(parseSegment(file)).toMatchObject({ records: [{ id: 'a' }], skipped: 1 });
  });
});
