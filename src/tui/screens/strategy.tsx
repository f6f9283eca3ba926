/**
 * The strategy screen (tab "Settings", also key 0 like the dashboard's Strategy): the strategy
 * and session window with a switch, the order the next request would try and why, each account's
 * hybrid score parts and 5h/7d bars with their quota thresholds marked, and the global and
 * per-account thresholds edited in place (`GET /api/strategy`, `PUT /api/strategy/thresholds`);
 * `c` lists every runtime setting (runtime-settings.tsx).
 */
import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { formatDuration, parseDuration } from '../../shared/duration.js';
import type { ThresholdSettingsView } from '../../shared/strategy-schemas.js';
import { markedBar } from '../charts.js';
import { useLoad } from '../hooks.js';
import { cell, moreText, shorten } from '../layout.js';
import { TextInput } from '../text-input.js';
import { useColor } from '../theme.js';
import { RuntimeSettings } from './runtime-settings.js';
import type { ScreenProps } from './types.js';

/** One line per strategy: what it does (README "Strategies" says more). */
export const STRATEGY_HELP: Record<string, string> = {
  session: 'one account per session window, by priority; moves only when limited',
  sticky: 'stays on the current account; holds a request when its limit resets within the wait',
  'round-robin': 'next usable account per request (session affinity keeps a session on one)',
  'least-used': 'lowest 5h utilization first, then fewest requests in the window',
  'drain-soonest': 'the window that resets soonest first, so expiring quota is spent',
  hybrid: 'highest score (health, bucket, quota, rest); emergency, last resort, then 503',
};

type Mode = null | 'strategy' | 'session' | 'global' | 'account';

const pct = (f: number | null | undefined) => (f == null ? '–' : `${Math.round(f * 100)}%`);
const setPct = (v: number | null | undefined) => (v == null ? 'off' : `${v}%`);
const num = (n: number, d = 2) => n.toFixed(d);

/** "90,80", "90," or ",80" (empty: none) into percents; null when it is not that. */
export function parsePercentPair(s: string): { '5h': number | null; '7d': number | null } | null {
  const parts = s.split(',').map((x) => x.trim());
  if (parts.length > 2) return null;
  const out: (number | null)[] = [];
  for (const p of [parts[0] ?? '', parts[1] ?? '']) {
    if (p === '' || p === 'off') out.push(null);
    else if (/^\d+(\.\d+)?$/.test(p) && Number(p) <= 1000) out.push(Number(p));
    else return null;
  }
  return { '5h': out[0] ?? null, '7d': out[1] ?? null };
}

function familyText(t: ThresholdSettingsView): string {
  const parts = Object.entries(t.perFamily)
    .filter(([, w]) => w && (w['5h'] !== undefined || w['7d'] !== undefined))
    .map(([f, w]) =>
      `${f} ${w?.['5h'] !== undefined ? `5h ${w['5h']}% ` : ''}${w?.['7d'] !== undefined ? `7d ${w['7d']}%` : ''}`.trim(),
    );
  return parts.length === 0 ? '' : ` · ${parts.join(' · ')}`;
}

export function StrategyScreen({ api, setModal, width, height }: ScreenProps) {
  const c = useColor();
  const view = useLoad(() => api.strategy(), [api], 3000);
  const config = useLoad(() => api.config(), [api], 5000);
  const [mode, setMode] = useState<Mode>(null);
  const [selected, setSelected] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  /** The list of every runtime setting (`c`) in place of the strategy's view. */
  const [all, setAll] = useState(false);
  const data = view.data;
  const accounts = data?.accounts ?? [];
  const current = accounts[Math.min(selected, accounts.length - 1)];

  const open = (m: Mode) => {
    setNote(null);
    setMode(m);
    setModal(true);
  };
  const close = () => {
    setMode(null);
    setModal(false);
  };
  useInput(
    (input, key) => {
      if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
      else if (key.downArrow) setSelected((s) => Math.min(accounts.length - 1, s + 1));
      else if (input === 's') open('strategy');
      else if (input === 'w') open('session');
      else if (input === 'g' && data) open('global');
      else if (input === 't' && current) open('account');
      else if (input === 'c') setAll(true);
    },
    { isActive: mode === null && !all },
  );

  const done = (p: Promise<unknown>, ok: string) =>
    p.then(
      () => {
        setNote(ok);
        view.reload();
        config.reload();
      },
      (err: unknown) => setNote(`failed: ${(err as Error).message}`),
    );

  const saveThresholds = (next: ThresholdSettingsView, ok: string) => done(api.setThresholds(next), ok);

  const submit = (v: string) => {
    const m = mode;
    close();
    if (m === 'strategy') {
      const name = v.trim();
      void done(api.setConfig({ strategy: name }), `strategy set to ${name}: the next request uses it`);
    } else if (m === 'session') {
      const ms = parseDuration(v);
      if (ms === null) setNote(`not a duration: ${v} (e.g. 5h, 90m, 1h30m)`);
      else void done(api.setConfig({ sessionMs: ms }), `session window set to ${formatDuration(ms)}`);
    } else if ((m === 'global' || m === 'account') && data) {
      const pair = parsePercentPair(v);
      if (pair === null) {
        setNote(`not 5h,7d percents: ${v} (e.g. 90,80; empty for none)`);
        return;
      }
      const t = data.thresholdSettings.thresholds;
      if (m === 'global') {
        void saveThresholds(
          { ...t, global: pair },
          `global thresholds set to 5h ${setPct(pair['5h'])}, 7d ${setPct(pair['7d'])}`,
        );
      } else if (current) {
        const own: ThresholdSettingsView['perAccount'][string] = { ...t.perAccount[current.name] };
        delete own['5h'];
        delete own['7d'];
        if (pair['5h'] !== null) own['5h'] = pair['5h'];
        if (pair['7d'] !== null) own['7d'] = pair['7d'];
        void saveThresholds(
          { ...t, perAccount: { ...t.perAccount, [current.name]: own } },
          `thresholds of ${current.name} set to 5h ${setPct(pair['5h'])}, 7d ${setPct(pair['7d'])}`,
        );
      }
    }
  };

  const session = config.data?.sessionMs;
  const strategySetting = config.data?.strategy;
  const error = view.error ?? config.error;
  // Two lines per account; the rest of the screen takes 9 lines plus the next order.
  const nextLines = Math.min(3, data?.nextOrder.length ?? 0) || 1;
  const fits = Math.floor((height - 9 - nextLines) / 2);
  // A list that does not fit gives a line to saying how many accounts are out of sight.
  const room = Math.max(1, accounts.length > fits ? Math.floor((height - 10 - nextLines) / 2) : fits);
  const first = Math.max(0, Math.min(selected - room + 1, accounts.length - room));
  const shown = accounts.slice(first, first + room);
  const moreAccounts = moreText(first, Math.max(0, accounts.length - first - shown.length));
  const barW = Math.max(6, Math.floor((width - 34) / 2));
  // Ink truncates at the terminal's width; the screen may be given less.
  const clip = (line: string) => shorten(line, width);
  const labels: Record<Exclude<Mode, null>, string> = {
    strategy: `Strategy (${data?.strategies.map((s) => s.name).join(', ') ?? ''}; Esc cancels)`,
    session: 'New session window (e.g. 5h, 90m; Esc cancels)',
    global: 'Global thresholds 5h,7d in % (e.g. 90,80; empty for none; Esc cancels)',
    account: `Thresholds of ${current?.name ?? ''} 5h,7d in % (empty for none; Esc cancels)`,
  };

  if (all) {
    return (
      <RuntimeSettings
        api={api}
        width={width}
        height={height}
        setModal={setModal}
        onClose={() => {
          setAll(false);
          view.reload();
          config.reload();
        }}
      />
    );
  }

  return (
    <Box flexDirection="column">
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && (
        <>
          <Text>
            <Text bold>Strategy: {data.strategy}</Text>
            {strategySetting ? ` (from ${strategySetting.source})` : ''}
            {session && typeof session.value === 'number'
              ? ` · session window ${formatDuration(session.value)} (from ${session.source})`
              : ''}
          </Text>
          <Text dimColor>{clip(STRATEGY_HELP[data.strategy] ?? '')}</Text>
          {data.spreadsSessions ? (
            <Text color={c('yellow')}>
              {clip('! spreads a session over accounts: cold prompt caches, may look like account sharing')}
            </Text>
          ) : (
            <Text dimColor>keeps a session on one account: prompt caches stay warm</Text>
          )}
          {data.nextOrder.length === 0 ? (
            <Text color={c('red')}>Next: no account can serve (503)</Text>
          ) : (
            data.nextOrder.slice(0, 3).map((o, i) => {
              const head = `${i === 0 ? 'Next: ' : '      '}${i + 1}. ${o.account} `;
              const more = i === 2 && data.nextOrder.length > 3 ? ` (+${data.nextOrder.length - 3} more)` : '';
              return (
                <Text key={o.account}>
                  {clip(head)}
                  <Text dimColor>{clip(head + o.reason + more).slice(head.length)}</Text>
                </Text>
              );
            })
          )}
          <Text>
            {clip(
              `Thresholds: global 5h ${setPct(data.thresholdSettings.thresholds.global['5h'])}, 7d ${setPct(
                data.thresholdSettings.thresholds.global['7d'],
              )}${familyText(data.thresholdSettings.thresholds)}${
                data.thresholdSettings.pinnedBy.length > 0
                  ? ` (set by ${data.thresholdSettings.pinnedBy.join(', ')})`
                  : ''
              }`,
            )}
          </Text>
          <Text bold>
            {'  Account      State            Health Bucket Score (health+bucket+quota+rest)'.slice(0, width)}
          </Text>
          {shown.map((a) => {
            const i = accounts.indexOf(a);
            const state = a.unusable ?? (a.pastThreshold ? 'past threshold' : 'usable');
            const s = a.score;
            return (
              <Box key={a.id} flexDirection="column">
                <Text inverse={i === selected}>
                  {clip(
                    `${i === selected ? '> ' : '  '}${cell(a.name, 12)} ${cell(state, 16)} ${num(a.health, 0).padStart(
                      6,
                    )} ${num(a.bucketTokens, 1).padStart(6)} ${num(s.total)} (${num(s.health)}+${num(
                      s.bucket,
                    )}+${num(s.quota)}+${num(s.rest)})`,
                  )}
                </Text>
                <Text>
                  {clip(
                    `    5h ${markedBar(a.fiveHour?.utilization ?? null, a.thresholds.fiveHour, barW)} ${pct(
                      a.fiveHour?.utilization,
                    )}/${pct(a.thresholds.fiveHour)}  7d ${markedBar(
                      a.sevenDay?.utilization ?? null,
                      a.thresholds.sevenDay,
                      barW,
                    )} ${pct(a.sevenDay?.utilization)}/${pct(a.thresholds.sevenDay)}`,
                  )}
                </Text>
              </Box>
            );
          })}
          {moreAccounts !== null && <Text dimColor>{clip(`  ${moreAccounts}`)}</Text>}
        </>
      )}
      {mode !== null && <TextInput label={labels[mode]} onCancel={close} onSubmit={submit} />}
      {note !== null && <Text dimColor>{note}</Text>}
      <Text dimColor>
        {clip('s strategy · w session window · g global · t account thresholds · c all settings · ↑/↓ select')}
      </Text>
    </Box>
  );
}
