/**
 * Conversations in the terminal (issue 16), opened with `c` from the Requests tab: the tab row
 * has no room for a ninth tab in 80 columns (app.tsx). The list pages like the Requests one;
 * Enter shows a conversation's tree as indented text: branches, their requests in order, branch
 * points and the sub-tasks each request started.
 */
import { Text } from 'ink';
import { useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatUsd } from '../../cli/report-format.js';
import type { ConversationListItem, ConversationRequest, ConversationTree } from '../../shared/conversation-schemas.js';
import { formatTokensInOut } from '../../shared/tokens.js';
import { statusColor } from '../theme.js';
import { PagedListView, ScrolledLines, usePagedList } from './paged-list.js';
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

export function ConversationsView({
  api,
  setModal,
  width,
  height,
  now,
  onClose,
}: Omit<ScreenProps, 'openUrl'> & { onClose: () => void }) {
  const [tree, setTree] = useState<string[] | null>(null);
  const list = usePagedList({
    load: (cursor, pageSize) => api.conversations(cursor, pageSize),
    deps: [api],
    pageSize: Math.max(5, height - 8),
    isActive: tree === null,
    onKey: (input, key) => {
      if (input !== 'c' && !key.escape) return false;
      onClose();
      return true;
    },
    open: async (row: ConversationListItem) => {
      const t = await api.conversation(row.id);
      setTree(treeLines(t, now()));
      setModal(true);
    },
  });

  if (tree) {
    return (
      <ScrolledLines
        lines={tree.map((l) => l.slice(0, Math.max(10, width - 1)))}
        height={height - 4}
        onBack={() => {
          setTree(null);
          setModal(false);
        }}
      />
    );
  }
  return (
    <PagedListView
      title="Conversations"
      list={list}
      empty="No conversations linked yet."
      row={(r) => conversationRow(r, r === null ? 0 : now(), width)}
      color={() => statusColor(200, true)}
      width={width}
    >
      <Text dimColor>↑/↓ select · Enter tree · ←/→ previous/next page · c/Esc back to requests</Text>
    </PagedListView>
  );
}
