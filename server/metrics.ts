/**
 * Prometheus metrics (prom-client). Counters on the command path are plain
 * increments (no labels built per order: label children are resolved once and
 * cached); gauges that mirror other components' state are read at scrape time
 * through collect callbacks, so nothing polls.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram, ScrapeCounter } from './fast-histogram.ts';
import { Code, codeName } from '../engine/codes.ts';
import type { ExchangeApi } from '../engine/core-api.ts';
import type { Command, CommandResult } from '../engine/types.ts';

/** Latency buckets in seconds: 10 us .. 2.5 s. */
const LATENCY_BUCKETS = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1, 2.5];

export type GaugeSource = () => number;

/** Every command type, in the order of the command-latency histogram's series. */
const COMMAND_TYPES: Command['type'][] = ['new', 'cancel', 'replace', 'massCancel', 'createAccount', 'deposit', 'adjustPosition', 'halt', 'resume', 'addSymbol'];
const TYPE_INDEX = new Map<string, number>(COMMAND_TYPES.map((t, i) => [t, i]));
function commandTypeIndex(type: string): number {
  return TYPE_INDEX.get(type) ?? 0;
}

export class Metrics {
  readonly registry = new Registry();
  /** Commands executed, per COMMAND_TYPES index: accepted and rejected. */
  private readonly okByType = new Float64Array(COMMAND_TYPES.length);
  private readonly rejectedByType = new Float64Array(COMMAND_TYPES.length);
  private readonly rejectsByCode = new Map<number, number>();
  private tradeCount = 0;
  private tradedShareCount = 0;
  /** execute() to durable acknowledgement, per command type. */
  readonly commandLatency: FastHistogram;
  /** In-process matching: the synchronous part of execute() (stamp, journal append, risk, match, settle). */
  readonly matchingLatency: FastHistogram;
  private readonly sources = new Map<string, GaugeSource>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: r, prefix: 'aurex_' });
    // The order path only bumps plain numbers; these render them when scraped.
    new ScrapeCounter('aurex_commands_total', 'Commands executed, by type and result (ok|rejected)', () => {
      const out: { labels: Record<string, string>; value: number }[] = [];
      COMMAND_TYPES.forEach((t, i) => {
        if (this.okByType[i]) out.push({ labels: { type: t, result: 'ok' }, value: this.okByType[i]! });
        if (this.rejectedByType[i]) out.push({ labels: { type: t, result: 'rejected' }, value: this.rejectedByType[i]! });
      });
      return out;
    }).register(r);
    new ScrapeCounter('aurex_rejects_total', 'Rejected commands by stable reason code name', () =>
      [...this.rejectsByCode].map(([code, value]) => ({ labels: { code: codeName(code) }, value })),
    ).register(r);
    new ScrapeCounter('aurex_trades_total', 'Trades executed', () => [{ labels: {}, value: this.tradeCount }]).register(r);
    new ScrapeCounter('aurex_traded_shares_total', 'Shares traded', () => [{ labels: {}, value: this.tradedShareCount }]).register(r);
    this.commandLatency = new FastHistogram(
      'aurex_command_latency_seconds',
      'From execute() to the durable acknowledgement (sequencing, journal group commit, matching, settlement)',
      LATENCY_BUCKETS,
      'type',
      COMMAND_TYPES,
    ).register(r);
    this.matchingLatency = new FastHistogram(
      'aurex_matching_latency_seconds',
      'In-process matching per command: sequencing, journal append, risk checks, matching and settlement (no I/O wait)',
      [1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2],
    ).register(r);
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
    this.matchingLatency.observe(ms / 1000);
  }

  /** Refused logins and token validations by code, read from `source` at scrape time. */
  authFailures(source: () => Map<number, number>): void {
    new ScrapeCounter('aurex_auth_failures_total', 'Refused logins and token validations, by stable code name', () =>
      [...source()].map(([code, value]) => ({ labels: { code: codeName(code) }, value })),
    ).register(this.registry);
  }

  /** Record one command's outcome (called once per acknowledged command). */
  record(cmd: Command, res: CommandResult, startedMs: number): void {
    const t = commandTypeIndex(cmd.type);
    if (res.code === Code.OK) this.okByType[t]!++;
    else {
      this.rejectedByType[t]!++;
      this.rejectsByCode.set(res.code, (this.rejectsByCode.get(res.code) ?? 0) + 1);
    }
    this.commandLatency.observe((performance.now() - startedMs) / 1000, t);
  }

  /** Count one trade. */
  recordTrade(qty: number): void {
    this.tradeCount++;
    this.tradedShareCount += qty;
  }
}

/**
 * An ExchangeApi that records every command's result and latency, and counts
 * trades. Everything else passes straight through to `inner`.
 */
/**
 * Commands in flight through the wrapper, oldest first: the engine calls back
 * exactly once per execute(), in the order of the calls (ExchangeApi.execute),
 * so one callback pairs each result with its entry and no closure is made per
 * command. Grows (doubling) when full.
 */
class InFlight {
  private cmds: (Command | undefined)[] = new Array(256);
  private cbs: (((res: CommandResult) => void) | undefined)[] = new Array(256);
  private t0 = new Float64Array(256);
  private head = 0;
  count = 0;

  push(cmd: Command, cb: (res: CommandResult) => void, t0: number): void {
    if (this.count === this.t0.length) this.grow();
    const i = (this.head + this.count) & (this.t0.length - 1);
    this.cmds[i] = cmd;
    this.cbs[i] = cb;
    this.t0[i] = t0;
    this.count++;
  }

  /** Takes back the newest entry (its execute() threw: no callback will come). */
  dropNewest(): void {
    const i = (this.head + this.count - 1) & (this.t0.length - 1);
    this.cmds[i] = undefined;
    this.cbs[i] = undefined;
    this.count--;
  }

  /** Removes the oldest entry, handing its fields to `fn`. */
  shift(res: CommandResult, fn: (cmd: Command, cb: (res: CommandResult) => void, t0: number, res: CommandResult) => void): void {
    const i = this.head;
    const cmd = this.cmds[i]!;
    const cb = this.cbs[i]!;
    const t0 = this.t0[i]!;
    this.cmds[i] = undefined;
    this.cbs[i] = undefined;
    this.head = (i + 1) & (this.t0.length - 1);
    this.count--;
    fn(cmd, cb, t0, res);
  }

  private grow(): void {
    const n = this.t0.length;
    const cmds: (Command | undefined)[] = new Array(n * 2);
    const cbs: (((res: CommandResult) => void) | undefined)[] = new Array(n * 2);
    const t0 = new Float64Array(n * 2);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & (n - 1);
      cmds[k] = this.cmds[i];
      cbs[k] = this.cbs[i];
      t0[k] = this.t0[i]!;
    }
    this.cmds = cmds;
    this.cbs = cbs;
    this.t0 = t0;
    this.head = 0;
  }
}

export function instrumentExchange(inner: ExchangeApi, metrics: Metrics): ExchangeApi {
  inner.subscribeTrades('*', (t) => metrics.recordTrade(t.qty));
  const inFlight = new InFlight();
  const deliver = (cmd: Command, cb: (res: CommandResult) => void, t0: number, res: CommandResult): void => {
    metrics.record(cmd, res, t0);
    cb(res);
  };
  const onResult = (res: CommandResult): void => inFlight.shift(res, deliver);
  const execute = (cmd: Command, cb: (res: CommandResult) => void): void => {
    const t0 = performance.now();
    inFlight.push(cmd, cb, t0);
    try {
      inner.execute(cmd, onResult);
    } catch (e) {
      inFlight.dropNewest();
      throw e;
    }
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
