import { Box, Text } from 'ink';
import { formatTime } from '../../cli/format.js';
import { accountLabel, formatInt, formatMs, formatRate, formatUsd } from '../../cli/report-format.js';
import { useLoad } from '../hooks.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

export function StatsScreen({ api, now, width }: ScreenProps) {
  const c = useColor();
  const { data, error } = useLoad(() => api.stats(), [api], 5000);
  const cut = (s: string) => s.slice(0, Math.max(10, width - 1));
  return (
    <Box flexDirection="column">
      <Text bold>Stats</Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && (
        <>
          <Text>
            Requests {formatInt(data.totals.requests)} · success {formatRate(data.totals.successRate)} · avg{' '}
            {formatMs(data.totals.avgLatencyMs)} · p95 {formatMs(data.totals.p95LatencyMs)} · tokens{' '}
            {formatInt(data.totals.tokens.total)} · cost {formatUsd(data.totals.costUsd)}
          </Text>
          <Text> </Text>
          <Text bold>
            {cut(
              `${'account'.padEnd(20)} ${'requests'.padStart(9)} ${'success'.padStart(8)} ${'p95'.padStart(8)} ${'tokens'.padStart(12)} ${'cost'.padStart(9)}`,
            )}
          </Text>
          {data.accounts.map((a) => (
            <Text key={`${a.accountId}-${a.name}`} dimColor={!a.exists}>
              {cut(
                `${accountLabel(a.accountId, a.name, a.exists).slice(0, 20).padEnd(20)} ${formatInt(a.requests).padStart(9)} ${formatRate(a.successRate).padStart(8)} ${formatMs(a.p95LatencyMs).padStart(8)} ${formatInt(a.tokens.total).padStart(12)} ${formatUsd(a.costUsd).padStart(9)}`,
              )}
            </Text>
          ))}
          <Text> </Text>
          <Text bold>Recent errors</Text>
          {data.recentErrors.length === 0 && <Text>none</Text>}
          {data.recentErrors.slice(0, 8).map((e) => (
            <Text key={e.id} color={c('red')}>
              {cut(`${formatTime(e.ts, now())} ${e.status ?? '-'} ${e.accountName ?? '-'} ${e.error ?? ''}`)}
            </Text>
          ))}
        </>
      )}
    </Box>
  );
}
