import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { formatDuration, parseDuration } from '../../shared/duration.js';
import { useLoad } from '../hooks.js';
import { TextInput } from '../text-input.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

const LABEL_WIDTH = 'Session window: '.length;
/** A label padded so the values after it line up. */
const label = (name: string) => `${name}:`.padEnd(LABEL_WIDTH);

export function StrategyScreen({ api, setModal }: ScreenProps) {
  const c = useColor();
  const { data, error, reload } = useLoad(() => api.config(), [api], 5000);
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  useInput(
    (input) => {
      if (input === 's') {
        setEditing(true);
        setModal(true);
      }
    },
    { isActive: !editing },
  );
  const stop = () => {
    setEditing(false);
    setModal(false);
  };
  const strategy = data?.strategy;
  const session = data?.sessionMs;
  return (
    <Box flexDirection="column">
      <Text bold>Settings</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {strategy && (
        <Text>
          {label('Strategy')}
          {String(strategy.value)} (from {strategy.source})
        </Text>
      )}
      {session && (
        <Text>
          {label('Session window')}
          {typeof session.value === 'number' ? formatDuration(session.value) : String(session.value)} (from{' '}
          {session.source}
          {session.pinned ? `, pinned by ${session.env}` : ''})
        </Text>
      )}
      {session && <Text dimColor>{session.doc}</Text>}
      {editing && (
        <TextInput
          label="New session window (e.g. 5h, 90m; Esc cancels)"
          onCancel={stop}
          onSubmit={(v) => {
            stop();
            const ms = parseDuration(v);
            if (ms === null) {
              setNote(`not a duration: ${v} (e.g. 5h, 90m, 1h30m)`);
              return;
            }
            api.setConfig({ sessionMs: ms }).then(
              () => {
                setNote(`session window set to ${formatDuration(ms)}`);
                reload();
              },
              (err: unknown) => setNote(`failed: ${(err as Error).message}`),
            );
          }}
        />
      )}
      {note !== null && <Text dimColor>{note}</Text>}
      <Text dimColor>s change the session window</Text>
    </Box>
  );
}
