/**
 * A figure's course over the range in a card's corner: one line over equal buckets, broken where a
 * bucket has no value (no requests), so an empty hour never reads as a 0 % success rate. Nothing
 * for fewer than two values.
 */
export function Sparkline({
  values,
  label,
  min = 0,
  max = 1,
  width = 140,
  height = 28,
}: {
  values: readonly (number | null)[];
  label: string;
  min?: number;
  max?: number;
  width?: number;
  height?: number;
}) {
  // A course needs two values: with every request in one bucket the card showed a lone dot in its
  // corner, which read as a glitch. The figure beside it says it all then.
  if (values.filter((v) => v != null).length < 2) return null;
  const n = values.length;
  const step = n > 1 ? width / (n - 1) : 0;
  const y = (v: number) => height - 2 - ((Math.min(max, Math.max(min, v)) - min) / (max - min || 1)) * (height - 4);
  let d = '';
  let dots = '';
  let open = false;
  values.forEach((v, i) => {
    if (v == null) {
      open = false;
      return;
    }
    const x = (n > 1 ? i * step : width / 2).toFixed(1);
    const yy = y(v).toFixed(1);
    const prev = values[i - 1];
    const next = values[i + 1];
    // A lone value between gaps draws no segment: a dot instead.
    if (prev == null && next == null) dots += `M${x},${yy}h0.01`;
    d += `${open ? 'L' : 'M'}${x},${yy}`;
    open = true;
  });
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={label}>
      <path d={d} fill="none" stroke="currentColor" strokeWidth={1.5} />
      {dots ? <path d={dots} stroke="currentColor" strokeWidth={4} strokeLinecap="round" /> : null}
    </svg>
  );
}
