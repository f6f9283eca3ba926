import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatMs, formatUsd } from '../../cli/report-format.js';
import { describeMoves, servedBy } from '../../shared/attempts.js';
import type { RequestDetail, RequestSummary } from '../../shared/requests-schemas.js';
import { formatTokenBreakdown, formatTokensInOut, TOKENS_LEGEND, tokenKinds } from '../../shared/tokens.js';
import { useLoad } from '../hooks.js';
import { statusColor, useColor } from '../theme.js';
import { ConversationsView } from './conversations.js';
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
    servedBy(r).slice(0, COLUMNS.account).padEnd(COLUMNS.account),
    // Every model id starts with "claude-": a narrow column keeps the part that tells them apart.
    (model.length > mw ? model.replace(/^claude-/, '') : model).slice(0, mw).padEnd(mw),
    formatMs(r.latencyMs).padStart(COLUMNS.latency),
    (t === null ? '-' : formatTokensInOut(t)).padStart(COLUMNS.tokens),
    formatUsd(r.costUsd).padStart(COLUMNS.cost),
  ].join(' ');
}

function Detail({ d, width, height, onBack }: { d: RequestDetail; width: number; height: number; onBack: () => void }) {
  const c = useColor();
  const [scroll, setScroll] = useState(0);
  const t = tokenKinds(d);
  const lines = [
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
  ].map((l) => l.slice(0, Math.max(10, width - 1)));
  const visible = Math.max(3, height - 2);
  useInput((_input, key) => {
    if (key.escape) onBack();
    else if (key.downArrow) setScroll((s) => Math.min(Math.max(0, lines.length - visible), s + 1));
    else if (key.upArrow) setScroll((s) => Math.max(0, s - 1));
  });
  return (
    <Box flexDirection="column">
      {lines.slice(scroll, scroll + visible).map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their position
        <Text key={i} color={i + scroll === 3 ? c(statusColor(d.status, d.success)) : undefined}>
          {l || ' '}
        </Text>
      ))}
      <Text dimColor>↑/↓ scroll · Esc back</Text>
    </Box>
  );
}

export function RequestsScreen({ api, setModal, width, height, now }: ScreenProps) {
  const c = useColor();
  const pageSize = Math.max(5, height - 9);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error } = useLoad(
    () => api.requests(cursor, pageSize),
    [api, cursor, pageSize],
    cursor === null ? 5000 : null,
  );
  const [selected, setSelected] = useState(0);
  const [detail, setDetail] = useState<RequestDetail | null>(null);
  const [note, setNote] = useState<string | null>(null);
  // Conversations live under this tab (key c): a ninth tab would not fit 80 columns (app.tsx).
  const [conversations, setConversations] = useState(false);
  const items = data?.items ?? [];
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ items, data, selected });
  latest.current = { items, data, selected };

  useInput(
    (input, key) => {
      const { items, data, selected } = latest.current;
      if (input === 'c') setConversations(true);
      else if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
      else if (key.downArrow) setSelected((s) => Math.min(items.length - 1, s + 1));
      else if ((key.rightArrow || key.pageDown) && data?.nextCursor) {
        setCursors((cs) => [...cs, data.nextCursor]);
        setSelected(0);
      } else if ((key.leftArrow || key.pageUp) && cursors.length > 1) {
        setCursors((cs) => cs.slice(0, -1));
        setSelected(0);
      } else if (key.return) {
        const r = items[selected];
        if (!r) return;
        api.request(r.id).then(
          (d) => {
            setDetail(d);
            setModal(true);
          },
          (err: unknown) => setNote(`failed: ${(err as Error).message}`),
        );
      }
    },
    { isActive: detail === null && !conversations },
  );

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
      <Detail
        d={detail}
        width={width}
        height={height - 4}
        onBack={() => {
          setDetail(null);
          setModal(false);
        }}
      />
    );
  }
  return (
    <Box flexDirection="column">
      <Text bold>Requests (page {cursors.length})</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && items.length === 0 && <Text>No requests recorded.</Text>}
      {items.length > 0 && <Text bold>{listRow(null, 0, width).slice(0, Math.max(10, width - 1))}</Text>}
      {items.map((r, i) => (
        <Text key={r.id} inverse={i === selected} color={c(statusColor(r.status, r.success))}>
          {listRow(r, now(), width).slice(0, Math.max(10, width - 1))}
        </Text>
      ))}
      {note !== null && <Text dimColor>{note}</Text>}
      <Text dimColor>Tokens: {TOKENS_LEGEND}</Text>
      <Text dimColor>↑/↓ select · Enter details · ←/→ previous/next page · c conversations</Text>
    </Box>
  );
}
