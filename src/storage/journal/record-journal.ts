/**
 * The request-record journal: every record the writer accepts is appended, as a JSON line (and
 * the raw bytes of its bodies, see recordFrame), to
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

/** The journal directory of a database file. */
export function journalDir(dbPath: string): string {
  return `${resolve(dbPath)}.journal`;
}

/** First line of every segment: the format, so a later version never misreads an older file. */
const HEADER = '{"ccflareRecordJournal":1}\n';
/**
 * `<pid>-<journal>-<n>.jsonl`: the pid tells a live gateway's segments (left alone) from a dead
 * one's (replayed); the journal token does the same between journals of one process (tests).
 */
const SEGMENT_NAME = /^(\d+)-([0-9a-f]+)-(\d+)\.jsonl$/;
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

/** What an entry is written from: text (encoded at the write) and bytes as they are. */
type Part = string | Uint8Array;

/** How a body is written in the record's JSON: its bytes follow the line. */
interface BytesMarker {
  bytes: number;
}

function isMarker(v: unknown): v is BytesMarker {
  return typeof v === 'object' && v !== null && typeof (v as BytesMarker).bytes === 'number';
}

function byteLength(v: Part): number {
  return typeof v === 'string' ? Buffer.byteLength(v) : v.byteLength;
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

/** Text is cut by characters (a few more bytes when not ASCII): encoding it first would cost more than the write. */
function capped(v: Part, truncated: boolean): { body: Part; truncated: boolean } {
  if (typeof v === 'string') {
    return v.length <= JOURNAL_BODY_BYTES
      ? { body: v, truncated }
      : { body: v.slice(0, JOURNAL_BODY_BYTES), truncated: true };
  }
  return v.byteLength <= JOURNAL_BODY_BYTES
    ? { body: v, truncated }
    : { body: v.subarray(0, JOURNAL_BODY_BYTES), truncated: true };
}

/**
 * One record as written: its JSON on one line, without the bodies. Each body is `{"bytes":N}` in
 * the JSON and its N raw bytes follow the line (request body first), then a newline: bodies are
 * never JSON-escaped (JSON.stringify and encoding of 256 KB of bodies measured ~9 ms on the bench
 * machine, copying them into the write buffer ~0.3 ms). Bytes the proxy passes are copied as
 * they are, text is encoded straight into the write buffer.
 */
export function recordFrame(record: RequestRecord): Part[] {
  // The link body is not journaled (bodies here are cut at 4 KiB): a replayed record is linked
  // only by `ccflare conversations rebuild` from its captured payload.
  const rec = record.linkBody == null ? record : { ...record, linkBody: null };
  const p = rec.payload;
  if (p === null || (p.requestBody === null && p.responseBody === null)) return [JSON.stringify(rec), '\n'];
  const req = p.requestBody === null ? null : capped(p.requestBody, p.requestTruncated);
  const res = p.responseBody === null ? null : capped(p.responseBody, p.responseTruncated);
  const payload = {
    ...p,
    requestBody: req === null ? null : { bytes: byteLength(req.body) },
    responseBody: res === null ? null : { bytes: byteLength(res.body) },
    requestTruncated: req?.truncated ?? p.requestTruncated,
    responseTruncated: res?.truncated ?? p.responseTruncated,
  };
  const parts: Part[] = [JSON.stringify({ ...rec, payload }), '\n'];
  if (req !== null) parts.push(req.body);
  if (res !== null) parts.push(res.body);
  parts.push('\n');
  return parts;
}

/** The parts as one buffer, for one write(2). */
export function frameBytes(parts: readonly Part[]): Buffer {
  let total = 0;
  for (const p of parts) total += byteLength(p);
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  for (const p of parts) {
    if (typeof p === 'string') off += buf.write(p, off);
    else {
      buf.set(p, off);
      off += p.byteLength;
    }
  }
  return buf;
}

function isRecord(v: unknown): v is RequestRecord {
  const r = v as Partial<RequestRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.ts === 'number';
}

/** Reads a segment: its records, and how many entries were not records (one torn by kill -9, a foreign line). */
export function parseSegment(buf: Buffer): ReadSegment {
  const records: RequestRecord[] = [];
  let skipped = 0;
  let pos = buf.subarray(0, HEADER.length).toString('utf8') === HEADER ? HEADER.length : 0;
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
  private parts: Part[] = [];
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
    let frame: Part[];
    try {
      frame = recordFrame(rec);
    } catch (err) {
      // Not serializable (a producer bug): the database may still take it; only the journal copy is missing.
      this.onError(err);
      return { count: 1, state: 'failed', seg: null, releasedEarly: 0, parkedEarly: 0 };
    }
    for (const part of frame) this.parts.push(part);
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
    const parts = this.parts;
    this.parts = [];
    let seg: Segment;
    let bytes: number;
    try {
      seg = this.openActive();
      bytes = writeAll(this.fd as number, frameBytes(parts));
      this.lastWriteError = null;
    } catch (err) {
      chunk.state = 'failed';
      this.reportWriteError(err);
      // A partial write leaves a torn line: continue in a new segment so it stays the last line of its file.
      this.sealActive();
      if (chunk.parkedEarly > 0) this.onLost(chunk.parkedEarly, err);
      return;
    }
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
    const name = `${process.pid}-${this.token}-${this.nextNumber++}.jsonl`;
    const path = join(this.dir, name);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // 'wx': never append to a file another process may be writing.
    const fd = openSync(path, 'wx', 0o600);
    const seg: Segment = { name, path, outstanding: 0, parked: 0, sealed: false, replaying: false, bytes: 0 };
    this.segments.push(seg);
    this.fd = fd;
    this.active = seg;
    try {
      writeAll(fd, Buffer.from(HEADER));
      seg.bytes = HEADER.length;
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
