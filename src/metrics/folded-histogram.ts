/**
 * A prom-client histogram whose observations are counted in plain arrays, one per label set, and
 * handed to prom-client only when scraped. prom-client's `observe` validates the labels and hashes
 * them into its map on every call, even through `labels(...)`: 0.68-0.72 µs per observation
 * measured on the 2-core VM against 0.03 µs here, two observations per request: the gateway's whole
 * `request.finished` handler went from 1.36-1.39 µs to 0.24-0.27 µs per request (1M records, CPU
 * time, interleaved). The exposition is the one prom-client prints for the same observations
 * (folded-histogram.test.ts compares them).
 */
import { Histogram, type HistogramConfiguration, type LabelValues } from 'prom-client';

type HistogramData<T extends string> = Awaited<ReturnType<Histogram<T>['get']>>;
type Value<T extends string> = HistogramData<T>['values'][number] & {
  sharedLabels?: LabelValues<T>;
  exemplar?: null;
};
type PromString<T extends string> = { getForPromString(this: Histogram<T>): Promise<HistogramData<T>> };

/** The counts of one label set: where the hot path observes. */
export class FoldedSeries<T extends string> {
  /** Per bucket, not cumulative; the last slot is above every bound (+Inf only). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: LabelValues<T>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Non-finite values are skipped (prom-client throws on them; the proxy must not). */
  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += v;
    this.count++;
  }
}

export class FoldedHistogram<T extends string> extends Histogram<T> {
  private readonly bounds: readonly number[];
  private readonly metric: string;
  private readonly all = new Map<string, FoldedSeries<T>>();

  constructor(cfg: HistogramConfiguration<T> & { buckets: number[]; labelNames: readonly T[] }) {
    super(cfg);
    this.bounds = [...cfg.buckets].sort((a, b) => a - b);
    this.metric = cfg.name;
  }

  /** The series of one label set (made on first use); keep it and call its `observe`. */
  series(labels: LabelValues<T>): FoldedSeries<T> {
    const key = JSON.stringify(labels);
    let s = this.all.get(key);
    if (s === undefined) {
      s = new FoldedSeries(labels, this.bounds);
      this.all.set(key, s);
    }
    return s;
  }

  /** As prom-client's histogram lists them: each bucket (cumulative), +Inf, sum, count. */
  private folded(): Value<T>[] {
    const out: Value<T>[] = [];
    const bucket = `${this.metric}_bucket`;
    const at = (le: number | string, value: number, s: FoldedSeries<T>, metricName: string): Value<T> => {
      // exemplar: null on buckets, as prom-client's JSON form has it
      if (le === '') return { labels: {}, sharedLabels: s.labels, value, metricName };
      return { labels: { le } as LabelValues<T>, sharedLabels: s.labels, value, metricName, exemplar: null };
    };
    for (const s of this.all.values()) {
      let acc = 0;
      this.bounds.forEach((bound, i) => {
        acc += s.counts[i] as number;
        out.push(at(bound, acc, s, bucket));
      });
      out.push(at('+Inf', s.count, s, bucket));
      out.push(at('', s.sum, s, `${this.metric}_sum`));
      out.push(at('', s.count, s, `${this.metric}_count`));
    }
    return out;
  }

  /**
   * What the registry prints the text exposition from; prom-client's `get()` (the JSON form) calls
   * it too and merges the labels. The base call brings the name, help, type and aggregator.
   */
  async getForPromString(): Promise<HistogramData<T>> {
    const data = await (Histogram.prototype as unknown as PromString<T>).getForPromString.call(this);
    data.values = this.folded();
    return data;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist
    this.all?.clear();
  }
}
