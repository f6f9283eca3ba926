/**
 * The request-record journal: every record the writer accepts is appended, in the record
 * encoding of the worker batches (see appendEntry), to
 * a segment file in `<db>.journal/` before it is committed to the database, so a record survives
 * a database that cannot take writes (full disk, a long external write lock) and a killed
 * process. A segment is deleted once every record in it is committed; records the database
 * refused for now are "parked" there and replayed when writes work again, or at the next start.
 *
 * Writes are batched: the entries of one event-loop turn are written with one write(2) at the end
 * of the turn (setImmediate). The page cache outlives the process, so `kill -9` loses at most the
 * records finished in the turn it hits; no fsync (a power loss may lose the last seconds, as it
 * may lose SQLite's WAL commits with synchronous=NORMAL). Measured by `npm run bench`
 * (scenario `kill9`) and stated in README.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GatewayError } from '../../errors.js';
import type { PayloadInput, RequestRecord } from '../contract/records.js';
import { Decoder, decodeRecord, Encoder, encodeRecord } from '../writer/write-protocol.js';

/** The journal directory of a database file. */
export function journalDir(dbPath: string): string {
  return `${resolve(dbPath)}.journal`;
}

/** First line of every segment: the format, so a later version never misreads an older file. */
export const JOURNAL_HEADER = '{"ccflareRecordJournal":2}\n';
/** Segments written before format 2: a JSON line per record, its body bytes after it. Still replayed after an upgrade. */
const HEADER_V1 = '{"ccflareRecordJournal":1}\n';
/**
 * `<pid>-<journal>-<n>.rec` (`.jsonl` for format 1): the pid tells a live gateway's segments (left alone) from a dead
 * one's (replayed); the journal token does the same between journals of one process (tests).
 */
const SEGMENT_NAME = /^(\d+)-([0-9a-f]+)-(\d+)\.(?:rec|jsonl)$/;
/** Tokens of the journals open in this process. */
const openJournals = new Set<string>();
/**
 * Rotation size. A replay reads and parses a whole segment on the event loop, so segments stay
 * small; the steady state keeps one or two on disk.
 */
const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;

export interface Segment {
  readonly name: string;
  readonly path: string;
  /** Records written here and neither committed nor parked yet. */
  outstanding: number;
  /** Records only here: the database refused them for now, or they were left by an earlier run. */
  parked: number;
  /** No more lines are appended (rotated, parked into, or left by an earlier run). */
  sealed: boolean;
  /** Being replayed: not deleted under the replay. */
  replaying: boolean;
  bytes: number;
}

/**
 * The records appended in one event-loop turn, written together. A writer keeps a reference per
 * record to report it committed (`release`) or refused (`park`), possibly before the write.
 */
export interface Chunk {
  count: number;
  state: 'pending' | 'written' | 'failed';
  seg: Segment | null;
  /** Released / parked while still pending: applied to the segment when written. */
  releasedEarly: number;
  parkedEarly: number;
}

export interface ReadSegment {
  records: RequestRecord[];
  /** Lines that could not be read back (a line torn by kill -9, a foreign file). */
  skipped: number;
}

export interface RecordJournalOptions {
  segmentBytes?: number;
  /** Records that could not be journaled and were refused by the database: lost. */
  onLost?: (n: number, cause: unknown) => void;
  onError?: (err: unknown) => void;
  /** For tests: whether a pid is a running process. */
  isAlive?: (pid: number) => boolean;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How a body is written in a format-1 record's JSON: its bytes follow the line. */
interface BytesMarker {
  bytes: number;
}

function isMarker(v: unknown): v is BytesMarker {
  return typeof v === 'object' && v !== null && typeof (v as BytesMarker).bytes === 'number';
}

/**
 * Body bytes journaled per body. The journal is written on the event loop, so its cost is paid by
 * every request in flight. The bench's writer scenario (20 records with 2 x 128 KB bodies per
 * turn, while the worker commits them) measured event-loop delay p99 7.5-8.3 ms without a
 * journal; with whole bodies journaled over 80 ms, with 32 KiB per body 15 ms, with 4 KiB 8.6 ms.
 * The record itself (status, usage, cost: what accounting needs) is always journaled whole; a
 * body beyond this is cut here and marked truncated, which only a replayed record shows.
 */
export const JOURNAL_BODY_BYTES = 4 * 1024;

/** Bytes of an entry's length prefix. */
const LENGTH_BYTES = 4;

/**
 * Appends one record's entry: its length, then the record in the encoding of the worker batches
 * (writer/write-protocol.ts), bodies cut at JOURNAL_BODY_BYTES, the link body left out (a replayed
 * record is linked only by `ccflare conversations rebuild`, from its captured payload). Format 1
 * wrote a JSON line with the bodies' bytes after it; the bench's `journal` scenario measured
 * 10.3 µs per record with a payload then, JSON.stringify escaping the captured headers' JSON
 * most of it (see docs/benchmark-history.md for this encoding's figure). Bodies are copied as they are.
 */
export function appendEntry(w: Encoder, record: RequestRecord): void {
  const start = w.pos;
  w.room(LENGTH_BYTES);
  w.pos += LENGTH_BYTES;
  try {
    encodeRecord(w, record, JOURNAL_BODY_BYTES);
  } catch (err) {
    w.pos = start;
    throw err;
  }
  w.u32(w.pos - start - LENGTH_BYTES, start);
}

/** One record's entry as bytes (tests, and tools that build a segment). */
export function entryBytes(record: RequestRecord): Buffer {
  const w = new Encoder(1024);
  appendEntry(w, record);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

function isRecord(v: unknown): v is RequestRecord {
  const r = v as Partial<RequestRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.ts === 'number';
}

/** Reads a segment: its records, and how many entries were not records (one torn by kill -9, a foreign line). */
export function parseSegment(buf: Buffer): ReadSegment {
  if (buf.subarray(0, JOURNAL_HEADER.length).toString('utf8') === JOURNAL_HEADER) return parseEntries(buf);
  return parseSegmentV1(buf);
}

function parseEntries(buf: Buffer): ReadSegment {
  const records: RequestRecord[] = [];
  let skipped = 0;
  let pos = JOURNAL_HEADER.length;
  while (pos < buf.length) {
    const len = pos + LENGTH_BYTES <= buf.length ? buf.readUInt32LE(pos) : -1;
    const end = pos + LENGTH_BYTES + len;
    // A write cut short: the last entry is incomplete, and nothing after it can be framed.
    if (len < 0 || end > buf.length) {
      skipped += 1;
      break;
    }
    try {
      const d = new Decoder(buf.subarray(pos + LENGTH_BYTES, end));
      const r = decodeRecord(d);
      if (d.pos !== len || !isRecord(r)) throw new Error('entry length does not match its record');
      records.push(r);
    } catch {
      skipped += 1;
    }
    pos = end;
  }
  return { records, skipped };
}

function parseSegmentV1(buf: Buffer): ReadSegment {
  const records: RequestRecord[] = [];
  let skipped = 0;
  let pos = buf.subarray(0, HEADER_V1.length).toString('utf8') === HEADER_V1 ? HEADER_V1.length : 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) {
      // A write cut short: the last entry is incomplete.
      skipped += 1;
      break;
    }
    const line = buf.toString('utf8', pos, nl);
    pos = nl + 1;
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skipped += 1;
      continue;
    }
    if (!isRecord(v)) {
      skipped += 1;
      continue;
    }
    const p = v.payload as (Omit<PayloadInput, 'requestBody' | 'responseBody'> & Record<string, unknown>) | null;
    if (p && (isMarker(p.requestBody) || isMarker(p.responseBody))) {
      const reqLen = isMarker(p.requestBody) ? p.requestBody.bytes : 0;
      const resLen = isMarker(p.responseBody) ? p.responseBody.bytes : 0;
      const end = pos + reqLen + resLen;
      // Bytes cut short, or not followed by the newline: nothing after this can be trusted.
      if (end >= buf.length || buf[end] !== 10) {
        skipped += 1;
        break;
      }
      if (isMarker(p.requestBody)) p.requestBody = buf.subarray(pos, pos + reqLen);
      if (isMarker(p.responseBody)) p.responseBody = buf.subarray(pos + reqLen, end);
      pos = end + 1;
    }
    records.push(v);
  }
  return { records, skipped };
}

export class RecordJournal {
  readonly dir: string;
  private readonly segmentBytes: number;
  private readonly onLost: (n: number, cause: unknown) => void;
  private readonly onError: (err: unknown) => void;
  private readonly segments: Segment[] = [];
  private active: Segment | null = null;
  private fd: number | null = null;
  private nextNumber = 1;
  private readonly token = randomBytes(4).toString('hex');
  /** This turn's entries, written with one write(2) at its end; the buffer is kept for the next turn. */
  private readonly pending = new Encoder(64 * 1024);
  private chunk: Chunk | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private lastWriteError: string | null = null;
  private closed = false;

  /**
   * Opens (creating it, mode 0700) the journal directory and takes over the segments of earlier
   * runs of this database: those of processes no longer running, parked for replay.
   */
  constructor(dir: string, opts: RecordJournalOptions = {}) {
    this.dir = resolve(dir);
    this.segmentBytes = Math.max(1, opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
    this.onLost = opts.onLost ?? (() => {});
    this.onError = opts.onError ?? ((err) => console.error('ccflare: request record journal:', err));
    const isAlive = opts.isAlive ?? processAlive;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    openJournals.add(this.token);
    for (const name of readdirSync(this.dir).sort(bySegmentNumber)) {
      const m = SEGMENT_NAME.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      // The same pid as ours is an earlier run (a container restarts as pid 1) unless one of our journals is open.
      if (pid === process.pid ? openJournals.has(m[2] as string) : isAlive(pid)) continue;
      const path = join(this.dir, name);
      const parked = countEntries(path);
      const seg: Segment = { name, path, outstanding: 0, parked, sealed: true, replaying: false, bytes: 0 };
      this.segments.push(seg);
      try {
        seg.bytes = statSync(path).size;
      } catch {
        // gone meanwhile: maybeDelete below forgets it
      }
      this.maybeDelete(seg);
    }
  }

  /** Queues `rec` for this turn's write; the returned chunk reports it committed or refused. */
  append(rec: RequestRecord): Chunk {
    let chunk = this.chunk;
    if (chunk === null) {
      chunk = { count: 0, state: 'pending', seg: null, releasedEarly: 0, parkedEarly: 0 };
      this.chunk = chunk;
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.flush();
      });
    }
    try {
      appendEntry(this.pending, rec);
    } catch (err) {
      // Not serializable (a producer bug): the database may still take it; only the journal copy is missing.
      this.onError(err);
      return { count: 1, state: 'failed', seg: null, releasedEarly: 0, parkedEarly: 0 };
    }
    chunk.count += 1;
    return chunk;
  }

  /** Writes this turn's lines now (the writer calls it before it sends a batch to the database). */
  flush(): void {
    const chunk = this.chunk;
    if (chunk === null) return;
    this.chunk = null;
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    const w = this.pending;
    const entries = w.buf.subarray(0, w.pos);
    w.pos = 0;
    let seg: Segment;
    let bytes: number;
    try {
      seg = this.openActive();
      bytes = writeAll(this.fd as number, entries);
      this.lastWriteError = null;
    } catch (err) {
      chunk.state = 'failed';
      this.reportWriteError(err);
      // A partial write leaves a torn line: continue in a new segment so it stays the last line of its file.
      this.sealActive();
      if (chunk.parkedEarly > 0) this.onLost(chunk.parkedEarly, err);
      return;
    }
    // A turn of many big entries grew the buffer: give it back rather than keep it for good.
    if (w.buf.length > 1024 * 1024) w.buf = Buffer.allocUnsafeSlow(64 * 1024);
    chunk.state = 'written';
    chunk.seg = seg;
    seg.bytes += bytes;
    seg.outstanding += chunk.count - chunk.releasedEarly - chunk.parkedEarly;
    seg.parked += chunk.parkedEarly;
    if (seg.bytes >= this.segmentBytes) this.sealActive();
    this.maybeDelete(seg);
  }

  /** `n` records of `chunk` are committed (or given up for good): their lines are no longer needed. */
  release(chunk: Chunk, n: number): void {
    if (chunk.state === 'pending') chunk.releasedEarly += n;
    else if (chunk.seg !== null) {
      chunk.seg.outstanding -= n;
      this.maybeDelete(chunk.seg);
    }
  }

  /**
   * `n` records of `chunk` were refused by the database: they stay in the journal for a replay.
   * False when they are not in the journal (its write failed): the caller has lost them.
   */
  park(chunk: Chunk, n: number): boolean {
    if (chunk.state === 'pending') {
      chunk.parkedEarly += n;
      return true;
    }
    const seg = chunk.seg;
    if (chunk.state === 'failed' || seg === null) return false;
    seg.outstanding -= n;
    seg.parked += n;
    return true;
  }

  /**
   * A segment whose parked records can be replayed now: none of its records is still with the
   * writer. The active one is sealed first (a replay reads whole files), so a segment parked into
   * keeps taking lines until then rather than splitting into a file per turn.
   */
  nextReplayable(): Segment | null {
    for (const s of this.segments) {
      if (s.parked === 0 || s.outstanding > 0 || s.replaying) continue;
      if (s === this.active) {
        // Lines of this turn not yet written would land in the next segment: fine, they are outstanding.
        this.sealActive();
      }
      return s;
    }
    return null;
  }

  read(seg: Segment): ReadSegment {
    return parseSegment(readFileSync(seg.path));
  }

  /** Every record of `seg` is in the database (or given up for good): the file goes. */
  replayed(seg: Segment): void {
    seg.parked = 0;
    seg.replaying = false;
    this.maybeDelete(seg);
  }

  /** Records waiting in the journal for the database. */
  waiting(): number {
    let n = 0;
    for (const s of this.segments) n += s.parked;
    if (this.chunk) n += this.chunk.parkedEarly;
    return n;
  }

  /** Segment files on disk and their bytes. */
  files(): { files: number; bytes: number } {
    let bytes = 0;
    for (const s of this.segments) bytes += s.bytes;
    return { files: this.segments.length, bytes };
  }

  lastError(): string | null {
    return this.lastWriteError;
  }

  /** Writes what is pending and closes the file; segments with parked records stay for the next start. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.sealActive();
    openJournals.delete(this.token);
  }

  private openActive(): Segment {
    if (this.closed) throw new GatewayError('internal', 'request record journal is closed');
    if (this.active && this.fd !== null) return this.active;
    const name = `${process.pid}-${this.token}-${this.nextNumber++}.rec`;
    const path = join(this.dir, name);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // 'wx': never append to a file another process may be writing.
    const fd = openSync(path, 'wx', 0o600);
    const seg: Segment = { name, path, outstanding: 0, parked: 0, sealed: false, replaying: false, bytes: 0 };
    this.segments.push(seg);
    this.fd = fd;
    this.active = seg;
    try {
      writeAll(fd, Buffer.from(JOURNAL_HEADER));
      seg.bytes = JOURNAL_HEADER.length;
    } catch (err) {
      this.sealActive();
      throw err;
    }
    return seg;
  }

  private sealActive(): void {
    const seg = this.active;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch (err) {
        this.onError(err);
      }
    }
    this.fd = null;
    this.active = null;
    if (seg) {
      seg.sealed = true;
      this.maybeDelete(seg);
    }
  }

  private maybeDelete(seg: Segment): void {
    if (!seg.sealed || seg.outstanding > 0 || seg.parked > 0 || seg.replaying) return;
    const i = this.segments.indexOf(seg);
    if (i < 0) return;
    this.segments.splice(i, 1);
    try {
      unlinkSync(seg.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err);
    }
  }

  private reportWriteError(err: unknown): void {
    const message = (err as Error).message ?? String(err);
    // Once per kind of failure, not once per turn of a full disk.
    if (message !== this.lastWriteError) {
      this.onError(
        new GatewayError('internal', `Cannot write the request record journal in ${this.dir}: ${message}`, {
          cause: err,
        }),
      );
    }
    this.lastWriteError = message;
  }
}

/** A short write (a nearly full disk) continues until it throws: an entry is written whole or torn at the end. */
function writeAll(fd: number, buf: Buffer): number {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  return buf.length;
}

function bySegmentNumber(a: string, b: string): number {
  const ma = SEGMENT_NAME.exec(a);
  const mb = SEGMENT_NAME.exec(b);
  if (!ma || !mb) return a < b ? -1 : a > b ? 1 : 0;
  return Number(ma[3]) - Number(mb[3]) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Entries in a segment, torn last one included: what a replay will read, for `waiting()` until then. */
function countEntries(path: string): number {
  try {
    const { records, skipped } = parseSegment(readFileSync(path));
    return records.length + skipped;
  } catch {
    return 0;
  }
}
