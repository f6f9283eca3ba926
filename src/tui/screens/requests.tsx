import { Text } from 'ink';
import { useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatMs, formatUsd } from '../../cli/report-format.js';
import { describeMoves, servedBy } from '../../shared/attempts.js';
import type { RequestDetail, RequestSummary } from '../../shared/requests-schemas.js';
import {
  formatTokenBreakdown,
  formatTokensInOut,
  formatTokensInOutShort,
  TOKENS_LEGEND,
  tokenKinds,
} from '../../shared/tokens.js';
import { cell, clip } from '../layout.js';
import { statusColor } from '../theme.js';
import { ConversationsView } from './conversations.js';
import { PagedListView, pageRows, ScrolledLines, usePagedList } from './paged-list.js';
import type { ScreenProps } from './types.js';

/** Fixed columns of the list; the model column takes the rest, so a row fits 80 columns. */
const COLUMNS = { time: 11, status: 4, account: 12, latency: 7, tokens: 18, cost: 8 } as const;
const FIXED = Object.values(COLUMNS).reduce((a, b) => a + b, 0) + 6;

function modelWidth(width: number): number {
  return Math.max(8, Math.min(28, width - 1 - FIXED));
}

/** One row of the list, or with `r` null its header. */
function listRow(r: RequestSummary | null, now: number, width: number): string {
  const mw = modelWidth(width);
  if (r === null) {
    return [
      'TIME'.padEnd(COLUMNS.time),
      'HTTP'.padEnd(COLUMNS.status),
      'ACCOUNT'.padEnd(COLUMNS.account),
      'MODEL'.padEnd(mw),
      'LATENCY'.padStart(COLUMNS.latency),
      'TOKENS (in / out)'.padStart(COLUMNS.tokens),
      'COST'.padStart(COLUMNS.cost),
    ].join(' ');
  }
  const t = tokenKinds(r);
  const model = r.modelApplied ?? r.modelRequested ?? '-';
  return [
    formatTime(r.ts, now).padEnd(COLUMNS.time),
    String(r.status ?? '-').padEnd(COLUMNS.status),
    cell(servedBy(r), COLUMNS.account),
    // Every model id starts with "claude-": a narrow column keeps the part that tells them apart.
    cell(model.length > mw ? model.replace(/^claude-/, '') : model, mw),
    formatMs(r.latencyMs).padStart(COLUMNS.latency),
    (t === null ? '-' : formatTokensInOutShort(t)).padStart(COLUMNS.tokens),
    formatUsd(r.costUsd).padStart(COLUMNS.cost),
  ].join(' ');
}

function detailLines(d: RequestDetail, width: number): string[] {
  const t = tokenKinds(d);
  return [
    `Request ${d.id}`,
    `Time:      ${new Date(d.ts).toISOString()}`,
    `Call:      ${d.method} ${d.path}${d.stream ? ' (stream)' : ''}`,
    `Status:    ${d.status ?? '-'}${d.error ? ` ${d.error}` : ''}`,
    `Account:   ${servedBy(d)}`,
    `Model:     ${d.modelRequested ?? '-'} -> ${d.modelApplied ?? '-'}`,
    `Latency:   ${formatMs(d.latencyMs)} (first token ${formatMs(d.ttftMs)}, output speed ${d.outputTokensPerSecond === null ? '-' : `${d.outputTokensPerSecond.toFixed(1)} tok/s`})`,
    `Tokens:    ${t === null ? '-' : `${formatTokensInOut(t)} (${formatTokenBreakdown(t)})`}`,
    `Cost:      ${formatUsd(d.costUsd)}`,
    `Agent:     ${d.agent ?? '-'}   Session: ${d.sessionId ?? '-'}`,
    `Attempts:  ${d.attempts}${d.attempts > 1 ? ` (${describeMoves(d)})` : ''}`,
    ...d.attemptLog.map(
      (a, i) => `  ${i + 1}. ${a.account ?? '-'} ${a.status ?? '-'} ${formatMs(a.ms)} ${a.error ?? ''}`,
    ),
    d.payload === null ? 'Payload:   not stored' : 'Request body:',
    ...(d.payload?.requestBody ?? '').split('\n').slice(0, 200),
    ...(d.payload ? ['Response body:', ...(d.payload.responseBody ?? '').split('\n').slice(0, 200)] : []),
  ].map((l) => clip(l, Math.max(11, width)));
}

/** Lines under the list: the tokens legend and the keys. */
const HINT_LINES = 2;

/** The index of the status line in detailLines, coloured by the status. */
const STATUS_LINE = 3;

export function RequestsScreen({ api, setModal, width, height, now }: ScreenProps) {
  const [detail, setDetail] = useState<RequestDetail | null>(null);
  // Conversations live under this tab (key c): a ninth tab would not fit 80 columns (app.tsx).
  const [conversations, setConversations] = useState(false);
  const list = usePagedList({
    load: (cursor, pageSize) => api.requests(cursor, pageSize),
    deps: [api],
    pageSize: pageRows(height, HINT_LINES),
    isActive: detail === null && !conversations,
    onKey: (input) => {
      if (input !== 'c') return false;
      setConversations(true);
      return true;
    },
    open: async (r: RequestSummary) => {
      setDetail(await api.request(r.id));
      setModal(true);
    },
  });

  if (conversations) {
    return (
      <ConversationsView
        api={api}
        setModal={setModal}
        width={width}
        height={height}
        now={now}
        onClose={() => setConversations(false)}
      />
    );
  }
  if (detail) {
    return (
      <ScrolledLines
        lines={detailLines(detail, width)}
        height={height - 4}
        color={(i) => (i === STATUS_LINE ? statusColor(detail.status, detail.success) : undefined)}
        onBack={() => {
          setDetail(null);
          setModal(false);
        }}
      />
    );
  }
  return (
    <PagedListView
      title="Requests"
      list={list}
      empty="No requests recorded."
      row={(r) => listRow(r, r === null ? 0 : now(), width)}
      color={(r) => statusColor(r.status, r.success)}
      width={width}
      height={height}
      hintLines={HINT_LINES}
    >
      <Text dimColor>{clip(`Tokens: ${TOKENS_LEGEND}`, width)}</Text>
      <Text dimColor>{clip('↑/↓ select · Enter details · ←/→ previous/next page · c conversations', width)}</Text>
    </PagedListView>
  );
}
