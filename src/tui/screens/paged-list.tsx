/**
 * What the Requests and Conversations lists share: cursor pages of the gateway's list (the first
 * one refreshed every 5 s), a selected row moved with ↑/↓, pages with ←/→, Enter to open it, and
 * the scrolled text an opened row shows.
 */
import { Box, type Key, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { useLoad } from '../hooks.js';
import { clip as clipLine, stepIndex, windowed } from '../layout.js';
import { useColor } from '../theme.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PagedList<T> {
  data: Page<T> | null;
  error: string | null;
  items: T[];
  selected: number;
  /** 1-based, for the title. */
  page: number;
  /** Why the last Enter opened nothing. */
  note: string | null;
}

/**
 * `load` reads one page; `onKey` sees each key first (true: handled); Enter calls `open` with the
 * selected row and shows its failure as the note.
 */
export function usePagedList<T>({
  load,
  deps,
  pageSize,
  isActive,
  onKey,
  open,
}: {
  load: (cursor: string | null, pageSize: number) => Promise<Page<T>>;
  deps: readonly unknown[];
  pageSize: number;
  isActive: boolean;
  onKey: (input: string, key: Key) => boolean;
  open: (row: T) => Promise<void>;
}): PagedList<T> {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error } = useLoad(
    () => load(cursor, pageSize),
    [...deps, cursor, pageSize],
    cursor === null ? 5000 : null,
  );
  const [selected, setSelected] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const items = data?.items ?? [];
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ items, data, selected });
  latest.current = { items, data, selected };

  useInput(
    (input, key) => {
      const l = latest.current;
      const { items, data, selected } = l;
      if (onKey(input, key)) return;
      if (key.upArrow || key.downArrow) {
        // Stored at once for a key after it in the same chunk ("↓⏎"; layout.ts stepIndex).
        l.selected = stepIndex(items.length, selected, key.upArrow ? -1 : 1);
        setSelected(l.selected);
      } else if ((key.rightArrow || key.pageDown) && data?.nextCursor) {
        setCursors((cs) => [...cs, data.nextCursor]);
        setSelected(0);
      } else if ((key.leftArrow || key.pageUp) && cursors.length > 1) {
        setCursors((cs) => cs.slice(0, -1));
        setSelected(0);
      } else if (key.return) {
        const row = items[selected];
        if (!row) return;
        open(row).catch((err: unknown) => setNote(`failed: ${(err as Error).message}`));
      }
    },
    { isActive },
  );
  return { data, error, items, selected, page: cursors.length, note };
}

/** Lines of a list view besides its rows: the title and the header. */
const LIST_CHROME_H = 2;

/** The most rows the list endpoints answer per page (conversations: 200). */
const PAGE_MAX = 200;

/** Rows a page holds: what the screen leaves after the title, the header and `hintLines` lines of hints. */
export function pageRows(height: number, hintLines: number): number {
  return Math.min(PAGE_MAX, Math.max(3, height - LIST_CHROME_H - hintLines));
}

/**
 * A list's rows under its title: the error, `empty` when there are none, the header and the rows.
 * A page fills the screen (pageRows); while an error or a note takes a line, the rows around the
 * selection are shown and the list says how many it leaves out.
 */
export function PagedListView<T extends { id: string }>({
  title,
  list,
  empty,
  row,
  color,
  width,
  height,
  hintLines,
  children,
}: {
  title: string;
  list: PagedList<T>;
  empty: string;
  /** A row's text, or with null the header's. */
  row: (r: T | null) => string;
  /** A row's theme colour. */
  color: (r: T) => string;
  width: number;
  height: number;
  /** How many lines `children` take. */
  hintLines: number;
  /** The hint lines below. */
  children: React.ReactNode;
}) {
  const c = useColor();
  const clip = (s: string) => clipLine(s, Math.max(11, width));
  const room = pageRows(height, hintLines) - (list.error === null ? 0 : 1) - (list.note === null ? 0 : 1);
  const shown = windowed(list.items, list.selected, room);
  return (
    <Box flexDirection="column">
      <Text bold>
        {title} (page {list.page})
      </Text>
      {list.error !== null && <Text color={c('red')}>{list.error}</Text>}
      {list.data && list.items.length === 0 && <Text>{empty}</Text>}
      {list.items.length > 0 && <Text bold>{clip(row(null))}</Text>}
      {shown.rows.map((r) => (
        <Text key={r.id} inverse={r === list.items[list.selected]} color={c(color(r))}>
          {clip(row(r))}
        </Text>
      ))}
      {shown.more !== null && <Text dimColor>{clip(shown.more)}</Text>}
      {list.note !== null && <Text dimColor>{list.note}</Text>}
      {children}
    </Box>
  );
}

/** Lines scrolled with ↑/↓ in `height` rows, Esc to go back; `color` picks a line's colour by its index. */
export function ScrolledLines({
  lines,
  height,
  onBack,
  color,
}: {
  lines: string[];
  height: number;
  onBack: () => void;
  color?: (index: number) => string | undefined;
}) {
  const c = useColor();
  const [scroll, setScroll] = useState(0);
  const visible = Math.max(3, height - 2);
  useInput((_input, key) => {
    if (key.escape) onBack();
    else if (key.downArrow) setScroll((s) => Math.min(Math.max(0, lines.length - visible), s + 1));
    else if (key.upArrow) setScroll((s) => Math.max(0, s - 1));
  });
  const colorOf = (i: number) => {
    const name = color?.(i);
    return name === undefined ? undefined : c(name);
  };
  return (
    <Box flexDirection="column">
      {lines.slice(scroll, scroll + visible).map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their position
        <Text key={i} color={colorOf(i + scroll)}>
          {l || ' '}
        </Text>
      ))}
      <Text dimColor>↑/↓ scroll · Esc back</Text>
    </Box>
  );
}
