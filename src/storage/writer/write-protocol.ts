/** Messages between WorkerRecordWriter (main thread) and its write worker (worker-loop.ts). */

import {
  bufferReadDoubleLE,
  bufferReadUInt32LE,
  bufferSubarray,
  bufferToString,
  bufferWrite,
  bufferWriteDoubleLE,
  uint8ArraySet,
} from '../../shared/buffer-methods.js';
import type {
  AccountUsageDelta,
  AttemptRecord,
  DeflatedBody,
  PayloadBody,
  PayloadInput,
  PlainBody,
  RequestRecord,
} from '../contract/records.js';
import { bodyPrefix, isDeflated, partsBytes, readParts, writeParts } from '../payloads/body-bytes.js';

// Module-local references, called once per value: shared/buffer-methods.ts says why.
const write = bufferWrite;
const writeDoubleLE = bufferWriteDoubleLE;
const readDoubleLE = bufferReadDoubleLE;
const readUInt32LE = bufferReadUInt32LE;
const decodeText = bufferToString;
const subarray = bufferSubarray;
const set = uint8ArraySet;

/** What the SQLite write worker opens (PostgreSQL's: postgres/pg-write-worker.ts). */
export interface SqliteWorkerInit {
  dbPath: string;
}

export type ToWorker =
  | {
      type: 'batch';
      id: number;
      records: PackedRecords;
      usage: AccountUsageDelta[];
      /** Commit record by record so one bad record cannot sink the others (the retry). */
      isolate: boolean;
    }
  | { type: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export interface RecordFailure {
  id: string;
  error: SerializedError;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; failed: RecordFailure[]; spare: ArrayBuffer }
  | { type: 'failed'; id: number; error: SerializedError; spare: ArrayBuffer };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(err.stack === undefined ? {} : { stack: err.stack }),
    };
  }
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error & { code?: string } {
  const err: Error & { code?: string } = new Error(e.message);
  err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/**
 * A batch of records encoded into one buffer that is transferred, not cloned. A structured clone
 * of hundreds of 30-property objects writes every property name and rebuilds every object
 * property by property on the other side; here each value is a tag and its bytes, and the
 * request/response bodies are copied once. Measured with the benchmark's records: ~7.6 µs per
 * record (clone + rebuild) before, ~3.9 µs now (pack + unpack), for both threads together.
 */
export interface PackedRecords {
  count: number;
  bytes: ArrayBuffer;
  /** Bytes of `bytes` in use. */
  length: number;
}

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_NUMBER = 3;
const T_STRING = 4;
const T_BYTES = 5;
/** A DeflatedBody: its parts' byte length, its inflated length, then the parts (payloads/body-bytes.ts). */
const T_DEFLATED = 6;

/** Appends tagged values to a buffer that grows by doubling. */
export class Encoder {
  buf: Buffer;
  pos = 0;

  constructor(size: number, spare?: ArrayBuffer) {
    this.buf =
      spare !== undefined && spare.byteLength >= size
        ? Buffer.from(spare)
        : Buffer.allocUnsafeSlow(Math.max(4096, size));
  }

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** `buf.writeUInt32LE` without its argument checks. */
  u32(n: number, at: number): void {
    const b = this.buf;
    b[at] = n;
    b[at + 1] = n >>> 8;
    b[at + 2] = n >>> 16;
    b[at + 3] = n >>> 24;
  }

  put(v: unknown): void {
    if (v === null || v === undefined) {
      this.room(1);
      this.buf[this.pos++] = T_NULL;
    } else if (typeof v === 'string') {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      this.room(5 + v.length * 3);
      const at = this.pos + 5;
      // Not a JavaScript copy loop for short ASCII strings: faster on a bench of uniform strings,
      // but the records' strings come in many representations (literals, slices, concatenations,
      // database reads), which makes `charCodeAt` a megamorphic load per character: seven such
      // kinds of 4-40 characters, 238 -> 55 ns per string (a microbench); the gateway's main thread
      // per a-stream request 559k -> 510k instructions (`npm run bench:instructions`).
      const len = write.call(this.buf, v, at, this.buf.length - at, 'utf8');
      this.buf[this.pos] = T_STRING;
      this.u32(len, this.pos + 1);
      this.pos = at + len;
    } else if (typeof v === 'number') {
      this.room(9);
      this.buf[this.pos] = T_NUMBER;
      writeDoubleLE.call(this.buf, v, this.pos + 1);
      this.pos += 9;
    } else if (typeof v === 'boolean') {
      this.room(1);
      this.buf[this.pos++] = v ? T_TRUE : T_FALSE;
    } else if (v instanceof Uint8Array) {
      this.room(5 + v.byteLength);
      this.buf[this.pos] = T_BYTES;
      this.u32(v.byteLength, this.pos + 1);
      set.call(this.buf, v, this.pos + 5);
      this.pos += 5 + v.byteLength;
    } else if (isDeflated(v as PayloadBody)) {
      const d = v as DeflatedBody;
      const n = partsBytes(d);
      this.room(9 + n);
      this.buf[this.pos] = T_DEFLATED;
      this.u32(n, this.pos + 1);
      this.u32(d.length, this.pos + 5);
      this.pos = writeParts(this.buf, this.pos + 9, d);
    } else {
      throw new TypeError(`cannot pack a request record value of type ${typeof v}`);
    }
  }
}

export class Decoder {
  pos = 0;

  constructor(private readonly buf: Buffer) {}

  get length(): number {
    return this.buf.length;
  }

  next(): unknown {
    const b = this.buf;
    const tag = b[this.pos];
    switch (tag) {
      case T_NULL:
        this.pos++;
        return null;
      case T_FALSE:
        this.pos++;
        return false;
      case T_TRUE:
        this.pos++;
        return true;
      case T_NUMBER: {
        const v = readDoubleLE.call(b, this.pos + 1);
        this.pos += 9;
        return v;
      }
      case T_STRING:
      case T_BYTES: {
        const n = readUInt32LE.call(b, this.pos + 1);
        const from = this.pos + 5;
        this.pos = from + n;
        // Bodies stay views of the transferred buffer: the worker writes them out as they are.
        return tag === T_STRING ? decodeText.call(b, 'utf8', from, from + n) : subarray.call(b, from, from + n);
      }
      case T_DEFLATED: {
        const from = this.pos + 9;
        const to = from + readUInt32LE.call(b, this.pos + 1);
        const deflated = readParts(b, from, to);
        if (deflated === null) throw new Error(`corrupt request record batch: deflated parts at byte ${this.pos}`);
        const length = readUInt32LE.call(b, this.pos + 5);
        this.pos = to;
        return { deflated, length } satisfies DeflatedBody;
      }
      default:
        throw new Error(`corrupt request record batch: tag ${tag} at byte ${this.pos}`);
    }
  }
}

function maxBytes(b: PayloadBody | null): number {
  if (b === null) return 0;
  if (typeof b === 'string') return b.length * 3;
  return isDeflated(b) ? 9 + partsBytes(b) : b.byteLength;
}

function sameBytes(a: PayloadBody, b: PayloadBody): boolean {
  if (a === b) return true;
  if (typeof a === 'string' || typeof b === 'string' || isDeflated(a) || isDeflated(b)) return false;
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

/** Fields other than the payload: ~20 short strings and numbers. */
const RECORD_BYTES = 1024;

/**
 * Packs `records` for postMessage; transfer `bytes` with it. `spare`: a buffer an earlier batch
 * came back in, reused when big enough: a fresh multi-megabyte buffer per batch costs page
 * faults and, as external memory, pushes V8 into extra garbage collections.
 */
export function packRecords(records: readonly RequestRecord[], spare?: ArrayBuffer): PackedRecords {
  let size = 0;
  for (const r of records) {
    size += RECORD_BYTES;
    const p = r.payload;
    if (p) {
      size +=
        maxBytes(p.requestHeaders) + maxBytes(p.responseHeaders) + maxBytes(p.requestBody) + maxBytes(p.responseBody);
    }
    size += maxBytes(r.linkBody ?? null);
  }
  const w = new Encoder(size, spare);
  for (const r of records) encodeRecord(w, r);
  return { count: records.length, bytes: w.buf.buffer as ArrayBuffer, length: w.pos };
}

/**
 * One record in the tagged encoding: the batches sent to the worker, and the record journal's
 * entries (journal/record-journal.ts), which cut bodies at `bodyCap` and leave out the link body.
 */
export function encodeRecord(w: Encoder, r: RequestRecord, bodyCap: number | null = null): void {
  w.put(r.id);
  w.put(r.ts);
  w.put(r.method);
  w.put(r.path);
  w.put(r.accountId);
  w.put(r.accountName);
  w.put(r.status);
  w.put(r.success);
  w.put(r.error);
  w.put(r.latencyMs);
  w.put(r.ttftMs);
  w.put(r.attempts);
  w.put(r.modelRequested);
  w.put(r.modelApplied);
  w.put(r.agent);
  w.put(r.sessionId);
  w.put(r.clientKey);
  w.put(r.stream);
  w.put(r.stopReason);
  w.put(r.inputTokens);
  w.put(r.cacheReadTokens);
  w.put(r.cacheWrite5mTokens);
  w.put(r.cacheWrite1hTokens);
  w.put(r.outputTokens);
  w.put(r.costUsd);
  w.put(r.outputTokensPerSecond);
  w.put(r.modelFallback);
  w.put(r.agentInstance);
  w.put(r.routeReason);
  const log = r.attemptLog ?? [];
  w.put(log.length);
  for (const a of log) {
    w.put(a.account);
    w.put(a.status);
    w.put(a.error);
    w.put(a.ms);
  }
  const p = r.payload;
  w.put(p !== null && p !== undefined);
  if (p) {
    const req = bodyCap === null ? p.requestBody : capBody(p.requestBody, bodyCap);
    const res = bodyCap === null ? p.responseBody : capBody(p.responseBody, bodyCap);
    w.put(p.requestHeaders);
    w.put(p.responseHeaders);
    w.put(p.requestTruncated || req !== p.requestBody);
    w.put(p.responseTruncated || res !== p.responseBody);
    w.put(req);
    w.put(res);
  }
  // The link body is most often the captured request body itself: sent once, not twice.
  const lb = bodyCap === null ? (r.linkBody ?? null) : null;
  if (lb !== null && p && p.requestBody !== null && !p.requestTruncated && sameBytes(lb, p.requestBody)) w.put(true);
  else w.put(lb);
}

/** `b` cut at `cap` (text by characters: encoding it first would cost more than the cut saves); `b` itself when within. */
function capBody(b: PayloadBody | null, cap: number): PayloadBody | null {
  if (b === null) return null;
  if (typeof b === 'string') return b.length <= cap ? b : b.slice(0, cap);
  // A deflated answer: only the block(s) holding the first `cap` bytes are inflated.
  if (isDeflated(b)) return b.length <= cap ? b : bodyPrefix(b, cap);
  return b.byteLength <= cap ? b : b.subarray(0, cap);
}

/** The records packRecords packed; byte bodies are views of `packed.bytes`. */
export function unpackRecords(packed: PackedRecords): RequestRecord[] {
  const d = new Decoder(Buffer.from(packed.bytes, 0, packed.length));
  const out: RequestRecord[] = new Array(packed.count);
  for (let k = 0; k < packed.count; k++) out[k] = decodeRecord(d);
  return out;
}

/** The next record encodeRecord wrote. */
export function decodeRecord(d: Decoder): RequestRecord {
  const next = () => d.next();
  // Property initialisers run in source order, the order packRecords wrote them in.
  const r: RequestRecord = {
    id: next() as string,
    ts: next() as number,
    method: next() as string,
    path: next() as string,
    accountId: next() as string | null,
    accountName: next() as string | null,
    status: next() as number | null,
    success: next() as boolean,
    error: next() as string | null,
    latencyMs: next() as number,
    ttftMs: next() as number | null,
    attempts: next() as number,
    attemptLog: [] as AttemptRecord[],
    modelRequested: next() as string | null,
    modelApplied: next() as string | null,
    agent: next() as string | null,
    sessionId: next() as string | null,
    clientKey: next() as string | null,
    stream: next() as boolean,
    stopReason: next() as string | null,
    inputTokens: next() as number | null,
    cacheReadTokens: next() as number | null,
    cacheWrite5mTokens: next() as number | null,
    cacheWrite1hTokens: next() as number | null,
    outputTokens: next() as number | null,
    costUsd: next() as number | null,
    outputTokensPerSecond: next() as number | null,
    modelFallback: next() as boolean,
    agentInstance: next() as string | null,
    routeReason: next() as string | null,
    payload: null,
  };
  const attempts = next() as number;
  for (let a = 0; a < attempts; a++) {
    r.attemptLog.push({
      account: next() as string | null,
      status: next() as number | null,
      error: next() as string | null,
      ms: next() as number,
    });
  }
  if (next() === true) {
    const payload: PayloadInput = {
      requestHeaders: next() as string,
      responseHeaders: next() as string | null,
      requestTruncated: next() as boolean,
      responseTruncated: next() as boolean,
      requestBody: next() as PlainBody | null,
      responseBody: next() as PayloadBody | null,
    };
    r.payload = payload;
  }
  const lb = next() as PlainBody | boolean | null;
  if (lb !== null) r.linkBody = lb === true ? (r.payload?.requestBody ?? null) : (lb as PlainBody);
  return r;
}
