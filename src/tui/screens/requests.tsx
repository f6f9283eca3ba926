import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatMs, formatUsd } from '../../cli/report-format.js';
import type { RequestDetail, RequestSummary } from '../../shared/requests-schemas.js';
import { formatTokenBreakdown, formatTokensInOut, TOKENS_LEGEND, tokenKinds } from '../../shared/tokens.js';
import { useLoad } from '../hooks.js';
import { statusColor, useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

function summaryLine(r: RequestSummary, now: number): string {
  const t = tokenKinds(r);
  return [
    formatTime(r.ts, now).padEnd(11),
    String(r.status ?? '-').padEnd(4),
    (r.accountName ?? '-').slice(0, 16).padEnd(16),
    (r.modelApplied ?? r.modelRequested ?? '-').slice(0, 28).padEnd(28),
    formatMs(r.latencyMs).padStart(7),
    (t === null ? '-' : formatTokensInOut(t)).padStart(20),
    formatUsd(r.costUsd).padStart(9),
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
    `Account:   ${d.accountName ?? '-'}`,
    `Model:     ${d.modelRequested ?? '-'} -> ${d.modelApplied ?? '-'}`,
    `Latency:   ${formatMs(d.latencyMs)} (first token ${formatMs(d.ttftMs)}, output speed ${d.outputTokensPerSecond === null ? '-' : `${d.outputTokensPerSecond.toFixed(1)} tok/s`})`,
    `Tokens:    ${t === null ? '-' : `${formatTokensInOut(t)} (${formatTokenBreakdown(t)})`}`,
    `Cost:      ${formatUsd(d.costUsd)}`,
    `Agent:     ${d.agent ?? '-'}   Session: ${d.sessionId ?? '-'}`,
    `Attempts:  ${d.attempts}`,
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
  const items = data?.items ?? [];
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ items, data, selected });
  latest.current = { items, data, selected };

  useInput(
    (_input, key) => {
      const { items, data, selected } = latest.current;
      if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
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
    { isActive: detail === null },
  );

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
      {items.map((r, i) => (
        <Text key={r.id} inverse={i === selected} color={c(statusColor(r.status, r.success))}>
          {summaryLine(r, now()).slice(0, Math.max(10, width - 1))}
        </Text>
      ))}
      {note !== null && <Text dimColor>{note}</Text>}
      <Text dimColor>Tokens: {TOKENS_LEGEND}</Text>
      <Text dimColor>↑/↓ select · Enter details · ←/→ previous/next page</Text>
    </Box>
  );
}
