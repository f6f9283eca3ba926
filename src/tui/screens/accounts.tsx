import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { formatRateLimit, formatStatus } from '../../cli/format.js';
import { useLoad } from '../hooks.js';
import { TextInput } from '../text-input.js';
import { accountColor, useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

type Mode =
  | { kind: 'list' }
  | { kind: 'remove'; name: string }
  | { kind: 'addName' }
  | { kind: 'addKey'; name: string };

export function AccountsScreen({ api, setModal, now }: ScreenProps) {
  const c = useColor();
  const { data, error, reload } = useLoad(() => api.accounts(), [api], 3000);
  const [selected, setSelected] = useState(0);
  const [mode, setModeState] = useState<Mode>({ kind: 'list' });
  const [note, setNote] = useState<string | null>(null);
  const accounts = data ?? [];
  const current = accounts[Math.min(selected, accounts.length - 1)];
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ current, count: accounts.length });
  latest.current = { current, count: accounts.length };

  const setMode = (m: Mode) => {
    setModeState(m);
    setModal(m.kind !== 'list');
  };
  const act = (what: string, p: Promise<unknown>) => {
    p.then(
      () => {
        setNote(what);
        reload();
      },
      (err: unknown) => setNote(`failed: ${(err as Error).message}`),
    );
  };

  useInput(
    (input, key) => {
      const { current, count } = latest.current;
      if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
      else if (key.downArrow) setSelected((s) => Math.min(count - 1, s + 1));
      else if (input === 'p' && current) act(`paused ${current.name}`, api.pause(current.name));
      else if (input === 'r' && current) act(`resumed ${current.name}`, api.resume(current.name));
      else if (input === 'd' && current) setMode({ kind: 'remove', name: current.name });
      else if (input === 'a') setMode({ kind: 'addName' });
    },
    { isActive: mode.kind === 'list' },
  );

  return (
    <Box flexDirection="column">
      <Text bold>Accounts</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && accounts.length === 0 && <Text>No accounts yet: press a to add one with an API key.</Text>}
      {accounts.map((a, i) => (
        <Text key={a.id} inverse={i === selected && mode.kind === 'list'}>
          {i === selected ? '>' : ' '} {a.name.padEnd(20)} {a.kind.padEnd(8)}{' '}
          <Text color={c(accountColor(a.status))}>{formatStatus(a, now()).padEnd(14)}</Text> req {a.requestCount}{' '}
          {formatRateLimit(a, now())}
        </Text>
      ))}
      {mode.kind === 'remove' && (
        <TextInput
          label={`Type "${mode.name}" to remove it (Esc cancels)`}
          onCancel={() => setMode({ kind: 'list' })}
          onSubmit={(v) => {
            setMode({ kind: 'list' });
            if (v === mode.name) act(`removed ${mode.name}`, api.remove(mode.name));
            else setNote('not removed: the name did not match');
          }}
        />
      )}
      {mode.kind === 'addName' && (
        <TextInput
          label="New account name (Esc cancels)"
          onCancel={() => setMode({ kind: 'list' })}
          onSubmit={(v) => (v.trim() ? setMode({ kind: 'addKey', name: v.trim() }) : setMode({ kind: 'list' }))}
        />
      )}
      {mode.kind === 'addKey' && (
        <TextInput
          label={`API key for ${mode.name}`}
          mask
          onCancel={() => setMode({ kind: 'list' })}
          onSubmit={(v) => {
            setMode({ kind: 'list' });
            act(`added ${mode.name}`, api.addKey(mode.name, v.trim()));
          }}
        />
      )}
      {note !== null && <Text dimColor>{note}</Text>}
      <Text dimColor>↑/↓ select · p pause · r resume · d remove · a add (API key)</Text>
    </Box>
  );
}
