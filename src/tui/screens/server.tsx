import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { useLoad } from '../hooks.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

const LABEL_WIDTH = 'Dashboard: '.length;
/** A label padded so the values after it line up. */
const label = (name: string) => `${name}:`.padEnd(LABEL_WIDTH);

export function ServerScreen({ api, openUrl }: ScreenProps) {
  const c = useColor();
  const { data, error } = useLoad(() => api.health(), [api], 2000);
  const [note, setNote] = useState<string | null>(null);
  const dashboard = `${api.base}/`;
  useInput((input) => {
    if (input === 'o') setNote(openUrl(dashboard) ? `opening ${dashboard}` : `open ${dashboard} in a browser`);
  });
  return (
    <Box flexDirection="column">
      <Text bold>Overview</Text>
      <Text>
        {label('Address')}
        {api.base}
      </Text>
      {error !== null && <Text color={c('red')}>Not answering: {error}</Text>}
      {data && (
        <>
          <Text>
            {label('Status')}
            {data.status === 'ok' ? data.status : <Text color={c('yellow')}>{data.status}</Text>}
          </Text>
          {data.reasons?.map((r) => (
            <Text key={r} color={c('yellow')}>
              {' '.repeat(LABEL_WIDTH)}
              {r}
            </Text>
          ))}
          <Text>
            {label('Uptime')}
            {formatUptime(data.uptimeMs)}
          </Text>
          <Text>
            {label('Strategy')}
            {data.strategy}
          </Text>
          <Text>
            {label('Accounts')}
            {data.accounts}
          </Text>
          <Text>
            {label('In flight')}
            {data.inFlight}
          </Text>
        </>
      )}
      <Text>
        {label('Dashboard')}
        {dashboard} (press o to open)
      </Text>
      {note !== null && <Text dimColor>{note}</Text>}
    </Box>
  );
}
