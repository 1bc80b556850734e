/**
 * ExchangeCore: the pipeline around the deterministic Exchange.
 *
 *   execute(cmd) -> shape check -> stamp seq + ts -> log.append -> Exchange.apply
 *   end of the event-loop turn (one setImmediate per group):
 *     capture market data of the group -> log.flush -> callbacks, exec reports,
 *     trades, market data, in command order
 *
 * Nothing leaves before the group's flush completed. A failed flush is fatal
 * (fail-stop): the group's callbacks get JOURNAL_FAILURE, nothing of it is
 * published and every later command is refused, because memory is now ahead of
 * the journal. Details: docs/engine.md.
 */
import { AurexError, Code } from './codes.ts';
import type {
  Command,
  CommandResult,
  ExecReport,
  L1,
  MarketDataUpdate,
  OrderView,
  PublicTrade,
  SymbolConfig,
  TradeEvent,
} from './types.ts';
import type {
  AccountView,
  BookView,
  ExchangeApi,
  ExecSubscribeOptions,
  IndexView,
  RankingEntry,
  Subscription,
} from './core-api.ts';
import { Exchange, type ExchangeListener, type ExchangeOptions } from './exchange.ts';
import type { SymbolEngine } from './symbol-engine.ts';
import { NoopCommandLog, type CommandLog } from './command-log.ts';
import { validateCommand } from './validate-command.ts';
import { DEFAULT_L2_LEVELS, mdUpdateOf } from './market-data.ts';
import type { ExchangeSnapshot } from './snapshot.ts';

export interface CoreOptions extends ExchangeOptions {
  /** Run on this exchange instead of building one from the options. */
  exchange?: Exchange;
  /** Where stamped commands go before they are applied. Default: no-op (no durability). */
  log?: CommandLog;
  /** ms since epoch; default Date.now. Stamps are made non-decreasing. */
  clock?: () => number;
  /** Levels per side in market-data updates. Default 10. */
  l2Levels?: number;
  /** Index recomputation period in ms (0 disables the timer). Default 100. */
  indexIntervalMs?: number;
  /**
   * With a log that flushes in place (CommandLog.syncFlush), a group is closed
   * once it holds this many commands, even mid-turn. Default 256. See "Group
   * size" in docs/engine.md.
   */
  maxGroupCommands?: number;
}

/** Default ExchangeCore maxGroupCommands. */
const DEFAULT_MAX_GROUP_COMMANDS = 256;

type ExecListener = (r: ExecReport) => void;

/** One execution-report subscription. */
interface ExecSub {
  fn: ExecListener;
  /**
   * Report objects of commands up to this seq are not for this subscriber: it
   * arrived while its account had no subscriber, so those reports were not built
   * as objects, and it gets them from the history instead (`backlog`).
   */
  skipTo: number;
  /** Reports of commands applied before it subscribed and not yet released, rebuilt from the history; delivered at their group's release. */
  backlog: ExecReport[] | undefined;
  closed: boolean;
}
type MdListener = (u: MarketDataUpdate) => void;
type TradeListener = (t: PublicTrade) => void;
type IndexListener = (v: IndexView) => void;

interface MdSub {
  listener: MdListener;
  closed: boolean;
  /** Got its snapshot: receives increments captured from now on. */
  ready: boolean;
}

/** Per-symbol subscriber state (core-side, not exchange state). */
class Feed {
  readonly md = new Set<MdSub>();
  readonly trades = new Set<TradeListener>();
  /** Public trades since the last capture (only kept while there are md subscribers). */
  pending: PublicTrade[] = [];
  /** New md subscribers waiting for their snapshot at the next capture. */
  waiting: MdSub[] = [];
}

/** Everything one event-loop turn produced, released together after its flush. */
class Group {
  results: CommandResult[] = [];
  cbs: ((r: CommandResult) => void)[] = [];
  execs: ExecReport[] = [];
  trades: PublicTrade[] = [];
  tradeFeeds: Feed[] = [];
  changed: SymbolEngine[] = [];
  /** Captured at close: [recipients, update] pairs. */
  mdOut: { subs: MdSub[]; u: MarketDataUpdate }[] = [];
  /** A new market-data subscriber waits for a snapshot captured at this group's close. */
  wantsCapture = false;
  /** Seq of the last command stamped when the group was closed. */
  lastSeq = 0;
  isEmpty(): boolean {
    return this.results.length === 0 && this.changed.length === 0 && !this.wantsCapture;
  }
}

function safeCall<T>(fn: (x: T) => void, x: T): void {
  try {
    fn(x);
  } catch {
    // A subscriber's or caller's exception must not stop delivery to the others nor the pipeline.
  }
}

export class ExchangeCore implements ExchangeApi {
  readonly exchange: Exchange;
  private readonly log: CommandLog;
  private readonly clock: () => number;
  private readonly levels: number;
  private readonly maxGroup: number;
  private seq: number;
  private lastTs: number;

  private cur = new Group();
  private groupId = 1;
  private scheduled = false;
  private flushing = false;
  /**
   * Inside release(): commands that callbacks execute wait for the end of the turn, so a
   * group's results and events are never interleaved with a later group's.
   */
  private releasing = false;
  private failed = false;
  private closed = false;

  private readonly feeds: Feed[] = [];
  private readonly allTrades = new Set<TradeListener>();
  /**
   * Execution-report subscribers per account: `list` is replaced, never changed in place
   * (iterated for every report, rarely changed), and read per report, so a subscription
   * closed by a callback gets nothing more.
   */
  private readonly execSubs = new Map<number, { list: ExecSub[] }>();
  /** Subscriptions with a backlog still to deliver (usually none). */
  private readonly catchingUp = new Set<ExecSub>();
  /**
   * Seq of the last command whose group was released (durable and published):
   * a resuming subscriber gets retained reports up to it from the history, and
   * later ones live, when their group is released.
   */
  private releasedSeq = 0;
  private readonly indexSubs = new Map<string, Set<IndexListener>>();
  private readonly timer: NodeJS.Timeout | undefined;

  private readonly liveListener: ExchangeListener;
  private readonly replayListener: ExchangeListener;

  constructor(opts: CoreOptions = {}) {
    this.exchange = opts.exchange ?? new Exchange(opts);
    this.log = opts.log ?? new NoopCommandLog();
    this.clock = opts.clock ?? Date.now;
    this.levels = opts.l2Levels ?? DEFAULT_L2_LEVELS;
    const maxGroup = opts.maxGroupCommands ?? DEFAULT_MAX_GROUP_COMMANDS;
    if (!Number.isSafeInteger(maxGroup) || maxGroup < 1) throw new AurexError(Code.INVALID_ARGUMENT, `maxGroupCommands must be an integer >= 1, got ${String(maxGroup)}`);
    this.maxGroup = maxGroup;
    this.seq = this.exchange.lastSeq();
    this.releasedSeq = this.seq;
    this.lastTs = this.exchange.lastTimestamp();
    this.liveListener = {
      onExec: (r) => this.cur.execs.push(r),
      onTrade: (t, sym) => this.onTrade(t, sym),
      onSymbolChanged: (sym) => {
        if (sym.pubMark !== this.groupId) {
          sym.pubMark = this.groupId;
          this.cur.changed.push(sym);
        }
      },
    };
    // Replayed reports only go into the history (the exchange writes it itself: no report objects).
    this.replayListener = {
      onExec: () => {},
      onTrade: () => {},
      onSymbolChanged: (sym) => {
        sym.publishedMdSeq = sym.mdSeq;
      },
    };
    this.exchange.setListener(this.liveListener);
    // report objects only for accounts with a subscriber (the history gets every report)
    this.exchange.setReportFilter(true);
    const every = opts.indexIntervalMs ?? 100;
    if (every > 0) {
      this.timer = setInterval(() => this.recomputeIndices(), every);
      this.timer.unref();
    }
  }

  // =============================================================== commands
  execute(cmd: Command, cb: (res: CommandResult) => void): void {
    const g = this.cur;
    if (this.failed || this.closed) {
      g.results.push({ code: this.failed ? Code.JOURNAL_FAILURE : Code.SHUTTING_DOWN, seq: 0, ts: 0 });
      g.cbs.push(cb);
    } else {
      const code = validateCommand(cmd);
      if (code !== Code.OK) {
        g.results.push({ code, seq: 0, ts: 0 });
        g.cbs.push(cb);
      } else {
        let ts = this.clock();
        if (ts < this.lastTs) ts = this.lastTs;
        this.lastTs = ts;
        cmd.seq = ++this.seq;
        cmd.ts = ts;
        this.log.append(cmd);
        let res: CommandResult;
        try {
          res = this.exchange.apply(cmd);
        } catch {
          // A throw inside apply is a bug that may have left state half-changed: stop (fail-stop) rather than diverge.
          this.failed = true;
          res = { code: Code.INTERNAL, seq: cmd.seq, ts };
        }
        g.results.push(res);
        g.cbs.push(cb);
      }
    }
    // With a log that flushes in place, a full group is flushed now rather than at the end of
    // the turn: its results and events are released (before execute() returns) while young.
    if (g.results.length >= this.maxGroup && !this.flushing && !this.releasing && this.log.syncFlush === true) this.startFlush(true);
    else if (!this.scheduled) this.schedule();
  }

  executeAsync(cmd: Command): Promise<CommandResult> {
    return new Promise((resolve) => this.execute(cmd, resolve));
  }

  /**
   * Recovery: applies an already-stamped command (from the journal) without
   * logging or publishing. Its execution reports go into the resume history.
   */
  replay(cmd: Command): Code {
    this.exchange.setListener(this.replayListener, false);
    try {
      const r = this.exchange.replay(cmd);
      this.seq = cmd.seq!;
      this.releasedSeq = this.seq;
      if (cmd.ts! > this.lastTs) this.lastTs = cmd.ts!;
      return r;
    } finally {
      this.exchange.setListener(this.liveListener);
    }
  }

  /** Full state (Exchange.snapshot()); its `seq` says which commands it contains. */
  snapshot(): ExchangeSnapshot {
    return this.exchange.snapshot();
  }

  /** Replaces the state with a snapshot (before serving; the resume history restarts empty). */
  restore(snap: ExchangeSnapshot): void {
    this.exchange.restore(snap);
    this.seq = this.exchange.lastSeq();
    this.releasedSeq = this.seq;
    this.lastTs = this.exchange.lastTimestamp();
    for (const s of this.exchange.symbolEngines()) s.publishedMdSeq = s.mdSeq;
  }

  /** True once a journal flush failed: the core refuses every command from then on. */
  isFailed(): boolean {
    return this.failed;
  }

  /** Stops the index timer and refuses new commands (SHUTTING_DOWN); groups in flight still complete. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }

  // =============================================================== groups
  private schedule(): void {
    this.scheduled = true;
    setImmediate(() => this.endTurn());
  }

  private endTurn(): void {
    this.scheduled = false;
    if (this.flushing || this.cur.isEmpty()) return;
    this.startFlush();
  }

  /**
   * Closes the current group and flushes it. `full`: closed mid-turn for its size;
   * market data is then left to the turn's last group (symbols changed so far carry
   * over), so a large turn still publishes one update per symbol, not one per group.
   */
  private startFlush(full = false): void {
    const g = this.cur;
    g.lastSeq = this.seq;
    const next = new Group();
    if (full) {
      next.changed = g.changed;
      next.wantsCapture = g.wantsCapture;
      g.changed = [];
      g.wantsCapture = false;
    } else {
      this.capture(g);
    }
    this.cur = next;
    this.groupId++;
    for (const sym of next.changed) sym.pubMark = this.groupId;
    if (!next.isEmpty() && !this.scheduled) this.schedule();
    this.flushing = true;
    let done = false;
    this.log.flush((err) => {
      if (done) return;
      done = true;
      this.flushing = false;
      this.releasing = true;
      try {
        this.release(g, err);
      } finally {
        this.releasing = false;
      }
      // Commands that arrived while this flush was outstanding form the next group.
      if (!this.cur.isEmpty() && !this.scheduled) this.schedule();
    });
  }

  /** Market data of the group, captured at its last command (not later state). */
  private capture(g: Group): void {
    for (const sym of g.changed) {
      const feed = this.feeds[sym.idx];
      if (feed !== undefined && feed.md.size !== 0) {
        const subs: MdSub[] = [];
        for (const s of feed.md) if (s.ready) subs.push(s);
        if (subs.length !== 0) g.mdOut.push({ subs, u: mdUpdateOf(sym, this.levels, sym.publishedMdSeq, false, feed.pending) });
        feed.pending = [];
      }
      sym.publishedMdSeq = sym.mdSeq;
    }
    for (let i = 0; i < this.feeds.length; i++) {
      const feed = this.feeds[i];
      if (feed === undefined || feed.waiting.length === 0) continue;
      const sym = this.exchange.symbolEngines()[i]!;
      const u = mdUpdateOf(sym, this.levels, 0, true, []);
      const subs = feed.waiting.filter((s) => !s.closed);
      for (const s of subs) s.ready = true;
      feed.waiting = [];
      if (subs.length) g.mdOut.push({ subs, u });
    }
  }

  private release(g: Group, err: Error | undefined): void {
    if (err !== undefined || this.failed) {
      this.failed = true;
      for (let i = 0; i < g.cbs.length; i++) {
        const r = g.results[i]!;
        safeCall(g.cbs[i]!, { code: Code.JOURNAL_FAILURE, seq: r.seq, ts: r.ts });
      }
      return;
    }
    this.releasedSeq = g.lastSeq;
    for (let i = 0; i < g.cbs.length; i++) safeCall(g.cbs[i]!, g.results[i]!);
    if (this.catchingUp.size !== 0) this.releaseBacklogs(g.lastSeq);
    // Reports come in runs of one account (a command's own reports): look its subscribers up once per run.
    const execSubs = this.execSubs;
    let sid = NaN;
    let subs: { list: ExecSub[] } | undefined;
    for (const r of g.execs) {
      if (r.accountId !== sid) {
        sid = r.accountId;
        subs = execSubs.get(sid);
      }
      if (subs === undefined) continue;
      const list = subs.list;
      for (let k = 0; k < list.length; k++) {
        const e = list[k]!;
        if (r.seq > e.skipTo && !e.closed) safeCall(e.fn, r);
      }
    }
    for (let i = 0; i < g.trades.length; i++) {
      const t = g.trades[i]!;
      for (const l of g.tradeFeeds[i]!.trades) safeCall(l, t);
      for (const l of this.allTrades) safeCall(l, t);
    }
    for (const { subs, u } of g.mdOut) for (const s of subs) if (!s.closed) safeCall(s.listener, u);
  }

  /** Delivers the backlog reports of commands up to `lastSeq` (the group just released). */
  private releaseBacklogs(lastSeq: number): void {
    for (const e of this.catchingUp) {
      const b = e.backlog!;
      let k = 0;
      for (; k < b.length && b[k]!.seq <= lastSeq; k++) if (!e.closed) safeCall(e.fn, b[k]!);
      if (k === b.length) {
        e.backlog = undefined;
        this.catchingUp.delete(e);
      } else if (k !== 0) e.backlog = b.slice(k);
    }
  }

  private feedOf(sym: SymbolEngine): Feed {
    let f = this.feeds[sym.idx];
    if (f === undefined) {
      while (this.feeds.length < sym.idx) this.feeds.push(undefined as unknown as Feed);
      f = new Feed();
      this.feeds[sym.idx] = f;
    }
    return f;
  }

  private onTrade(t: TradeEvent, sym: SymbolEngine): void {
    const feed = this.feeds[sym.idx];
    const md = feed !== undefined && feed.md.size !== 0;
    const direct = (feed !== undefined && feed.trades.size !== 0) || this.allTrades.size !== 0;
    if (!md && !direct) return;
    const pt: PublicTrade = { tradeId: t.tradeId, symbol: t.symbol, price: t.price, qty: t.qty, aggressor: t.aggressor, ts: t.ts, mdSeq: sym.mdSeq };
    if (md) feed.pending.push(pt);
    if (direct) {
      this.cur.trades.push(pt);
      this.cur.tradeFeeds.push(this.feedOf(sym));
    }
  }

  private recomputeIndices(): void {
    if (this.failed) return;
    for (const name of this.exchange.indexNames()) {
      const idx = this.exchange.marketIndex(name)!;
      if (!idx.moved()) continue;
      const v = idx.compute(this.lastTs, this.seq);
      const subs = this.indexSubs.get(name);
      if (subs) for (const l of subs) safeCall(l, v);
    }
  }

  /** Recomputes every index now (the timer's work; exposed for tests and tools). */
  recomputeIndicesNow(): void {
    this.recomputeIndices();
  }

  // =============================================================== subscriptions
  subscribeExecutions(accountId: number, opts: ExecSubscribeOptions, listener: ExecListener): Subscription {
    const from = opts.fromSeq;
    if (from !== 0) for (const r of this.exchange.execReports(accountId, from < 0 ? 0 : from, this.releasedSeq)) safeCall(listener, r);
    let subs = this.execSubs.get(accountId);
    if (subs === undefined) this.execSubs.set(accountId, (subs = { list: [] }));
    const s = subs;
    const e: ExecSub = { fn: listener, skipTo: 0, backlog: undefined, closed: false };
    if (s.list.length === 0) {
      // The account had no subscriber, so (with the exchange's report filter) the reports of its
      // commands applied but not yet released exist only in the history: they are delivered from
      // there at their release.
      if (this.seq > this.releasedSeq && this.exchange.reportFilterActive) {
        e.skipTo = this.seq;
        // undefined: the history's window is smaller than what is in flight; those reports are
        // gone as they would be for a resume (the subscriber sees the gap in accountSeq)
        const b = this.exchange.execReportsAfter(accountId, this.releasedSeq);
        if (b !== undefined && b.length !== 0) {
          e.backlog = b;
          this.catchingUp.add(e);
        }
      }
      this.exchange.setReportsWanted(accountId, true);
    }
    s.list = [...s.list, e];
    return {
      close: () => {
        if (e.closed) return;
        e.closed = true;
        this.catchingUp.delete(e);
        s.list = s.list.filter((x) => x !== e);
        if (s.list.length === 0) this.exchange.setReportsWanted(accountId, false);
      },
    };
  }

  subscribeMarketData(symbol: string, listener: MdListener): Subscription {
    const sym = this.exchange.symbolEngine(symbol);
    if (sym === undefined) return { close() {} };
    const feed = this.feedOf(sym);
    const sub: MdSub = { listener, closed: false, ready: false };
    feed.md.add(sub);
    feed.waiting.push(sub);
    // The snapshot is captured at the close of the current group, so it never shows undurable state.
    this.cur.wantsCapture = true;
    if (!this.scheduled) this.schedule();
    return {
      close: () => {
        sub.closed = true;
        feed.md.delete(sub);
      },
    };
  }

  subscribeTrades(symbol: string, listener: TradeListener): Subscription {
    if (symbol === '*') {
      this.allTrades.add(listener);
      return { close: () => void this.allTrades.delete(listener) };
    }
    const sym = this.exchange.symbolEngine(symbol);
    if (sym === undefined) return { close() {} };
    const feed = this.feedOf(sym);
    feed.trades.add(listener);
    return { close: () => void feed.trades.delete(listener) };
  }

  subscribeIndex(name: string, listener: IndexListener): Subscription {
    const idx = this.exchange.marketIndex(name);
    if (idx === undefined) return { close() {} };
    let subs = this.indexSubs.get(name);
    if (subs === undefined) {
      subs = new Set();
      this.indexSubs.set(name, subs);
    }
    subs.add(listener);
    safeCall(listener, idx.view());
    const s = subs;
    return { close: () => void s.delete(listener) };
  }

  // =============================================================== queries (current state)
  symbols(): SymbolConfig[] {
    return this.exchange.symbols();
  }
  symbol(symbol: string): SymbolConfig | undefined {
    return this.exchange.symbol(symbol);
  }
  isHalted(symbol: string): boolean {
    return this.exchange.isHalted(symbol);
  }
  getOrder(accountId: number, ref: { orderId?: number; clientOrderId?: string }): OrderView | undefined {
    return this.exchange.getOrder(accountId, ref);
  }
  openOrders(accountId: number, symbol?: string): OrderView[] {
    return this.exchange.openOrders(accountId, symbol);
  }
  accountTrades(accountId: number, opts?: { symbol?: string; limit?: number; afterTradeId?: number }): TradeEvent[] {
    return this.exchange.accountTrades(accountId, opts);
  }
  /** Trades of one order; with `accountId`, only if that account owns the order. */
  orderTrades(orderId: number, accountId?: number): TradeEvent[] {
    return this.exchange.orderTrades(orderId, accountId);
  }
  account(accountId: number): AccountView | undefined {
    return this.exchange.account(accountId);
  }
  l1(symbol: string): L1 | undefined {
    return this.exchange.l1(symbol);
  }
  book(symbol: string, levels: number): BookView | undefined {
    return this.exchange.book(symbol, levels);
  }
  marketSnapshot(symbol: string, levels?: number): MarketDataUpdate | undefined {
    return this.exchange.marketSnapshot(symbol, levels ?? this.levels);
  }
  indexNames(): string[] {
    return this.exchange.indexNames();
  }
  index(name: string): IndexView | undefined {
    return this.exchange.index(name);
  }
  ranking(by: 'volume' | 'change', n: number): RankingEntry[] {
    return this.exchange.ranking(by, n);
  }
  stateHash(): string {
    return this.exchange.stateHash();
  }
  lastSeq(): number {
    return this.seq;
  }
}
