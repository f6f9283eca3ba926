import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { accountLabel, formatInt, formatMs, formatRate, formatUsd, unpricedNote } from '../../cli/report-format.js';
import type { Stats } from '../../shared/analytics-schemas.js';
import { formatCountFit, formatTokensInOut } from '../../shared/tokens.js';
import { barChart } from '../charts.js';
import { useLoad } from '../hooks.js';
import { cell, clip } from '../layout.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

/** Accounts charted at most: four charts of this many bars, their titles and the screen's three lines fit a 24-row terminal. */
const CHART_ROWS = 3;

/** The per-account figures as bar charts: requests, success, p95 latency, cost. */
function StatsCharts({ data, width }: { data: Stats; width: number }) {
  const c = useColor();
  const accounts = data.accounts.slice(0, CHART_ROWS);
  const label = (a: Stats['accounts'][number]) => accountLabel(a.accountId, a.name, a.exists);
  const w = Math.max(30, width - 2);
  const charts: { title: string; color: string; rows: { label: string; value: number; text: string }[] }[] = [
    {
      title: 'Requests',
      color: 'cyan',
      rows: accounts.map((a) => ({ label: label(a), value: a.requests, text: formatInt(a.requests) })),
    },
    {
      title: 'Success rate',
      color: 'green',
      rows: accounts.map((a) => ({ label: label(a), value: a.successRate ?? 0, text: formatRate(a.successRate) })),
    },
    {
      title: 'p95 latency',
      color: 'yellow',
      rows: accounts.map((a) => ({ label: label(a), value: a.p95LatencyMs ?? 0, text: formatMs(a.p95LatencyMs) })),
    },
    {
      title: 'Cost',
      color: 'blue',
      rows: accounts.map((a) => ({ label: label(a), value: a.costUsd, text: formatUsd(a.costUsd) })),
    },
  ];
  return (
    <>
      {charts.map((chart) => (
        <Box key={chart.title} flexDirection="column">
          <Text bold>{chart.title}</Text>
          {accounts.length === 0 && <Text dimColor>no requests yet</Text>}
          {barChart(chart.rows, w).map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: chart rows are positional
            <Text key={i} color={c(chart.color)}>
              {row}
            </Text>
          ))}
        </Box>
      ))}
      {data.accounts.length > CHART_ROWS && (
        <Text dimColor>{`+${data.accounts.length - CHART_ROWS} more accounts (c shows the table)`}</Text>
      )}
    </>
  );
}

/** Lines of the table view besides its two lists: title, two summary lines, two blanks, two headings. */
const TABLE_CHROME_H = 7;
/** Recent errors shown at most; the gateway sends 20. */
const ERRORS_MAX = 8;

export function StatsScreen({ api, now, width, height }: ScreenProps) {
  const c = useColor();
  const [charts, setCharts] = useState(false);
  const { data, error } = useLoad(() => api.stats(), [api], 5000);
  useInput((input) => {
    if (input === 'c') setCharts((v) => !v);
  });
  const cut = (s: string) => clip(s, Math.max(11, width));
  // The accounts first, leaving the errors at least a few lines; each list says what it leaves out.
  const unpricedLine = (data?.unpriced.requests ?? 0) > 0 ? 1 : 0;
  const room = Math.max(4, height - TABLE_CHROME_H - unpricedLine - (error === null ? 0 : 1));
  const errorsWanted = Math.min(ERRORS_MAX, Math.max(1, data?.recentErrors.length ?? 0));
  const accounts = fitted(data?.accounts ?? [], Math.max(2, room - Math.min(3, errorsWanted)));
  const errors = fitted(
    (data?.recentErrors ?? []).slice(0, ERRORS_MAX + 1),
    Math.min(ERRORS_MAX, Math.max(1, room - accounts.lines)),
  );
  const moreErrors = (data?.recentErrors.length ?? 0) - errors.rows.length;
  return (
    <Box flexDirection="column">
      {/* The key's hint shares the title's line: the two summary lines took the line it had. */}
      <Text>
        <Text bold>Stats{charts ? ' · charts' : ''}</Text>
        <Text dimColor>{` · c ${charts ? 'table' : 'charts'}`}</Text>
      </Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && (
        <>
          <Text>
            {cut(
              `Requests ${formatInt(data.totals.requests)} · success ${formatRate(data.totals.successRate)} · avg ${formatMs(data.totals.avgLatencyMs)} · p95 ${formatMs(data.totals.p95LatencyMs)}`,
            )}
          </Text>
          <Text>{cut(`Tokens ${formatTokensInOut(data.totals.tokens)} · cost ${formatUsd(data.totals.costUsd)}`)}</Text>
          {data.unpriced.requests > 0 && <Text>{cut(`Not in the cost:${unpricedNote(data.unpriced).slice(2)}`)}</Text>}
          {charts ? (
            <StatsCharts data={data} width={width} />
          ) : (
            <>
              <Text> </Text>
              <Text bold>
                {cut(
                  `${'account'.padEnd(20)} ${'requests'.padStart(9)} ${'success'.padStart(8)} ${'p95'.padStart(8)} ${'tokens'.padStart(12)} ${'cost'.padStart(9)}`,
                )}
              </Text>
              {accounts.rows.map((a) => (
                <Text key={`${a.accountId}-${a.name}`} dimColor={!a.exists}>
                  {cut(
                    `${cell(accountLabel(a.accountId, a.name, a.exists), 20)} ${formatInt(a.requests).padStart(9)} ${formatRate(a.successRate).padStart(8)} ${formatMs(a.p95LatencyMs).padStart(8)} ${formatCountFit(a.tokens.total, 12).padStart(12)} ${formatUsd(a.costUsd).padStart(9)}`,
                  )}
                </Text>
              ))}
              {accounts.hidden > 0 && (
                <Text dimColor>{cut(`+${accounts.hidden} more accounts (ccflare stats lists all)`)}</Text>
              )}
              <Text> </Text>
              <Text bold>Recent errors</Text>
              {data.recentErrors.length === 0 && <Text>none</Text>}
              {errors.rows.map((e) => (
                <Text key={e.id} color={c('red')}>
                  {cut(`${formatTime(e.ts, now())} ${e.status ?? '-'} ${e.accountName ?? '-'} ${e.error ?? ''}`)}
                </Text>
              ))}
              {moreErrors > 0 && <Text dimColor>{cut(`+${moreErrors} more errors`)}</Text>}
            </>
          )}
        </>
      )}
    </Box>
  );
}

/** The first rows of a list that fit in `room` lines, one of them saying how many are left out. */
function fitted<T>(rows: readonly T[], room: number): { rows: T[]; hidden: number; lines: number } {
  if (rows.length <= room) return { rows: [...rows], hidden: 0, lines: rows.length };
  const shown = rows.slice(0, Math.max(1, room - 1));
  return { rows: shown, hidden: rows.length - shown.length, lines: shown.length + 1 };
}
