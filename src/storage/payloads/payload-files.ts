/**
 * Request payloads of a file database, kept in append-only segment files next to it
 * (`<db>-payloads/<YYYYMMDD>-<writer>.seg`) instead of a table. Payloads are bulky, written
 * once and expire by age: as table rows each one cost a row, two index entries, a WAL write and
 * its checkpoint rewrite (~25 µs CPU per request); here a whole batch is one write, and expiry
 * is deleting whole-day files. The request row keeps (file, offset, length) to find it again.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { DeflatedBody, PayloadBody, PayloadInput, PayloadRecord } from '../contract/records.js';
import { isDeflated, joinParts, partsBytes, readParts, writeParts } from './body-bytes.js';

export interface PayloadRef {
  file: string;
  offset: number;
  length: number;
}

export interface PayloadFileStats {
  bytes: number;
  files: number;
  /** Start (Unix ms) of the UTC day of the oldest segment file, null when there is none. */
  oldestDay: number | null;
}

const DAY_MS = 86_400_000;
/** Format version 1; a frame that does not start with it is treated as unreadable, not misparsed. */
const MAGIC = 0xc1;
/**
 * Version 2: the response body is stored as the proxy kept it, in parts (each: a kind byte, 1 for
 * raw-deflated, a length and the bytes). A build that knows only version 1 reads such a frame as
 * unreadable rather than as text made of deflated bytes.
 */
const MAGIC_PARTS = 0xc2;
/**
 * Version 3: the request body may be in parts too (FLAG_REQUEST_PARTS). A version-2 build reads
 * such a frame as unreadable rather than showing the deflated request body as text.
 */
const MAGIC_REQUEST_PARTS = 0xc3;
const HEADER_BYTES = 18;
const NULL_LEN = 0xffffffff;
const FLAG_REQUEST_TRUNCATED = 1;
const FLAG_RESPONSE_TRUNCATED = 2;
const FLAG_RESPONSE_PARTS = 4;
const FLAG_REQUEST_PARTS = 8;
/**
 * Plain bodies from this size on are stored deflated (level 1), as PostgreSQL compresses its
 * payload rows over ~2 KB. Claude Code resends its tools and the whole conversation with every
 * request: its recorded requests (conversations/__fixtures__, 4-26 KB) take 2.1x less room. The
 * write worker pays ~0.25 ms per 20 KB body (~0.02 ms of it zlib's setup per call) and ~1.4 ms
 * per 250 KB (2-core VM). The bench's 1.5 KB requests and short answers stay as they are.
 */
const DEFLATE_FROM = 4096;
/** Deflated to more than this share of its size (base64 images, compressed data): kept plain. */
const DEFLATE_KEEP = 0.9;
/** Names come back from the database: anything else (e.g. `../x`) is never opened. */
const SEGMENT_NAME = /^(\d{4})(\d{2})(\d{2})-[0-9a-f]+\.seg$/;

/** The payload directory of a database file. */
export function payloadDir(dbPath: string): string {
  return `${resolve(dbPath)}-payloads`;
}

function dayKey(ts: number): string {
  const d = new Date(Number.isFinite(ts) ? ts : 0);
  return `${d.getUTCFullYear().toString().padStart(4, '0')}${(d.getUTCMonth() + 1).toString().padStart(2, '0')}${d
    .getUTCDate()
    .toString()
    .padStart(2, '0')}`;
}

function dayStart(name: string): number | null {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function fieldBytes(s: PayloadBody | null | undefined): number {
  if (s == null) return 0;
  if (typeof s === 'string') return Buffer.byteLength(s, 'utf8');
  return isDeflated(s) ? partsBytes(s) : s.byteLength;
}

/** A payload as a frame holds it: either body may be deflated (`deflatedIfLarge`). */
interface StoredPayload extends Omit<PayloadInput, 'requestBody'> {
  requestBody: PayloadBody | null;
}

interface Group {
  file: string;
  start: number;
  end: number;
  idxs: number[];
}

export class PayloadFiles {
  readonly dir: string;
  /** Random per instance, so two writers (worker, main thread, another process) never share a file. */
  private readonly writerId = randomBytes(6).toString('hex');

  constructor(dbPath: string) {
    this.dir = payloadDir(dbPath);
  }

  /**
   * Appends the payloads (one frame each, in order) and returns where each landed; a payload goes
   * to the file of its request's UTC day. `items` with a null payload get a null ref.
   */
  append(items: readonly { ts: number; payload: PayloadInput | null }[]): (PayloadRef | null)[] {
    const refs: (PayloadRef | null)[] = new Array(items.length).fill(null);
    const byDay = new Map<string, number[]>();
    let total = 0;
    const sizes: number[] = new Array(items.length).fill(0);
    const payloads: (StoredPayload | null)[] = new Array(items.length).fill(null);
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as { ts: number; payload: PayloadInput | null };
      const given = it.payload;
      if (!given) continue;
      const p = {
        ...given,
        requestBody: deflatedIfLarge(given.requestBody),
        responseBody: deflatedIfLarge(given.responseBody),
      };
      payloads[i] = p;
      const size =
        HEADER_BYTES +
        fieldBytes(p.requestHeaders ?? '{}') +
        fieldBytes(p.requestBody) +
        fieldBytes(p.responseHeaders) +
        fieldBytes(p.responseBody);
      sizes[i] = size;
      total += size;
      const key = dayKey(it.ts);
      const list = byDay.get(key);
      if (list) list.push(i);
      else byDay.set(key, [i]);
    }
    if (total === 0) return refs;

    const buf = Buffer.allocUnsafe(total);
    const frameStart: number[] = new Array(items.length).fill(0);
    const groups: Group[] = [];
    let pos = 0;
    for (const [day, idxs] of byDay) {
      const start = pos;
      for (const i of idxs) {
        frameStart[i] = pos;
        pos = encodeFrame(buf, pos, payloads[i] as StoredPayload);
      }
      groups.push({ file: `${day}-${this.writerId}.seg`, start, end: pos, idxs });
    }

    for (const g of groups) {
      const base = this.writeGroup(g.file, buf, g.start, g.end - g.start) - g.start;
      for (const i of g.idxs) {
        refs[i] = { file: g.file, offset: base + (frameStart[i] as number), length: sizes[i] as number };
      }
    }
    return refs;
  }

  /** Open/close per batch: a file removed by retention or clear-history is simply created again. */
  private writeGroup(file: string, buf: Buffer, start: number, length: number): number {
    const fd = this.openForAppend(file);
    try {
      const offset = fstatSync(fd).size;
      let done = 0;
      while (done < length) done += writeSync(fd, buf, start + done, length - done);
      return offset;
    } finally {
      closeSync(fd);
    }
  }

  private openForAppend(file: string): number {
    const path = join(this.dir, file);
    try {
      return openSync(path, 'a', 0o600);
    } catch (err) {
      // First write, or the directory was removed by hand: create it (owner only) and retry once.
      if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      return openSync(path, 'a', 0o600);
    }
  }

  /** The payload at `ref`, or null when it is gone (expired, cleared) or unreadable. */
  read(ref: PayloadRef): PayloadRecord | null {
    if (!SEGMENT_NAME.test(ref.file) || ref.length < HEADER_BYTES || ref.offset < 0) return null;
    let fd: number;
    try {
      fd = openSync(join(this.dir, ref.file), 'r');
    } catch {
      return null;
    }
    try {
      const buf = Buffer.allocUnsafe(ref.length);
      let got = 0;
      while (got < ref.length) {
        const n = readSync(fd, buf, got, ref.length - got, ref.offset + got);
        if (n === 0) return null;
        got += n;
      }
      return decodeFrame(buf);
    } catch {
      return null;
    } finally {
      closeSync(fd);
    }
  }

  private segments(): { name: string; day: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: { name: string; day: number }[] = [];
    for (const name of names) {
      const day = dayStart(name);
      if (day !== null) out.push({ name, day });
    }
    return out;
  }

  private unlink(name: string): boolean {
    try {
      unlinkSync(join(this.dir, name));
      return true;
    } catch {
      return false;
    }
  }

  /** Deletes the files whose whole UTC day ends at or before `cutoffTs`; returns how many. */
  deleteBefore(cutoffTs: number): number {
    let n = 0;
    for (const s of this.segments()) if (s.day + DAY_MS <= cutoffTs && this.unlink(s.name)) n++;
    return n;
  }

  deleteAll(): number {
    let n = 0;
    for (const s of this.segments()) if (this.unlink(s.name)) n++;
    return n;
  }

  stats(): PayloadFileStats {
    let bytes = 0;
    let files = 0;
    let oldestDay: number | null = null;
    for (const s of this.segments()) {
      try {
        bytes += statSync(join(this.dir, s.name)).size;
      } catch {
        continue;
      }
      files++;
      if (oldestDay === null || s.day < oldestDay) oldestDay = s.day;
    }
    return { bytes, files, oldestDay };
  }
}

function writeField(buf: Buffer, lenAt: number, pos: number, s: PayloadBody | null | undefined): number {
  if (s == null) {
    buf.writeUInt32LE(NULL_LEN, lenAt);
    return pos;
  }
  let n: number;
  if (typeof s === 'string') n = buf.write(s, pos, 'utf8');
  else if (isDeflated(s)) n = writeParts(buf, pos, s) - pos;
  else {
    buf.set(s, pos);
    n = s.byteLength;
  }
  buf.writeUInt32LE(n, lenAt);
  return pos + n;
}

/** A plain body of `DEFLATE_FROM` bytes or more, deflated in one part when that saves room. */
function deflatedIfLarge(b: PayloadBody | null): PayloadBody | null {
  if (b === null || isDeflated(b)) return b;
  const bytes = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (bytes.byteLength < DEFLATE_FROM) return b;
  const z = deflateRawSync(bytes, { level: 1 });
  if (z.byteLength > bytes.byteLength * DEFLATE_KEEP) return bytes;
  return { deflated: [{ z: true, bytes: z }], length: bytes.byteLength } satisfies DeflatedBody;
}

function encodeFrame(buf: Buffer, at: number, p: StoredPayload): number {
  const requestParts = p.requestBody != null && isDeflated(p.requestBody);
  const parts = p.responseBody != null && isDeflated(p.responseBody);
  buf[at] = requestParts ? MAGIC_REQUEST_PARTS : parts ? MAGIC_PARTS : MAGIC;
  buf[at + 1] =
    (p.requestTruncated ? FLAG_REQUEST_TRUNCATED : 0) |
    (p.responseTruncated ? FLAG_RESPONSE_TRUNCATED : 0) |
    (parts ? FLAG_RESPONSE_PARTS : 0) |
    (requestParts ? FLAG_REQUEST_PARTS : 0);
  let pos = at + HEADER_BYTES;
  pos = writeField(buf, at + 2, pos, p.requestHeaders ?? '{}');
  pos = writeField(buf, at + 6, pos, p.requestBody);
  pos = writeField(buf, at + 10, pos, p.responseHeaders);
  return writeField(buf, at + 14, pos, p.responseBody);
}

function decodeFrame(buf: Buffer): PayloadRecord | null {
  const version = buf[0];
  if (version !== MAGIC && version !== MAGIC_PARTS && version !== MAGIC_REQUEST_PARTS) return null;
  const flags = buf[1] as number;
  const inParts = [
    false,
    version === MAGIC_REQUEST_PARTS && (flags & FLAG_REQUEST_PARTS) !== 0,
    false,
    version !== MAGIC && (flags & FLAG_RESPONSE_PARTS) !== 0,
  ];
  let pos = HEADER_BYTES;
  const fields: (string | null)[] = [];
  for (let i = 0; i < 4; i++) {
    const len = buf.readUInt32LE(2 + i * 4);
    if (len === NULL_LEN) {
      fields.push(null);
      continue;
    }
    if (pos + len > buf.length) return null;
    if (inParts[i]) {
      const stored = readParts(buf, pos, pos + len);
      if (stored === null) return null;
      fields.push(joinParts(stored).toString('utf8'));
    } else fields.push(buf.toString('utf8', pos, pos + len));
    pos += len;
  }
  if (pos !== buf.length) return null;
  return {
    requestHeaders: fields[0] ?? '{}',
    requestBody: fields[1] ?? null,
    responseHeaders: fields[2] ?? null,
    responseBody: fields[3] ?? null,
    requestTruncated: (flags & FLAG_REQUEST_TRUNCATED) !== 0,
    responseTruncated: (flags & FLAG_RESPONSE_TRUNCATED) !== 0,
  };
}
