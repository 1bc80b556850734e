/**
 * What the gateways (gRPC, TCP) and the server see of the engine.
 *
 * Implemented by `ExchangeCore` (engine/core.ts): commands are stamped with a
 * global sequence and a timestamp, appended to the command log (journal),
 * applied to the deterministic `Exchange`, and their results and events are
 * released at the end of the event-loop turn, once the group is durable.
 * Nothing is acknowledged or published before the command that produced it is
 * in the journal (per the configured durability mode).
 */
import type {
  Command,
  CommandResult,
  ExecReport,
  L1,
  Level,
  MarketDataUpdate,
  OrderView,
  PublicTrade,
  SymbolConfig,
  TradeEvent,
} from './types.ts';

export interface Subscription {
  /** Stop delivering; idempotent. */
  close(): void;
}

export interface AccountView {
  accountId: number;
  /** Minor units. */
  cash: number;
  /** Cash reserved by open buy orders. */
  reservedCash: number;
  /** cash - reservedCash. */
  availableCash: number;
  positions: { symbol: string; shares: number; reserved: number; available: number }[];
  openOrders: number;
}

export interface BookView {
  symbol: string;
  mdSeq: number;
  bids: Level[];
  asks: Level[];
}

export interface IndexConstituentView {
  symbol: string;
  /** Last price in ticks. */
  last: number;
  weight: number;
  /** Contribution to the index value (points). */
  contribution: number;
  changePercent: number;
}

export interface IndexView {
  name: string;
  /** Index points (a derived statistic, not money: a double is fine here). */
  value: number;
  open: number;
  high: number;
  low: number;
  changePoints: number;
  changePercent: number;
  ts: number;
  seq: number;
  constituents: IndexConstituentView[];
}

export interface RankingEntry {
  symbol: string;
  last: number;
  volume: number;
  changePercent: number;
}

export interface ExecSubscribeOptions {
  /**
   * Deliver reports with accountSeq > fromSeq first (replay from the retained
   * history), then live ones. 0 = only live ones... use -1 for "everything retained".
   */
  fromSeq: number;
}

export interface ExchangeApi {
  /**
   * Run a command; `cb` gets the result once the command is durable: exactly once per call, and
   * in the order of the calls (the TCP session and the gRPC OrderEntry stream pair results with
   * requests by that order). Never throws for business rejects.
   */
  execute(cmd: Command, cb: (res: CommandResult) => void): void;
  /** Promise form of execute. */
  executeAsync(cmd: Command): Promise<CommandResult>;

  // ---- queries (current state; never journaled)
  symbols(): SymbolConfig[];
  symbol(symbol: string): SymbolConfig | undefined;
  isHalted(symbol: string): boolean;
  getOrder(accountId: number, ref: { orderId?: number; clientOrderId?: string }): OrderView | undefined;
  openOrders(accountId: number, symbol?: string): OrderView[];
  /** Trades of an account, newest last; at most `limit`. */
  accountTrades(accountId: number, opts?: { symbol?: string; limit?: number; afterTradeId?: number }): TradeEvent[];
  /** Trades of one order; with `accountId`, only if that account owns the order (empty otherwise). */
  orderTrades(orderId: number, accountId?: number): TradeEvent[];
  account(accountId: number): AccountView | undefined;
  l1(symbol: string): L1 | undefined;
  book(symbol: string, levels: number): BookView | undefined;
  /** The current full market-data state of a symbol as a snapshot update. */
  marketSnapshot(symbol: string, levels?: number): MarketDataUpdate | undefined;
  indexNames(): string[];
  index(name: string): IndexView | undefined;
  ranking(by: 'volume' | 'change', n: number): RankingEntry[];
  stateHash(): string;
  lastSeq(): number;

  // ---- subscriptions (delivered after durability, in sequence order)
  /** Private execution reports of one account, resumable by accountSeq. */
  subscribeExecutions(accountId: number, opts: ExecSubscribeOptions, listener: (r: ExecReport) => void): Subscription;
  /**
   * Market data of one symbol: first a snapshot (snapshot: true), then at most one
   * update per symbol per event-loop turn that changed it. Consumers that cannot
   * keep up should drop increments and later ask marketSnapshot() (conflation).
   */
  subscribeMarketData(symbol: string, listener: (u: MarketDataUpdate) => void): Subscription;
  /** Public trades of one symbol, or of all symbols with '*'. */
  subscribeTrades(symbol: string, listener: (t: PublicTrade) => void): Subscription;
  /** Index updates (recomputed at most every 100 ms when a constituent moved). */
  subscribeIndex(name: string, listener: (v: IndexView) => void): Subscription;
}
