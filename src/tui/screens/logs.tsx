import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { LogLineView } from '../../cli/report-format.js';
import { renderLogLine } from '../../cli/report-format.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

const KEEP = 500;

function levelColor(level: string): string | null {
  if (level === 'error' || level === 'fatal') return 'red';
  if (level === 'warn') return 'yellow';
  return null;
}

export function LogsScreen({ api, width, height }: ScreenProps) {
  const c = useColor();
  const [lines, setLines] = useState<LogLineView[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(
    () =>
      api.followLogs((l) => {
        setError(null);
        setLines((ls) => [...ls.slice(-(KEEP - 1)), l]);
      }, setError),
    [api],
  );
  const visible = lines.slice(-Math.max(3, height - 6));
  return (
    <Box flexDirection="column">
      <Text bold>Logs (live)</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {lines.length === 0 && <Text dimColor>Waiting for log lines…</Text>}
      {visible.map((l, i) => {
        const color = levelColor(l.level);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a log line has no id; the window only grows at the end
          <Text key={i} color={color ? c(color) : undefined}>
            {renderLogLine(l)
              .trimEnd()
              .slice(0, Math.max(10, width - 1))}
          </Text>
        );
      })}
    </Box>
  );
}
