/** The terminal UI: one screen at a time, switched by number keys or Tab, with a help line. */
import { Box, Text, useApp, useInput } from 'ink';
import { type ComponentType, useState } from 'react';
import type { TuiApi } from './api.js';
import { useTerminalSize } from './hooks.js';
import { AccountsScreen } from './screens/accounts.js';
import { AgentsScreen } from './screens/agents.js';
import { AnalyticsScreen } from './screens/analytics.js';
import { LogsScreen } from './screens/logs.js';
import { RequestsScreen } from './screens/requests.js';
import { ServerScreen } from './screens/server.js';
import { StatsScreen } from './screens/stats.js';
import { StrategyScreen } from './screens/strategy.js';
import type { ScreenProps } from './screens/types.js';
import { ColorContext } from './theme.js';

/**
 * The dashboard's screens in the dashboard's order (dashboard/src/App.tsx), so 1-7 mean the same in
 * both; Agents is appended as 8 so those numbers stay. The TUI's Settings are the strategy's (and
 * the session window), so 0, the dashboard's Strategy key, opens them too (STRATEGY_KEY).
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
      if (input === 'q') exit();
      else if (key.tab) setScreen((s) => (s + (key.shift ? SCREENS.length - 1 : 1)) % SCREENS.length);
      else if (/^[1-9]$/.test(input) && Number(input) <= SCREENS.length) setScreen(Number(input) - 1);
      else if (input === STRATEGY_KEY) setScreen(screenIndex('Settings'));
    },
    { isActive: !modal },
  );
  const Screen = SCREENS[screen]?.component ?? ServerScreen;
  const tabs = SCREENS.map((s, i) => `${i + 1} ${s.name}`);
  // The tabs must stay on one line: a second one pushed the help line off a 24-row screen. Padded
  // they are 96 columns; one space between them 87 with the title, 79 without it.
  const padded = tabs.reduce((n, t) => n + t.length + 2, 0);
  const single = tabs.reduce((n, t) => n + t.length, 0) + tabs.length - 1;
  const pad = TITLE.length + padded <= columns ? ' ' : '';
  const title = pad === ' ' || TITLE.length + single <= columns;
  return (
    <ColorContext.Provider value={colors}>
      <Box flexDirection="column" width={columns}>
        <Text>
          {title && (
            <Text bold color={colors ? 'cyan' : undefined}>
              {TITLE}
            </Text>
          )}
          {tabs.map((t, i) => (
            <Text key={t}>
              {i > 0 && pad === '' ? ' ' : ''}
              <Text inverse={i === screen}>{`${pad}${t}${pad}`}</Text>
            </Text>
          ))}
        </Text>
        <Box flexDirection="column" marginY={1}>
          <Screen
            key={screen}
            api={api}
            setModal={setModal}
            width={columns}
            height={rows - 4}
            now={now}
            openUrl={openUrl}
          />
        </Box>
        <Text dimColor>
          1-{SCREENS.length}/Tab switch screen · 0 strategy · ↑/↓ move · Enter open · Esc back · q quit
        </Text>
      </Box>
    </ColorContext.Provider>
  );
}
