/**
 * The full-state snapshot of an Exchange (Exchange.snapshot() / restore()).
 * Plain JSON-serialisable data; version 1. Restoring a snapshot and applying
 * the commands after `seq` gives the same state (and stateHash) as applying
 * every command from the start. Format described in docs/engine.md.
 */
import type { RestingOrder } from './book/layout.ts';
import type { OrderView, SymbolConfig, TradeEvent } from './types.ts';

export const SNAPSHOT_VERSION = 1;

/** An order record: its public view plus the engine-private fields. */
export interface OrderRecord extends OrderView {
  /** Price reservations are computed at (limit or collar). */
  resPrice: number;
  /** Cash (buy) or shares (sell) held. */
  reserved: number;
  /** The book's OP_TYPE used when the order enters the book. */
  bookType: number;
  live: boolean;
  pendingStop: boolean;
}

export interface SymbolSnapshot {
  config: SymbolConfig;
  halted: boolean;
  mdSeq: number;
  mdCmdSeq: number;
  mdTs: number;
  last: number;
  lastQty: number;
  volume: number;
  turnoverTicks: number;
  open: number;
  high: number;
  low: number;
  tradeCount: number;
  /** The book's resting orders in snapshot order (OrderBookCore.snapshot()). */
  book: RestingOrder[];
  /** Untriggered stop order ids, in trigger-priority order. */
  stops: number[];
}

export interface AccountSnapshot {
  accountId: number;
  cash: number;
  reservedCash: number;
  /** Per symbol with a non-zero position or reservation. */
  positions: { symbol: string; shares: number; reserved: number }[];
  openCount: number;
  execSeq: number;
  rateWindowStart: number;
  rateCount: number;
  /** Retained terminal order ids, oldest first. */
  terminal: number[];
  /** Retained trades, oldest first. */
  trades: TradeEvent[];
}

export interface IndexSnapshot {
  name: string;
  base: number;
  divisor: number;
  members: { symbol: string; weight: number }[];
}

export interface ExchangeSnapshot {
  version: number;
  /** Last applied command sequence. */
  seq: number;
  lastTs: number;
  lastOrderId: number;
  lastTradeId: number;
  feesCollected: number;
  symbols: SymbolSnapshot[];
  indices: IndexSnapshot[];
  accounts: AccountSnapshot[];
  /** Live orders and retained terminal orders, ascending id. */
  orders: OrderRecord[];
}
