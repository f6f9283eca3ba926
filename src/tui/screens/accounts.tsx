import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { AccountView } from '../../accounts/account-status.js';
import { formatAttempts, formatRateLimit, formatRecentErrors, formatStatus, formatWindows } from '../../cli/format.js';
import type { OAuthInit, OAuthMode } from '../api.js';
import { useLoad } from '../hooks.js';
import { clip } from '../layout.js';
import { TextInput } from '../text-input.js';
import { accountColor, useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

type Mode =
  | { kind: 'list' }
  | { kind: 'remove'; name: string }
  | { kind: 'addName' }
  | { kind: 'addKey'; name: string }
  | { kind: 'oauthName' }
  | { kind: 'oauthMode'; name: string }
  | { kind: 'oauthStarting'; name: string; mode: OAuthMode }
  | {
      kind: 'oauthCode';
      name: string;
      mode: OAuthMode;
      flow: OAuthInit;
      opened: boolean;
      busy: boolean;
      error: string | null;
      attempt: number;
    };

const NAME_W = 16;
const KIND_W = 7;
const STATE_W = 13;
const REQ_W = 5;
const ATT_W = 13;
/** Columns before the requests count: the selection mark, name, kind and state. */
const LEAD_W = 2 + NAME_W + 1 + KIND_W + 1 + STATE_W;
const HEADER = `  ${'NAME'.padEnd(NAME_W)} ${'KIND'.padEnd(KIND_W)} ${'STATE'.padEnd(STATE_W)} ${'REQ'.padStart(REQ_W)} ${'ATTEMPTS'.padEnd(ATT_W)} WINDOWS`;

function stateWord(a: AccountView): string {
  if (a.status === 'cooling_down') return 'cooling down';
  if (a.status === 'needs_reauth') return 'needs re-auth';
  return a.status;
}

/** The 5-hour and weekly utilization ("5h* 42% 7d 10%"); the reset times are under the list. */
function compactWindows(a: AccountView): string {
  const rl = a.rateLimit;
  if (!rl) return '-';
  const windows = formatWindows(rl, null);
  return windows.length > 0 ? windows.join(' ') : (rl.status ?? '-');
}

export function AccountsScreen({ api, setModal, now, openUrl, width }: ScreenProps) {
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

  // Bumped when an OAuth flow is cancelled or finished, so a late answer from the API is ignored.
  const flowSeq = useRef(0);
  const modeRef = useRef(mode);

  const setMode = (m: Mode) => {
    modeRef.current = m;
    setModeState(m);
    setModal(m.kind !== 'list');
  };
  const cancelOAuth = () => {
    flowSeq.current++;
    setMode({ kind: 'list' });
    setNote('sign-in cancelled');
  };
  const startOAuth = (name: string, oauthMode: OAuthMode) => {
    const seq = ++flowSeq.current;
    setMode({ kind: 'oauthStarting', name, mode: oauthMode });
    api.oauthInit(name, oauthMode).then(
      (flow) => {
        if (seq !== flowSeq.current) return;
        let opened = false;
        try {
          opened = openUrl(flow.authorizeUrl);
        } catch {
          // No browser: the URL is shown to copy.
        }
        setMode({ kind: 'oauthCode', name, mode: oauthMode, flow, opened, busy: false, error: null, attempt: 0 });
      },
      (err: unknown) => {
        if (seq !== flowSeq.current) return;
        setMode({ kind: 'list' });
        setNote(`sign-in failed: ${(err as Error).message}`);
      },
    );
  };
  const submitCode = (code: string) => {
    const m = modeRef.current;
    if (m.kind !== 'oauthCode' || m.busy) return;
    if (!code.trim()) {
      setMode({ ...m, error: 'paste the code#state the page shows', attempt: m.attempt + 1 });
      return;
    }
    const seq = flowSeq.current;
    setMode({ ...m, busy: true, error: null });
    api.oauthCallback(m.flow.flowId, code.trim()).then(
      (account) => {
        if (seq !== flowSeq.current) return;
        flowSeq.current++;
        setMode({ kind: 'list' });
        setNote(`${m.flow.reauthenticate ? 'signed in again' : 'added'} ${account.name} (${account.kind})`);
        reload();
      },
      (err: unknown) => {
        if (seq !== flowSeq.current) return;
        // The flow stays open on the server: a mistyped paste can be retried.
        setMode({ ...m, busy: false, error: (err as Error).message, attempt: m.attempt + 1 });
      },
    );
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
      else if (input === 'o') setMode({ kind: 'oauthName' });
    },
    { isActive: mode.kind === 'list' },
  );

  // Steps of the OAuth flow that show no text input: choosing the mode and waiting for the API.
  useInput(
    (input, key) => {
      const m = modeRef.current;
      if (key.escape) cancelOAuth();
      else if (m.kind === 'oauthMode' && (input === 'm' || input === 'c'))
        startOAuth(m.name, input === 'm' ? 'max' : 'console');
    },
    {
      isActive: mode.kind === 'oauthMode' || mode.kind === 'oauthStarting' || (mode.kind === 'oauthCode' && mode.busy),
    },
  );

  return (
    <Box flexDirection="column">
      <Text bold>Accounts</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && accounts.length === 0 && (
        <Text>No accounts yet: press a to add one with an API key, or o to sign in with OAuth.</Text>
      )}
      {accounts.length > 0 && <Text bold>{clip(HEADER, width)}</Text>}
      {accounts.map((a, i) => (
        <Text key={a.id} inverse={i === selected && mode.kind === 'list'}>
          {`${i === selected ? '>' : ' '} ${a.name.slice(0, NAME_W).padEnd(NAME_W)} ${a.kind.padEnd(KIND_W)} `}
          {/* The state in a word: the selected account's full state and windows are under the list. */}
          <Text color={c(accountColor(a.status))}>{stateWord(a).slice(0, STATE_W).padEnd(STATE_W)}</Text>
          {clip(
            ` ${String(a.requestCount).padStart(REQ_W)} ${formatAttempts(a).padEnd(ATT_W)} ${compactWindows(a)}`,
            width - LEAD_W,
          )}
        </Text>
      ))}
      {mode.kind === 'list' && current !== undefined && current.status !== 'failing' && (
        <Text dimColor>
          {clip(`${current.name}: ${formatStatus(current, now())} · ${formatRateLimit(current, now())}`, width)}
        </Text>
      )}
      {mode.kind === 'list' && current !== undefined && current.recentErrors.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {current.status === 'failing' && (
            <Text color={c(accountColor('failing'))}>
              {current.name} is failing: {current.statusReason}
            </Text>
          )}
          <Text>Last errors of {current.name}:</Text>
          {formatRecentErrors(current, now()).map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, redrawn whole
            <Text key={i} color={c('red')}>
              {'  '}
              {line}
            </Text>
          ))}
        </Box>
      )}
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
      {mode.kind === 'oauthName' && (
        <TextInput
          label="Account name to sign in (Esc cancels)"
          onCancel={cancelOAuth}
          onSubmit={(v) => (v.trim() ? setMode({ kind: 'oauthMode', name: v.trim() }) : cancelOAuth())}
        />
      )}
      {mode.kind === 'oauthMode' && (
        <Text>Sign in {mode.name} with: m Claude Pro/Max · c Anthropic Console (Esc cancels)</Text>
      )}
      {mode.kind === 'oauthStarting' && <Text dimColor>Starting sign-in for {mode.name}… (Esc cancels)</Text>}
      {mode.kind === 'oauthCode' && (
        <Box flexDirection="column">
          <Text>
            {mode.flow.reauthenticate ? 'Signing in again' : 'Signing in'} {mode.name} ({mode.mode}).{' '}
            {mode.opened ? 'Opened a browser at:' : 'Open this URL in a browser:'}
          </Text>
          <Text>{mode.flow.authorizeUrl}</Text>
          {mode.error !== null && <Text color={c('red')}>failed: {mode.error} (paste again or Esc)</Text>}
          {mode.busy ? (
            <Text dimColor>Checking the code… (Esc cancels)</Text>
          ) : (
            <TextInput
              key={mode.attempt}
              label="Paste the code#state the page shows (Esc cancels)"
              onCancel={cancelOAuth}
              onSubmit={submitCode}
            />
          )}
        </Box>
      )}
      {note !== null && <Text dimColor>{note}</Text>}
      <Text dimColor>↑/↓ select · p pause · r resume · d remove · a add (API key) · o sign in (OAuth)</Text>
    </Box>
  );
}
