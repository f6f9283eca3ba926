/** The terminal UI: one screen at a time, switched by number keys or Tab, with a help line. */
import { Box, Text, useApp, useInput } from 'ink';
import { type ComponentType, useState } from 'react';
import type { TuiApi } from './api.js';
import { useLoad, useTerminalSize } from './hooks.js';
import { clip } from './layout.js';
import { AccountsScreen } from './screens/accounts.js';
import { AgentsScreen } from './screens/agents.js';
import { AnalyticsScreen } from './screens/analytics.js';
import { LogsScreen } from './screens/logs.js';
import { RequestsScreen } from './screens/requests.js';
import { ServerScreen } from './screens/server.js';
import { StatsScreen } from './screens/stats.js';
import { StrategyScreen } from './screens/strategy.js';
import type { ScreenProps } from './screens/types.js';
import { WorkersScreen } from './screens/workers.js';
import { ColorContext } from './theme.js';

/**
 * The dashboard's screens in the dashboard's order (dashboard/src/App.tsx), so 1-7 mean the same in
 * both; Agents is appended as 8 so those numbers stay. The TUI's Settings are the strategy's (and
 * the session window), so 0, the dashboard's Strategy key, opens them too (STRATEGY_KEY). Workers
 * (9) holds the approval queue as its second pane: its tab shows how many calls wait.
 */
export const SCREENS: { name: string; component: ComponentType<ScreenProps> }[] = [
  { name: 'Overview', component: ServerScreen },
  { name: 'Requests', component: RequestsScreen },
  { name: 'Accounts', component: AccountsScreen },
  { name: 'Analytics', component: AnalyticsScreen },
  { name: 'Logs', component: LogsScreen },
  { name: 'Stats', component: StatsScreen },
  { name: 'Settings', component: StrategyScreen },
  { name: 'Agents', component: AgentsScreen },
  { name: 'Workers', component: WorkersScreen },
];

const TITLE = 'ccflare ';

/** The dashboard's key for its Strategy screen; here it opens the Settings tab, which shows it. */
const STRATEGY_KEY = '0';

/** The 0-based index of a screen by its name. */
export function screenIndex(name: string): number {
  const i = SCREENS.findIndex((s) => s.name === name);
  if (i === -1) throw new Error(`no screen named ${name}`);
  return i;
}

/** How often the tab row's count of waiting approvals is read. */
const PENDING_POLL_MS = 2000;

export interface TabLayout {
  /** Whether "ccflare" leads the row. */
  title: boolean;
  /** Whether each tab has a space either side (else one space between tabs). */
  padded: boolean;
  /** The tabs' indexes on each line. */
  lines: number[][];
}

/**
 * The tab row for a terminal `columns` wide: on one line with the title and padding when they fit,
 * then without padding, then without the title; narrower (nine tabs take 89 columns, 80 is common),
 * the tabs wrap onto a second line and the app drops the blank line under them, so the screen
 * keeps its rows and the help line stays on a 24-row terminal.
 */
export function layoutTabs(tabs: readonly string[], columns: number): TabLayout {
  const all = tabs.map((_, i) => i);
  const padded = tabs.reduce((n, t) => n + t.length + 2, 0);
  const single = tabs.reduce((n, t) => n + t.length, 0) + tabs.length - 1;
  if (TITLE.length + padded <= columns) return { title: true, padded: true, lines: [all] };
  if (TITLE.length + single <= columns) return { title: true, padded: false, lines: [all] };
  if (single <= columns) return { title: false, padded: false, lines: [all] };
  const lines: number[][] = [];
  let line: number[] = [];
  let used = 0;
  tabs.forEach((t, i) => {
    if (line.length > 0 && used + 1 + t.length > columns) {
      lines.push(line);
      line = [];
      used = 0;
    }
    used += (line.length > 0 ? 1 : 0) + t.length;
    line.push(i);
  });
  lines.push(line);
  return { title: false, padded: false, lines };
}

/**
 * The keys line under every screen, in the longest wording that fits `columns`: a line that wraps
 * takes a second row, and on a split pane of 60 columns it pushed the tab row off the top.
 */
export function helpLine(screens: number, columns: number): string {
  const variants = [
    `1-${screens}/Tab switch screen · 0 strategy · ↑/↓ move · Enter open · Esc back · q quit`,
    `1-${screens}/Tab screens · 0 strategy · Enter open · Esc back · q quit`,
    `1-${screens}/Tab screens · Esc back · q quit`,
  ];
  return variants.find((v) => v.length < columns) ?? clip(variants[variants.length - 1] as string, columns);
}

/** Calls waiting for approval, for the Workers tab; 0 while workers are unavailable (no SDK: 503). */
function usePendingApprovals(api: TuiApi): number {
  const { data } = useLoad(() => api.approvals(), [api], PENDING_POLL_MS);
  return data?.length ?? 0;
}

export interface AppProps {
  api: TuiApi;
  colors: boolean;
  openUrl?: (url: string) => boolean;
  now?: () => number;
  initialScreen?: number;
}

export function App({ api, colors, openUrl = () => false, now = Date.now, initialScreen = 0 }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [screen, setScreen] = useState(initialScreen);
  const [modal, setModal] = useState(false);
  useInput(
    (input, key) => {
      if (key.tab) {
        setScreen((s) => (s + (key.shift ? SCREENS.length - 1 : 1)) % SCREENS.length);
        return;
      }
      // Keys typed while the UI is busy (a redraw on a loaded machine) arrive as one chunk, "23":
      // each counts, in order, instead of the whole chunk being ignored.
      for (const ch of input) {
        if (ch === 'q') {
          exit();
          return;
        }
        if (/^[1-9]$/.test(ch) && Number(ch) <= SCREENS.length) setScreen(Number(ch) - 1);
        else if (ch === STRATEGY_KEY) setScreen(screenIndex('Settings'));
      }
    },
    { isActive: !modal },
  );
  const Screen = SCREENS[screen]?.component ?? ServerScreen;
  const pending = usePendingApprovals(api);
  const tabs = SCREENS.map((s, i) => `${i + 1} ${s.name}`);
  const badges = SCREENS.map((s) => (s.name === 'Workers' && pending > 0 ? ` (${pending} pending)` : ''));
  const layout = layoutTabs(
    tabs.map((t, i) => t + badges[i]),
    columns,
  );
  const pad = layout.padded ? ' ' : '';
  // A second tab line takes the blank line under the tabs, so the screen keeps rows - 4.
  const marginTop = layout.lines.length > 1 ? 0 : 1;
  return (
    <ColorContext.Provider value={colors}>
      <Box flexDirection="column" width={columns}>
        {layout.lines.map((line, n) => (
          <Text key={line.join()}>
            {n === 0 && layout.title && (
              <Text bold color={colors ? 'cyan' : undefined}>
                {TITLE}
              </Text>
            )}
            {line.map((i, k) => (
              <Text key={tabs[i]}>
                {k > 0 && pad === '' ? ' ' : ''}
                <Text inverse={i === screen}>
                  {`${pad}${tabs[i]}`}
                  {badges[i] !== '' && (
                    <Text bold color={colors ? 'yellow' : undefined}>
                      {badges[i]}
                    </Text>
                  )}
                  {pad}
                </Text>
              </Text>
            ))}
          </Text>
        ))}
        <Box flexDirection="column" marginTop={marginTop} marginBottom={1}>
          <Screen
            key={screen}
            api={api}
            setModal={setModal}
            width={columns}
            height={rows - 2 - layout.lines.length - marginTop}
            now={now}
            openUrl={openUrl}
          />
        </Box>
        <Text dimColor>{helpLine(SCREENS.length, columns)}</Text>
      </Box>
    </ColorContext.Provider>
  );
}
