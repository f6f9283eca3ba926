/**
 * Small time-series charts drawn as plain SVG: stacked bars and a filled area over equal time
 * buckets, with a y grid, bucket labels and a hover read-out. The Overview is the page most people
 * open first, and a chart library costs hundreds of milliseconds to load and render there; these
 * cost a few milliseconds. (The Analytics screen, with many chart kinds, uses Recharts.)
 */
import { type MouseEvent, useLayoutEffect, useRef, useState } from 'react';

export interface ChartSeries<K extends string> {
  key: K;
  name: string;
  color: string;
}

export type ChartPoint<K extends string> = { label: string } & Record<K, number>;

interface Common<K extends string> {
  points: readonly ChartPoint<K>[];
  series: readonly ChartSeries<K>[];
  height: number;
  /** Axis and read-out format of a value. */
  format: (v: number) => string;
  /** Shown instead of the chart's own name: what the chart says as a whole. */
  label: string;
  legend?: boolean;
  /** Counts: no fractional grid lines. */
  integer?: boolean;
}

const AXIS_WIDTH = 56;
const PAD_TOP = 8;
const PAD_BOTTOM = 22;
const GRID_LINES = 4;

/** 1, 2 or 5 times a power of ten, at least `v`: round axis steps. */
function niceStep(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  // Measured before the first paint, so the chart is drawn once at its real size.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

function Frame<K extends string>({
  points,
  series,
  height,
  format,
  label,
  legend,
  integer,
  max,
  children,
}: Common<K> & { max: number; children: (geo: Geometry) => React.ReactNode }) {
  const [ref, width] = useWidth();
  const [hover, setHover] = useState<number | null>(null);
  const raw = niceStep(max / GRID_LINES);
  const step = integer ? Math.max(1, raw) : raw;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const plotW = Math.max(0, width - AXIS_WIDTH);
  const plotH = height - PAD_TOP - PAD_BOTTOM;
  const band = points.length > 0 ? plotW / points.length : 0;
  const geo: Geometry = {
    x: (i) => AXIS_WIDTH + i * band,
    band,
    y: (v) => PAD_TOP + plotH - (v / top) * plotH,
  };
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const labelEvery = Math.max(1, Math.ceil(points.length / Math.max(1, Math.floor(plotW / 90))));
  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const x = e.clientX - e.currentTarget.getBoundingClientRect().left - AXIS_WIDTH;
    const i = Math.floor(x / band);
    setHover(band > 0 && i >= 0 && i < points.length ? i : null);
  };
  const hp = hover === null ? null : points[hover];
  return (
    <div className="svg-chart" ref={ref} role="img" aria-label={label}>
      {width > 0 ? (
        <svg width={width} height={height} onMouseMove={onMove} onMouseLeave={() => setHover(null)} aria-hidden="true">
          {ticks.map((t) => (
            <g key={t}>
              <line x1={AXIS_WIDTH} x2={width} y1={geo.y(t)} y2={geo.y(t)} stroke="var(--grid)" />
              <text x={AXIS_WIDTH - 6} y={geo.y(t)} dy="0.32em" textAnchor="end" className="svg-tick">
                {format(t)}
              </text>
            </g>
          ))}
          {points.map((p, i) =>
            i % labelEvery === 0 ? (
              <text
                key={p.label + String(i)}
                x={geo.x(i) + band / 2}
                y={height - 6}
                textAnchor="middle"
                className="svg-tick"
              >
                {p.label}
              </text>
            ) : null,
          )}
          {hover !== null ? (
            <rect x={geo.x(hover)} y={PAD_TOP} width={band} height={plotH} fill="var(--hover)" />
          ) : null}
          {children(geo)}
        </svg>
      ) : (
        <div style={{ height }} />
      )}
      {hp && hover !== null ? (
        <div
          className="svg-tooltip"
          style={{ left: Math.min(geo.x(hover) + band + 8, Math.max(0, width - 180)), top: PAD_TOP }}
        >
          <div className="svg-tooltip-label">{hp.label}</div>
          {series.map((s) => (
            <div key={s.key}>
              <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.name}:{' '}
              {format(hp[s.key])}
            </div>
          ))}
        </div>
      ) : null}
      {legend ? (
        <ul className="svg-legend" aria-hidden="true">
          {series.map((s) => (
            <li key={s.key}>
              <span className="swatch" style={{ background: s.color }} /> {s.name}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

interface Geometry {
  x: (i: number) => number;
  band: number;
  y: (v: number) => number;
}

/** Stacked bars, one per bucket, series in the given order from the bottom. */
export function StackedBars<K extends string>(props: Common<K>) {
  const { points, series } = props;
  let max = 0;
  for (const p of points) {
    let sum = 0;
    for (const s of series) sum += p[s.key];
    if (sum > max) max = sum;
  }
  return (
    <Frame {...props} max={max}>
      {(g) => {
        const gap = g.band > 4 ? Math.min(2, g.band * 0.15) : 0;
        return points.map((p, i) => {
          let base = 0;
          return series.map((s) => {
            const v = p[s.key];
            if (!(v > 0)) return null;
            const y0 = g.y(base);
            base += v;
            const y1 = g.y(base);
            return (
              <rect
                // biome-ignore lint/suspicious/noArrayIndexKey: buckets are fixed positions on the time axis
                key={`${i}-${s.key}`}
                className="svg-bar"
                data-series={s.key}
                x={g.x(i) + gap / 2}
                width={Math.max(1, g.band - gap)}
                y={y1}
                height={Math.max(1, y0 - y1)}
                fill={s.color}
              />
            );
          });
        });
      }}
    </Frame>
  );
}

/** One series as a line over a filled area, a point per bucket centre. */
export function AreaLine<K extends string>(props: Common<K> & { color: string; fill: string }) {
  const { points, series, color, fill } = props;
  const key = series[0]?.key;
  let max = 0;
  if (key !== undefined) for (const p of points) if (p[key] > max) max = p[key];
  return (
    <Frame {...props} max={max}>
      {(g) => {
        if (key === undefined || points.length === 0) return null;
        const xy = points.map((p, i) => [g.x(i) + g.band / 2, g.y(p[key])] as const);
        const line = xy.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
        const first = xy[0] as readonly [number, number];
        const last = xy[xy.length - 1] as readonly [number, number];
        const floor = g.y(0).toFixed(1);
        return (
          <>
            <path
              className="svg-area"
              d={`${line}L${last[0].toFixed(1)},${floor}L${first[0].toFixed(1)},${floor}Z`}
              fill={fill}
            />
            <path className="svg-line" d={line} fill="none" stroke={color} strokeWidth={1.5} />
          </>
        );
      }}
    </Frame>
  );
}
