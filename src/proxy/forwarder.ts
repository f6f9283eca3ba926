/**
 * One upstream attempt on undici's dispatch API: no Readable stream, promise or AbortSignal per
 * request, which is where most of a Node proxy hop's CPU goes. A 2xx/3xx answer is written to the
 * client as it arrives (bytes unchanged, backpressure respected) while usage is read on the side;
 * an error answer is buffered for classification so the caller can still fail over.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type Dispatcher, errors } from 'undici';
import { KeptBytes } from './kept-bytes.js';
import { SseUsageTracker } from './sse-usage.js';

/** Error bodies are read whole to classify them; anything bigger is not an Anthropic error. */
const MAX_ERROR_BYTES = 1024 * 1024;

export type AttemptResult =
  | { kind: 'streamed'; forwarder: Forwarder }
  | { kind: 'failed'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: 'network'; error: Error };

export interface ForwarderHooks {
  /** Response head arrived (any status >= 200); for < 400 the caller writes the head to the client. */
  head(status: number, headers: IncomingHttpHeaders): void;
  /** The upstream broke after bytes went to the client; returns nothing, may write a last frame. */
  broke(err: Error): void;
}

const PENDING = 0;
const STREAMING = 1;
const BUFFERING = 2;

export class Forwarder implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private abortRequested: Error | null = null;
  private mode = PENDING;
  private settled = false;
  private errChunks: Buffer[] = [];
  private errBytes = 0;
  private headersTimer: NodeJS.Timeout | null = null;

  status = 0;
  headers: IncomingHttpHeaders = {};
  isSse = false;
  tracker: SseUsageTracker | null = null;
  /** Body bytes kept for the payload record / usage of non-streaming answers. */
  readonly kept = new KeptBytes();
  truncated = false;
  firstByteAt = 0;
  streamError: string | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly keepSse: number,
    private readonly keepOther: number,
    private readonly hooks: ForwarderHooks,
    private readonly done: (r: AttemptResult) => void,
  ) {}

  /** Cancels the upstream request (the client went away); safe before the request started. */
  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.abortRequested = reason;
  }

  /**
   * Ends the attempt with undici's HeadersTimeoutError unless response headers arrive within `ms`
   * (connecting included). A native timer, not undici's `headersTimeout`: undici runs that on its
   * coarse timers, ticking every 499 ms, so a 1,000 ms deadline answered 504 at about 1.5 s.
   */
  headersWithin(ms: number): void {
    this.headersTimer = setTimeout(headersTimedOut, ms, this);
  }

  /** The headers timer fired: the attempt ends now, even while it still waits for a connection. */
  timedOut(): void {
    this.headersTimer = null;
    const err = new errors.HeadersTimeoutError();
    if (this.controller) {
      this.controller.abort(err);
    } else {
      this.abortRequested = err;
      this.finish({ kind: 'network', error: err });
    }
  }

  private clearHeadersTimer(): void {
    if (this.headersTimer !== null) {
      clearTimeout(this.headersTimer);
      this.headersTimer = null;
    }
  }

  private finish(r: AttemptResult): void {
    if (this.settled) return;
    this.settled = true;
    this.clearHeadersTimer();
    this.done(r);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortRequested) controller.abort(this.abortRequested);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    // 1xx informational heads are followed by the real one.
    if (status < 200) return;
    this.clearHeadersTimer();
    this.status = status;
    this.headers = headers;
    if (status >= 400) {
      this.mode = BUFFERING;
      this.hooks.head(status, headers);
      return;
    }
    this.mode = STREAMING;
    const ct = headers['content-type'];
    this.isSse = typeof ct === 'string' && ct.startsWith('text/event-stream');
    if (this.isSse) this.tracker = new SseUsageTracker();
    this.hooks.head(status, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.mode === BUFFERING) {
      if (this.errBytes < MAX_ERROR_BYTES) {
        this.errChunks.push(chunk);
        this.errBytes += chunk.length;
      }
      return;
    }
    const t = performance.now();
    if (this.firstByteAt === 0) this.firstByteAt = t;
    if (this.tracker !== null) this.tracker.push(chunk, t);
    const keep = this.isSse ? this.keepSse : this.keepOther;
    const kept = this.kept;
    if (kept.length < keep) {
      const room = keep - kept.length;
      if (chunk.length <= room) kept.push(chunk);
      else {
        kept.push(chunk.subarray(0, room));
        this.truncated = true;
      }
    } else if (chunk.length > 0) this.truncated = true;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.mode === BUFFERING) {
      this.finish({ kind: 'failed', status: this.status, headers: this.headers, body: this.errorBody() });
      return;
    }
    this.res.end();
    this.finish({ kind: 'streamed', forwarder: this });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.mode === STREAMING) {
      this.hooks.broke(err);
      this.finish({ kind: 'streamed', forwarder: this });
    } else if (this.mode === BUFFERING) {
      // The error answer itself broke off: classify what arrived.
      this.finish({ kind: 'failed', status: this.status, headers: this.headers, body: this.errorBody() });
    } else {
      this.finish({ kind: 'network', error: err });
    }
  }

  private errorBody(): Buffer {
    const b = this.errChunks.length === 1 ? (this.errChunks[0] as Buffer) : Buffer.concat(this.errChunks);
    return b.length > MAX_ERROR_BYTES ? b.subarray(0, MAX_ERROR_BYTES) : b;
  }
}

/** A module-level callback with the forwarder as its argument: no closure per attempt. */
function headersTimedOut(f: Forwarder): void {
  f.timedOut();
}
