/**
 * Conversations as terminal text (issue 16), for `ccflare conversations list|show` and the TUI's
 * Conversations screen: the list as rows, one conversation as the indented tree the dashboard
 * draws (branches with their requests in order, branch points, the sub-tasks each request started).
 */
import type { ConversationListItem, ConversationRequest, ConversationTree } from '../shared/conversation-schemas.js';
import { formatTokensInOut } from '../shared/tokens.js';
import { formatTime, renderTable } from './format.js';
import { formatInt, formatUsd, plural } from './report-format.js';

type Tokens = Pick<ConversationRequest, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'>;
const tokens = (x: Tokens) =>
  formatTokensInOut({
    input: x.inputTokens,
    output: x.outputTokens,
    cacheRead: x.cacheReadTokens,
    cacheWrite5m: x.cacheWriteTokens,
    cacheWrite1h: 0,
  });

/** `s` on one line, cut to `max` characters with an ellipsis. */
export const oneLine = (s: string, max: number) => {
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
    `${plural(c.requests, 'request')} · ${c.branches === 1 ? '1 branch' : `${formatInt(c.branches)} branches`} · ${plural(c.subtasks, 'sub-task')} · ${tokens(c)} · ${formatUsd(c.costUsd)}`,
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
          `     └ ${s.branch} ${s.agent ?? 'sub-agent'} (${plural(s.requests, 'request')}, ${formatUsd(s.costUsd)})${s.prompt ? `: ${oneLine(s.prompt, 120)}` : ''}`,
        );
      }
    });
  }
  return lines;
}

/** Characters of the first message `list` shows: the table stays within a wide terminal. */
const LIST_TEXT = 60;

/** The list as a table, most recently active first (as given). */
export function renderConversations(
  items: readonly ConversationListItem[],
  now: number,
  width: number | null = null,
): string {
  return renderTable(
    [
      'LAST',
      'FIRST',
      'REQUESTS',
      'BRANCHES',
      'SUB-TASKS',
      'TOKENS',
      'COST',
      'MODEL',
      'ACCOUNTS',
      'FIRST MESSAGE',
      'ID',
    ],
    items.map((c) => [
      formatTime(c.lastAt, now),
      formatTime(c.firstAt, now),
      String(c.requests),
      String(c.branches),
      String(c.subtasks),
      tokens(c),
      formatUsd(c.costUsd),
      c.model ?? '-',
      c.accounts.join(', ') || '-',
      oneLine(c.firstUserText || '(no text)', LIST_TEXT),
      c.id,
    ]),
    // The id is what `conversations show` takes: never cut.
    { width, shrink: [7, 8, 9] },
  );
}
