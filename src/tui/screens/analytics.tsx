import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { formatInt, formatMs, formatRate, formatUsd } from '../../cli/report-format.js';
import type { AnalyticsRange } from '../api.js';
import { barChart, lineChart, sparkline } from '../charts.js';
import { useLoad } from '../hooks.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

const RANGES: AnalyticsRange[] = ['1h', '6h', '24h', '7d', '30d'];

export function AnalyticsScreen({ api, width, height }: ScreenProps) {
  const c = useColor();
  const [range, setRange] = useState<AnalyticsRange>('24h');
  const { data, error } = useLoad(() => api.analytics(range), [api, range], 10_000);
  useInput((_input, key) => {
    const i = RANGES.indexOf(range);
    if (key.leftArrow) setRange(RANGES[Math.max(0, i - 1)] ?? range);
    else if (key.rightArrow) setRange(RANGES[Math.min(RANGES.length - 1, i + 1)] ?? range);
  });
  const w = Math.max(20, width - 14);
  const lineH = Math.max(3, Math.min(8, height - 22));
  return (
    <Box flexDirection="column">
      <Text bold>Analytics · {RANGES.map((r) => (r === range ? `[${r}]` : ` ${r} `)).join(' ')}</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && (
        <>
          <Text>
            Requests {formatInt(data.totals.requests)} · success {formatRate(data.totals.successRate)} · p95{' '}
            {formatMs(data.totals.p95LatencyMs)} · tokens {formatInt(data.tokens.total)} · cost{' '}
            {formatUsd(data.totals.costUsd)}
          </Text>
          <Text bold>Requests over time</Text>
          {lineChart(
            data.series.map((p) => p.requests),
            w,
            lineH,
          ).map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: chart rows are positional
            <Text key={i} color={c('cyan')}>
              {row}
            </Text>
          ))}
          <Text>
            {'errors   '}
            <Text color={c('red')}>
              {sparkline(
                data.series.map((p) => p.errors),
                w,
              )}
            </Text>
          </Text>
          <Text>
            {'tokens   '}
            <Text color={c('magenta')}>
              {sparkline(
                data.series.map((p) => p.tokens.total),
                w,
              )}
            </Text>
          </Text>
          <Text>
            {'latency  '}
            <Text color={c('yellow')}>
              {sparkline(
                data.series.map((p) => p.avgLatencyMs ?? 0),
                w,
              )}
            </Text>
          </Text>
          <Text bold>Requests by model</Text>
          {barChart(
            data.models
              .slice(0, 6)
              .map((m) => ({ label: m.model ?? '(none)', value: m.requests, text: formatInt(m.requests) })),
            Math.max(30, width - 2),
          ).map((row) => (
            <Text key={row} color={c('green')}>
              {row}
            </Text>
          ))}
          <Text bold>Cost by account</Text>
          {barChart(
            data.accounts
              .slice(0, 6)
              .map((a) => ({ label: a.name ?? '(none)', value: a.costUsd, text: formatUsd(a.costUsd) })),
            Math.max(30, width - 2),
          ).map((row) => (
            <Text key={row} color={c('blue')}>
              {row}
            </Text>
          ))}
        </>
      )}
      <Text dimColor>←/→ range</Text>
    </Box>
  );
}
