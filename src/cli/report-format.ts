/** Plain-text rendering of the reporting commands (stats, requests, logs, analyze). */

import { describeMoves, servedBy } from '../shared/attempts.js';
import { costUnknown, formatTokenBreakdown, formatTokensInOut, tokenKinds } from '../shared/tokens.js';
import type {
  AccountPerf,
  AgentPerf,
  AnalyticsRange,
  AnalyticsResult,
  PerfSummary,
  StatsResult,
  UnpricedUse,
} from '../storage/contract/analytics.js';
import type { DatabaseReport } from '../storage/contract/maintenance.js';
import type { RequestSummary } from '../storage/contract/requests.js';
import { formatTime, renderTable } from './format.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function plural(n: number, word: string): string {
  return `${formatInt(n)} ${word}${n === 1 ? '' : 's'}`;
}

export function formatUsd(n: number | null): string {
  if (n === null) return '-';
  return `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)}`;
}

export function formatRate(r: number | null): string {
  return r === null ? '-' : `${(r * 100).toFixed(1)}%`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

const ACCOUNT_COLUMNS = ['ACCOUNT', 'REQUESTS', 'ERRORS', 'SUCCESS', 'AVG LATENCY', 'TOKENS', 'COST'];

/** An account's figures in `stats` (all history, or a --range window): ACCOUNT_COLUMNS. */
function accountCells(a: AccountPerf, exists: boolean): string[] {
  return [
    accountLabel(a.accountId, a.name, exists),
    formatInt(a.requests),
    formatInt(a.errors),
    formatRate(a.successRate),
    formatMs(a.avgLatencyMs),
    formatInt(a.tokens.total),
    formatUsd(a.costUsd),
  ];
}

/**
 * What a cost total leaves out: '' when every request was priced, else e.g. ` + 3 requests of
 * claude-haiku-5-5 without a price`. Their cost is unknown (protocol.md section 6), not 0.
 */
export function unpricedNote(u: UnpricedUse): string {
  if (u.requests === 0) return '';
  const models =
    u.models.length === 0 ? '' : ` of ${u.models.slice(0, 3).join(', ')}${u.models.length > 3 ? ', …' : ''}`;
  return ` + ${plural(u.requests, 'request')}${models} without a price`;
}

/** The summary lines of `stats`: requests (with `tail` after them), latency, tokens, cost. */
function summaryLines(t: PerfSummary, unpriced: UnpricedUse, tail: string, costTail = ''): string[] {
  return [
    `Requests  ${formatInt(t.requests)} (${formatInt(t.successes)} ok, ${plural(t.errors, 'error')}, ${formatRate(t.successRate)} success)${tail}`,
    `Latency   avg ${formatMs(t.avgLatencyMs)}, p95 ${formatMs(t.p95LatencyMs)}, first token ${formatMs(t.avgTtftMs)}`,
    `Tokens    ${formatTokensInOut(t.tokens)} (${formatTokenBreakdown(t.tokens)}); cache hit ${formatRate(t.cacheHitRate)}`,
    `Cost      ${formatUsd(t.costUsd)}${unpricedNote(unpriced)}${costTail}; failovers ${formatInt(t.failovers)}`,
  ];
}

export function renderStats(s: StatsResult, now: number, width: number | null = null): string {
  const t = s.totals;
  if (t.requests === 0 && s.accounts.length === 0) return 'No requests recorded yet, and no accounts.\n';
  const lines = summaryLines(t, s.unpriced, s.since === null ? '' : ` since ${formatTime(s.since, now)}`);
  let out = `${lines.join('\n')}\n`;
  if (s.accounts.length > 0) {
    const rows = s.accounts.map((a) => [
      ...accountCells(a, a.exists),
      a.requestCount === null ? '-' : `${a.requestCount}/${a.sessionRequestCount ?? 0}`,
      formatTime(a.lastUsedAt, now),
    ]);
    out += `\n${renderTable([...ACCOUNT_COLUMNS, 'COUNTERS', 'LAST USED'], rows, { width })}`;
  }
  // Left out until requests are attributed: a lone "(no agent)" row says nothing.
  if (s.agents.some((a) => a.agent !== null)) {
    out += `\n${renderAgents(s.agents, width)}`;
  }
  if (s.recentErrors.length > 0) {
    const removed = new Set(s.accounts.filter((a) => !a.exists).map((a) => a.accountId));
    const rows = s.recentErrors.map((e) => [
      formatTime(e.ts, now),
      accountLabel(e.accountId, e.accountName, e.accountId === null || !removed.has(e.accountId)),
      e.model ?? '-',
      e.status === null ? '-' : String(e.status),
      e.error ?? '-',
    ]);
    out += `\nRecent errors\n${renderTable(['TIME', 'ACCOUNT', 'MODEL', 'STATUS', 'ERROR'], rows, { width, shrink: [2, 4] })}`;
  }
  return out;
}

/** What requests attributed to no agent are listed as. */
export const NO_AGENT = '(no agent)';

/** The per-agent table of `stats`: the agent's name (main, subagent or a sub-agent's), its figures. */
export function renderAgents(agents: readonly AgentPerf[], width: number | null = null): string {
  const rows = agents.map((a) => [
    a.agent ?? NO_AGENT,
    formatInt(a.requests),
    formatInt(a.errors),
    formatRate(a.successRate),
    formatMs(a.avgLatencyMs),
    formatMs(a.p50LatencyMs),
    formatMs(a.p95LatencyMs),
    formatInt(a.tokens.total),
    formatUsd(a.costUsd),
  ]);
  return renderTable(['AGENT', 'REQUESTS', 'ERRORS', 'SUCCESS', 'AVG LATENCY', 'P50', 'P95', 'TOKENS', 'COST'], rows, {
    width,
    shrink: [0],
  });
}

const RANGE_WORDS: Readonly<Record<AnalyticsRange, string>> = {
  '1h': 'hour',
  '6h': '6 hours',
  '24h': '24 hours',
  '7d': '7 days',
  '30d': '30 days',
};

/** `stats --range`: the window's totals against the window before it, then per account, model and agent. */
export function renderRangeStats(a: AnalyticsResult, now: number, width: number | null = null): string {
  const words = RANGE_WORDS[a.range];
  const before = a.previous.totals;
  if (a.totals.requests === 0) {
    return `No requests in the last ${words}; the ${words} before: ${formatInt(before.requests)}.\n`;
  }
  const f = a.filters;
  const only = [
    f.accounts.length > 0 ? `accounts ${f.accounts.join(', ')}` : null,
    f.models.length > 0 ? `models ${f.models.join(', ')}` : null,
    f.agents.length > 0 ? `agents ${f.agents.join(', ')}` : null,
  ].filter((x) => x !== null);
  const lines = [
    `Last ${words} (from ${formatTime(a.from, now)})${only.length > 0 ? `, only ${only.join('; ')}` : ''}`,
    ...summaryLines(
      a.totals,
      a.unpriced,
      `; the ${words} before: ${formatInt(before.requests)}`,
      ` (the ${words} before: ${formatUsd(before.costUsd)})`,
    ),
  ];
  let out = `${lines.join('\n')}\n`;
  if (a.accounts.length > 0) {
    out += `\n${renderTable(
      ACCOUNT_COLUMNS,
      a.accounts.map((x) => accountCells(x, true)),
      { width },
    )}`;
  }
  if (a.models.length > 0) {
    const rows = a.models.map((m) => [
      m.model ?? '-',
      formatInt(m.requests),
      formatInt(m.errors),
      formatMs(m.avgLatencyMs),
      formatInt(m.tokens.total),
      // No price known: its cost is unknown, not $0.00.
      costUnknown(m) ? 'no price' : formatUsd(m.costUsd),
    ]);
    out += `\n${renderTable(['MODEL', 'REQUESTS', 'ERRORS', 'AVG LATENCY', 'TOKENS', 'COST'], rows, { width, shrink: [0] })}`;
  }
  if (a.agents.some((x) => x.agent !== null)) out += `\n${renderAgents(a.agents, width)}`;
  return out;
}

/** What a request served by no account is listed as (a 503 before any account was chosen). */
export const NO_ACCOUNT = '(no account)';

/**
 * The account column: "(removed)" only when the record names an account that no longer exists;
 * requests that never reached an account are not history of a removed one.
 */
export function accountLabel(accountId: string | null, name: string | null, exists = true): string {
  if (accountId === null) return name ?? NO_ACCOUNT;
  return `${name ?? accountId}${exists ? '' : ' (removed)'}`;
}

/** `POST /v1/messages`: the query string (Claude Code's `?beta=true`) is left out. */
export function endpointOf(r: Pick<RequestSummary, 'method' | 'path'>): string {
  const q = r.path.indexOf('?');
  return `${r.method} ${q === -1 ? r.path : r.path.slice(0, q)}`;
}

/** The serving account (or, for a request no account served, the ones it tried); then its retries and failovers. */
function accountCell(r: RequestSummary, accountIds: ReadonlySet<string> | null): string {
  const who =
    r.accountId === null
      ? servedBy(r, NO_ACCOUNT)
      : accountLabel(r.accountId, r.accountName, accountIds === null || accountIds.has(r.accountId));
  const moves = describeMoves(r);
  return moves === '' ? who : `${who} (${moves})`;
}

/** `accountIds`: the ids of the accounts there are now, to mark a removed one's rows; null: not known. */
export function renderRequests(
  items: readonly RequestSummary[],
  now: number,
  accountIds: ReadonlySet<string> | null = null,
  width: number | null = null,
): string {
  const rows = items.map((r) => {
    const t = tokenKinds(r);
    return [
      formatTime(r.ts, now),
      accountCell(r, accountIds),
      endpointOf(r),
      r.modelApplied ?? r.modelRequested ?? '-',
      r.agent ?? '-',
      r.status === null ? '-' : String(r.status),
      String(r.attempts),
      formatMs(r.latencyMs),
      t === null ? '-' : formatTokensInOut(t),
      formatUsd(r.costUsd),
      r.success ? r.id : `${r.id} ${r.error ?? ''}`.trim(),
    ];
  });
  // The id (its error after it) is never cut: `requests show` takes it. Two more columns keep "id …".
  const idWidth = Math.max(0, ...items.map((r) => r.id.length)) + 2;
  return renderTable(
    ['TIME', 'ACCOUNT', 'ENDPOINT', 'MODEL', 'AGENT', 'STATUS', 'ATTEMPTS', 'LATENCY', 'TOKENS', 'COST', 'ID'],
    rows,
    { width, shrink: [1, 2, 3, 4, 10], keep: { 10: idWidth } },
  );
}

export interface LogLineView {
  level: string;
  time: number;
  msg: string;
  fields: Record<string, unknown>;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function renderLogLine(l: LogLineView): string {
  const d = new Date(l.time);
  const ts = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const fields = Object.entries(l.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${ts} ${l.level.toUpperCase().padEnd(5)} ${l.msg}${fields ? ` ${fields}` : ''}\n`;
}

export interface AnalyzeReport extends DatabaseReport {
  requestRetentionDays: number;
  payloadRetentionDays: number;
  suggestions: string[];
  /** `analyze --traffic`: the last 24 hours (what ccflare's --analyze also printed). */
  traffic?: TrafficSummary;
}

export interface TrafficSummary {
  since: number;
  requests: number;
  successRate: number | null;
  avgLatencyMs: number | null;
  /** Accounts not paused. */
  activeAccounts: number;
  /** Most used models of the period, at most 5. */
  topModels: { model: string | null; requests: number }[];
}

function renderTraffic(t: TrafficSummary): string {
  const rate = `${formatRate(t.successRate)} succeeded`;
  const latency = t.avgLatencyMs === null ? '' : `, ${formatInt(Math.round(t.avgLatencyMs))} ms on average`;
  const models =
    t.topModels.length === 0
      ? ''
      : renderTable(
          ['MODEL', 'REQUESTS'],
          t.topModels.map((m) => [m.model ?? '(none)', formatInt(m.requests)]),
        );
  return (
    `Last 24 hours\n- ${plural(t.requests, 'request')}; ${rate}${latency}\n` +
    `- ${plural(t.activeAccounts, 'active account')} (not paused)\n${models}`
  );
}

export function renderAnalyze(r: AnalyzeReport, now: number): string {
  const payloadRows = r.tables.find((t) => t.name === 'request_payloads')?.rows ?? 0;
  const head = [
    `Database  ${r.path}`,
    `Size      ${formatBytes(r.fileBytes)} file + ${formatBytes(r.walBytes)} write-ahead log; ${formatInt(r.pageCount)} pages of ${formatBytes(r.pageSize)}, ${formatInt(r.freePages)} free (${formatBytes(r.reclaimableBytes)} reclaimable)`,
    `Payloads  ${formatBytes(r.payloadBytes)} in ${plural(r.payloadFiles, 'segment file')} + ${plural(payloadRows, 'legacy row')}, oldest ${formatTime(r.oldestPayloadTs, now)}; kept ${plural(r.payloadRetentionDays, 'day')}`,
    `Requests  oldest ${formatTime(r.oldestRequestTs, now)}; kept ${plural(r.requestRetentionDays, 'day')}`,
  ];
  const tables = renderTable(
    ['TABLE', 'ROWS'],
    r.tables.map((t) => [t.name, formatInt(t.rows)]),
  );
  const indexes = renderTable(
    ['INDEX', 'TABLE', 'COLUMNS'],
    r.indexes.map((i) => [i.explicit ? i.name : `${i.name} (automatic)`, i.table, i.columns.join(', ')]),
  );
  const queries = renderTable(
    ['QUERY', 'USES'],
    r.queries.map((q) => [q.name, [...q.indexes, ...q.fullScans.map((t) => `full scan of ${t}`)].join(', ') || '-']),
  );
  const suggestions =
    r.suggestions.length === 0
      ? 'No suggestions: the database looks healthy.\n'
      : `Suggestions\n${r.suggestions.map((s) => `- ${s}\n`).join('')}`;
  const traffic = r.traffic === undefined ? '' : `\n${renderTraffic(r.traffic)}`;
  return `${head.join('\n')}\n\n${tables}\n${indexes}\n${queries}\n${suggestions}${traffic}`;
}
