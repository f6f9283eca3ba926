import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { samplePayload } from '../../../test/support/sample-record.js';
import { KeptBytes } from '../../proxy/kept-bytes.js';
import type { PayloadInput, PayloadRecord } from '../contract/records.js';
import { PayloadFiles, payloadDir } from './payload-files.js';

const root = mkdtempSync(join(tmpdir(), 'ccflare-payload-files-'));
let n = 0;
const freshDb = () => join(root, `d${++n}`, 'ccflare.db');

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const DAY = 86_400_000;
const D1 = Date.UTC(2026, 2, 14);
const RESPONSE = samplePayload().responseBody as string;

describe('PayloadFiles', () => {
  it('round-trips nulls, empty strings, unicode and the truncated flags', () => {
    const f = new PayloadFiles(freshDb());
    const ps: PayloadRecord[] = [
      samplePayload(),
      samplePayload({ requestBody: null, responseHeaders: null, responseBody: null }),
      samplePayload({ requestHeaders: '', requestBody: '', responseHeaders: '', responseBody: '' }),
      samplePayload({ requestBody: 'héllo — 日本語 🎉', responseBody: '\u0000\uffff', requestTruncated: true }),
      samplePayload({ responseTruncated: true }),
      samplePayload({ requestTruncated: true, responseTruncated: true, requestBody: 'x'.repeat(300_000) }),
    ];
    const refs = f.append([{ ts: D1, payload: null }, ...ps.map((p, i) => ({ ts: D1 + i, payload: p }))]);
    expect(refs[0]).toBeNull();
    const got = refs.slice(1).map((r) => (r ? f.read(r) : 'missing'));
    expect(got).toEqual(ps);
    // One file for the day, frames back to back.
    expect(new Set(refs.slice(1).map((r) => r?.file)).size).toBe(1);
    const file = refs[1]?.file as string;
    expect(file).toMatch(/^20260314-[0-9a-f]+\.seg$/);
    const total = refs.slice(1).reduce((s, r) => s + (r?.length ?? 0), 0);
    expect(statSync(join(f.dir, file)).size).toBe(total);
  });

  it('stores bodies given as bytes as those bytes and reads them back as text', () => {
    const f = new PayloadFiles(freshDb());
    const text = 'héllo — 日本語 🎉';
    const bytes = Buffer.from(`xx${text}yy`).subarray(2, 2 + Buffer.byteLength(text));
    const [ref] = f.append([
      {
        ts: D1,
        payload: { ...samplePayload(), requestBody: bytes, responseBody: new Uint8Array(Buffer.from(RESPONSE)) },
      },
    ]);
    expect(ref ? f.read(ref) : null).toEqual(samplePayload({ requestBody: text }));
  });

  it('stores a long answer kept deflated in parts as those parts, compressed, and reads back its text', () => {
    const f = new PayloadFiles(freshDb());
    const events = Array.from({ length: 3000 }, (_, i) => `event: content_block_delta\ndata: {"text":"w${i}"}\n\n`);
    const text = events.join('');
    const k = new KeptBytes();
    for (const e of events) k.push(Buffer.from(e));
    const body = k.body();
    expect(body !== null && !Buffer.isBuffer(body)).toBe(true);
    const [ref] = f.append([{ ts: D1, payload: { ...samplePayload(), responseBody: body } }]);
    expect(ref ? f.read(ref) : null).toEqual(samplePayload({ responseBody: text }));
    // Stored as the deflated blocks: a fraction of the answer's size.
    expect(ref?.length).toBeLessThan(text.length / 3);
    // A frame whose parts do not add up is unreadable, never misread.
    const file = join(f.dir, ref?.file as string);
    truncateSync(file, (ref?.length as number) - 3);
    expect(ref ? f.read({ ...ref, length: ref.length - 3 }) : 'none').toBeNull();
  });

  it('stores a Claude Code request body deflated and reads it back whole; short and incompressible bodies stay plain', () => {
    const f = new PayloadFiles(freshDb());
    const recorded = JSON.parse(
      readFileSync(new URL('../../conversations/__fixtures__/compact.json', import.meta.url), 'utf8'),
    ) as {
      requests: { body: unknown }[];
    };
    const claudeCode = JSON.stringify(recorded.requests.at(-1)?.body);
    expect(claudeCode.length).toBeGreaterThan(10_000);
    const noise = randomBytes(20_000);
    const answer = JSON.stringify({ content: [{ type: 'text', text: 'a long answer. '.repeat(1000) }] });
    const given: PayloadInput[] = [
      samplePayload({ requestBody: claudeCode, responseBody: answer }),
      { ...samplePayload(), requestBody: noise },
      samplePayload(),
    ];
    const refs = f.append(given.map((payload, i) => ({ ts: D1 + i, payload })));
    expect(refs.map((r) => (r ? f.read(r) : null))).toEqual([
      given[0],
      samplePayload({ requestBody: noise.toString('utf8') }),
      given[2],
    ]);
    const [cc, random, short] = refs.map((r) => r?.length as number);
    // Both bodies deflated: well under half of what they are.
    expect(cc).toBeLessThan((claudeCode.length + answer.length) / 2);
    // Random bytes do not deflate: stored as they are.
    expect(random).toBeGreaterThan(noise.length);
    const plain = samplePayload();
    expect(short).toBeGreaterThan((plain.requestBody?.length ?? 0) + (plain.responseBody?.length ?? 0));
  });

  it('appends later batches after the earlier ones and creates the directory owner-only', () => {
    const db = freshDb();
    const f = new PayloadFiles(db);
    expect(existsSync(payloadDir(db))).toBe(false);
    const [a] = f.append([{ ts: D1, payload: samplePayload({ requestBody: 'a' }) }]);
    const [b] = f.append([{ ts: D1, payload: samplePayload({ requestBody: 'b' }) }]);
    expect(b?.offset).toBe((a?.offset ?? 0) + (a?.length ?? 0));
    expect(statSync(f.dir).mode & 0o777).toBe(0o700);
    expect(f.read(a as NonNullable<typeof a>)?.requestBody).toBe('a');
    expect(f.read(b as NonNullable<typeof b>)?.requestBody).toBe('b');
  });

  it('splits a batch spanning midnight into the two days’ files', () => {
    const f = new PayloadFiles(freshDb());
    const midnight = D1 + DAY;
    const refs = f.append([
      { ts: midnight - 1, payload: samplePayload({ requestBody: 'before' }) },
      { ts: midnight, payload: samplePayload({ requestBody: 'after' }) },
      { ts: midnight - 2, payload: samplePayload({ requestBody: 'before 2' }) },
    ]);
    expect(refs.map((r) => r?.file.slice(0, 8))).toEqual(['20260314', '20260315', '20260314']);
    expect(refs.map((r) => (r ? f.read(r)?.requestBody : null))).toEqual(['before', 'after', 'before 2']);
    expect(readdirSync(f.dir).sort()).toHaveLength(2);
  });

  it('gives null, never an error, for a missing file, a short read or a bad reference', () => {
    const f = new PayloadFiles(freshDb());
    const [r] = f.append([{ ts: D1, payload: samplePayload() }]);
    const ref = r as NonNullable<typeof r>;
    expect(f.read({ ...ref, file: '20200101-abc.seg' })).toBeNull();
    expect(f.read({ ...ref, file: '../../etc/passwd' })).toBeNull();
    expect(f.read({ ...ref, offset: ref.offset + 1 })).toBeNull();
    expect(f.read({ ...ref, length: ref.length + 10 })).toBeNull();
    truncateSync(join(f.dir, ref.file), ref.length - 1);
    expect(f.read(ref)).toBeNull();
    unlinkSync(join(f.dir, ref.file));
    expect(f.read(ref)).toBeNull();
    // The next batch recreates the deleted file.
    const [again] = f.append([{ ts: D1, payload: samplePayload({ requestBody: 'again' }) }]);
    expect(again?.offset).toBe(0);
    expect(f.read(again as NonNullable<typeof again>)?.requestBody).toBe('again');
  });

  it('deletes the files of days that ended at or before the cutoff', () => {
    const f = new PayloadFiles(freshDb());
    const refs = f.append([0, 1, 2].map((d) => ({ ts: D1 + d * DAY + 5, payload: samplePayload() })));
    expect(f.stats()).toMatchObject({ files: 3, oldestDay: D1 });
    // Day 1 ends at D1 + DAY: one ms earlier keeps it.
    expect(f.deleteBefore(D1 + DAY - 1)).toBe(0);
    expect(f.deleteBefore(D1 + DAY)).toBe(1);
    expect(f.read(refs[0] as NonNullable<(typeof refs)[0]>)).toBeNull();
    expect(f.read(refs[1] as NonNullable<(typeof refs)[0]>)).not.toBeNull();
    expect(f.stats()).toMatchObject({ files: 2, oldestDay: D1 + DAY });
    expect(f.deleteBefore(D1 + 2 * DAY + 1)).toBe(1);
    expect(f.deleteAll()).toBe(1);
    expect(f.stats()).toEqual({ bytes: 0, files: 0, oldestDay: null });
    expect(new PayloadFiles(freshDb()).stats()).toEqual({ bytes: 0, files: 0, oldestDay: null });
  });

  it('keeps two writers on one directory in separate files', () => {
    const db = freshDb();
    const w1 = new PayloadFiles(db);
    const w2 = new PayloadFiles(db);
    const [a] = w1.append([{ ts: D1, payload: samplePayload({ requestBody: 'one' }) }]);
    const [b] = w2.append([{ ts: D1, payload: samplePayload({ requestBody: 'two' }) }]);
    expect(a?.file).not.toBe(b?.file);
    expect(a?.offset).toBe(0);
    expect(b?.offset).toBe(0);
    // A reader needs only the reference, whichever instance wrote it.
    const reader = new PayloadFiles(db);
    expect(reader.read(a as NonNullable<typeof a>)?.requestBody).toBe('one');
    expect(reader.read(b as NonNullable<typeof b>)?.requestBody).toBe('two');
    expect(reader.stats()).toMatchObject({ files: 2, oldestDay: D1 });
    expect(reader.stats().bytes).toBe((a?.length ?? 0) + (b?.length ?? 0));
  });
});
