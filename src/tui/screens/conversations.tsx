/**
 * Conversations in the terminal (issue 16), opened with `c` from the Requests tab: the tab row
 * has no room for a ninth tab in 80 columns (app.tsx). The list pages like the Requests one;
 * Enter shows a conversation's tree as indented text: branches, their requests in order, branch
 * points and the sub-tasks each request started.
 */
import { Text } from 'ink';
import { useState } from 'react';
import { conversationRow, treeLines } from '../../cli/conversation-format.js';
import type { ConversationListItem } from '../../shared/conversation-schemas.js';
import { clip } from '../layout.js';
import { statusColor } from '../theme.js';
import { PagedListView, pageRows, ScrolledLines, usePagedList } from './paged-list.js';
import type { ScreenProps } from './types.js';

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
    pageSize: pageRows(height, 1),
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
        lines={tree.map((l) => clip(l, Math.max(11, width)))}
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
      height={height}
      hintLines={1}
    >
      <Text dimColor>{clip('↑/↓ select · Enter tree · ←/→ previous/next page · c/Esc back to requests', width)}</Text>
    </PagedListView>
  );
}
