/**
 * A fake Anthropic API for end-to-end tests and the benchmark.
 *
 * Built for speed: node:http with keep-alive, and the default answers (message JSON, SSE stream)
 * are precomputed Buffers cached per (model, deltas), so per-request CPU stays minimal even when
 * the benchmark saturates through it.
 *
 * Default routes:
 * - `POST /v1/messages`: a message JSON, or with `"stream": true` an SSE stream (message_start with
 *   usage incl. the cache_creation split, content_block_start, ping, N text_delta events,
 *   content_block_stop, message_delta with cumulative usage, message_stop). The request's model
 *   is echoed.
 * - `POST /v1/messages/count_tokens`: `{input_tokens: N}`.
 * - `GET /v1/models`, `GET /v1/models/:id`.
 * - `POST /api/oauth/claude_cli/create_api_key`: `{raw_key: 'sk-ant-api03-...'}`.
 * - `GET /api/oauth/usage` (Claude Code's subscription usage, src/accounts/usage-poller.ts): 401
 *   without a bearer token and the oauth beta; else the answer scripted for that token with
 *   `setUsage`, by default both windows at 0 % and not started (`resets_at: null`).
 * - anything else: 404 in the Anthropic error shape.
 *
 * Per-request overrides of the default `/v1/messages` answer, so a proxy in front can be driven
 * without a handler (a proxy forwards unknown headers and the query string):
 *   header `x-fake-sse: deltas=50;interval=5;first=10;delay=3`
 *   or query `?fake_sse=deltas=50,interval=5`
 * keys: `deltas` (text_delta events), `interval` (ms between events), `first` (ms between the
 * response headers and the first event), `delay` (ms before the response headers; applies to
 * JSON answers too). Separators `;`, `,` or `&`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The request target as received, query string included (e.g. `/v1/messages?beta=true`). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The parsed body, or null when it is empty or not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary request bodies without ceremony
  json: any | null;
  receivedAt: number;
}

export type SseEvent = { event: string; data: unknown } | { raw: string };

export type FakeResponse =
  | { kind: 'json'; status?: number; headers?: Record<string, string>; body: unknown; delayMs?: number }
  | {
      kind: 'sse';
      status?: number;
      headers?: Record<string, string>;
      events: SseEvent[];
      /** ms between events; 0 or absent writes all events at once. */
      intervalMs?: number;
      /** ms between the response headers and the first event. */
      firstDelayMs?: number;
      /** Write this many events, then destroy the socket (mid-stream drop). */
      destroyAfterEvents?: number;
      /** ms before the response headers. */
      delayMs?: number;
    }
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body: string | Buffer; delayMs?: number }
  | { kind: 'hang' }
  | { kind: 'reset' };

/** Return undefined for the default behaviour. */
export type FakeHandler = (req: RecordedRequest) => FakeResponse | Promise<FakeResponse | undefined> | undefined;

/** What `GET /api/oauth/usage` answers one token: a body, or an error status. */
export type FakeUsageAnswer =
  | { body: unknown }
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'reset' };

/** A usage body as the endpoint writes it: utilization in percent, `resets_at` ISO 8601. */
export function usageBody(
  fiveHour: { utilization: number; resetsAt: number | null } | null,
  sevenDay: { utilization: number; resetsAt: number | null } | null,
  /** The per-model weekly windows (`seven_day_opus`, ...); null when not given. */
  byFamily: Partial<Record<'opus' | 'sonnet' | 'haiku', { utilization: number; resetsAt: number | null }>> = {},
): object {
  const w = (x: { utilization: number; resetsAt: number | null } | null) =>
    x === null
      ? null
      : { utilization: x.utilization, resets_at: x.resetsAt === null ? null : new Date(x.resetsAt).toISOString() };
  return {
    five_hour: w(fiveHour),
    seven_day: w(sevenDay),
    seven_day_oauth_apps: null,
    seven_day_opus: w(byFamily.opus ?? null),
    seven_day_sonnet: w(byFamily.sonnet ?? null),
    seven_day_haiku: w(byFamily.haiku ?? null),
    extra_usage: { is_enabled: false, monthly_limit: null, used_credits: null, utilization: null },
  };
}

export interface FakeUpstream {
  url: string;
  port: number;
  /** Every request, in order (empty when started with `record: false`). */
  requests: RecordedRequest[];
  setHandler(h: FakeHandler | null): void;
  /** Scripts `GET /api/oauth/usage` for one bearer token; null restores the default answer. */
  setUsage(token: string, answer: FakeUsageAnswer | null): void;
  /** Sockets currently open. */
  openConnections(): number;
  /** Sockets accepted since start. */
  totalConnections(): number;
  /** Requests received whose response has not finished or been torn down yet (streams in flight, hangs). */
  activeResponses(): number;
  /** Pacing/delay timers pending (0 once every stream ended or its client went away). */
  pendingTimers(): number;
  /** Clears requests, the handler and the scripted usage answers. */
  reset(): void;
  /** Closes the server and destroys all sockets. */
  close(): Promise<void>;
}

export interface FakeUpstreamOptions {
  /** Port to listen on (default 0: a free one). Always 127.0.0.1. */
  port?: number;
  /** Record requests in `requests` (default true; the benchmark turns it off). */
  record?: boolean;
  /** text_delta events in the default stream (default 20). */
  sseDeltas?: number;
  /** ms between events of the default stream (default 0: all at once). */
  sseIntervalMs?: number;
  /** Text of the default answer (split across the deltas when streaming). */
  text?: string;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: string;
}

export const DEFAULT_MODEL = 'claude-sonnet-4-5-20250929';
/** The header (and, lower-case with an underscore, the query parameter) selecting per-request pacing. */
export const FAKE_SSE_HEADER = 'x-fake-sse';
const FAKE_SSE_QUERY = 'fake_sse';
const OAUTH_BETA = 'oauth-2025-04-20';

export const FAKE_MODELS: ReadonlyArray<{ type: 'model'; id: string; display_name: string; created_at: string }> = [
  {
    type: 'model',
    id: 'claude-opus-4-5-20251101',
    display_name: 'Claude Opus 4.5',
    created_at: '2025-11-01T00:00:00Z',
  },
  {
    type: 'model',
    id: 'claude-sonnet-4-5-20250929',
    display_name: 'Claude Sonnet 4.5',
    created_at: '2025-09-29T00:00:00Z',
  },
  {
    type: 'model',
    id: 'claude-haiku-4-5-20251001',
    display_name: 'Claude Haiku 4.5',
    created_at: '2025-10-01T00:00:00Z',
  },
];

const DEFAULT_TEXT_WORDS = ['Hello', 'from', 'the', 'fake', 'Anthropic', 'upstream', 'used', 'in', 'tests.'];

function defaultUsage(outputTokens: number, over?: Partial<Usage>): Usage {
  const u: Usage = {
    input_tokens: 12,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 30,
    cache_read_input_tokens: 100,
    cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 10 },
    service_tier: 'standard',
    ...over,
  };
  if (over?.cache_creation_input_tokens !== undefined && over.cache_creation === undefined) {
    u.cache_creation = { ephemeral_5m_input_tokens: over.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 };
  }
  return u;
}

let idCounter = 0;
function newId(prefix: string): string {
  idCounter = (idCounter + 1) >>> 0;
  return `${prefix}_fake${randomBytes(6).toString('hex')}${idCounter.toString(36)}`;
}

/** `{"type":"error","error":{type,message},"request_id":"req_..."}` */
export function errorBody(type: string, message: string): object {
  return { type: 'error', error: { type, message }, request_id: newId('req') };
}

/** A subscription 429 (protocol.md section 3): the `window` rejected, resetting `inMs` from now. */
export function rateLimited(window: '5h' | '7d', inMs: number): FakeResponse {
  const reset = String(Math.ceil((Date.now() + inMs) / 1000));
  return {
    kind: 'json',
    status: 429,
    headers: {
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-reset': reset,
      [`anthropic-ratelimit-unified-${window}-status`]: 'rejected',
      [`anthropic-ratelimit-unified-${window}-reset`]: reset,
      [`anthropic-ratelimit-unified-${window}-utilization`]: '1.02',
      'anthropic-ratelimit-unified-representative-claim': window === '5h' ? 'five_hour' : 'seven_day',
    },
    body: errorBody('rate_limit_error', "This request would exceed your account's rate limit."),
  };
}

/** A non-streaming Messages API answer. */
export function messageJson(opts: { model?: string; text?: string; usage?: Partial<Usage> } = {}): object {
  const text = opts.text ?? DEFAULT_TEXT_WORDS.join(' ');
  return {
    id: newId('msg'),
    type: 'message',
    role: 'assistant',
    model: opts.model ?? DEFAULT_MODEL,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: defaultUsage(Math.max(1, Math.ceil(text.length / 4)), opts.usage),
  };
}

/** Splits text into exactly n pieces (some empty when the text is shorter than n). */
function splitText(text: string, n: number): string[] {
  const out: string[] = [];
  const len = text.length;
  for (let i = 0; i < n; i++) out.push(text.slice(Math.floor((i * len) / n), Math.floor(((i + 1) * len) / n)));
  return out;
}

function defaultDeltaTexts(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${DEFAULT_TEXT_WORDS[i % DEFAULT_TEXT_WORDS.length]} `);
  return out;
}

/**
 * A realistic event sequence of a streamed Messages API answer. `deltas` text_delta events
 * (default 20); optional thinking block first and tool_use block last. Usage in message_delta is
 * cumulative (the final value).
 */
export function messageStreamEvents(
  opts: {
    model?: string;
    deltas?: number;
    text?: string;
    usage?: Partial<Usage>;
    thinking?: boolean;
    toolUse?: boolean;
    /** Add a `ping` event after the first content_block_start (default true, like the real API). */
    ping?: boolean;
  } = {},
): Array<{ event: string; data: unknown }> {
  const deltas = Math.max(0, opts.deltas ?? 20);
  const pieces = opts.text !== undefined ? splitText(opts.text, deltas) : defaultDeltaTexts(deltas);
  const extraOutput = (opts.thinking ? 3 : 0) + (opts.toolUse ? 2 : 0);
  const finalUsage = defaultUsage(deltas + extraOutput, opts.usage);
  const startUsage: Usage = { ...finalUsage, cache_creation: { ...finalUsage.cache_creation }, output_tokens: 1 };
  const events: Array<{ event: string; data: unknown }> = [];
  events.push({
    event: 'message_start',
    data: {
      type: 'message_start',
      message: {
        id: newId('msg'),
        type: 'message',
        role: 'assistant',
        model: opts.model ?? DEFAULT_MODEL,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: startUsage,
      },
    },
  });
  let index = 0;
  let pinged = opts.ping === false;
  const ping = () => {
    if (!pinged) {
      pinged = true;
      events.push({ event: 'ping', data: { type: 'ping' } });
    }
  };
  if (opts.thinking) {
    events.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } },
    });
    ping();
    for (const t of ['Let me think', ' about this', ' carefully.']) {
      events.push({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: t } },
      });
    }
    events.push({
      event: 'content_block_delta',
      data: {
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature: 'RmFrZVNpZ25hdHVyZQ==' },
      },
    });
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
    index++;
  }
  events.push({
    event: 'content_block_start',
    data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
  });
  ping();
  for (const text of pieces) {
    events.push({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
    });
  }
  events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  index++;
  if (opts.toolUse) {
    events.push({
      event: 'content_block_start',
      data: {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: newId('toolu'), name: 'get_weather', input: {} },
      },
    });
    for (const partial_json of ['{"location":', ' "Paris"}']) {
      events.push({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } },
      });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
    index++;
  }
  events.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: opts.toolUse ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: {
        input_tokens: finalUsage.input_tokens,
        cache_creation_input_tokens: finalUsage.cache_creation_input_tokens,
        cache_read_input_tokens: finalUsage.cache_read_input_tokens,
        output_tokens: finalUsage.output_tokens,
      },
    },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

/** One content block of a scripted assistant turn. */
export type TurnBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string };

/**
 * The streamed answer of one scripted assistant turn: text and tool_use blocks in order, each as
 * the real API streams it (a tool_use's input arrives as input_json_delta pieces). stop_reason is
 * `tool_use` when the turn calls a tool, else `end_turn` — what an agent loop such as Claude
 * Code's reads to decide whether to run tools and ask again.
 */
export function turnEvents(opts: { model: string; blocks: TurnBlock[]; usage?: Partial<Usage> }): SseEvent[] {
  const usage = defaultUsage(
    opts.blocks.reduce((n, b) => n + Math.ceil((b.type === 'text' ? b.text : JSON.stringify(b.input)).length / 4), 1),
    opts.usage,
  );
  const events: Array<{ event: string; data: unknown }> = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: newId('msg'),
          type: 'message',
          role: 'assistant',
          model: opts.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    },
  ];
  opts.blocks.forEach((b, index) => {
    const start =
      b.type === 'text'
        ? { type: 'text', text: '' }
        : { type: 'tool_use', id: b.id ?? newId('toolu'), name: b.name, input: {} };
    events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: start } });
    if (index === 0) events.push({ event: 'ping', data: { type: 'ping' } });
    const json = b.type === 'tool_use' ? JSON.stringify(b.input) : '';
    const pieces =
      b.type === 'text' ? splitText(b.text, 2) : [json.slice(0, json.length >> 1), json.slice(json.length >> 1)];
    for (const piece of pieces) {
      const delta =
        b.type === 'text' ? { type: 'text_delta', text: piece } : { type: 'input_json_delta', partial_json: piece };
      events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  const toolUse = opts.blocks.some((b) => b.type === 'tool_use');
  events.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: toolUse ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: usage.output_tokens,
      },
    },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

/** Encodes one SSE frame. A string `data` is written verbatim (for malformed-data tests). */
export function encodeSseEvent(e: SseEvent): Buffer {
  if ('raw' in e) return Buffer.from(e.raw);
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  return Buffer.from(`event: ${e.event}\ndata: ${data}\n\n`);
}

interface SseOverride {
  deltas?: number;
  interval?: number;
  first?: number;
  delay?: number;
}

function parseOverride(spec: string): SseOverride {
  const o: SseOverride = {};
  for (const part of spec.split(/[;,&]/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = Number(part.slice(eq + 1).trim());
    if (!Number.isFinite(value) || value < 0) continue;
    if (key === 'deltas' || key === 'interval' || key === 'first' || key === 'delay') o[key] = value;
  }
  return o;
}

function getOverride(req: IncomingMessage, url: string): SseOverride | null {
  const h = req.headers[FAKE_SSE_HEADER];
  if (typeof h === 'string') return parseOverride(h);
  const q = url.indexOf('?');
  if (q >= 0) {
    const v = new URLSearchParams(url.slice(q + 1)).get(FAKE_SSE_QUERY);
    if (v !== null) return parseOverride(v);
  }
  return null;
}

interface StreamCacheEntry {
  all: Buffer;
  parts: Buffer[];
}

const MAX_CACHE = 256;
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** Counts the instance's pending timers (diagnostics: proves timers are cleaned up). */
interface TimerCount {
  n: number;
}

/** Runs fn after ms unless the response closes first (then the timer is cleared). */
function later(tc: TimerCount, res: ServerResponse, ms: number, fn: () => void): void {
  if (res.destroyed) return;
  const onClose = () => {
    clearTimeout(t);
    tc.n--;
  };
  tc.n++;
  const t = setTimeout(() => {
    tc.n--;
    res.off('close', onClose);
    if (!res.destroyed) fn();
  }, ms);
  res.once('close', onClose);
}

function destroySocket(res: ServerResponse): void {
  const s = res.socket;
  if (s) s.destroy();
  else res.destroy();
}

/** Sends the response headers, then drops the connection once they are flushed. */
function headersThenDrop(res: ServerResponse): void {
  res.flushHeaders();
  const s = res.socket;
  if (!s) return void res.destroy();
  s.write(Buffer.alloc(0), () => s.destroy());
}

/**
 * Writes an SSE answer: headers, then the frames all at once (interval 0) or one per interval.
 * Stops and clears its timer when the client goes away.
 */
function writeSse(
  tc: TimerCount,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  parts: Buffer[],
  all: Buffer | null,
  intervalMs: number,
  firstDelayMs: number,
  destroyAfter: number | undefined,
): void {
  res.writeHead(status, headers);
  const limit = destroyAfter === undefined ? parts.length : Math.min(destroyAfter, parts.length);
  const drop = destroyAfter !== undefined;
  if (intervalMs <= 0 && firstDelayMs <= 0) {
    if (!drop) {
      res.end(all ?? Buffer.concat(parts));
      return;
    }
    const chunk = Buffer.concat(parts.slice(0, limit));
    if (chunk.length === 0) headersThenDrop(res);
    else res.write(chunk, () => destroySocket(res));
    return;
  }
  let i = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  res.once('close', () => {
    closed = true;
    if (timer) {
      clearTimeout(timer);
      tc.n--;
    }
    timer = null;
  });
  const schedule = (ms: number) => {
    tc.n++;
    timer = setTimeout(fire, ms);
  };
  const fire = () => {
    timer = null;
    tc.n--;
    step();
  };
  // writes the next frame (the first one carries the headers), then schedules the one after
  const step = () => {
    if (closed) return;
    if (drop && i >= limit) {
      if (i === 0) headersThenDrop(res);
      else destroySocket(res);
      return;
    }
    if (i >= parts.length) {
      res.end();
      return;
    }
    const part = parts[i++] as Buffer;
    if (drop && i >= limit) {
      res.write(part, () => destroySocket(res));
      return;
    }
    if (i >= parts.length) {
      res.end(part);
      return;
    }
    res.write(part);
    schedule(intervalMs);
  };
  if (firstDelayMs > 0) {
    res.flushHeaders();
    schedule(firstDelayMs);
  } else step();
}

export function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const record = opts.record ?? true;
  const defaultDeltas = opts.sseDeltas ?? 20;
  const defaultInterval = opts.sseIntervalMs ?? 0;
  const text = opts.text;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let total = 0;
  let handler: FakeHandler | null = null;
  const usage = new Map<string, FakeUsageAnswer>();
  let reqCounter = 0;
  let active = 0;
  const timers: TimerCount = { n: 0 };
  const reqIdPrefix = `req_fake${randomBytes(4).toString('hex')}`;

  const streamCache = new Map<string, StreamCacheEntry>();
  const jsonCache = new Map<string, Buffer>();

  function streamFor(model: string, deltas: number): StreamCacheEntry {
    const key = `${deltas}\u0000${model}`;
    let e = streamCache.get(key);
    if (!e) {
      const parts = messageStreamEvents({ model, deltas, text }).map(encodeSseEvent);
      e = { parts, all: Buffer.concat(parts) };
      if (streamCache.size >= MAX_CACHE) streamCache.clear();
      streamCache.set(key, e);
    }
    return e;
  }

  function jsonFor(model: string): Buffer {
    let b = jsonCache.get(model);
    if (!b) {
      b = Buffer.from(JSON.stringify(messageJson({ model, text })));
      if (jsonCache.size >= MAX_CACHE) jsonCache.clear();
      jsonCache.set(model, b);
    }
    return b;
  }

  function requestId(): string {
    reqCounter = (reqCounter + 1) >>> 0;
    return `${reqIdPrefix}${reqCounter.toString(36)}`;
  }

  function sendJsonBuffer(res: ServerResponse, status: number, buf: Buffer, extra?: Record<string, string>): void {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': buf.length,
      'request-id': requestId(),
    };
    if (extra) for (const k of Object.keys(extra)) headers[k.toLowerCase()] = extra[k] as string;
    headers['content-length'] = buf.length;
    res.writeHead(status, headers);
    res.end(buf);
  }

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    sendJsonBuffer(res, status, Buffer.from(JSON.stringify(body)));
  }

  function mergeHeaders(base: Record<string, string>, extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...base, 'request-id': requestId() };
    if (extra) for (const k of Object.keys(extra)) h[k.toLowerCase()] = extra[k] as string;
    return h;
  }

  function respondDefault(req: IncomingMessage, res: ServerResponse, url: string, rec: RecordedRequest): void {
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const method = req.method;
    if (method === 'POST' && path === '/v1/messages') {
      const json = rec.json;
      if (json === null || typeof json !== 'object') {
        sendJson(res, 400, errorBody('invalid_request_error', 'Request body must be a JSON object'));
        return;
      }
      const model = typeof json.model === 'string' ? json.model : DEFAULT_MODEL;
      const o = getOverride(req, url);
      const go = () => {
        if (json.stream === true) {
          const deltas = o?.deltas ?? defaultDeltas;
          const interval = o?.interval ?? defaultInterval;
          const e = streamFor(model, deltas);
          writeSse(timers, res, 200, mergeHeaders(SSE_HEADERS), e.parts, e.all, interval, o?.first ?? 0, undefined);
        } else {
          sendJsonBuffer(res, 200, jsonFor(model));
        }
      };
      if (o?.delay) later(timers, res, o.delay, go);
      else go();
      return;
    }
    if (method === 'POST' && path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(rec.body.length / 4)) });
      return;
    }
    if (method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        data: FAKE_MODELS,
        has_more: false,
        first_id: FAKE_MODELS[0]?.id ?? null,
        last_id: FAKE_MODELS[FAKE_MODELS.length - 1]?.id ?? null,
      });
      return;
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const m = FAKE_MODELS.find((x) => x.id === id);
      if (m) sendJson(res, 200, m);
      else sendJson(res, 404, errorBody('not_found_error', `model: ${id}`));
      return;
    }
    if (method === 'POST' && path === '/api/oauth/claude_cli/create_api_key') {
      sendJson(res, 200, { raw_key: `sk-ant-api03-fake${randomBytes(24).toString('base64url')}` });
      return;
    }
    if (method === 'GET' && path === '/api/oauth/usage') {
      const auth = req.headers.authorization;
      const beta = String(req.headers['anthropic-beta'] ?? '');
      if (auth === undefined || !auth.startsWith('Bearer ') || !beta.split(',').some((b) => b.trim() === OAUTH_BETA)) {
        sendJson(res, 401, errorBody('authentication_error', 'OAuth authentication is currently not supported.'));
        return;
      }
      const a = usage.get(auth.slice('Bearer '.length));
      if (a === undefined)
        sendJson(res, 200, usageBody({ utilization: 0, resetsAt: null }, { utilization: 0, resetsAt: null }));
      else if ('kind' in a) destroySocket(res);
      else if ('status' in a)
        sendJsonBuffer(
          res,
          a.status,
          Buffer.from(JSON.stringify(a.body ?? errorBody('error', `usage answered ${a.status}`))),
          a.headers,
        );
      else sendJson(res, 200, a.body);
      return;
    }
    sendJson(res, 404, errorBody('not_found_error', `Not found: ${method} ${path}`));
  }

  function respondWith(res: ServerResponse, r: FakeResponse): void {
    switch (r.kind) {
      case 'hang':
        return;
      case 'reset':
        destroySocket(res);
        return;
      case 'json': {
        const go = () => sendJsonBuffer(res, r.status ?? 200, Buffer.from(JSON.stringify(r.body)), r.headers);
        if (r.delayMs) later(timers, res, r.delayMs, go);
        else go();
        return;
      }
      case 'raw': {
        const go = () => {
          res.statusCode = r.status;
          const h = mergeHeaders({}, r.headers);
          for (const k of Object.keys(h)) res.setHeader(k, h[k] as string);
          res.end(r.body);
        };
        if (r.delayMs) later(timers, res, r.delayMs, go);
        else go();
        return;
      }
      case 'sse': {
        const go = () =>
          writeSse(
            timers,
            res,
            r.status ?? 200,
            mergeHeaders(SSE_HEADERS, r.headers),
            r.events.map(encodeSseEvent),
            null,
            r.intervalMs ?? 0,
            r.firstDelayMs ?? 0,
            r.destroyAfterEvents,
          );
        if (r.delayMs) later(timers, res, r.delayMs, go);
        else go();
        return;
      }
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    active++;
    res.once('close', () => active--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const url = req.url ?? '/';
      const body =
        chunks.length === 0
          ? ''
          : chunks.length === 1
            ? (chunks[0] as Buffer).toString()
            : Buffer.concat(chunks).toString();
      let json: unknown = null;
      if (body.length > 0) {
        try {
          json = JSON.parse(body);
        } catch {
          json = null;
        }
      }
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url,
        headers: req.headers,
        body,
        json,
        receivedAt: Date.now(),
      };
      if (record) requests.push(rec);
      const h = handler;
      if (!h) {
        respondDefault(req, res, url, rec);
        return;
      }
      const fail = (err: unknown) => {
        if (!res.headersSent && !res.destroyed)
          sendJson(res, 500, errorBody('api_error', `fake upstream handler threw: ${String(err)}`));
      };
      let out: FakeResponse | Promise<FakeResponse | undefined> | undefined;
      try {
        out = h(rec);
      } catch (err) {
        fail(err);
        return;
      }
      if (out === undefined) respondDefault(req, res, url, rec);
      else if (typeof (out as Promise<FakeResponse | undefined>).then === 'function') {
        (out as Promise<FakeResponse | undefined>).then((r) => {
          if (res.destroyed) return;
          if (r === undefined) respondDefault(req, res, url, rec);
          else respondWith(res, r);
        }, fail);
      } else respondWith(res, out as FakeResponse);
    });
  }

  const server: Server = createServer({ keepAlive: true, noDelay: true }, onRequest);
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.on('connection', (s: Socket) => {
    total++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const fake: FakeUpstream = {
        url: `http://127.0.0.1:${port}`,
        port,
        requests,
        setHandler(h) {
          handler = h;
        },
        setUsage(token, answer) {
          if (answer === null) usage.delete(token);
          else usage.set(token, answer);
        },
        openConnections: () => sockets.size,
        activeResponses: () => active,
        pendingTimers: () => timers.n,
        totalConnections: () => total,
        reset() {
          requests.length = 0;
          handler = null;
          usage.clear();
        },
        close() {
          return new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
            server.closeAllConnections();
          });
        },
      };
      resolve(fake);
    });
  });
}
