/**
 * Retained trades for account history queries: one exchange-wide log of trade
 * rows in Float64Array pages (not retained objects, which would all survive
 * into the old generation), chained per account.
 *
 * Why one log and not a ring per account: a trade is written once, in trade-id
 * order, so the writes are sequential. With a ring per account, each trade
 * wrote two rows (buyer's and seller's), each at its own account's position:
 * two or three cold cache lines per side at 1,000 accounts (docs/engine.md,
 * "Trade history"). The execution-report log (exec-log.ts) is built the same way.
 *
 * Trade ids are contiguous from 1, so trade t lives at ring index
 * (t - 1) % capacity: where a trade sits depends on its id alone, not on what
 * the log held before. A restored exchange, whose log holds only the trades
 * some account retained, therefore keeps and drops exactly what the original
 * does, and their stateHash() stay equal.
 *
 * Retention: an account keeps at most `perAccount` of its newest trades, among
 * the last `capacity` trades of the whole exchange.
 */
import type { Side, TradeEvent } from './types.ts';
import type { Account } from './accounts.ts';
import { allocPage } from './page-pool.ts';

/**
 * A trade as a snapshot row: tradeId, seq, ts, price, qty, buyOrderId,
 * sellOrderId, buyAccountId, sellAccountId, aggressor (0 BUY, 1 SELL), buyFee,
 * sellFee, symbol index (the symbol engine's dense index). A log row starts
 * with the same fields, so snapshots copy them as they are.
 */
export const TRADE_W = 13;
export const TR_BUY_ACCOUNT = 7;
export const TR_SELL_ACCOUNT = 8;
export const TR_SYMBOL = 12;
/** The buyer's previous trade id (0: none); then the seller's. */
const L_PREV_BUY = 13;
const L_PREV_SELL = 14;
const LW = 15;

const PAGE_BITS = 10;
const PAGE_ROWS = 1 << PAGE_BITS;

export class TradeLog {
  /** Pages of PAGE_ROWS rows (the last one shorter), allocated on first use. */
  private readonly pages: (Float64Array | undefined)[] = [];
  /** The id of the trade pushed last and its ring index (saves a division per trade). */
  private lastId = -1;
  private lastPos = 0;

  /** `capacity`: trades kept exchange-wide; `perAccount`: at most this many per account. */
  constructor(
    readonly capacity: number,
    readonly perAccount: number,
  ) {}

  private get keeps(): boolean {
    return this.capacity > 0 && this.perAccount > 0;
  }

  /** Ring index of trade `t`. */
  private pos(t: number): number {
    return t === this.lastId + 1 ? (this.lastPos + 1 === this.capacity ? 0 : this.lastPos + 1) : (t - 1) % this.capacity;
  }

  private page(i: number): Float64Array {
    const n = i >> PAGE_BITS;
    let c = this.pages[n];
    if (c === undefined) {
      while (this.pages.length < n) this.pages.push(undefined);
      c = allocPage(Math.min(PAGE_ROWS, this.capacity - n * PAGE_ROWS) * LW);
      this.pages[n] = c;
    }
    return c;
  }

  /** Where begin() put the row (its start in the returned page). */
  private at = 0;

  /**
   * Links trade `id` into the chains of its buyer `ba` and seller `sa` (the same
   * account on a self-trade) and, when the log keeps trades, returns the page of
   * its row with the chain fields written (the row starts at `this.at`).
   */
  private begin(id: number, ba: Account, sa: Account): Float64Array | undefined {
    const prevBuy = ba.lastTradeId;
    const prevSell = sa.lastTradeId;
    ba.lastTradeId = id;
    sa.lastTradeId = id;
    if (!this.keeps) return undefined;
    const i = this.pos(id);
    this.lastId = id;
    this.lastPos = i;
    const c = this.page(i);
    const o = (i & (PAGE_ROWS - 1)) * LW;
    c[o + L_PREV_BUY] = prevBuy;
    c[o + L_PREV_SELL] = prevSell;
    this.at = o;
    return c;
  }

  /** Retains `t` (symbol: dense index `symbolIndex`) for its buyer `ba` and seller `sa`. */
  push(t: TradeEvent, symbolIndex: number, ba: Account, sa: Account): void {
    const c = this.begin(t.tradeId, ba, sa);
    if (c === undefined) return;
    const o = this.at;
    c[o] = t.tradeId;
    c[o + 1] = t.seq;
    c[o + 2] = t.ts;
    c[o + 3] = t.price;
    c[o + 4] = t.qty;
    c[o + 5] = t.buyOrderId;
    c[o + 6] = t.sellOrderId;
    c[o + TR_BUY_ACCOUNT] = t.buyAccountId;
    c[o + TR_SELL_ACCOUNT] = t.sellAccountId;
    c[o + 9] = t.aggressor === 'BUY' ? 0 : 1;
    c[o + 10] = t.buyFee;
    c[o + 11] = t.sellFee;
    c[o + TR_SYMBOL] = symbolIndex;
  }

  /**
   * Appends a snapshot row `rows[b .. b + TRADE_W)` for its buyer and seller;
   * rows must come in ascending trade id (Exchange.restore sorts them).
   */
  pushRow(rows: Float64Array, b: number, ba: Account, sa: Account): void {
    const c = this.begin(rows[b]!, ba, sa);
    if (c === undefined) return;
    const o = this.at;
    for (let f = 0; f < TRADE_W; f++) c[o + f] = rows[b + f]!;
  }

  /** Where `a`'s retained trades are (page and row start, newest first), given the exchange's last trade id. */
  private walk(a: Account, lastTradeId: number): { pages: Float64Array[]; offsets: number[] } {
    const pages: Float64Array[] = [];
    const offsets: number[] = [];
    if (!this.keeps) return { pages, offsets };
    const oldest = lastTradeId - this.capacity;
    for (let t = a.lastTradeId; t > 0 && t > oldest && offsets.length < this.perAccount; ) {
      const i = (t - 1) % this.capacity;
      const c = this.pages[i >> PAGE_BITS];
      const o = (i & (PAGE_ROWS - 1)) * LW;
      if (c === undefined || c[o] !== t) break;
      pages.push(c);
      offsets.push(o);
      t = c[o + TR_BUY_ACCOUNT] === a.id ? c[o + L_PREV_BUY]! : c[o + L_PREV_SELL]!;
    }
    return { pages, offsets };
  }

  /** `a`'s retained trades, oldest first, as snapshot rows of TRADE_W float64s. */
  rows(a: Account, lastTradeId: number): Float64Array {
    const { pages, offsets } = this.walk(a, lastTradeId);
    const n = offsets.length;
    const out = new Float64Array(n * TRADE_W);
    for (let k = 0; k < n; k++) {
      const c = pages[n - 1 - k]!;
      const o = offsets[n - 1 - k]!;
      out.set(c.subarray(o, o + TRADE_W), k * TRADE_W);
    }
    return out;
  }

  /** `a`'s retained trades, oldest first, as fresh objects; `symbols[i]` names the symbol of dense index i. */
  list(a: Account, lastTradeId: number, symbols: readonly string[]): TradeEvent[] {
    const { pages, offsets } = this.walk(a, lastTradeId);
    const out: TradeEvent[] = [];
    for (let k = offsets.length - 1; k >= 0; k--) {
      const c = pages[k]!;
      const o = offsets[k]!;
      out.push(tradeOfRow(c, o, symbols[c[o + TR_SYMBOL]!]!));
    }
    return out;
  }
}

/** A trade object from the row at `o` of `c` (a snapshot row, or the start of a log row). */
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
    buyAccountId: c[o + TR_BUY_ACCOUNT]!,
    sellAccountId: c[o + TR_SELL_ACCOUNT]!,
    aggressor: (c[o + 9] === 0 ? 'BUY' : 'SELL') as Side,
    buyFee: c[o + 10]!,
    sellFee: c[o + 11]!,
  };
}
