import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FoldedHistogram } from './folded-histogram.js';

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const labelNames = ['account', 'model'] as const;

/** The same observations through prom-client's own histogram and the folded one. */
function both(observations: Array<[{ account: string; model: string }, number]>) {
  const ref = new Registry();
  const mine = new Registry();
  const h = new Histogram({ name: 'x_seconds', help: 'h', labelNames, buckets: BUCKETS, registers: [ref] });
  const f = new FoldedHistogram({ name: 'x_seconds', help: 'h', labelNames, buckets: BUCKETS, registers: [mine] });
  for (const [labels, v] of observations) {
    h.labels(labels).observe(v);
    f.series(labels).observe(v);
  }
  return { ref, mine, f };
}

const a = { account: 'alpha', model: 'claude-sonnet-4-5' };
const b = { account: 'beta', model: 'claude-opus-4-1' };

describe('FoldedHistogram', () => {
  it('scrapes to the text prom-client prints for the same observations', async () => {
    const obs: Array<[typeof a, number]> = [
      [a, 0.01],
      [a, 0.05],
      [a, 0.3],
      [b, 7],
      [a, 4.99],
      [b, 0.1],
      [a, 1e9],
    ];
    const { ref, mine } = both(obs);
    expect(await mine.metrics()).toBe(await ref.metrics());
    expect(await mine.getMetricsAsJSON()).toEqual(await ref.getMetricsAsJSON());
  });

  it('reads as the bucket counts a dashboard sums', async () => {
    const { mine } = both([
      [a, 0.2],
      [a, 0.2],
      [a, 3],
    ]);
    const text = await mine.metrics();
    expect(text).toContain('x_seconds_bucket{le="0.25",account="alpha",model="claude-sonnet-4-5"} 2');
    expect(text).toContain('x_seconds_bucket{le="+Inf",account="alpha",model="claude-sonnet-4-5"} 3');
    expect(text).toContain('x_seconds_count{account="alpha",model="claude-sonnet-4-5"} 3');
  });

  it('skips values that are not finite instead of throwing on the request path', async () => {
    const { mine, f } = both([[a, 1]]);
    f.series(a).observe(Number.NaN);
    f.series(a).observe(Number.POSITIVE_INFINITY);
    expect(await mine.metrics()).toContain('x_seconds_count{account="alpha",model="claude-sonnet-4-5"} 1');
  });

  it('forgets every series on reset', async () => {
    const { mine, f } = both([[a, 1]]);
    f.reset();
    expect(await mine.metrics()).not.toContain('x_seconds_count');
  });
});
