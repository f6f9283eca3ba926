import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { useLoad } from '../hooks.js';
import { TextInput } from '../text-input.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

/** "90" (minutes), "90m", "5h" or "3600s" as milliseconds; null when it is none of those. */
export function parseWindow(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([hms]?)\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const ms = unit === 'h' ? n * 3_600_000 : unit === 's' ? n * 1000 : n * 60_000;
  return Math.round(ms);
}

function describeMs(ms: unknown): string {
  if (typeof ms !== 'number') return String(ms);
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms}ms`;
}

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
          {describeMs(session.value)} (from {session.source}
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
            const ms = parseWindow(v);
            if (ms === null) {
              setNote(`not a duration: ${v}`);
              return;
            }
            api.setConfig({ sessionMs: ms }).then(
              () => {
                setNote(`session window set to ${describeMs(ms)}`);
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
