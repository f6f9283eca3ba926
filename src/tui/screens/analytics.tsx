import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { formatTime } from '../../cli/format.js';
import { formatInt, formatMs, formatRate, formatUsd } from '../../cli/report-format.js';
import type { Analytics } from '../../shared/analytics-schemas.js';
import { formatCountFit, formatCountShort, formatTokensInOut, tokensIn } from '../../shared/tokens.js';
import type { AnalyticsRange } from '../api.js';
import { barChart, drawnLowest, drawnPeak, lineChart, sparkline } from '../charts.js';
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
  now: number;
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

/** The label column left of every time chart and sparkline, so their buckets line up. */
const LABEL = 10;
/** Room right of a sparkline for its peak (`peak 12.3M`). */
const PEAK = 12;

/** Columns of a view's time charts: one per bucket of the window when they fit. */
function timeWidth(width: number): number {
  return Math.max(20, width - LABEL - PEAK - 2);
}

/** `per 15 min`, `per hour`, `per 6 h`: what one column of a count or sum chart adds up. */
function perBucket(bucketMs: number): string {
  if (bucketMs === 3_600_000) return 'per hour';
  if (bucketMs % 3_600_000 === 0) return `per ${bucketMs / 3_600_000} h`;
  return `per ${Math.round(bucketMs / 60_000)} min`;
}

interface TimeProps {
  data: Analytics;
  values: number[];
  /** A figure of the series as the screen writes it (count, ms, dollars). */
  format: (n: number) => string;
  width: number;
  now: number;
}

/**
 * A line chart with its scale: the highest value drawn on its top row and 0 on its bottom row in
 * the label column, the window's start and end under it.
 */
function TimeChart({
  title,
  per,
  data,
  values,
  format,
  width,
  height,
  color,
  now,
}: TimeProps & {
  title: string;
  /** The chart sums each bucket (requests, tokens, cost), rather than averaging it. */
  per: boolean;
  height: number;
  color: string;
}) {
  const c = useColor();
  const w = timeWidth(width);
  const peak = drawnPeak(values, w);
  const rows = lineChart(values, w, height);
  const scale = (i: number) =>
    (i === 0 && peak > 0 ? format(peak) : i === rows.length - 1 ? '0' : '').padStart(LABEL - 1).slice(-(LABEL - 1));
  const from = formatTime(data.from, now);
  const to = formatTime(data.to, now);
  return (
    <>
      <Text bold>{per ? `${title} (${perBucket(data.bucketMs)})` : title}</Text>
      {rows.map((row, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: chart rows are positional
        <Text key={i}>
          <Text dimColor>{scale(i)} </Text>
          <Text color={c(color)}>{row}</Text>
        </Text>
      ))}
      <Text dimColor>{`${' '.repeat(LABEL)}${from}${to.padStart(Math.max(1, w - from.length))}`}</Text>
    </>
  );
}

/**
 * A labelled sparkline over the same columns as the view's time chart, then its peak (or, for a
 * rate where the low points matter, its lowest): `errors    ▁▃▅█ peak 3`. A null is a bucket with
 * nothing to measure and stays a gap.
 */
function Spark({
  label,
  data,
  values,
  format,
  width,
  color,
  stat = 'peak',
}: Omit<TimeProps, 'values'> & {
  label: string;
  values: (number | null)[];
  color: string;
  stat?: 'peak' | 'lowest';
}) {
  const c = useColor();
  const w = timeWidth(width);
  let text: string;
  if (stat === 'lowest') {
    const lowest = drawnLowest(values, w);
    text = lowest === null ? 'none' : `lowest ${format(lowest)}`;
  } else {
    const peak = drawnPeak(values, w);
    text = peak > 0 ? `peak ${format(peak)}` : data.series.length > 0 ? 'none' : '';
  }
  return (
    <Text>
      {label.padEnd(LABEL)}
      <Text color={c(color)}>{sparkline(values, w)}</Text>
      <Text dimColor> {text}</Text>
    </Text>
  );
}

function OverviewView({ data, width, rows, now }: ViewProps) {
  const at = { data, width, now };
  // Titles (3), the time axis, sparklines (3) and two bar charts of up to 3 rows each.
  const lineH = Math.max(3, Math.min(8, rows - 13));
  const bars = Math.max(30, width - 2);
  return (
    <>
      <TimeChart
        {...at}
        title="Requests over time"
        per
        values={data.series.map((p) => p.requests)}
        format={formatInt}
        height={lineH}
        color="cyan"
      />
      <Spark {...at} label="errors" values={data.series.map((p) => p.errors)} format={formatInt} color="red" />
      <Spark
        {...at}
        label="tokens"
        values={data.series.map((p) => p.tokens.total)}
        format={formatCountShort}
        color="magenta"
      />
      <Spark {...at} label="latency" values={data.series.map((p) => p.avgLatencyMs)} format={formatMs} color="yellow" />
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

function TokensView({ data, width, rows, now }: ViewProps) {
  const at = { data, width, now };
  const t = data.tokens;
  const all = tokensIn(t) + t.output;
  const share = (n: number) => (all === 0 ? '-' : `${((n / all) * 100).toFixed(1)}%`);
  const kinds = [
    { label: 'input', value: t.input },
    { label: 'cache read', value: t.cacheRead },
    { label: 'cache write 5m', value: t.cacheWrite5m },
    { label: 'cache write 1h', value: t.cacheWrite1h },
    { label: 'output', value: t.output },
  ];
  const lineH = Math.max(3, Math.min(8, rows - 12));
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
      <TimeChart
        {...at}
        title="Tokens over time"
        per
        values={data.series.map((p) => p.tokens.total)}
        format={formatCountShort}
        height={lineH}
        color="magenta"
      />
      <Spark
        {...at}
        label="output"
        values={data.series.map((p) => p.tokens.output)}
        format={formatCountShort}
        color="cyan"
      />
      <Spark
        {...at}
        label="cache hit"
        values={data.series.map((p) => p.cacheHitRate)}
        format={formatRate}
        color="green"
      />
    </>
  );
}

function PerformanceView({ data, width, rows, now }: ViewProps) {
  const at = { data, width, now };
  const t = data.totals;
  const models = data.models.slice(0, 3);
  const lineH = Math.max(3, Math.min(8, rows - 11 - models.length));
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
      <TimeChart
        {...at}
        title="Average latency over time"
        per={false}
        values={data.series.map((p) => p.avgLatencyMs ?? 0)}
        format={formatMs}
        height={lineH}
        color="yellow"
      />
      <Spark {...at} label="1st tok" values={data.series.map((p) => p.avgTtftMs)} format={formatMs} color="yellow" />
      <Spark
        {...at}
        label="tok/s"
        values={data.series.map((p) => p.outputTokensPerSecond)}
        format={(n) => n.toFixed(1)}
        color="cyan"
      />
      <Spark
        {...at}
        label="success"
        values={data.series.map((p) => p.successRate)}
        format={formatRate}
        stat="lowest"
        color="green"
      />
      <Spark {...at} label="errors" values={data.series.map((p) => p.errors)} format={formatInt} color="red" />
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

function CostView({ data, width, rows, now }: ViewProps) {
  const at = { data, width, now };
  const models = data.costByModel.slice(0, 4);
  const accounts = data.accounts.slice(0, 3);
  const lineH = Math.max(3, Math.min(8, rows - 5 - Math.max(1, models.length) - Math.max(1, accounts.length)));
  const bars = Math.max(30, width - 2);
  const perRequest = data.totals.requests === 0 ? null : data.totals.costUsd / data.totals.requests;
  return (
    <>
      <Text>
        {formatUsd(data.totals.costUsd)} · {formatUsd(perRequest)} per request
      </Text>
      <TimeChart
        {...at}
        title="Cost over time"
        per
        values={data.series.map((p) => p.costUsd)}
        format={formatUsd}
        height={lineH}
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

export function AnalyticsScreen({ api, width, height, now }: ScreenProps) {
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
          <View data={data} width={width} rows={height - 3} now={now()} />
        </>
      )}
      <Text dimColor>{clip(`${help} · ←/→ range`, Math.max(11, width))}</Text>
    </Box>
  );
}
