/**
 * Usage, timing and errors of an Anthropic message stream, read off the bytes the proxy forwards
 * (protocol.md section 5). Incremental SSE parser following the WHATWG event-stream rules:
 * lines end in LF, CRLF or a lone CR; a blank line dispatches; `:` starts a comment; one leading
 * space of a value is dropped; several `data` lines join with LF.
 *
 * Hot path: every stream chunk passes through `push`. Lines are scanned as bytes in place; only
 * the data of `message_start`, `message_delta` and `error` (three or four frames per stream) is
 * decoded and JSON-parsed. `content_block_delta` frames are recognised by their event name alone.
 */

import { bufferIndexOf } from '../shared/buffer-methods.js';

/** A module-local reference: shared/buffer-methods.ts says why. */
const indexOf = bufferIndexOf;

export interface UsageFields {
  inputTokens: number | null;
  cacheReadTokens: number | null;
  /**
   * Cache writes priced at the 5-minute rate: `cache_creation.ephemeral_5m_input_tokens`, or the
   * whole `cache_creation_input_tokens` when the response has no split (5m is the default TTL).
   */
  cacheWrite5mTokens: number | null;
  cacheWrite1hTokens: number | null;
  /** `cache_creation_input_tokens`: the total of both cache-write classes. */
  cacheCreationTokens: number | null;
  outputTokens: number | null;
}

export interface MessageUsage extends UsageFields {
  model: string | null;
  messageId: string | null;
  stopReason: string | null;
}

export interface StreamError {
  type: string;
  message: string;
}

export interface SseUsage extends MessageUsage {
  /** `now` of the chunk that completed the first `content_block_delta` frame (time to first token). */
  firstDeltaAt: number | null;
  lastDeltaAt: number | null;
  /** From an `event: error` frame (e.g. overloaded_error after a 200). */
  error: StreamError | null;
  /** Frames dispatched (frames with at least one data line), of any event type. */
  eventCount: number;
  /** Frames of interest whose data was not valid JSON, and over-long lines dropped. */
  malformedCount: number;
  /** A `message_stop` frame was seen: the stream finished normally. */
  messageStopped: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** A line longer than this cannot be a usage frame; drop it rather than buffer without bound. */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

// Frame kinds: what the `event` field said, or NONE before any `event` line.
const K_NONE = 0;
const K_IGNORE = 1;
const K_DELTA = 2;
const K_START = 3;
const K_MDELTA = 4;
const K_ERROR = 5;
const K_STOP = 6;

const N_DELTA = Buffer.from('content_block_delta', 'latin1');
const N_START = Buffer.from('message_start', 'latin1');
const N_MDELTA = Buffer.from('message_delta', 'latin1');
const N_STOP = Buffer.from('message_stop', 'latin1');
const N_ERROR = Buffer.from('error', 'latin1');

function same(b: Buffer, s: number, name: Buffer): boolean {
  for (let i = 0; i < name.length; i++) if (b[s + i] !== name[i]) return false;
  return true;
}

/** Event name bytes -> kind, without building a string. */
function kindOfBytes(b: Buffer, s: number, e: number): number {
  switch (e - s) {
    case 19:
      return same(b, s, N_DELTA) ? K_DELTA : K_IGNORE;
    case 13:
      return same(b, s, N_START) ? K_START : same(b, s, N_MDELTA) ? K_MDELTA : K_IGNORE;
    case 12:
      return same(b, s, N_STOP) ? K_STOP : K_IGNORE;
    case 5:
      return same(b, s, N_ERROR) ? K_ERROR : K_IGNORE;
    default:
      return K_IGNORE;
  }
}

function kindOfName(name: unknown): number {
  switch (name) {
    case 'content_block_delta':
      return K_DELTA;
    case 'message_start':
      return K_START;
    case 'message_delta':
      return K_MDELTA;
    case 'message_stop':
      return K_STOP;
    case 'error':
      return K_ERROR;
    default:
      return K_IGNORE;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Raw usage as accumulated from one or more `usage` objects, before the cache-write split is derived. */
interface UsageAcc {
  input: number | null;
  cacheRead: number | null;
  cacheTotal: number | null;
  split5m: number | null;
  split1h: number | null;
  output: number | null;
}

function newAcc(): UsageAcc {
  return { input: null, cacheRead: null, cacheTotal: null, split5m: null, split1h: null, output: null };
}

/**
 * `message_delta.usage` is cumulative (protocol.md section 5): a value replaces the earlier one,
 * never adds to it; a null or missing value keeps what `message_start` (or an earlier delta) said.
 */
function applyUsage(acc: UsageAcc, u: unknown): void {
  if (!isObject(u)) return;
  const input = count(u.input_tokens);
  if (input !== null) acc.input = input;
  const read = count(u.cache_read_input_tokens);
  if (read !== null) acc.cacheRead = read;
  const total = count(u.cache_creation_input_tokens);
  if (total !== null) acc.cacheTotal = total;
  const output = count(u.output_tokens);
  if (output !== null) acc.output = output;
  const cc = u.cache_creation;
  if (isObject(cc)) {
    const w5 = count(cc.ephemeral_5m_input_tokens);
    if (w5 !== null) acc.split5m = w5;
    const w1 = count(cc.ephemeral_1h_input_tokens);
    if (w1 !== null) acc.split1h = w1;
  }
}

function writeUsage(acc: UsageAcc, out: UsageFields): void {
  out.inputTokens = acc.input;
  out.cacheReadTokens = acc.cacheRead;
  out.outputTokens = acc.output;
  const total = acc.cacheTotal;
  if (acc.split5m !== null || acc.split1h !== null) {
    let w5 = acc.split5m ?? 0;
    const w1 = acc.split1h ?? 0;
    // The total is what is billed; any part the split does not account for is priced as 5m.
    if (total !== null && total > w5 + w1) w5 = total - w1;
    out.cacheWrite5mTokens = w5;
    out.cacheWrite1hTokens = w1;
    out.cacheCreationTokens = total ?? w5 + w1;
  } else if (total !== null) {
    out.cacheWrite5mTokens = total;
    out.cacheWrite1hTokens = 0;
    out.cacheCreationTokens = total;
  } else {
    out.cacheWrite5mTokens = null;
    out.cacheWrite1hTokens = null;
    out.cacheCreationTokens = null;
  }
}

function emptyMessageUsage(): MessageUsage {
  return {
    model: null,
    messageId: null,
    stopReason: null,
    inputTokens: null,
    cacheReadTokens: null,
    cacheWrite5mTokens: null,
    cacheWrite1hTokens: null,
    cacheCreationTokens: null,
    outputTokens: null,
  };
}

/** Usage of a non-streaming `/v1/messages` response body (already JSON-parsed). Never throws. */
export function usageFromMessage(json: unknown): MessageUsage {
  const out = emptyMessageUsage();
  if (!isObject(json)) return out;
  out.model = str(json.model);
  out.messageId = str(json.id);
  out.stopReason = str(json.stop_reason);
  const acc = newAcc();
  applyUsage(acc, json.usage);
  writeUsage(acc, out);
  return out;
}

/**
 * Feed it every chunk of a `text/event-stream` response in order, then `end()`. `result` is
 * updated in place as frames complete and may be read at any time.
 *
 * A chunk's bytes may be referenced (not copied) until the line they belong to completes: do not
 * reuse or mutate a chunk after pushing it.
 */
export class SseUsageTracker {
  // A literal, not a spread: a spread-built object is slower for the property writes that follow.
  private readonly r: SseUsage = {
    model: null,
    messageId: null,
    stopReason: null,
    inputTokens: null,
    cacheReadTokens: null,
    cacheWrite5mTokens: null,
    cacheWrite1hTokens: null,
    cacheCreationTokens: null,
    outputTokens: null,
    firstDeltaAt: null,
    lastDeltaAt: null,
    error: null,
    eventCount: 0,
    malformedCount: 0,
    messageStopped: false,
  };
  private readonly acc = newAcc();

  // Partial line carried over chunk boundaries.
  private readonly carry: Buffer[] = [];
  private carryLen = 0;
  private discarding = false;
  /** The previous chunk ended in CR: a LF starting the next one belongs to that line ending. */
  private skipLF = false;
  private firstLine = true;
  private ended = false;

  // Frame being assembled.
  private kind = K_NONE;
  private sawData = false;
  /** Data lines were skipped because the event was of no interest when they arrived. */
  private dropped = false;
  private data: string | null = null;

  get result(): Readonly<SseUsage> {
    return this.r;
  }

  /**
   * Part of a frame has arrived without the blank line that ends it: a partial line, or data
   * lines. Bytes written after them would join that frame (a relayed error frame would turn it
   * into one broken event).
   */
  get midFrame(): boolean {
    return this.carryLen > 0 || this.discarding || this.sawData;
  }

  push(chunk: Uint8Array, now: number): void {
    if (this.ended) return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const len = b.length;
    if (len === 0) return;
    let pos = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (b[0] === LF) pos = 1;
    }
    // Next LF / CR at or after pos; -2 = not searched yet, -1 = none left in this chunk.
    let nl = -2;
    let cr = -2;
    while (pos < len) {
      if (nl !== -1 && nl < pos) nl = indexOf.call(b, LF, pos);
      if (cr !== -1 && cr < pos) cr = indexOf.call(b, CR, pos);
      if (nl === -1 && cr === -1) break;
      let end = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
      if (this.carryLen > 0 || this.discarding) this.carried(b, pos, end, now);
      else this.line(b, pos, end, now);
      if (b[end] === CR) {
        if (end + 1 === len) this.skipLF = true;
        else if (b[end + 1] === LF) end++;
      }
      pos = end + 1;
    }
    if (pos < len) this.hold(b, pos, len);
  }

  /**
   * End of stream. Per the SSE rules an unterminated last frame is discarded, as the client's
   * own parser discards it, so the recorded usage matches what the client saw.
   */
  end(): void {
    this.ended = true;
    this.carry.length = 0;
    this.carryLen = 0;
    this.resetFrame();
  }

  private hold(b: Buffer, from: number, to: number): void {
    if (this.discarding) return;
    this.carry.push(b.subarray(from, to));
    this.carryLen += to - from;
    if (this.carryLen > MAX_LINE_BYTES) {
      this.carry.length = 0;
      this.carryLen = 0;
      this.discarding = true;
    }
  }

  private carried(b: Buffer, s: number, e: number, now: number): void {
    if (this.discarding) {
      this.discarding = false;
      this.r.malformedCount++;
      return;
    }
    this.carry.push(b.subarray(s, e));
    const line = Buffer.concat(this.carry, this.carryLen + (e - s));
    this.carry.length = 0;
    this.carryLen = 0;
    this.line(line, 0, line.length, now);
  }

  private line(b: Buffer, s: number, e: number, now: number): void {
    if (this.firstLine) {
      this.firstLine = false;
      // A UTF-8 byte-order mark at the start of the stream is not part of the first field name.
      if (e - s >= 3 && b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf) s += 3;
    }
    if (s === e) {
      this.dispatch(now);
      return;
    }
    const c = b[s];
    if (c === COLON) return;
    let v: number;
    if (
      c === 0x64 && // data
      b[s + 1] === 0x61 &&
      b[s + 2] === 0x74 &&
      b[s + 3] === 0x61 &&
      (e - s === 4 || b[s + 4] === COLON)
    ) {
      v = Math.min(s + 5, e);
      if (v < e && b[v] === SPACE) v++;
      this.sawData = true;
      const k = this.kind;
      if (k === K_IGNORE || k === K_DELTA || k === K_STOP) {
        this.dropped = true;
        return;
      }
      const text = b.toString('utf8', v, e);
      this.data = this.data === null ? text : `${this.data}\n${text}`;
    } else if (
      c === 0x65 && // event
      b[s + 1] === 0x76 &&
      b[s + 2] === 0x65 &&
      b[s + 3] === 0x6e &&
      b[s + 4] === 0x74 &&
      (e - s === 5 || b[s + 5] === COLON)
    ) {
      v = Math.min(s + 6, e);
      if (v < e && b[v] === SPACE) v++;
      this.kind = kindOfBytes(b, v, e);
    }
    // id, retry and unknown fields carry nothing we need.
  }

  private dispatch(now: number): void {
    if (!this.sawData) {
      this.resetFrame();
      return;
    }
    const r = this.r;
    r.eventCount++;
    let k = this.kind;
    let json: unknown;
    if (k === K_NONE) {
      // No `event` line: the SSE type is "message"; fall back to the JSON `type` field.
      json = this.parse();
      k = isObject(json) ? kindOfName(json.type) : K_IGNORE;
    } else if (k === K_START || k === K_MDELTA || k === K_ERROR) {
      if (this.dropped) {
        // An `event` line after the data lines changed the type; the data was not kept.
        r.malformedCount++;
        this.resetFrame();
        return;
      }
      json = this.parse();
    }
    switch (k) {
      case K_DELTA:
        if (r.firstDeltaAt === null) r.firstDeltaAt = now;
        r.lastDeltaAt = now;
        break;
      case K_START:
        if (isObject(json) && isObject(json.message)) {
          const m = json.message;
          r.model = str(m.model) ?? r.model;
          r.messageId = str(m.id) ?? r.messageId;
          applyUsage(this.acc, m.usage);
          writeUsage(this.acc, r);
        }
        break;
      case K_MDELTA:
        if (isObject(json)) {
          if (isObject(json.delta)) r.stopReason = str(json.delta.stop_reason) ?? r.stopReason;
          applyUsage(this.acc, json.usage);
          writeUsage(this.acc, r);
        }
        break;
      case K_ERROR: {
        const e = isObject(json) ? json.error : undefined;
        r.error = isObject(e)
          ? { type: str(e.type) ?? 'unknown_error', message: str(e.message) ?? '' }
          : { type: 'unknown_error', message: (this.data ?? '').slice(0, 500) };
        break;
      }
      case K_STOP:
        r.messageStopped = true;
        break;
    }
    this.resetFrame();
  }

  private parse(): unknown {
    const d = this.data;
    if (d === null) return undefined;
    try {
      return JSON.parse(d);
    } catch {
      this.r.malformedCount++;
      return undefined;
    }
  }

  private resetFrame(): void {
    this.kind = K_NONE;
    this.sawData = false;
    this.dropped = false;
    this.data = null;
  }
}
