/**
 * The gateway's logger (pino) with secrets redacted at any depth of a logged object.
 *
 * Redaction is a key-name walk run as pino's `formatters.log` / `formatters.bindings` hooks
 * (https://getpino.io/#/docs/api?id=formatters-object) rather than pino's `redact` paths: paths
 * cannot express "any depth", and wildcard paths (`*.authorization`, `*.*.authorization`, ...)
 * are applied to every top-level value — measured here at 70-170 us per log call for six
 * levels, against about 2 us for this walk. The walk copies on write, so the caller's object
 * is never modified. Message strings are not scanned: never interpolate a secret into a message.
 */
import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
  pino,
} from 'pino';

export type { Logger };

export const REDACTED = '[redacted]';

/** Keys (compared lower-cased) whose values are secrets wherever they appear in a logged object. */
export const SECRET_LOG_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'apikey',
  'api_key',
  'adminkey',
  'admin_key',
  'x-ccflare-admin-key',
  // Single-use SSE tickets stand in for the admin key while they live.
  'ticket',
  'accesstoken',
  'access_token',
  'refreshtoken',
  'refresh_token',
  'id_token',
  'code_verifier',
  'verifier',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'secretkey',
  'secret_key',
  'raw_key',
]);

/** Nesting beyond this is replaced wholesale: nothing below it can leak. */
const MAX_DEPTH = 32;

function isSecretKey(key: string): boolean {
  return SECRET_LOG_KEYS.has(key) || SECRET_LOG_KEYS.has(key.toLowerCase());
}

/**
 * A copy of `value` with the values of secret keys replaced by '[redacted]' at every depth.
 * Returns `value` itself when nothing needed redacting.
 */
export function redactDeep(value: unknown): unknown {
  return scrub(value, 0, []);
}

function scrub(value: unknown, depth: number, ancestors: object[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < value.length; i++) {
        const v = scrub(value[i], depth + 1, ancestors);
        if (v !== value[i]) {
          out ??= value.slice();
          out[i] = v;
        }
      }
      return out ?? value;
    }
    if (value instanceof Error) return scrubError(value, depth, ancestors);
    // Dates, Buffers, URLs...: serialized through toJSON, which carries no keyed fields.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    let out: Record<string, unknown> | null = null;
    const src = value as Record<string, unknown>;
    for (const key of Object.keys(src)) {
      const v = src[key];
      const next = v !== undefined && v !== null && isSecretKey(key) ? REDACTED : scrub(v, depth + 1, ancestors);
      if (next !== v) {
        out ??= { ...src };
        out[key] = next;
      }
    }
    return out ?? value;
  } finally {
    ancestors.pop();
  }
}

/** Errors keep their prototype, message and stack so pino's `err` serializer still applies. */
function scrubError(err: Error, depth: number, ancestors: object[]): Error {
  let changed = false;
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(err)) {
    const v = (err as unknown as Record<string, unknown>)[key];
    const next = v !== undefined && v !== null && isSecretKey(key) ? REDACTED : scrub(v, depth + 1, ancestors);
    if (next !== v) changed = true;
    fields[key] = next;
  }
  const cause = err.cause === undefined ? undefined : scrub(err.cause, depth + 1, ancestors);
  if (cause !== err.cause) changed = true;
  if (!changed) return err;
  const copy = Object.create(Object.getPrototypeOf(err)) as Error;
  Object.defineProperty(copy, 'message', { value: err.message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: err.stack, writable: true, configurable: true });
  if (cause !== undefined) Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true });
  return Object.assign(copy, fields);
}

export interface LoggerOpts {
  level: string;
  format: 'pretty' | 'json';
  /**
   * Stream or file descriptor; default 2 (stderr), so CLI commands that print data to stdout
   * stay machine-readable.
   */
  destination?: NodeJS.WritableStream | number;
  /** Also receives every JSON line, after redaction and before pretty-printing (live log events). */
  onLine?: (line: string) => void;
}

export function createLogger(opts: LoggerOpts): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
  };
  const dest = opts.destination ?? 2;
  const stream = opts.format === 'pretty' ? prettyStream(dest) : jsonStream(dest);
  const logger = pino(options, opts.onLine ? teeStream(stream, opts.onLine) : stream);
  // pino applies `formatters.bindings` to the root only (children reset it, lib/proto.js), so
  // child bindings are scrubbed here; children inherit these methods through the prototype.
  const child = logger.child as unknown as (this: Logger, b: Bindings, o?: ChildLoggerOptions) => Logger;
  const setBindings = logger.setBindings;
  logger.child = function (this: Logger, bindings: Bindings, childOpts?: ChildLoggerOptions) {
    return child.call(this, redactDeep(bindings) as Bindings, childOpts);
  } as unknown as Logger['child'];
  logger.setBindings = function (this: Logger, bindings: Bindings) {
    setBindings.call(this, redactDeep(bindings) as Bindings);
  };
  return logger;
}

function jsonStream(dest: NodeJS.WritableStream | number): DestinationStream {
  return typeof dest === 'number' ? fdStream(dest) : dest;
}

/**
 * Synchronous writes to a file descriptor: a crash or process.exit never loses the lines that
 * explain it. When the descriptor fails (its terminal closed: EIO after SIGHUP; a closed pipe:
 * EPIPE), later lines are dropped there instead of failing the logging call, so a gateway whose
 * terminal closed still shuts down gracefully and logs to its log file and live stream.
 */
function fdStream(dest: number): DestinationStream {
  const out = pino.destination({ dest, sync: true });
  let failed = false;
  out.on('error', () => {
    failed = true;
  });
  return {
    write(line: string) {
      if (!failed) out.write(line);
    },
    flush(cb?: (err?: Error) => void) {
      if (failed) cb?.();
      else out.flush(cb);
    },
  } as DestinationStream;
}

/**
 * pino-pretty's prettifier run in-line on each line rather than as a transport: no worker
 * thread, and output is written before `logger.info()` returns.
 */
function prettyStream(dest: NodeJS.WritableStream | number): DestinationStream {
  // Loaded only for the pretty format, not by every command (cli/startup.test.ts).
  const { isColorSupported, prettyFactory } = createRequire(import.meta.url)(
    'pino-pretty',
  ) as typeof import('pino-pretty');
  const tty = typeof dest === 'number' ? isatty(dest) : (dest as { isTTY?: boolean }).isTTY === true;
  const pretty = prettyFactory({
    colorize: tty && isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  const out: DestinationStream = typeof dest === 'number' ? fdStream(dest) : dest;
  return {
    write(line: string) {
      out.write(pretty(line));
    },
  };
}

function teeStream(out: DestinationStream, onLine: (line: string) => void): DestinationStream {
  const flushable = out as DestinationStream & { flush?: (cb?: (err?: Error) => void) => void };
  return {
    write(line: string) {
      out.write(line);
      try {
        onLine(line);
      } catch {
        // A failing subscriber must never break logging.
      }
    },
    ...(typeof flushable.flush === 'function' ? { flush: (cb?: (err?: Error) => void) => flushable.flush?.(cb) } : {}),
  } as DestinationStream;
}

/**
 * The rule for names a client or upstream chooses (header names, query parameters): the secret
 * keys above, or any name containing one of these words. Logged objects use the exact keys only:
 * their own field names (`input_tokens`, `tokens`) would match the words.
 */
const SECRET_NAME_PATTERN = /token|secret|key|passw|credential|cookie|auth|signature|(?:^|[^a-z])sig(?:$|[^a-z])/;
/**
 * Names that match the pattern but carry no secret: Anthropic's protocol and rate-limit
 * headers (e.g. `anthropic-ratelimit-tokens-remaining`, protocol.md sections 1 and 3), the SDK's
 * `x-stainless-*` telemetry, and `idempotency-key`.
 */
const PUBLIC_NAME_PREFIXES = ['anthropic-ratelimit-', 'x-stainless-'];
const PUBLIC_NAMES = new Set(['anthropic-version', 'anthropic-beta', 'idempotency-key']);

/** Whether a header or query parameter of this name (any case) is never stored or logged in clear. */
export function isSecretName(name: string): boolean {
  const n = name.toLowerCase();
  if (SECRET_LOG_KEYS.has(n)) return true;
  if (PUBLIC_NAMES.has(n) || PUBLIC_NAME_PREFIXES.some((p) => n.startsWith(p))) return false;
  return SECRET_NAME_PATTERN.test(n);
}

/**
 * isSecretName, remembered: every proxied request's headers (and query) are redacted for its
 * record, and the same few dozen names come back each time. Bounded, since clients choose names.
 */
const secretByName = new Map<string, boolean>();
function isSecretNameCached(name: string): boolean {
  let secret = secretByName.get(name);
  if (secret === undefined) {
    secret = isSecretName(name);
    if (secretByName.size < 1024) secretByName.set(name, secret);
  }
  return secret;
}

/** A copy of `h` with the values of secret headers replaced by '[redacted]'; keys keep their case. */
export function redactHeaders(h: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in h) {
    const v = h[k];
    out[k] = v !== undefined && isSecretNameCached(k) ? REDACTED : v;
  }
  return out;
}

/** Per header name: its JSON key with the colon (`"name":`), and whether its value is a secret. */
const keyJsonByName = new Map<string, { key: string; secret: boolean }>();

/**
 * `JSON.stringify(redactHeaders(h))`, written out directly: no copy of the headers object, each
 * name's JSON key (and whether it is a secret) looked up once per name. Stored with every
 * captured request, twice (request and response headers). Measured on the 2-core VM with
 * Claude Code's 23 request headers and an Anthropic SSE answer's 23 response headers, flattened:
 * 8.4-8.9 µs per request before, 5.6-5.9 µs with this (logger.test.ts checks the output is the same).
 */
export function redactedHeadersJson(h: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    let e = keyJsonByName.get(k);
    if (e === undefined) {
      e = { key: `${JSON.stringify(k)}:`, secret: isSecretNameCached(k) };
      // bounded: header names come from clients and upstreams
      if (keyJsonByName.size < 1024) keyJsonByName.set(k, e);
    }
    let value: string | undefined;
    if (e.secret) value = REDACTED_JSON;
    else {
      value = JSON.stringify(v);
      // what JSON.stringify leaves out of an object (functions, symbols): never in real headers
      if (value === undefined) continue;
    }
    out += first ? e.key + value : `,${e.key}${value}`;
    first = false;
  }
  return `${out}}`;
}
const REDACTED_JSON = JSON.stringify(REDACTED);
type StoredHeaders = Record<string, string | string[]>;

/**
 * Stored headers (JSON text) for the API and exports: redacted again on the way out, so a row
 * written before a redaction rule existed still never shows a credential. null stays null;
 * anything but a JSON object reads as no headers.
 */
export function headersOut(json: string | null): StoredHeaders | null {
  if (json === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const out: StoredHeaders = {};
  for (const [k, v] of Object.entries(redactHeaders(parsed as Record<string, unknown>))) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

/**
 * A request target with the values of secret query parameters (`?api_key=…`, `&x_token=…`)
 * replaced by '[redacted]', for the stored record and live events; the upstream gets the target
 * unchanged. Returns `target` itself when there is nothing to redact: a target without `?` (most
 * of Claude Code's traffic but `?beta=true`) costs one indexOf. Measured per call (Node 20, a
 * loop over dist/, 2 shared cores): 18 ns without a query, 75 ns for `?beta=true`, 270 ns for
 * `?limit=20&api_key=…&beta=true`; the request itself costs tens of µs.
 */
export function redactQuery(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  // Built only once a value is redacted: `target` up to `copied`, with the redactions.
  let out: string | null = null;
  let copied = 0;
  let start = q + 1;
  while (start < target.length) {
    let end = target.indexOf('&', start);
    if (end === -1) end = target.length;
    const eq = target.indexOf('=', start);
    // eq < end - 1: this parameter has `=` and a non-empty value.
    if (eq !== -1 && eq < end - 1 && isSecretNameCached(paramName(target.slice(start, eq)))) {
      out = `${out ?? ''}${target.slice(copied, eq + 1)}${REDACTED}`;
      copied = end;
    }
    start = end + 1;
  }
  return out === null ? target : out + target.slice(copied);
}

/** A query parameter's name as the server reads it (`api%5Fkey` is `api_key`). */
function paramName(raw: string): string {
  if (raw.indexOf('%') === -1 && raw.indexOf('+') === -1) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
