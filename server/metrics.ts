/**
 * Prometheus metrics (prom-client). Counters on the command path are plain
 * increments (no labels built per order: label children are resolved once and
 * cached); gauges that mirror other components' state are read at scrape time
 * through collect callbacks, so nothing polls.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Code, codeName } from '../engine/codes.ts';
import type { ExchangeApi } from '../engine/core-api.ts';
import type { Command, CommandResult } from '../engine/types.ts';

/** Latency buckets in seconds: 10 us .. 2.5 s. */
const LATENCY_BUCKETS = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1, 2.5];

export type GaugeSource = () => number;

export class Metrics {
  readonly registry = new Registry();
  readonly commands: Counter<'type' | 'result'>;
  readonly rejects: Counter<'code'>;
  readonly trades: Counter;
  readonly tradedShares: Counter;
  /** execute() to durable acknowledgement, per command type. */
  readonly commandLatency: Histogram<'type'>;
  /** In-process matching: the synchronous part of execute() (stamp, journal append, risk, match, settle). */
  readonly matchingLatency: Histogram;
  private readonly matchingObserve: (v: number) => void;
  readonly authFailures: Counter<'gateway' | 'code'>;
  readonly slowConsumerDisconnects: Counter<'gateway'>;
  private readonly sources = new Map<string, GaugeSource>();
  private readonly okChildren = new Map<string, { inc(): void }>();
  private readonly rejectChildren = new Map<number, { inc(): void }>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: r, prefix: 'aurex_' });
    this.commands = new Counter({ name: 'aurex_commands_total', help: 'Commands executed, by type and result (ok|rejected)', labelNames: ['type', 'result'], registers: [r] });
    this.rejects = new Counter({ name: 'aurex_rejects_total', help: 'Rejected commands by stable reason code name', labelNames: ['code'], registers: [r] });
    this.trades = new Counter({ name: 'aurex_trades_total', help: 'Trades executed', registers: [r] });
    this.tradedShares = new Counter({ name: 'aurex_traded_shares_total', help: 'Shares traded', registers: [r] });
    this.commandLatency = new Histogram({
      name: 'aurex_command_latency_seconds',
      help: 'From execute() to the durable acknowledgement (sequencing, journal group commit, matching, settlement)',
      labelNames: ['type'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    this.matchingLatency = new Histogram({
      name: 'aurex_matching_latency_seconds',
      help: 'In-process matching per command: sequencing, journal append, risk checks, matching and settlement (no I/O wait)',
      buckets: [1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2],
      registers: [r],
    });
    const h = this.matchingLatency;
    this.matchingObserve = (v) => h.observe(v);
    this.authFailures = new Counter({ name: 'aurex_auth_failures_total', help: 'Refused authentications by gateway and code', labelNames: ['gateway', 'code'], registers: [r] });
    this.slowConsumerDisconnects = new Counter({ name: 'aurex_slow_consumer_disconnects_total', help: 'Streams or sessions closed because the client could not keep up', labelNames: ['gateway'], registers: [r] });
  }

  /** A gauge whose value is read from `source` at scrape time. */
  gauge(name: string, help: string, source: GaugeSource): void {
    if (this.sources.has(name)) {
      this.sources.set(name, source);
      return;
    }
    this.sources.set(name, source);
    const sources = this.sources;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        const v = sources.get(name)!();
        this.set(Number.isFinite(v) ? v : 0);
      },
    });
  }

  /** Record the synchronous (matching) part of one command, in milliseconds. */
  recordMatching(ms: number): void {
    this.matchingObserve(ms / 1000);
  }

  /** Record one command's outcome (called once per acknowledged command). */
  record(cmd: Command, res: CommandResult, startedMs: number): void {
    const type = cmd.type;
    if (res.code === Code.OK) {
      let c = this.okChildren.get(type);
      if (!c) this.okChildren.set(type, (c = this.commands.labels(type, 'ok')));
      c.inc();
    } else {
      this.commands.labels(type, 'rejected').inc();
      let c = this.rejectChildren.get(res.code);
      if (!c) this.rejectChildren.set(res.code, (c = this.rejects.labels(codeName(res.code))));
      c.inc();
    }
    this.commandLatency.labels(type).observe((performance.now() - startedMs) / 1000);
  }
}

/**
 * An ExchangeApi that records every command's result and latency, and counts
 * trades. Everything else passes straight through to `inner`.
 */
export function instrumentExchange(inner: ExchangeApi, metrics: Metrics): ExchangeApi {
  inner.subscribeTrades('*', (t) => {
    metrics.trades.inc();
    metrics.tradedShares.inc(t.qty);
  });
  const execute = (cmd: Command, cb: (res: CommandResult) => void): void => {
    const t0 = performance.now();
    inner.execute(cmd, (res) => {
      metrics.record(cmd, res, t0);
      cb(res);
    });
    // execute() applied the command synchronously; only the durable acknowledgement is deferred.
    metrics.recordMatching(performance.now() - t0);
  };
  const executeAsync = (cmd: Command): Promise<CommandResult> => new Promise((resolve) => execute(cmd, resolve));
  // A plain object of bound methods (not a Proxy): no trap or bind per call on hot query paths.
  const wrapper: Record<string, unknown> = {};
  for (let proto = Object.getPrototypeOf(inner); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in wrapper) continue;
      const v = (inner as unknown as Record<string, unknown>)[name];
      if (typeof v === 'function') wrapper[name] = v.bind(inner);
    }
  }
  wrapper.execute = execute;
  wrapper.executeAsync = executeAsync;
  return wrapper as unknown as ExchangeApi;
}
