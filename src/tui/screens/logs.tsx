/**
 * Logs: the gateway's log file's last lines on open (so lines from before a restart show), then
 * the live tail. Space pauses and resumes (lines arriving meanwhile are kept and shown on resume),
 * `c` clears the view.
 */
import { Box, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { LogLineView } from '../../cli/report-format.js';
import { renderLogLine } from '../../cli/report-format.js';
import { clip } from '../layout.js';
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

  useInput((input) => {
    if (input === ' ') {
      setView((v) =>
        v.paused
          ? { lines: newest(v.lines.concat(v.pending)), paused: false, pending: [], pendingCount: 0 }
          : { ...v, paused: true },
      );
    } else if (input === 'c') {
      cleared.current = true;
      setView((v) => ({ ...v, lines: [], pending: [], pendingCount: 0 }));
    }
  });

  const visible = view.lines.slice(-Math.max(3, height - 7));
  const earlier = view.lines.length - visible.length;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Logs </Text>
        {view.paused ? (
          <Text color={c('yellow')} inverse>
            {` PAUSED · ${view.pendingCount} new `}
          </Text>
        ) : (
          <Text bold>(live)</Text>
        )}
        <Text dimColor> space {view.paused ? 'resume' : 'pause'} · c clear</Text>
        {earlier > 0 && <Text dimColor>{` · +${earlier} earlier lines above`}</Text>}
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
      {visible.map((l, i) => {
        const color = levelColor(l.level);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a log line has no id; the window only grows at the end
          <Text key={i} color={color ? c(color) : undefined}>
            {clip(renderLogLine(l).trimEnd(), Math.max(11, width))}
          </Text>
        );
      })}
    </Box>
  );
}
