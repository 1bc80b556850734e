/**
 * Feeds the PostgreSQL writer from the journal, not from the live engine.
 *
 * A shadow Exchange (own instance, reference or native book) is rebuilt from
 * the newest snapshot at or below the writer's committed position plus the
 * journal up to that position, silently; from there on every durable command
 * read from the journal is applied to the shadow and the rows it changed
 * (orders, trades, accounts, stocks) are pushed to the writer. Because the
 * journal is the input, the writer needs no hook in the matching path, can
 * never miss an event, and after PostgreSQL was down (or the process
 * restarted) it simply continues from its committed position. The feed pauses
 * while the writer's backlog is full, so memory stays bounded, and it reads in
 * bounded steps (yielding between them). Run it in a worker thread
 * (pg-writer-worker.ts) to keep its CPU off the matching thread.
 */
import { Exchange, type ExchangeListener, type ExchangeOptions } from '../exchange.ts';
import type { SymbolEngine } from '../symbol-engine.ts';
import type { Command, TradeEvent, OrderView } from '../types.ts';
import { JournalCursor } from '../journal/journal-cursor.ts';
import { recoverableExchange } from '../journal/exchange-adapter.ts';
import { recoverState } from '../journal/recovery.ts';
import { SnapshotStore } from '../journal/snapshot-store.ts';
import type { AccountRow, PgWriter, StockRow, WriterUpdate } from './pg-writer.ts';

export interface JournalFeedOptions {
  dir: string;
  writer: PgWriter;
  /** Options of the shadow exchange (same market config as the engine). */
  exchange?: ExchangeOptions;
  /** Highest sequence known durable (only these are fed). Default: no limit. */
  durableSeq?: () => number;
  /** Records per step. Default 2,000. */
  step?: number;
  /** Idle poll period when the journal has nothing new (ms). Default 10. */
  idleMs?: number;
  onError?: (err: Error) => void;
}

export class JournalFeed {
  private readonly o: JournalFeedOptions;
  private readonly ex: Exchange;
  private cursor!: JournalCursor;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private stockRowsSent = false;
  // per-command change sets
  private readonly orderIds = new Set<number>();
  private readonly accountIds = new Set<number>();
  private readonly symbols = new Set<SymbolEngine>();
  private trades: TradeEvent[] = [];
  /** Sequence of the last command applied to the shadow. */
  appliedSeq = 0;
  /** Startup replay report. */
  startup: ReturnType<typeof recoverState> | undefined;

  constructor(opts: JournalFeedOptions) {
    this.o = opts;
    this.ex = new Exchange(opts.exchange ?? {});
    const l: ExchangeListener = {
      onExec: (r) => {
        this.orderIds.add(r.orderId);
        this.accountIds.add(r.accountId);
      },
      onTrade: (t) => {
        this.trades.push(t);
      },
      onSymbolChanged: (sym) => {
        this.symbols.add(sym);
      },
    };
    this.ex.setListener(l);
  }

  /** Rebuild the shadow up to the writer's committed position, then start tailing. */
  start(): void {
    const pos = this.o.writer.position;
    // Silent rebuild: listener events of these commands are discarded.
    this.startup = recoverState({
      dir: this.o.dir,
      engine: recoverableExchange(this.ex),
      snapshots: new SnapshotStore({ dir: this.o.dir }),
      maxSnapshotSeq: pos,
      untilSeq: pos,
    });
    this.clearChanges();
    this.appliedSeq = this.ex.lastSeq();
    if (this.appliedSeq < pos) {
      throw new Error(`journal ends at ${this.appliedSeq} but PostgreSQL has rows up to ${pos}: wrong data directory or database`);
    }
    this.cursor = new JournalCursor(this.o.dir, this.appliedSeq);
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.ex.close();
  }

  /** The shadow's state hash (tests: equals the engine's once caught up). */
  stateHash(): string {
    return this.ex.stateHash();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.pump(), ms);
  }

  /** Read and apply one bounded step; returns how many commands were fed. */
  pumpOnce(): number {
    const w = this.o.writer;
    if (w.backlogFull) return 0;
    const until = this.o.durableSeq ? this.o.durableSeq() : Number.MAX_SAFE_INTEGER;
    return this.cursor.read(this.o.step ?? 2000, until, (cmd) => this.applyOne(cmd));
  }

  private pump(): void {
    if (!this.running) return;
    let n = 0;
    try {
      n = this.pumpOnce();
    } catch (e) {
      this.o.onError?.(e as Error);
      this.schedule(500);
      return;
    }
    this.schedule(n > 0 ? 0 : (this.o.idleMs ?? 10));
  }

  private clearChanges(): void {
    this.orderIds.clear();
    this.accountIds.clear();
    this.symbols.clear();
    this.trades = [];
  }

  private applyOne(cmd: Command): void {
    this.ex.replay(cmd);
    this.appliedSeq = cmd.seq!;
    if (cmd.type === 'createAccount' || cmd.type === 'deposit' || cmd.type === 'adjustPosition') this.accountIds.add(cmd.accountId);
    if (cmd.type === 'halt' || cmd.type === 'resume') {
      const s = this.ex.symbolEngine(cmd.symbol);
      if (s) this.symbols.add(s);
    }
    if (cmd.type === 'addSymbol') {
      const s = this.ex.symbolEngine(cmd.config.symbol);
      if (s) this.symbols.add(s);
    }
    const u: WriterUpdate = { seq: cmd.seq! };
    if (this.orderIds.size) {
      const orders: OrderView[] = [];
      for (const id of this.orderIds) {
        const v = this.ex.orderById(id);
        if (v) orders.push(v);
      }
      u.orders = orders;
    }
    if (this.trades.length) u.trades = this.trades;
    if (this.accountIds.size) {
      const accounts: AccountRow[] = [];
      for (const id of this.accountIds) {
        const a = this.ex.account(id);
        if (a) accounts.push({ accountId: a.accountId, cash: a.cash, reservedCash: a.reservedCash, openOrders: a.openOrders, positions: a.positions.map((p) => ({ symbol: p.symbol, shares: p.shares, reserved: p.reserved })) });
      }
      u.accounts = accounts;
    }
    if (!this.stockRowsSent) {
      this.stockRowsSent = true;
      for (const s of this.ex.symbolEngines()) this.symbols.add(s);
    }
    if (this.symbols.size) {
      const stocks: StockRow[] = [];
      for (const s of this.symbols) {
        const l1 = this.ex.l1(s.symbol);
        const cfg = this.ex.symbol(s.symbol);
        if (!l1 || !cfg) continue;
        stocks.push({
          symbol: s.symbol, name: cfg.name, tickSize: cfg.tickSize, lotSize: cfg.lotSize, referencePrice: cfg.referencePrice,
          last: l1.last, bid: l1.bid, ask: l1.ask, volume: l1.volume, halted: l1.halted, ts: cmd.ts!,
        });
      }
      u.stocks = stocks;
    }
    this.clearChanges();
    this.o.writer.push(u);
  }
}
