import { Text } from 'ink';
import { useMemo, useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatMs, formatUsd } from '../../cli/report-format.js';
import { bodyText, PAYLOAD_NOT_STORED, requestDetailLines } from '../../cli/request-format.js';
import { servedBy } from '../../shared/attempts.js';
import type { RequestDetail, RequestSummary } from '../../shared/requests-schemas.js';
import { formatTokensInOutShort, TOKENS_LEGEND, tokenKinds } from '../../shared/tokens.js';
import { cell, clip, wrapHanging } from '../layout.js';
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

/** A body's first lines in the detail view: a Claude Code request runs to thousands indented. */
const BODY_LINES = 200;

/** A line of the summary wrapped under its value (`Model     …`, `  2. …`), not cut: the cost ends the tokens line. */
function wrapUnderValue(line: string, room: number): string[] {
  return wrapHanging(line, room, /^(\S+ {2,}| +\d+\. )/.exec(line)?.[0].length ?? 0);
}

function bodyLines(id: string, title: string, body: string | null, truncated: boolean, room: number): string[] {
  const lines = bodyText(body, truncated).split('\n');
  const more = lines.length - BODY_LINES;
  return [
    title,
    ...lines.slice(0, BODY_LINES).map((l) => clip(l, room + 1)),
    ...(more > 0 ? [`(+${more} more lines: ccflare requests show ${id} --bodies prints them all)`] : []),
  ];
}

/** The CLI's `requests show` lines, then the stored bodies (JSON indented) as they crossed the wire. */
function detailLines(d: RequestDetail, now: number, width: number): string[] {
  const room = Math.max(20, width - 1);
  const p = d.payload;
  return [
    ...requestDetailLines(d, now).flatMap((l) => wrapUnderValue(l, room)),
    ...(p === null
      ? [PAYLOAD_NOT_STORED]
      : [
          ...bodyLines(d.id, '--- request body', p.requestBody, p.requestTruncated, room),
          ...bodyLines(d.id, '--- response body', p.responseBody, p.responseTruncated, room),
        ]),
  ];
}

/** Lines under the list: the tokens legend and the keys. */
const HINT_LINES = 2;

/** The index of the status line in detailLines (requestDetailLines' second), coloured by the status. */
const STATUS_LINE = 1;

export function RequestsScreen({ api, setModal, width, height, now }: ScreenProps) {
  const [detail, setDetail] = useState<RequestDetail | null>(null);
  // Conversations live under this tab (key c): a ninth tab would not fit 80 columns (app.tsx).
  const [conversations, setConversations] = useState(false);
  // Indenting a Claude Code body once, not at every key that scrolls it.
  const lines = useMemo(() => (detail === null ? [] : detailLines(detail, now(), width)), [detail, now, width]);
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
        lines={lines}
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
