import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { AccountView } from '../../accounts/account-status.js';
import { formatAttempts, formatRateLimit, formatRecentErrors, formatStatus, formatWindows } from '../../cli/format.js';
import { validateName } from '../../shared/names.js';
import { ApiError, type OAuthInit, type OAuthMode } from '../api.js';
import { useLoad } from '../hooks.js';
import { cell, clip, stepIndex, windowed, wrap } from '../layout.js';
import { TextInput } from '../text-input.js';
import { accountColor, useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

type Mode =
  | { kind: 'list' }
  | { kind: 'remove'; name: string }
  /** `key`: the key typed before the gateway refused the name, offered again once the name is fixed. */
  | (Field<'addName'> & { key?: string })
  | (Field<'addKey'> & { name: string })
  | { kind: 'adding'; name: string }
  | Field<'oauthName'>
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

/** A step of a form that reads a field: what it holds and why it was asked again, if it was. */
type Field<K extends string> = { kind: K; value: string; error: string | null; attempt: number };

const field = <K extends string>(kind: K, value = '', error: string | null = null, attempt = 0): Field<K> => ({
  kind,
  value,
  error,
  attempt,
});

/** Terminal lines `text` takes when Ink wraps it at `width`. */
const linesOf = (text: string, width: number) => Math.max(1, Math.ceil(text.length / Math.max(1, width)));

const HELP = '↑/↓ select · p pause · r resume · d remove · a add (API key) · o sign in (OAuth)';

const NAME_W = 16;
const KIND_W = 7;
const STATE_W = 13;
/** Least widths of the requests and attempts columns; wider when the figures are (`12345 (120 failed)`). */
const REQ_W = 5;
const ATT_W = 13;
/** Columns before the requests count: the selection mark, name, kind and state. */
const LEAD_W = 2 + NAME_W + 1 + KIND_W + 1 + STATE_W;

/** The widths of the figure columns for these accounts, so that a long count does not push WINDOWS out of line. */
function figureWidths(accounts: readonly AccountView[]): { req: number; att: number } {
  let req = REQ_W;
  let att = ATT_W;
  for (const a of accounts) {
    req = Math.max(req, String(a.requestCount).length);
    att = Math.max(att, formatAttempts(a).length);
  }
  return { req, att };
}

function header(w: { req: number; att: number }): string {
  return `  ${'NAME'.padEnd(NAME_W)} ${'KIND'.padEnd(KIND_W)} ${'STATE'.padEnd(STATE_W)} ${'REQ'.padStart(w.req)} ${'ATTEMPTS'.padEnd(w.att)} WINDOWS`;
}

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

/** Why `name` cannot be a new account's name, checked as it is entered rather than after the key; null if it can. */
function newNameProblem(name: string, accounts: readonly { name: string }[]): string | null {
  const problem = validateName(name);
  if (problem !== null) return `Invalid account name ${JSON.stringify(name)}: ${problem}`;
  if (accounts.some((a) => a.name === name)) return `An account named "${name}" already exists`;
  return null;
}

export function AccountsScreen({ api, setModal, now, openUrl, width, height }: ScreenProps) {
  const c = useColor();
  const { data, error, reload } = useLoad(() => api.accounts(), [api], 3000);
  const [selected, setSelected] = useState(0);
  const [mode, setModeState] = useState<Mode>({ kind: 'list' });
  const [note, setNote] = useState<string | null>(null);
  const accounts = data ?? [];
  const current = accounts[Math.min(selected, accounts.length - 1)];
  // Key handlers can run before React re-subscribes them after a render: they read the latest here.
  const latest = useRef({ current, count: accounts.length, accounts, selected });
  latest.current = { current, count: accounts.length, accounts, selected };

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
  const addKey = (name: string, key: string) => {
    setMode({ kind: 'adding', name });
    api.addKey(name, key).then(
      () => {
        setMode({ kind: 'list' });
        setNote(`added ${name}`);
        reload();
      },
      (err: unknown) => {
        const message = (err as Error).message;
        // Refused: back to the field at fault with what was typed, so only that one is typed again.
        const aboutName = err instanceof ApiError && (err.status === 409 || /account name/i.test(message));
        setMode(
          aboutName
            ? { ...field('addName', name, message, 1), key }
            : { ...field('addKey', key, `failed: ${message}`, 1), name },
        );
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
      const l = latest.current;
      const { current } = l;
      if (key.upArrow || key.downArrow) {
        // Stored at once for a key after it in the same chunk ("↓p"; layout.ts stepIndex).
        l.selected = stepIndex(l.count, l.selected, key.upArrow ? -1 : 1);
        l.current = l.accounts[l.selected];
        setSelected(l.selected);
      } else if (input === 'p' && current) act(`paused ${current.name}`, api.pause(current.name));
      else if (input === 'r' && current) act(`resumed ${current.name}`, api.resume(current.name));
      else if (input === 'd' && current) setMode({ kind: 'remove', name: current.name });
      else if (input === 'a') setMode(field('addName'));
      else if (input === 'o') setMode(field('oauthName'));
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

  // Whole, not cut: it says what to correct.
  const wrapped = (text: string | null) => (text === null ? [] : wrap(text, Math.max(20, width - 1)));
  const showDetail = mode.kind === 'list' && current !== undefined && current.status !== 'failing';
  const errorLines = mode.kind === 'list' && current !== undefined ? formatRecentErrors(current, now()) : [];
  const failingLine =
    current !== undefined && current.status === 'failing'
      ? `${current.name} is failing: ${current.statusReason}`
      : null;
  // Lines under the list, so the list gets the rest of the screen and the help line stays on it.
  const formLines = (() => {
    switch (mode.kind) {
      case 'list':
        return 0;
      case 'addName':
      case 'addKey':
      case 'oauthName':
        return 1 + wrapped(mode.error).length;
      case 'oauthCode':
        return 2 + linesOf(mode.flow.authorizeUrl, width) + (mode.error === null ? 0 : linesOf(mode.error, width));
      default:
        return 1;
    }
  })();
  const below =
    (showDetail ? 1 : 0) +
    (errorLines.length > 0 ? 2 + errorLines.length + (failingLine === null ? 0 : 1) : 0) +
    formLines +
    (note === null ? 0 : 1) +
    linesOf(HELP, width);
  const listRoom = Math.max(1, height - 2 - (error === null ? 0 : 1) - below);
  const shown = windowed(accounts, Math.min(selected, accounts.length - 1), listRoom);
  const widths = figureWidths(accounts);
  const fieldError = (m: { error: string | null }) =>
    wrapped(m.error).map((line) => (
      <Text key={line} color={c('red')}>
        {line}
      </Text>
    ));
  return (
    <Box flexDirection="column">
      <Text bold>Accounts</Text>
      {error !== null && <Text color={c('red')}>{clip(error, width)}</Text>}
      {data && accounts.length === 0 && (
        <Text>No accounts yet: press a to add one with an API key, or o to sign in with OAuth.</Text>
      )}
      {accounts.length > 0 && <Text bold>{clip(header(widths), width)}</Text>}
      {shown.rows.map((a) => {
        const on = a === current;
        return (
          <Text key={a.id} inverse={on && mode.kind === 'list'}>
            {`${on ? '>' : ' '} ${cell(a.name, NAME_W)} ${a.kind.padEnd(KIND_W)} `}
            {/* The state in a word: the selected account's full state and windows are under the list. */}
            <Text color={c(accountColor(a.status))}>{cell(stateWord(a), STATE_W)}</Text>
            {clip(
              ` ${String(a.requestCount).padStart(widths.req)} ${formatAttempts(a).padEnd(widths.att)} ${compactWindows(a)}`,
              width - LEAD_W,
            )}
          </Text>
        );
      })}
      {shown.more !== null && <Text dimColor>{clip(shown.more, width)}</Text>}
      {showDetail && (
        <Text dimColor>
          {clip(`${current.name}: ${formatStatus(current, now())} · ${formatRateLimit(current, now())}`, width)}
        </Text>
      )}
      {current !== undefined && errorLines.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {failingLine !== null && <Text color={c(accountColor('failing'))}>{clip(failingLine, width)}</Text>}
          <Text>{clip(`Last errors of ${current.name}:`, width)}</Text>
          {errorLines.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, redrawn whole
            <Text key={i} color={c('red')}>
              {clip(`  ${line}`, width)}
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
        <>
          {fieldError(mode)}
          <TextInput
            key={mode.attempt}
            label="New account name (Esc cancels)"
            initial={mode.value}
            onCancel={() => setMode({ kind: 'list' })}
            onSubmit={(v) => {
              const name = v.trim();
              if (name === '') return setMode({ kind: 'list' });
              const problem = newNameProblem(name, latest.current.accounts);
              setMode(
                problem === null
                  ? { ...field('addKey', mode.key), name }
                  : { ...mode, value: v, error: `${problem} (fix it, or Esc)`, attempt: mode.attempt + 1 },
              );
            }}
          />
        </>
      )}
      {mode.kind === 'addKey' && (
        <>
          {fieldError(mode)}
          <TextInput
            key={mode.attempt}
            label={`API key for ${mode.name}`}
            mask
            initial={mode.value}
            onCancel={() => setMode({ kind: 'list' })}
            onSubmit={(v) => {
              const key = v.trim();
              if (key === '') setMode({ ...mode, value: v, error: 'The API key is empty', attempt: mode.attempt + 1 });
              else addKey(mode.name, key);
            }}
          />
        </>
      )}
      {mode.kind === 'adding' && <Text dimColor>{clip(`Adding ${mode.name}…`, width)}</Text>}
      {mode.kind === 'oauthName' && (
        <>
          {fieldError(mode)}
          <TextInput
            key={mode.attempt}
            label="Account name to sign in (Esc cancels)"
            initial={mode.value}
            onCancel={cancelOAuth}
            onSubmit={(v) => {
              const name = v.trim();
              if (name === '') return cancelOAuth();
              const problem = validateName(name);
              setMode(
                problem === null
                  ? { kind: 'oauthMode', name }
                  : field(
                      'oauthName',
                      v,
                      `Invalid account name ${JSON.stringify(name)}: ${problem} (fix it, or Esc)`,
                      mode.attempt + 1,
                    ),
              );
            }}
          />
        </>
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
      {note !== null && <Text dimColor>{clip(note, width)}</Text>}
      <Text dimColor>{HELP}</Text>
    </Box>
  );
}
