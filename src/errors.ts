/**
 * The one error type of the gateway. Every failure the gateway itself produces is a
 * GatewayError; `toErrorResponse` is the single place that maps it to an HTTP answer in
 * Anthropic's error shape ({"type":"error","error":{"type","message"}}), so clients such as
 * the official SDK and Claude Code parse it like an upstream error.
 */
import type { ServerResponse } from 'node:http';

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'no_account'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'deadline_exceeded'
  | 'config_invalid'
  | 'oauth_failed'
  | 'needs_reauth'
  | 'shutting_down'
  | 'feature_unavailable'
  | 'internal';

/** Anthropic error types (https://docs.anthropic.com/en/api/errors). */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

const DEFAULTS: Record<ErrorCode, { status: number; retryable: boolean; type: AnthropicErrorType }> = {
  bad_request: { status: 400, retryable: false, type: 'invalid_request_error' },
  unauthorized: { status: 401, retryable: false, type: 'authentication_error' },
  forbidden: { status: 403, retryable: false, type: 'permission_error' },
  not_found: { status: 404, retryable: false, type: 'not_found_error' },
  method_not_allowed: { status: 405, retryable: false, type: 'invalid_request_error' },
  conflict: { status: 409, retryable: false, type: 'invalid_request_error' },
  payload_too_large: { status: 413, retryable: false, type: 'request_too_large' },
  // A client key over one of its limits (auth/key-limits.ts), with retry-after.
  rate_limited: { status: 429, retryable: true, type: 'rate_limit_error' },
  unsupported_media_type: { status: 415, retryable: false, type: 'invalid_request_error' },
  no_account: { status: 503, retryable: true, type: 'overloaded_error' },
  upstream_unreachable: { status: 502, retryable: true, type: 'api_error' },
  upstream_timeout: { status: 504, retryable: true, type: 'api_error' },
  deadline_exceeded: { status: 504, retryable: true, type: 'api_error' },
  config_invalid: { status: 500, retryable: false, type: 'api_error' },
  oauth_failed: { status: 502, retryable: false, type: 'api_error' },
  needs_reauth: { status: 401, retryable: false, type: 'authentication_error' },
  // overloaded_error: a transient refusal the SDK and Claude Code retry, as they do Anthropic's 529.
  shutting_down: { status: 503, retryable: true, type: 'overloaded_error' },
  // An optional package a feature needs is not installed (the Agent SDK for workers); the message says how to add it.
  feature_unavailable: { status: 501, retryable: false, type: 'api_error' },
  internal: { status: 500, retryable: false, type: 'api_error' },
};

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly anthropicType: AnthropicErrorType;
  /** Extra response headers (e.g. retry-after on 503 no_account). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { status?: number; retryable?: boolean; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    const d = DEFAULTS[code];
    this.code = code;
    this.status = opts.status ?? d.status;
    this.retryable = opts.retryable ?? d.retryable;
    this.anthropicType = d.type;
    this.headers = opts.headers ?? {};
  }
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { type: 'error'; error: { type: AnthropicErrorType; message: string } };
}

export function toErrorResponse(err: unknown): ErrorResponse {
  const e = err instanceof GatewayError ? err : new GatewayError('internal', 'Internal gateway error');
  return {
    status: e.status,
    headers: {
      'content-type': 'application/json',
      // The SDK obeys x-should-retry before any status rule (protocol.md section 3).
      'x-should-retry': e.retryable ? 'true' : 'false',
      ...e.headers,
    },
    body: { type: 'error', error: { type: e.anthropicType, message: e.message } },
  };
}

/** Writes the gateway's error answer for `err` on a node response (the proxy's /v1 paths and the server's own routes). */
export function writeErrorResponse(res: ServerResponse, err: unknown): void {
  const r = toErrorResponse(err);
  const text = JSON.stringify(r.body);
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
