/**
 * Logs: the gateway's log file's last lines on open (so lines from before a restart show), then
 * the live tail. Space pauses and resumes (lines arriving meanwhile are kept and shown on resume),
 * ↑/↓ PgUp/PgDn scroll back through the kept lines (pausing the tail), `c` clears the view. A line
 * longer than the screen is wrapped under its message, not cut: its fields come last.
 */
import { Box, Text, useInput } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { LogLineView } from '../../cli/report-format.js';
import { renderLogLine } from '../../cli/report-format.js';
import { clip, wrapHanging } from '../layout.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

const KEEP = 500;

function levelColor(level: string): string | null {
  if (level === 'error' || level === 'fatal') return 'red';
  if (level === 'warn') return 'yellow';
  return null;
}

/** The same record from the history and the live stream (which replays the lines it still buffers). */
const lineKey = (l: LogLineView) => JSON.stringify([l.time, l.level, l.msg, l.fields]);

const newest = (lines: LogLineView[]) => (lines.length > KEEP ? lines.slice(-KEEP) : lines);

/** Where a rendered line's message starts, after `HH:MM:SS.mmm LEVEL `: its wrapped rows line up there. */
const MESSAGE_AT = 19;

/** A log line as screen rows `room` wide, continuations under its message. */
function rowsOf(text: string, room: number): string[] {
  return wrapHanging(text, room, room - MESSAGE_AT >= 20 ? MESSAGE_AT : 2);
}

interface View {
  lines: LogLineView[];
  paused: boolean;
  /** Lines that arrived while paused (the newest KEEP of them), shown on resume. */
  pending: LogLineView[];
  /** How many arrived while paused. */
  pendingCount: number;
}

export function LogsScreen({ api, width, height }: ScreenProps) {
  const c = useColor();
  const [view, setView] = useState<View>({ lines: [], paused: false, pending: [], pendingCount: 0 });
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  /** Rows scrolled back from the newest; 0 follows the tail. */
  const [back, setBack] = useState(0);
  /** Keys of the history's lines, so their live copies are not shown twice. */
  const fromHistory = useRef(new Set<string>());
  /** A clear also drops a history that arrives after it. */
  const cleared = useRef(false);

  useEffect(() => {
    let live = true;
    api.logHistory(KEEP).then(
      (history) => {
        if (!live) return;
        setLoaded(true);
        if (cleared.current) return;
        const keys = new Set(history.map(lineKey));
        fromHistory.current = keys;
        // Live lines that came first and are in the history too are shown once, in history order.
        setView((v) => ({ ...v, lines: newest(history.concat(v.lines.filter((l) => !keys.has(lineKey(l))))) }));
      },
      (err: Error) => {
        if (!live) return;
        setLoaded(true);
        setError(`no earlier lines: ${err.message}`);
      },
    );
    const stop = api.followLogs((l) => {
      setError(null);
      if (fromHistory.current.has(lineKey(l))) return;
      setView((v) =>
        v.paused
          ? { ...v, pending: newest([...v.pending, l]), pendingCount: v.pendingCount + 1 }
          : { ...v, lines: newest([...v.lines, l]) },
      );
    }, setError);
    return () => {
      live = false;
      stop();
    };
  }, [api]);

  // Every row under the title (and the error line, when there is one).
  const room = Math.max(3, height - 1 - (error === null ? 0 : 1));
  const rowWidth = Math.max(10, width - 1);
  // Rendered and wrapped when the lines or the width change, not at every key.
  const rows = useMemo(
    () =>
      view.lines.flatMap((l) => {
        const color = levelColor(l.level);
        return rowsOf(renderLogLine(l).trimEnd(), rowWidth).map((text) => ({ text, color }));
      }),
    [view.lines, rowWidth],
  );
  const maxBack = Math.max(0, rows.length - room);
  const shownBack = Math.min(back, maxBack);
  /**
   * Scrolling back pauses the tail, so the rows read stay where they are. From the state, not this
   * render's value: keys that arrive together (PgUp twice while busy) each move the view.
   */
  const scroll = (by: number) => {
    setView((v) => (v.paused ? v : { ...v, paused: true }));
    setBack((b) => Math.max(0, Math.min(maxBack, Math.min(b, maxBack) + by)));
  };

  useInput((input, key) => {
    if (input === ' ') {
      setBack(0);
      setView((v) =>
        v.paused
          ? { lines: newest(v.lines.concat(v.pending)), paused: false, pending: [], pendingCount: 0 }
          : { ...v, paused: true },
      );
    } else if (input === 'c') {
      cleared.current = true;
      setBack(0);
      setView((v) => ({ ...v, lines: [], pending: [], pendingCount: 0 }));
    } else if (key.upArrow) scroll(1);
    else if (key.downArrow) scroll(-1);
    else if (key.pageUp) scroll(room - 1);
    else if (key.pageDown) scroll(-(room - 1));
  });

  const visible = rows.slice(Math.max(0, rows.length - room - shownBack), rows.length - shownBack);
  const above = rows.length - shownBack - visible.length;
  const status = view.paused ? ` PAUSED · ${view.pendingCount} new ` : '(live)';
  const hint =
    ` space ${view.paused ? 'resume' : 'pause'} · ↑/↓ PgUp/PgDn scroll · c clear` +
    (above > 0 ? ` · +${above} rows above` : '') +
    (shownBack > 0 ? ` · +${shownBack} below` : '');
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Logs </Text>
        {view.paused ? (
          <Text color={c('yellow')} inverse>
            {status}
          </Text>
        ) : (
          <Text bold>(live)</Text>
        )}
        <Text dimColor>{clip(hint, Math.max(11, width - 5 - status.length))}</Text>
      </Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {view.lines.length === 0 && (
        <Text dimColor>
          {view.paused && view.pendingCount > 0
            ? 'Paused: new lines are waiting. Space shows them.'
            : loaded
              ? 'Waiting for log lines…'
              : 'Loading earlier log lines…'}
        </Text>
      )}
      {visible.map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row has no id; the window moves over a list that grows at the end
        <Text key={i} color={r.color ? c(r.color) : undefined}>
          {r.text}
        </Text>
      ))}
    </Box>
  );
}
