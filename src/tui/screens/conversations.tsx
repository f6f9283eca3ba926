/**
 * Conversations in the terminal (issue 16), opened with `c` from the Requests tab: the tab row
 * has no room for a ninth tab in 80 columns (app.tsx). The list pages like the Requests one;
 * Enter shows a conversation's tree as indented text: branches, their requests in order, branch
 * points and the sub-tasks each request started.
 */
import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatUsd } from '../../cli/report-format.js';
import type { ConversationListItem, ConversationRequest, ConversationTree } from '../../shared/conversation-schemas.js';
import { formatTokensInOut } from '../../shared/tokens.js';
import { useLoad } from '../hooks.js';
import { statusColor, useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

type Tokens = Pick<ConversationRequest, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'>;
const tokens = (x: Tokens) =>
  formatTokensInOut({
    input: x.inputTokens,
    output: x.outputTokens,
    cacheRead: x.cacheReadTokens,
    cacheWrite5m: x.cacheWriteTokens,
    cacheWrite1h: 0,
  });

const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, Math.max(1, max - 1))}…` : flat;
};

/** One row of the list, or with `c` null its header. */
export function conversationRow(c: ConversationListItem | null, now: number, width: number): string {
  const text = Math.max(8, width - 1 - 11 - 5 - 4 - 4 - 9 - 5);
  if (c === null) {
    return [
      'LAST'.padEnd(11),
      'REQS'.padStart(5),
      'BR'.padStart(4),
      'SUB'.padStart(4),
      'COST'.padStart(9),
      'FIRST MESSAGE',
    ].join(' ');
  }
  return [
    formatTime(c.lastAt, now).padEnd(11),
    String(c.requests).padStart(5),
    String(c.branches).padStart(4),
    String(c.subtasks).padStart(4),
    formatUsd(c.costUsd).padStart(9),
    oneLine(c.firstUserText || '(no text)', text),
  ].join(' ');
}

const KIND = {
  main: 'main conversation',
  branch: 'retried turn',
  compact: 'after a compaction',
  subtask: 'sub-agent run',
};

/** A conversation as indented text, the same tree the dashboard draws. */
export function treeLines(tree: ConversationTree, now: number): string[] {
  const c = tree.conversation;
  const where = new Map<string, string>();
  for (const b of tree.branches) {
    for (const [i, r] of b.requests.entries()) where.set(r.id, `${b.name} #${i + 1}`);
  }
  const forks = new Map(tree.branchPoints.map((p) => [p.parentRequestId, p.branches]));
  const lines = [
    `Conversation ${c.id}`,
    `${c.requests} requests · ${c.branches} branches · ${c.subtasks} sub-tasks · ${tokens(c)} · ${formatUsd(c.costUsd)}`,
    `Model ${c.model ?? '-'} · accounts ${c.accounts.join(', ') || '-'} · keys ${c.keys.join(', ') || '-'}`,
    `First message: ${oneLine(c.firstUserText || '(no text)', 200)}`,
  ];
  for (const b of tree.branches) {
    const from = b.parentRequestId ? ` from ${where.get(b.parentRequestId) ?? b.parentRequestId}` : '';
    lines.push('', `${b.name} (${KIND[b.kind]})${from}`);
    b.requests.forEach((r, i) => {
      lines.push(
        `  ${i + 1}. ${formatTime(r.at, now)} ${r.status ?? (r.success ? 'ok' : 'failed')} ${r.model ?? '-'} ${tokens(r)} ${formatUsd(r.costUsd)}${r.account ? ` ${r.account}` : ''}`,
      );
      const here = (forks.get(r.id) ?? []).filter((n) => n !== b.name);
      if (here.length > 0) lines.push(`     branches here: ${here.join(', ')}`);
      for (const s of tree.subtasks.filter((x) => x.parentRequestId === r.id)) {
        lines.push(
          `     └ ${s.branch} ${s.agent ?? 'sub-agent'} (${s.requests} requests, ${formatUsd(s.costUsd)})${s.prompt ? `: ${oneLine(s.prompt, 120)}` : ''}`,
        );
      }
    });
  }
  return lines;
}

function Tree({
  lines,
  width,
  height,
  onBack,
}: {
  lines: string[];
  width: number;
  height: number;
  onBack: () => void;
}) {
  const [scroll, setScroll] = useState(0);
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
        <Text key={i}>{l.slice(0, Math.max(10, width - 1)) || ' '}</Text>
      ))}
      <Text dimColor>↑/↓ scroll · Esc back</Text>
    </Box>
  );
}

export function ConversationsView({
  api,
  setModal,
  width,
  height,
  now,
  onClose,
}: Omit<ScreenProps, 'openUrl'> & { onClose: () => void }) {
  const c = useColor();
  const pageSize = Math.max(5, height - 8);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error } = useLoad(
    () => api.conversations(cursor, pageSize),
    [api, cursor, pageSize],
    cursor === null ? 5000 : null,
  );
  const [selected, setSelected] = useState(0);
  const [tree, setTree] = useState<string[] | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const items = data?.items ?? [];
  const latest = useRef({ items, data, selected });
  latest.current = { items, data, selected };

  useInput(
    (input, key) => {
      const { items, data, selected } = latest.current;
      if (input === 'c' || key.escape) onClose();
      else if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
      else if (key.downArrow) setSelected((s) => Math.min(items.length - 1, s + 1));
      else if ((key.rightArrow || key.pageDown) && data?.nextCursor) {
        setCursors((cs) => [...cs, data.nextCursor]);
        setSelected(0);
      } else if ((key.leftArrow || key.pageUp) && cursors.length > 1) {
        setCursors((cs) => cs.slice(0, -1));
        setSelected(0);
      } else if (key.return) {
        const row = items[selected];
        if (!row) return;
        api.conversation(row.id).then(
          (t) => {
            setTree(treeLines(t, now()));
            setModal(true);
          },
          (err: unknown) => setNote(`failed: ${(err as Error).message}`),
        );
      }
    },
    { isActive: tree === null },
  );

  if (tree) {
    return (
      <Tree
        lines={tree}
        width={width}
        height={height - 4}
        onBack={() => {
          setTree(null);
          setModal(false);
        }}
      />
    );
  }
  return (
    <Box flexDirection="column">
      <Text bold>Conversations (page {cursors.length})</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && items.length === 0 && <Text>No conversations linked yet.</Text>}
      {items.length > 0 && <Text bold>{conversationRow(null, 0, width).slice(0, Math.max(10, width - 1))}</Text>}
      {items.map((r, i) => (
        <Text key={r.id} inverse={i === selected} color={c(statusColor(200, true))}>
          {conversationRow(r, now(), width).slice(0, Math.max(10, width - 1))}
        </Text>
      ))}
      {note !== null && <Text dimColor>{note}</Text>}
      <Text dimColor>↑/↓ select · Enter tree · ←/→ previous/next page · c/Esc back to requests</Text>
    </Box>
  );
}
