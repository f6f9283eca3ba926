/**
 * The client side of an event stream (WHATWG HTML "server-sent events"), shared by `ccflare logs`,
 * the terminal UI and the tests: `fetch` for the request, eventsource-parser for the text.
 * EventSource itself is not used: it cannot send headers (the admin key), hides comments, and
 * reconnects on its own where the callers want to decide (fresh ticket, stop when the gateway is
 * gone).
 */
import { createParser } from 'eventsource-parser';

export interface StreamEvent {
  /** The frame's own `id:` as a number; null without one (e.g. a `reset`). */
  id: number | null;
  /** `message` when the frame names none, as EventSource would. */
  event: string;
  data: string;
}

export interface EventStreamOptions {
  headers?: Record<string, string>;
  /** Aborting it ends the iteration quietly (and fails the connect with the abort reason). */
  signal?: AbortSignal;
  /** End the iteration once this long passes without a byte from the server. */
  idleMs?: number;
  /** Comment lines (heartbeats, the drop notice), without the colon and one leading space. */
  onComment?: (text: string) => void;
  onRetry?: (ms: number) => void;
}

/** The server answered with a status other than 2xx, or the stream broke off mid-way. */
export class EventStreamError extends Error {
  constructor(
    message: string,
    /** The answer's status when it was refused; null when the connection broke during the stream. */
    readonly status: number | null,
    /** The refusal's JSON body, if it had one. */
    readonly body: unknown = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EventStreamError';
  }
}

export interface EventStream extends AsyncIterable<StreamEvent> {
  readonly status: number;
  readonly headers: Headers;
  /** Stops reading and releases the connection; the iteration ends. */
  close(): void;
}

/**
 * Opens `url` as an event stream. Rejects with fetch's own error when the server cannot be reached
 * and with EventStreamError on a non-2xx answer. Iterating yields events until the server ends the
 * stream, `signal` aborts, `close()` is called or `idleMs` passes in silence; a connection that
 * breaks off throws EventStreamError.
 */
export async function openEventStream(url: string, opts: EventStreamOptions = {}): Promise<EventStream> {
  const own = new AbortController();
  const signal = opts.signal ? AbortSignal.any([own.signal, opts.signal]) : own.signal;
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...opts.headers }, signal });
  const body = res.body;
  if (!res.ok || body === null) {
    let parsed: unknown = null;
    try {
      parsed = await res.json();
    } catch {
      // Not JSON: the status says enough.
    }
    throw new EventStreamError(`the event stream answered ${res.status}`, res.status, parsed);
  }
  let idle: NodeJS.Timeout | null = null;
  const armIdle = () => {
    if (opts.idleMs === undefined) return;
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => own.abort(), opts.idleMs);
  };
  async function* events(): AsyncGenerator<StreamEvent> {
    armIdle();
    try {
      yield* parseEventStream(body as AsyncIterable<Uint8Array>, { ...opts, onChunk: armIdle });
    } catch (err) {
      if (signal.aborted) return;
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new EventStreamError(`the event stream broke off: ${cause}`, null, null, { cause: err });
    } finally {
      if (idle) clearTimeout(idle);
      // A consumer that stops early must not leave the response open.
      own.abort();
    }
  }
  return {
    status: res.status,
    headers: res.headers,
    close: () => own.abort(),
    [Symbol.asyncIterator]: events,
  };
}

/** Parses event-stream bytes into events, chunk boundaries anywhere (UTF-8, CRLF or LF lines). */
export async function* parseEventStream(
  body: AsyncIterable<Uint8Array>,
  opts: Pick<EventStreamOptions, 'onComment' | 'onRetry'> & { onChunk?: () => void } = {},
): AsyncGenerator<StreamEvent> {
  const ready: StreamEvent[] = [];
  const parser = createParser({
    onEvent: (m) => {
      ready.push({
        id: m.id !== undefined && /^\d+$/.test(m.id) ? Number(m.id) : null,
        event: m.event ?? 'message',
        data: m.data,
      });
    },
    onComment: opts.onComment,
    onRetry: opts.onRetry,
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    opts.onChunk?.();
    parser.feed(decoder.decode(chunk, { stream: true }));
    // An event the consumer may act on at once: yield each before reading more.
    for (const e of ready.splice(0)) yield e;
  }
  // Per the standard, an event cut off before its blank line is dropped.
}
