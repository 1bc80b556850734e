/**
 * The full-state snapshot of an Exchange (Exchange.snapshot() / restore()).
 * Plain data (books as Float64Array rows, orders as columns); version 2. Restoring a snapshot and applying
 * the commands after `seq` gives the same state (and stateHash) as applying
 * every command from the start. Format described in docs/engine.md.
 */
import type { Code } from './codes.ts';
import type { OrderView, SymbolConfig, TradeEvent } from './types.ts';
import { KIND_NAMES, STATUS_NAMES } from './order.ts';
import { TR_SYMBOL, TRADE_W, tradeOfRow } from './trade-log.ts';

/** 2: orders as columns (OrderColumns) and books as rows; version-1 payloads are converted by the codec. */
export const SNAPSHOT_VERSION = 2;

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

/**
 * Every known order (live and retained terminal ones) as columns: ORDER_W
 * float64 slots per order in `num` (the OC_* offsets) plus the client ids.
 * A million order records as objects made the collector most of the cost of
 * taking, encoding, decoding and restoring a snapshot; rows in one typed
 * array are copied in bulk and invisible to it. orderRecords() rebuilds the
 * objects for tests and tools.
 */
export interface OrderColumns {
  count: number;
  num: Float64Array;
  clientOrderIds: string[];
}

export const ORDER_W = 20;
export const OC_ID = 0;
export const OC_ACCOUNT = 1;
export const OC_PRICE = 2;
export const OC_STOP_PRICE = 3;
export const OC_QTY = 4;
export const OC_FILLED = 5;
export const OC_REMAINING = 6;
export const OC_NOTIONAL = 7;
export const OC_CODE = 8;
export const OC_CREATED_TS = 9;
export const OC_UPDATED_TS = 10;
export const OC_LAST_SEQ = 11;
export const OC_RES_PRICE = 12;
export const OC_RESERVED = 13;
export const OC_BOOK_TYPE = 14;
/** 0 = BUY, 1 = SELL (engine/order.ts BUY/SELL). */
export const OC_SIDE = 15;
/** engine/order.ts kind code (KIND_NAMES index). */
export const OC_KIND = 16;
/** engine/order.ts status code (STATUS_NAMES index). */
export const OC_STATUS = 17;
/** OF_* bits. */
export const OC_FLAGS = 18;
/** Index of the order's symbol in ExchangeSnapshot.symbols. */
export const OC_SYMBOL = 19;
export const OF_POST_ONLY = 1;
export const OF_LIVE = 2;
export const OF_PENDING_STOP = 4;

/** Order records as objects (in the columns' order), for tests, tools and audits. */
export function orderRecords(snap: ExchangeSnapshot): OrderRecord[] {
  const { count, num, clientOrderIds } = snap.orders;
  const out: OrderRecord[] = []; // pushed: new Array(n >= 100k) would be a dictionary-mode array in V8
  for (let i = 0; i < count; i++) {
    const b = i * ORDER_W;
    const fl = num[b + OC_FLAGS]!;
    out.push({
      orderId: num[b + OC_ID]!,
      clientOrderId: clientOrderIds[i]!,
      accountId: num[b + OC_ACCOUNT]!,
      symbol: snap.symbols[num[b + OC_SYMBOL]!]!.config.symbol,
      side: num[b + OC_SIDE] === 0 ? 'BUY' : 'SELL',
      kind: KIND_NAMES[num[b + OC_KIND]!]!,
      price: num[b + OC_PRICE]!,
      stopPrice: num[b + OC_STOP_PRICE]!,
      postOnly: (fl & OF_POST_ONLY) !== 0,
      qty: num[b + OC_QTY]!,
      filledQty: num[b + OC_FILLED]!,
      remainingQty: num[b + OC_REMAINING]!,
      filledNotionalTicks: num[b + OC_NOTIONAL]!,
      status: STATUS_NAMES[num[b + OC_STATUS]!]!,
      code: num[b + OC_CODE]! as Code,
      createdTs: num[b + OC_CREATED_TS]!,
      updatedTs: num[b + OC_UPDATED_TS]!,
      lastSeq: num[b + OC_LAST_SEQ]!,
      resPrice: num[b + OC_RES_PRICE]!,
      reserved: num[b + OC_RESERVED]!,
      bookType: num[b + OC_BOOK_TYPE]!,
      live: (fl & OF_LIVE) !== 0,
      pendingStop: (fl & OF_PENDING_STOP) !== 0,
    });
  }
  return out;
}

/** An account's retained trades as objects (oldest first), for tests, tools and audits. */
export function tradeRecords(snap: ExchangeSnapshot, a: AccountSnapshot): TradeEvent[] {
  const r = a.trades;
  const out: TradeEvent[] = [];
  for (let b = 0; b < r.length; b += TRADE_W) out.push(tradeOfRow(r, b, snap.symbols[r[b + TR_SYMBOL]!]!.config.symbol));
  return out;
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
  /**
   * The book's resting orders in snapshot order, as rows of REST_STRIDE
   * float64s [id, account, side, price, remaining, ts]
   * (OrderBookCore.snapshotRows()): no object per resting order.
   */
  book: Float64Array;
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
  /**
   * Snapshots before the terminal-order archive listed the account's retained
   * terminal orders here; ignored (the archive's order follows from the orders'
   * close seq and id), never written.
   */
  terminal?: number[];
  /**
   * Retained trades, oldest first, as rows of TRADE_W float64s
   * (engine/trade-log.ts: tradeId, seq, ts, price, qty, buyOrderId,
   * sellOrderId, buyAccountId, sellAccountId, aggressor 0|1, buyFee, sellFee,
   * then the symbol's index in `symbols`).
   */
  trades: Float64Array;
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
  orders: OrderColumns;
}
