/**
 * A Prometheus histogram cheap enough for the order path: an observation is a
 * short scan of fixed bucket bounds and three typed-array increments (a few ns,
 * no label hashing, no allocation). prom-client's Histogram costs far more per
 * observe() (measured: two of them halved the engine's order rate), so the
 * counts live here and are rendered into the registry only at scrape time.
 */
import type { Registry } from 'prom-client';

export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  /** Per label value: bucket counts (non-cumulative, +Inf last), then sum and count. */
  private readonly series: Float64Array[] = [];

  /**
   * @param labelName the one label of the series (e.g. "type"), or undefined for a single series
   * @param labelValues the label's values, in the order of the `series` indexes passed to observe()
   */
  constructor(
    readonly name: string,
    readonly help: string,
    bounds: number[],
    private readonly labelName?: string,
    private readonly labelValues: string[] = [''],
  ) {
    this.bounds = Float64Array.from(bounds);
    for (let i = 0; i < labelValues.length; i++) this.series.push(new Float64Array(bounds.length + 3));
  }

  register(registry: Registry): this {
    registry.registerMetric(this as never);
    return this;
  }

  /** Record `value` (seconds) in series `s` (index into labelValues). */
  observe(value: number, s = 0): void {
    const b = this.bounds;
    const row = this.series[s]!;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    row[i]!++;
    row[b.length + 1]! += value;
    row[b.length + 2]!++;
  }

  /** The prom-client metric shape, read by the registry at scrape time. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    const n = this.bounds.length;
    this.series.forEach((row, s) => {
      const base: Record<string, string> = this.labelName ? { [this.labelName]: this.labelValues[s]! } : {};
      let acc = 0;
      for (let i = 0; i <= n; i++) {
        acc += row[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...base, le: i < n ? this.bounds[i]! : '+Inf' }, value: acc });
      }
      values.push({ metricName: `${this.name}_sum`, labels: base, value: row[n + 1]! });
      values.push({ metricName: `${this.name}_count`, labels: base, value: row[n + 2]! });
    });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const row of this.series) row.fill(0);
  }
}

/** A counter family whose values are plain numbers owned by the caller, rendered at scrape time. */
export class ScrapeCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => { labels: Record<string, string>; value: number }[],
  ) {}

  register(registry: Registry): this {
    registry.registerMetric(this as never);
    return this;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string>; value: number }[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() };
  }

  reset(): void {}
}
