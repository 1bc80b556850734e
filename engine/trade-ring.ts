/**
 * An account's recent trades (bounded, oldest first), stored in columns like
 *  the execution-report log (exec-log.ts): retained trade objects would
 * all survive into the old generation and make the collector the main cost of
 * the order path. Objects are rebuilt for queries and snapshots.
 */
import type { Side, TradeEvent } from './types.ts';
import { PagedRing } from './paged-ring.ts';

/**
 * Row: tradeId, seq, ts, price, qty, buyOrderId, sellOrderId, buyAccountId,
 * sellAccountId, aggressor (0 BUY, 1 SELL), buyFee, sellFee, symbol index (the
 * symbol engine's dense index). The same layout as a snapshot row, so snapshots
 * copy rows as they are; keeping the symbol as a number in the row (not a
 * string in a side array) saves the ring one more cold cache line per trade.
 */
export const TRADE_W = 13;
export const TR_SYMBOL = 12;
const W = TRADE_W;

/** An account's trade rows; the ring is the class itself (no object between the account's ring and its pages). */
export class TradeRing extends PagedRing {
  constructor(cap: number) {
    super(cap, W, 5);
  }

  /** Retains `t`, a trade of the symbol with dense index `symbolIndex`. */
  push(t: TradeEvent, symbolIndex: number): void {
    const i = this.next();
    if (i < 0) return;
    const c = this.pageOf(i);
    const o = this.offsetOf(i);
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
    c[o + TR_SYMBOL] = symbolIndex;
  }

  /** Retained trades, oldest first, as snapshot rows of TRADE_W float64s (the ring's rows as they are). */
  rows(): Float64Array {
    const out = new Float64Array(this.size * W);
    for (let k = 0; k < this.size; k++) {
      const i = this.at(k);
      const c = this.pageOf(i);
      const o = this.offsetOf(i);
      const b = k * W;
      for (let f = 0; f < W; f++) out[b + f] = c[o + f]!;
    }
    return out;
  }

  /** Appends snapshot rows (oldest first) whose symbol indexes must be below `symbolCount`. */
  pushRows(rows: Float64Array, symbolCount: number): void {
    for (let b = 0; b < rows.length; b += W) {
      const si = rows[b + TR_SYMBOL]!;
      if (!(Number.isInteger(si) && si >= 0 && si < symbolCount)) throw new RangeError(`trade ${rows[b]}: unknown symbol index`);
      const i = this.next();
      if (i < 0) return;
      const c = this.pageOf(i);
      const o = this.offsetOf(i);
      for (let f = 0; f < W; f++) c[o + f] = rows[b + f]!;
    }
  }

  /** Retained trades, oldest first, as fresh objects; `symbols[i]` names the symbol of dense index i. */
  list(symbols: readonly string[]): TradeEvent[] {
    const out: TradeEvent[] = [];
    for (let k = 0; k < this.size; k++) {
      const i = this.at(k);
      const c = this.pageOf(i);
      const o = this.offsetOf(i);
      out.push(tradeOfRow(c, o, symbols[c[o + TR_SYMBOL]!]!));
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
