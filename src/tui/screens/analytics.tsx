import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { formatInt, formatMs, formatRate, formatUsd } from '../../cli/report-format.js';
import type { Analytics } from '../../shared/analytics-schemas.js';
import { formatCountFit, formatTokensInOut, tokensIn } from '../../shared/tokens.js';
import type { AnalyticsRange } from '../api.js';
import { barChart, lineChart, sparkline } from '../charts.js';
import { useLoad } from '../hooks.js';
import { cell, clip } from '../layout.js';
import { useColor } from '../theme.js';
import type { ScreenProps } from './types.js';

const RANGES: AnalyticsRange[] = ['1h', '6h', '24h', '7d', '30d'];

/** The views and the key of each (number keys and Tab belong to the app). */
export const ANALYTICS_VIEWS = [
  { key: 'o', name: 'overview' },
  { key: 't', name: 'tokens' },
  { key: 'p', name: 'performance' },
  { key: 'c', name: 'cost' },
  { key: 'm', name: 'models' },
] as const;
type View = (typeof ANALYTICS_VIEWS)[number]['name'];

/** A model id for a 24-column label: every id starts with "claude-", so a long one drops it. */
function modelLabel(model: string | null): string {
  if (model === null) return '(none)';
  return model.length > 24 ? model.replace(/^claude-/, '') : model;
}

interface ViewProps {
  data: Analytics;
  width: number;
  /** Rows this view may fill (the screen's minus its title, figures line and help line). */
  rows: number;
}

function Rows({ rows, color }: { rows: string[]; color?: string }) {
  const c = useColor();
  return (
    <>
      {rows.map((row, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: chart rows are positional
        <Text key={i} color={color === undefined ? undefined : c(color)}>
          {row}
        </Text>
      ))}
    </>
  );
}

/** A labelled sparkline: `label    ▁▃▅█`. */
function Spark({ label, values, width, color }: { label: string; values: number[]; width: number; color: string }) {
  const c = useColor();
  return (
    <Text>
      {label.padEnd(10)}
      <Text color={c(color)}>{sparkline(values, width)}</Text>
    </Text>
  );
}

function OverviewView({ data, width, rows }: ViewProps) {
  const w = Math.max(20, width - 14);
  // Titles (3), sparklines (3) and two bar charts of up to 3 rows each around the line chart.
  const lineH = Math.max(3, Math.min(8, rows - 12));
  const bars = Math.max(30, width - 2);
  return (
    <>
      <Text bold>Requests over time</Text>
      <Rows
        rows={lineChart(
          data.series.map((p) => p.requests),
          w,
          lineH,
        )}
        color="cyan"
      />
      <Spark label="errors" values={data.series.map((p) => p.errors)} width={w} color="red" />
      <Spark label="tokens" values={data.series.map((p) => p.tokens.total)} width={w} color="magenta" />
      <Spark label="latency" values={data.series.map((p) => p.avgLatencyMs ?? 0)} width={w} color="yellow" />
      <Text bold>{topOf('Requests by model', 3, data.models.length, 'm')}</Text>
      <Rows
        rows={barChart(
          data.models
            .slice(0, 3)
            .map((m) => ({ label: modelLabel(m.model), value: m.requests, text: formatInt(m.requests) })),
          bars,
        )}
        color="green"
      />
      <Text bold>{topOf('Cost by account', 3, data.accounts.length)}</Text>
      <Rows
        rows={barChart(
          data.accounts
            .slice(0, 3)
            .map((a) => ({ label: a.name ?? '(none)', value: a.costUsd, text: formatUsd(a.costUsd) })),
          bars,
        )}
        color="blue"
      />
    </>
  );
}

function TokensView({ data, width, rows }: ViewProps) {
  const t = data.tokens;
  const w = Math.max(20, width - 14);
  const all = tokensIn(t) + t.output;
  const share = (n: number) => (all === 0 ? '-' : `${((n / all) * 100).toFixed(1)}%`);
  const kinds = [
    { label: 'input', value: t.input },
    { label: 'cache read', value: t.cacheRead },
    { label: 'cache write 5m', value: t.cacheWrite5m },
    { label: 'cache write 1h', value: t.cacheWrite1h },
    { label: 'output', value: t.output },
  ];
  const lineH = Math.max(3, Math.min(8, rows - 11));
  return (
    <>
      <Text>
        {formatTokensInOut(t)} · cache hit {formatRate(data.totals.cacheHitRate)}
      </Text>
      <Text bold>By kind</Text>
      <Rows
        rows={barChart(
          kinds.map((k) => ({ ...k, text: `${formatInt(k.value)} ${share(k.value).padStart(6)}` })),
          Math.max(30, width - 2),
        )}
        color="magenta"
      />
      <Text bold>Tokens over time</Text>
      <Rows
        rows={lineChart(
          data.series.map((p) => p.tokens.total),
          w,
          lineH,
        )}
        color="magenta"
      />
      <Spark label="output" values={data.series.map((p) => p.tokens.output)} width={w} color="cyan" />
      <Spark label="cache hit" values={data.series.map((p) => p.cacheHitRate ?? 0)} width={w} color="green" />
    </>
  );
}

function PerformanceView({ data, width, rows }: ViewProps) {
  const t = data.totals;
  const w = Math.max(20, width - 14);
  const models = data.models.slice(0, 3);
  const lineH = Math.max(3, Math.min(8, rows - 10 - models.length));
  return (
    <>
      <Text>
        {clip(
          `avg ${formatMs(t.avgLatencyMs)} · p95 ${formatMs(t.p95LatencyMs)} · first token ${formatMs(t.avgTtftMs)} · ${
            t.outputTokensPerSecond === null ? '-' : t.outputTokensPerSecond.toFixed(1)
          } tok/s · failovers ${formatInt(t.failovers)}`,
          Math.max(11, width),
        )}
      </Text>
      <Text bold>Average latency over time</Text>
      <Rows
        rows={lineChart(
          data.series.map((p) => p.avgLatencyMs ?? 0),
          w,
          lineH,
        )}
        color="yellow"
      />
      <Spark label="1st tok" values={data.series.map((p) => p.avgTtftMs ?? 0)} width={w} color="yellow" />
      <Spark label="tok/s" values={data.series.map((p) => p.outputTokensPerSecond ?? 0)} width={w} color="cyan" />
      <Spark label="success" values={data.series.map((p) => p.successRate ?? 0)} width={w} color="green" />
      <Spark label="errors" values={data.series.map((p) => p.errors)} width={w} color="red" />
      <Text bold>{topOf('p95 latency by model', models.length, data.models.length, 'm')}</Text>
      <Rows
        rows={barChart(
          models.map((m) => ({
            label: modelLabel(m.model),
            value: m.p95LatencyMs ?? 0,
            text: formatMs(m.p95LatencyMs),
          })),
          Math.max(30, width - 2),
        )}
        color="yellow"
      />
    </>
  );
}

function CostView({ data, width, rows }: ViewProps) {
  const w = Math.max(20, width - 14);
  const models = data.costByModel.slice(0, 4);
  const accounts = data.accounts.slice(0, 3);
  const lineH = Math.max(3, Math.min(8, rows - 4 - Math.max(1, models.length) - Math.max(1, accounts.length)));
  const bars = Math.max(30, width - 2);
  const perRequest = data.totals.requests === 0 ? null : data.totals.costUsd / data.totals.requests;
  return (
    <>
      <Text>
        {formatUsd(data.totals.costUsd)} · {formatUsd(perRequest)} per request
      </Text>
      <Text bold>Cost over time</Text>
      <Rows
        rows={lineChart(
          data.series.map((p) => p.costUsd),
          w,
          lineH,
        )}
        color="blue"
      />
      <Text bold>{topOf('Cost by model', models.length, data.costByModel.length)}</Text>
      {models.length === 0 && <Text dimColor>none</Text>}
      <Rows
        rows={barChart(
          models.map((m) => ({
            label: m.model === null ? '(unknown)' : modelLabel(m.model),
            value: m.costUsd,
            text: `${formatUsd(m.costUsd)} ${formatRate(m.share).padStart(6)}`,
          })),
          bars,
        )}
        color="blue"
      />
      <Text bold>{topOf('Cost by account', accounts.length, data.accounts.length)}</Text>
      {accounts.length === 0 && <Text dimColor>none</Text>}
      <Rows
        rows={barChart(
          accounts.map((a) => ({ label: a.name ?? '(none)', value: a.costUsd, text: formatUsd(a.costUsd) })),
          bars,
        )}
        color="blue"
      />
    </>
  );
}

/** A chart's title saying it shows the first `shown` of `total` rows, and the view (key) that lists them all. */
function topOf(title: string, shown: number, total: number, key?: string): string {
  if (total <= shown) return title;
  return `${title} (top ${shown} of ${total}${key === undefined ? '' : `; ${key} lists all`})`;
}

function ModelsView({ data, width, rows }: ViewProps) {
  const cut = (s: string) => clip(s, Math.max(11, width));
  const shown = data.models.slice(0, Math.max(1, rows - 2));
  const row = (cells: string[]) =>
    cut(
      `${cell(cells[0] ?? '', 24)} ${cells
        .slice(1)
        .map((s, i) => s.padStart([8, 7, 8, 6, 10, 9][i] ?? 8))
        .join(' ')}`,
    );
  return (
    <>
      <Text bold>{row(['model', 'requests', 'success', 'p95', 'tok/s', 'tokens', 'cost'])}</Text>
      {data.models.length === 0 && <Text dimColor>no requests in this range</Text>}
      {shown.map((m) => (
        <Text key={m.model ?? '(none)'}>
          {row([
            modelLabel(m.model),
            formatInt(m.requests),
            formatRate(m.successRate),
            formatMs(m.p95LatencyMs),
            m.outputTokensPerSecond === null ? '-' : m.outputTokensPerSecond.toFixed(1),
            formatCountFit(m.tokens.total, 10),
            formatUsd(m.costUsd),
          ])}
        </Text>
      ))}
      {data.models.length > shown.length && <Text dimColor>+{data.models.length - shown.length} more</Text>}
    </>
  );
}

const VIEWS: Record<View, (p: ViewProps) => ReturnType<typeof OverviewView>> = {
  overview: OverviewView,
  tokens: TokensView,
  performance: PerformanceView,
  cost: CostView,
  models: ModelsView,
};

export function AnalyticsScreen({ api, width, height }: ScreenProps) {
  const c = useColor();
  const [range, setRange] = useState<AnalyticsRange>('24h');
  const [view, setView] = useState<View>('overview');
  const { data, error } = useLoad(() => api.analytics(range), [api, range], 10_000);
  useInput((input, key) => {
    const i = RANGES.indexOf(range);
    if (key.leftArrow) setRange(RANGES[Math.max(0, i - 1)] ?? range);
    else if (key.rightArrow) setRange(RANGES[Math.min(RANGES.length - 1, i + 1)] ?? range);
    else {
      const v = ANALYTICS_VIEWS.find((x) => x.key === input);
      if (v) setView(v.name);
    }
  });
  const View = VIEWS[view];
  const help = ANALYTICS_VIEWS.map((v) => (v.name === view ? `[${v.key} ${v.name}]` : `${v.key} ${v.name}`)).join(' ');
  return (
    <Box flexDirection="column">
      <Text bold>
        Analytics · {view} · {RANGES.map((r) => (r === range ? `[${r}]` : ` ${r} `)).join(' ')}
      </Text>
      {error !== null && <Text color={c('red')}>{error}</Text>}
      {data && (
        <>
          <Text>
            {/* Tokens in / out as everywhere, last: the longest figure, the one a narrow line cuts. */}
            {clip(
              `Requests ${formatInt(data.totals.requests)} · success ${formatRate(data.totals.successRate)} · p95 ${formatMs(
                data.totals.p95LatencyMs,
              )} · cost ${formatUsd(data.totals.costUsd)} · tokens ${formatTokensInOut(data.tokens)}`,
              Math.max(11, width),
            )}
          </Text>
          <View data={data} width={width} rows={height - 3} />
        </>
      )}
      <Text dimColor>{clip(`${help} · ←/→ range`, Math.max(11, width))}</Text>
    </Box>
  );
}
