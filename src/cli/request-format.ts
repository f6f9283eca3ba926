/**
 * One request as terminal text, for `ccflare requests show <id>`: what happened to it (status,
 * error, account and attempts, model, agent, tokens, cost, timing), where it sits in its
 * conversation, and, with `bodies`, its stored headers and bodies as they crossed the wire
 * (credentials redacted: api/request-view.ts).
 */
import { describeMoves, servedBy } from '../shared/attempts.js';
import type { RequestDetail } from '../shared/requests-schemas.js';
import { formatTokenBreakdown, formatTokensInOut, tokenKinds } from '../shared/tokens.js';
import { formatTime } from './format.js';
import { endpointOf, formatBytes, formatMs, formatUsd } from './report-format.js';

function headersText(h: Record<string, string | string[]> | null): string {
  if (h === null) return '(none stored)';
  const lines = Object.entries(h).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
  return lines.length === 0 ? '(none)' : lines.join('\n');
}

/** A JSON body indented for reading (an SSE stream, a cut body or other text as stored). */
export function bodyText(body: string | null, truncated: boolean): string {
  if (body === null) return '(none)';
  if (truncated) return `${body}\n(cut at the payload size cap: the rest was not stored)`;
  const first = body.trimStart()[0];
  if (first !== '{' && first !== '[') return body;
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/**
 * What happened to one request, a line per heading, without its payload: the CLI's `requests show`
 * and the TUI's request view print these same lines. The second line holds the status.
 */
export function requestDetailLines(d: RequestDetail, now: number): string[] {
  const when = `${formatTime(d.ts, now)} (${new Date(d.ts).toISOString()})`;
  const model =
    d.modelApplied !== null && d.modelRequested !== null && d.modelApplied !== d.modelRequested
      ? `${d.modelApplied} (requested ${d.modelRequested}${d.modelFallback ? ', fallback' : ''})`
      : (d.modelApplied ?? d.modelRequested ?? '-');
  const moves = describeMoves(d);
  const t = tokenKinds(d);
  const timing = [`latency ${formatMs(d.latencyMs)}`];
  if (d.ttftMs !== null) timing.push(`first ${d.stream ? 'token' : 'byte'} ${formatMs(d.ttftMs)}`);
  if (d.outputTokensPerSecond !== null) timing.push(`${d.outputTokensPerSecond} tokens/s`);
  const lines = [
    `Request ${d.id}`,
    `${endpointOf(d)} · ${d.status ?? 'no status'} ${d.success ? 'ok' : 'failed'}${d.stream ? ' · stream' : ''} · ${when}`,
  ];
  if (d.error !== null) lines.push(`Error     ${d.error}`);
  lines.push(
    `Account   ${servedBy(d)}${moves === '' ? '' : ` (${moves})`}${d.routeReason ? ` · ${d.routeReason}` : ''}`,
    `Model     ${model}${d.stopReason ? ` · stop ${d.stopReason}` : ''}`,
    `Tokens    ${t === null ? '-' : `${formatTokensInOut(t)} (${formatTokenBreakdown(t)})`} · ${formatUsd(d.costUsd)}`,
    `Timing    ${timing.join(' · ')}`,
  );
  const who = [
    d.agent === null ? null : `agent ${d.agent}${d.agentInstance ? ` (${d.agentInstance})` : ''}`,
    d.sessionId === null ? null : `session ${d.sessionId}`,
    d.clientKey === null ? null : `key ${d.clientKey}`,
  ].filter((x) => x !== null);
  if (who.length > 0) lines.push(`Client    ${who.join(' · ')}`);
  if (d.conversationId !== null) {
    lines.push(
      `In        conversation ${d.conversationId}, branch ${d.branch ?? '-'} (ccflare conversations show ${d.conversationId})`,
    );
  }
  if (d.attemptLog.length > 1 || !d.success) {
    lines.push('Attempts');
    d.attemptLog.forEach((a, i) => {
      lines.push(
        `  ${i + 1}. ${a.account ?? '(no account)'} ${a.status ?? '-'} ${formatMs(a.ms)}${a.error ? ` ${a.error}` : ''}`,
      );
    });
  }
  return lines;
}

/** The payload line of a request whose bodies are not stored. */
export const PAYLOAD_NOT_STORED = 'Payload   not stored (capture off, or past payload retention)';

export function renderRequestDetail(d: RequestDetail, now: number, opts: { bodies: boolean }): string {
  const lines = requestDetailLines(d, now);
  const p = d.payload;
  if (p === null) {
    lines.push(PAYLOAD_NOT_STORED);
  } else if (!opts.bodies) {
    const size = (s: string | null) => (s === null ? 'none' : formatBytes(Buffer.byteLength(s)));
    lines.push(`Payload   request ${size(p.requestBody)}, response ${size(p.responseBody)} (--bodies prints them)`);
  } else {
    lines.push(
      '',
      '--- request headers',
      headersText(p.requestHeaders),
      '--- request body',
      bodyText(p.requestBody, p.requestTruncated),
      '--- response headers',
      headersText(p.responseHeaders),
      '--- response body',
      bodyText(p.responseBody, p.responseTruncated),
    );
  }
  return `${lines.join('\n')}\n`;
}
