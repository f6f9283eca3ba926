import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { formatTime } from '../../cli/format.js';
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

export function ServerScreen({ api, openUrl, now }: ScreenProps) {
  const c = useColor();
  const loaded = useLoad(async () => ({ health: await api.health(), at: now() }), [api], 2000);
  const { error } = loaded;
  // A failed poll keeps the last answer: shown under "Not answering" it passed for the gateway's
  // current state (Status ok, a stopped uptime), so only when it answered last is said.
  const data = error === null ? (loaded.data?.health ?? null) : null;
  const lastAt = loaded.data?.at ?? null;
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
      {error !== null && lastAt !== null && (
        <Text dimColor>
          {label('Last seen')}
          {formatUptime(Math.max(0, now() - lastAt))} ago, at {formatTime(lastAt, now())}
        </Text>
      )}
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
            {data.accounts === 0 && (
              <Text color={c('yellow')}> · none yet: 3 Accounts, then a (API key) or o (Claude sign-in)</Text>
            )}
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
