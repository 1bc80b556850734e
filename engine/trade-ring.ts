/**
 * An account's recent trades (bounded, oldest first), stored in columns like
 * the execution-report history (exec-history.ts): retained trade objects would
 * all survive into the old generation and make the collector the main cost of
 * the order path. Objects are rebuilt for queries and snapshots.
 */
import type { Side, TradeEvent } from './types.ts';
import { allocPage } from './page-pool.ts';

/**
 * Row: tradeId, seq, ts, price, qty, buyOrderId, sellOrderId, buyAccountId,
 * sellAccountId, aggressor (0 BUY, 1 SELL), buyFee, sellFee.
 */
const W = 12;
/** Snapshot rows: the ring's row plus the symbol's index in the snapshot (engine/snapshot.ts AccountSnapshot.trades). */
export const TRADE_W = W + 1;
export const TR_SYMBOL = W;
/** Rows live in pages allocated on first use: growing never copies. */
const PAGE_BITS = 5;
const PAGE_ROWS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_ROWS - 1;

export class TradeRing {
  private pages: Float64Array[] = [];
  private syms: string[] = [];
  private head = 0;
  private size = 0;

  constructor(private readonly cap: number) {}

  get length(): number {
    return this.size;
  }

  /** The ring index the next trade goes to (growing by a page, or overwriting the oldest); -1 when nothing is kept. */
  private nextIndex(): number {
    const cap = this.cap;
    if (cap <= 0) return -1;
    if (this.size < cap) {
      const i = this.size++;
      if ((i & PAGE_MASK) === 0) this.pages.push(allocPage(Math.min(PAGE_ROWS, cap - i) * W));
      return i;
    }
    const i = this.head;
    this.head = this.head + 1 === cap ? 0 : this.head + 1;
    return i;
  }

  push(t: TradeEvent): void {
    const i = this.nextIndex();
    if (i < 0) return;
    const c = this.pages[i >> PAGE_BITS]!;
    const o = (i & PAGE_MASK) * W;
    c[o] = t.tradeId;
    c[o + 1] = t.seq;
    c[o + 2] = t.ts;
    c[o + 3] = t.price;
    c[o + 4] = t.qty;
    c[o + 5] = t.buyOrderId;
    c[o + 6] = t.sellOrderId;
    c[o + 7] = t.buyAccountId;
    c[o + 8] = t.sellAccountId;
    c[o + 9] = t.aggressor === 'BUY' ? 0 : 1;
    c[o + 10] = t.buyFee;
    c[o + 11] = t.sellFee;
    this.syms[i] = t.symbol;
  }

  /**
   * Retained trades, oldest first, as snapshot rows of TRADE_W float64s (the
   * row layout below plus the symbol's index from `symbolIndex`).
   */
  rows(symbolIndex: (symbol: string) => number): Float64Array {
    const out = new Float64Array(this.size * TRADE_W);
    const ring = this.size < this.cap ? this.size : this.cap;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % ring;
      const c = this.pages[i >> PAGE_BITS]!;
      const o = (i & PAGE_MASK) * W;
      const b = k * TRADE_W;
      for (let f = 0; f < W; f++) out[b + f] = c[o + f]!;
      out[b + TR_SYMBOL] = symbolIndex(this.syms[i]!);
    }
    return out;
  }

  /** Appends snapshot rows (oldest first), `symbols` naming the rows' symbol indexes. */
  pushRows(rows: Float64Array, symbols: readonly string[]): void {
    for (let b = 0; b < rows.length; b += TRADE_W) {
      const sym = symbols[rows[b + TR_SYMBOL]!];
      if (sym === undefined) throw new RangeError(`trade ${rows[b]}: unknown symbol index`);
      this.pushFields(rows, b, sym);
    }
  }

  private pushFields(src: ArrayLike<number>, b: number, symbol: string): void {
    const i = this.nextIndex();
    if (i < 0) return;
    const c = this.pages[i >> PAGE_BITS]!;
    const o = (i & PAGE_MASK) * W;
    for (let f = 0; f < W; f++) c[o + f] = src[b + f]!;
    this.syms[i] = symbol;
  }

  /** Retained trades, oldest first, as fresh objects. */
  list(): TradeEvent[] {
    const out: TradeEvent[] = [];
    const ring = this.size < this.cap ? this.size : this.cap;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % ring;
      out.push(tradeOfRow(this.pages[i >> PAGE_BITS]!, (i & PAGE_MASK) * W, this.syms[i]!));
    }
    return out;
  }
}

/** A trade object from the row at `o` of `c` (the ring's row layout, also the start of a snapshot row). */
export function tradeOfRow(c: ArrayLike<number>, o: number, symbol: string): TradeEvent {
  return {
    tradeId: c[o]!,
    seq: c[o + 1]!,
    ts: c[o + 2]!,
    symbol,
    price: c[o + 3]!,
    qty: c[o + 4]!,
    buyOrderId: c[o + 5]!,
    sellOrderId: c[o + 6]!,
    buyAccountId: c[o + 7]!,
    sellAccountId: c[o + 8]!,
    aggressor: (c[o + 9] === 0 ? 'BUY' : 'SELL') as Side,
    buyFee: c[o + 10]!,
    sellFee: c[o + 11]!,
  };
}
