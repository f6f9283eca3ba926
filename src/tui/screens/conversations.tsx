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
import { statusColor } from '../theme.js';
import { PagedListView, ScrolledLines, usePagedList } from './paged-list.js';
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
