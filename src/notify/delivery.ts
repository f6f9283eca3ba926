/**
 * One delivery attempt to a webhook or Slack channel: the body each kind gets, the optional
 * HMAC-SHA256 signature, a timeout and a cap on what is read back. The URL is a secret (a Slack
 * URL carries its token) and never appears in an error or log line.
 */
import { createHmac } from 'node:crypto';
import type { NotifyEvent } from './notify-event.js';

/** How long one attempt may take, headers and body (an admin-configured URL may hang). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Bytes of a response read for the delivery log; the rest is discarded unread. */
export const RESPONSE_CAP = 2048;
export const SIGNATURE_HEADER = 'x-ccflare-signature';

export interface Target {
  kind: 'webhook' | 'slack';
  url: string;
  /** HMAC secret (webhook only). */
  secret: string | null;
}

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  /** Null when ok. */
  error: string | null;
}

/** The generic webhook's JSON: the event as is. */
export function webhookBody(ev: NotifyEvent, deliveryId: string): string {
  return JSON.stringify({
    delivery: deliveryId,
    id: ev.id,
    type: ev.type,
    subject: ev.subject,
    severity: ev.severity,
    title: ev.title,
    text: ev.text,
    at: new Date(ev.at).toISOString(),
    fields: ev.fields,
  });
}

const SEVERITY_EMOJI = { info: ':large_green_circle:', warning: ':warning:', critical: ':red_circle:' } as const;

/** Slack's mrkdwn escapes (https://api.slack.com/reference/surfaces/formatting#escaping). */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack incoming webhook: `text` as the notification fallback, blocks for the message itself. */
export function slackBody(ev: NotifyEvent): string {
  const fields = Object.entries(ev.fields)
    .filter(([, v]) => v !== null && v !== '')
    .slice(0, 10)
    .map(([k, v]) => ({ type: 'mrkdwn', text: `*${esc(k)}*\n${esc(String(v))}` }));
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: ev.title.slice(0, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: `${SEVERITY_EMOJI[ev.severity]} ${esc(ev.text)}` } },
  ];
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `ccflare · \`${esc(ev.type)}\` · ${new Date(ev.at).toISOString()}` }],
  });
  return JSON.stringify({ text: `${ev.title}: ${ev.text}`, blocks });
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_CAP) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_CAP).toString('utf8');
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    // fetch's own message is "fetch failed"; the cause says why (ECONNREFUSED…), without the URL.
    if (cause?.code) return `${err.message}: ${cause.code}`;
    return err.message;
  }
  return String(err);
}

export async function attempt(
  target: Target,
  ev: NotifyEvent,
  deliveryId: string,
  timeoutMs = DELIVERY_TIMEOUT_MS,
): Promise<AttemptResult> {
  const body = target.kind === 'slack' ? slackBody(ev) : webhookBody(ev, deliveryId);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ccflare-notify',
    'x-ccflare-event': ev.type,
    'x-ccflare-delivery': deliveryId,
  };
  if (target.kind === 'webhook' && target.secret !== null) headers[SIGNATURE_HEADER] = signature(target.secret, body);
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers,
      body,
      // A redirect is a failure: following it would send the event somewhere nobody configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readCapped(res);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
    const snippet = maskUrls(text.replace(/\s+/g, ' ').trim()).slice(0, 200);
    return { ok: false, status: res.status, error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}` };
  } catch (err) {
    return { ok: false, status: null, error: maskUrls(describe(err)) };
  }
}

/** `https://hooks.slack.com/services/T0/B0/secret` → `https://hooks.slack.com/••••`: only the origin is shown. */
/**
 * Every URL in an error text masked as `maskUrl` does: the error is stored and shown by
 * `notify list` and the dashboard, while a channel's URL is a secret (stored encrypted).
 */
export function maskUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (u) => maskUrl(u));
}

export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/••••`;
  } catch {
    return '••••';
  }
}
