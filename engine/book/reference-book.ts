/**
 * The reference order book: a deliberately plain TypeScript implementation of
 * OrderBookCore (Maps and sorted arrays, no speed tricks). It is the executable
 * specification that the native core is compared with by the differential
 * tests, so clarity wins over speed everywhere here. Semantics: docs/matching.md.
 */
import { Code } from '../codes.ts';
import {
  EV_STRIDE,
  EvKind,
  NO_PRICE,
  OP_ACCOUNT,
  OP_ID,
  OP_KIND,
  OP_PRICE,
  OP_QTY,
  OP_SIDE,
  OP_STRIDE,
  OP_TS,
  OP_TYPE,
  OpKind,
  ORDER_TYPE_MASK,
  OrderFlag,
  OrderType,
  restingOrdersOf,
  restingRows,
  Side,
  StpMode,
  type BookConfig,
  type OrderBookCore,
  type RestingOrder,
  type SideValue,
  type StpModeValue,
} from './layout.ts';
import { Fnv1a64 } from './state-hash.ts';
import type { BookOptions } from './native-book.ts';
import { resolveConfig, validateCancel, validateNew, validateOps, validateReplace, validateRestingOrders, validateRestingRows } from './validate.ts';

interface RefOrder {
  id: number;
  account: number;
  side: SideValue;
  price: number;
  remaining: number;
  ts: number;
}

interface RefLevel {
  price: number;
  /** FIFO: index 0 has time priority. */
  orders: RefOrder[];
  qty: number;
}

class RefSide {
  readonly levels = new Map<number, RefLevel>();
  /** Prices with a level, best first (bids descending, asks ascending). */
  readonly prices: number[] = [];
  constructor(readonly side: SideValue) {}

  /** True when price a is strictly better than b for this side. */
  better(a: number, b: number): boolean {
    return this.side === Side.BUY ? a > b : a < b;
  }

  best(): RefLevel | undefined {
    return this.prices.length ? this.levels.get(this.prices[0]!) : undefined;
  }

  getOrCreate(price: number): RefLevel {
    let lvl = this.levels.get(price);
    if (!lvl) {
      lvl = { price, orders: [], qty: 0 };
      this.levels.set(price, lvl);
      let i = 0;
      while (i < this.prices.length && this.better(this.prices[i]!, price)) i++;
      this.prices.splice(i, 0, price);
    }
    return lvl;
  }

  removeLevelIfEmpty(lvl: RefLevel): void {
    if (lvl.orders.length === 0) {
      this.levels.delete(lvl.price);
      this.prices.splice(this.prices.indexOf(lvl.price), 1);
    }
  }

  clear(): void {
    this.levels.clear();
    this.prices.length = 0;
  }
}

export class ReferenceBook implements OrderBookCore {
  events: Float64Array;
  private nEv = 0;
  private curOp = 0;
  private readonly maxPrice: number;
  private readonly stp: StpModeValue;
  private readonly orders = new Map<number, RefOrder>();
  private readonly bids = new RefSide(Side.BUY);
  private readonly asks = new RefSide(Side.SELL);
  private readonly one = new Float64Array(OP_STRIDE);
  private readonly validate: boolean;

  constructor(config: BookConfig = {}, opts: BookOptions = {}) {
    const cfg = resolveConfig(config);
    this.maxPrice = cfg.maxPriceTicks;
    this.stp = cfg.stpMode;
    this.validate = opts.validate ?? true;
    this.events = new Float64Array((opts.eventRows ?? 256) * EV_STRIDE);
  }

  // ------------------------------------------------------------ event output
  private emit(kind: number, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0): void {
    if ((this.nEv + 1) * EV_STRIDE > this.events.length) {
      const bigger = new Float64Array(this.events.length * 2);
      bigger.set(this.events);
      this.events = bigger;
    }
    const o = this.nEv * EV_STRIDE;
    const ev = this.events;
    ev[o] = kind;
    ev[o + 1] = a;
    ev[o + 2] = b;
    ev[o + 3] = c;
    ev[o + 4] = d;
    ev[o + 5] = e;
    ev[o + 6] = f;
    ev[o + 7] = this.curOp;
    this.nEv++;
  }

  private emitLevel(side: RefSide, lvl: RefLevel): void {
    this.emit(EvKind.LEVEL, side.side, lvl.price, lvl.qty, lvl.orders.length);
  }

  // ------------------------------------------------------------ ops
  process(ops: Float64Array, nOps: number): number {
    if (this.validate) validateOps(ops, nOps);
    return this.apply(ops, nOps);
  }

  private apply(ops: Float64Array, nOps: number): number {
    this.nEv = 0;
    for (let i = 0; i < nOps; i++) {
      this.curOp = i;
      const o = i * OP_STRIDE;
      const kind = ops[o + OP_KIND]!;
      if (kind === OpKind.NEW) {
        this.doNew(ops[o + OP_ID]!, ops[o + OP_ACCOUNT]!, ops[o + OP_SIDE]! as SideValue, ops[o + OP_TYPE]!, ops[o + OP_PRICE]!, ops[o + OP_QTY]!, ops[o + OP_TS]!);
      } else if (kind === OpKind.CANCEL) {
        this.doCancel(ops[o + OP_ID]!);
      } else if (kind === OpKind.REPLACE) {
        this.doReplace(ops[o + OP_ID]!, ops[o + OP_PRICE]!, ops[o + OP_QTY]!);
      } else {
        throw new Error(`reference book: unknown op kind ${kind}`);
      }
    }
    return this.nEv;
  }

  submit(id: number, account: number, side: SideValue, type: number, price: number, qty: number, ts: number): number {
    if (this.validate) validateNew(id, account, side, type, price, qty, ts);
    const r = this.one;
    r[OP_KIND] = OpKind.NEW;
    r[OP_ID] = id;
    r[OP_ACCOUNT] = account;
    r[OP_SIDE] = side;
    r[OP_TYPE] = type;
    r[OP_PRICE] = price;
    r[OP_QTY] = qty;
    r[OP_TS] = ts;
    return this.apply(r, 1);
  }

  cancel(id: number): number {
    if (this.validate) validateCancel(id);
    const r = this.one;
    r.fill(0);
    r[OP_KIND] = OpKind.CANCEL;
    r[OP_ID] = id;
    return this.apply(r, 1);
  }

  replace(id: number, newPrice: number, newQty: number): number {
    if (this.validate) validateReplace(id, newPrice, newQty);
    const r = this.one;
    r.fill(0);
    r[OP_KIND] = OpKind.REPLACE;
    r[OP_ID] = id;
    r[OP_PRICE] = newPrice;
    r[OP_QTY] = newQty;
    return this.apply(r, 1);
  }

  private sideOf(s: SideValue): RefSide {
    return s === Side.BUY ? this.bids : this.asks;
  }

  private opposite(s: SideValue): RefSide {
    return s === Side.BUY ? this.asks : this.bids;
  }

  /** Does a resting price `p` on the opposite side satisfy the taker's limit? (limit 0 = none) */
  private crosses(takerSide: SideValue, limit: number, p: number): boolean {
    if (limit === 0) return true;
    return takerSide === Side.BUY ? p <= limit : p >= limit;
  }

  private doNew(id: number, account: number, side: SideValue, typeBits: number, price: number, qty: number, ts: number): void {
    const type = typeBits & ORDER_TYPE_MASK;
    const postOnly = (typeBits & OrderFlag.POST_ONLY) !== 0;
    if (this.orders.has(id)) {
      this.emit(EvKind.REJECTED, id, Code.DUPLICATE_ORDER_ID);
      return;
    }
    if (price > this.maxPrice) {
      this.emit(EvKind.REJECTED, id, Code.BOOK_PRICE_OUT_OF_RANGE);
      return;
    }
    const opp = this.opposite(side);
    if (postOnly) {
      const best = opp.best();
      if (best && this.crosses(side, price, best.price)) {
        this.emit(EvKind.REJECTED, id, Code.POST_ONLY_WOULD_CROSS);
        return;
      }
    }
    this.emit(EvKind.ACCEPTED, id, side, price, qty, account);
    // For MARKET the price slot is the collar, 0 meaning none: crosses() treats 0 as unlimited.
    const limit = price;
    if (type === OrderType.FOK && !this.fokFillable(side, account, limit, qty)) {
      this.emit(EvKind.CANCELLED, id, qty, Code.CANCEL_FOK_NOT_FILLABLE);
      return;
    }
    const taker: RefOrder = { id, account, side, price, remaining: qty, ts };
    const r = this.match(taker, limit);
    if (taker.remaining === 0) return;
    if (r.stpIncoming) {
      this.emit(EvKind.CANCELLED, id, taker.remaining, Code.CANCEL_SELF_TRADE_INCOMING);
      return;
    }
    if (type === OrderType.LIMIT) {
      this.rest(taker);
    } else if (type === OrderType.MARKET) {
      this.emit(EvKind.CANCELLED, id, taker.remaining, r.traded ? Code.CANCEL_MARKET_REMAINDER : Code.CANCEL_NO_LIQUIDITY);
    } else if (type === OrderType.IOC) {
      this.emit(EvKind.CANCELLED, id, taker.remaining, Code.CANCEL_IOC_REMAINDER);
    } else {
      // FOK was checked fillable, so a remainder here would be a bug.
      throw new Error('reference book: FOK left a remainder');
    }
  }

  /**
   * Walks the opposite side in priority order exactly as match() would. Orders
   * of the same account do not count; under CANCEL_INCOMING / CANCEL_BOTH
   * meeting one before the quantity is covered makes the FOK unfillable
   * (matching would stop there and leave a partial fill).
   */
  private fokFillable(side: SideValue, account: number, limit: number, qty: number): boolean {
    const opp = this.opposite(side);
    let need = qty;
    for (const p of opp.prices) {
      if (!this.crosses(side, limit, p)) return false;
      for (const o of opp.levels.get(p)!.orders) {
        if (o.account === account) {
          if (this.stp !== StpMode.CANCEL_RESTING) return false;
          continue;
        }
        need -= o.remaining;
        if (need <= 0) return true;
      }
    }
    return false;
  }

  private match(taker: RefOrder, limit: number): { traded: boolean; stpIncoming: boolean } {
    const opp = this.opposite(taker.side);
    let traded = false;
    while (taker.remaining > 0) {
      const lvl = opp.best();
      if (!lvl || !this.crosses(taker.side, limit, lvl.price)) break;
      const maker = lvl.orders[0]!;
      if (maker.account === taker.account) {
        if (this.stp === StpMode.CANCEL_INCOMING) return { traded, stpIncoming: true };
        this.removeResting(maker, lvl, opp);
        this.emit(EvKind.CANCELLED, maker.id, maker.remaining, Code.CANCEL_SELF_TRADE_RESTING);
        this.emitLevel(opp, lvl);
        if (this.stp === StpMode.CANCEL_BOTH) return { traded, stpIncoming: true };
        continue;
      }
      const q = Math.min(maker.remaining, taker.remaining);
      maker.remaining -= q;
      taker.remaining -= q;
      lvl.qty -= q;
      traded = true;
      if (maker.remaining === 0) this.removeResting(maker, lvl, opp);
      this.emit(EvKind.TRADE, maker.id, taker.id, lvl.price, q, maker.remaining, taker.remaining);
      this.emitLevel(opp, lvl);
    }
    return { traded, stpIncoming: false };
  }

  /** Unlinks a resting order (its remaining is left as is for the event). */
  private removeResting(o: RefOrder, lvl: RefLevel, side: RefSide): void {
    const i = lvl.orders.indexOf(o);
    lvl.orders.splice(i, 1);
    // After a full fill remaining is already 0 and the trade reduced lvl.qty.
    lvl.qty -= o.remaining;
    this.orders.delete(o.id);
    side.removeLevelIfEmpty(lvl);
  }

  private rest(o: RefOrder): void {
    const side = this.sideOf(o.side);
    const lvl = side.getOrCreate(o.price);
    lvl.orders.push(o);
    lvl.qty += o.remaining;
    this.orders.set(o.id, o);
    this.emit(EvKind.RESTED, o.id, o.side, o.price, o.remaining);
    this.emitLevel(side, lvl);
  }

  private doCancel(id: number): void {
    const o = this.orders.get(id);
    if (!o) {
      this.emit(EvKind.REJECTED, id, Code.UNKNOWN_ORDER);
      return;
    }
    const side = this.sideOf(o.side);
    const lvl = side.levels.get(o.price)!;
    this.removeResting(o, lvl, side);
    this.emit(EvKind.CANCELLED, id, o.remaining, Code.CANCEL_BY_USER);
    this.emitLevel(side, lvl);
  }

  private doReplace(id: number, newPrice: number, newQty: number): void {
    const o = this.orders.get(id);
    if (!o) {
      this.emit(EvKind.REJECTED, id, Code.UNKNOWN_ORDER);
      return;
    }
    if (newPrice > this.maxPrice) {
      this.emit(EvKind.REJECTED, id, Code.BOOK_PRICE_OUT_OF_RANGE);
      return;
    }
    const side = this.sideOf(o.side);
    const lvl = side.levels.get(o.price)!;
    if (newPrice === o.price && newQty <= o.remaining) {
      const delta = o.remaining - newQty;
      o.remaining = newQty;
      lvl.qty -= delta;
      this.emit(EvKind.REPLACED, id, newPrice, newQty, 1);
      if (delta > 0) this.emitLevel(side, lvl);
      return;
    }
    // Loses priority: leave the book, then enter again as a limit order.
    this.removeResting(o, lvl, side);
    this.emit(EvKind.REPLACED, id, newPrice, newQty, 0);
    this.emitLevel(side, lvl);
    const taker: RefOrder = { id, account: o.account, side: o.side, price: newPrice, remaining: newQty, ts: o.ts };
    const r = this.match(taker, newPrice);
    if (taker.remaining === 0) return;
    if (r.stpIncoming) {
      this.emit(EvKind.CANCELLED, id, taker.remaining, Code.CANCEL_SELF_TRADE_INCOMING);
      return;
    }
    this.rest(taker);
  }

  // ------------------------------------------------------------ queries
  bestBid(): number {
    return this.bids.best()?.price ?? NO_PRICE;
  }
  bestAsk(): number {
    return this.asks.best()?.price ?? NO_PRICE;
  }
  bestBidQty(): number {
    return this.bids.best()?.qty ?? 0;
  }
  bestAskQty(): number {
    return this.asks.best()?.qty ?? 0;
  }

  depth(side: SideValue, levels: number, out: Float64Array): number {
    const s = this.sideOf(side);
    const n = Math.min(levels, s.prices.length, Math.floor(out.length / 3));
    for (let i = 0; i < n; i++) {
      const lvl = s.levels.get(s.prices[i]!)!;
      out[i * 3] = lvl.price;
      out[i * 3 + 1] = lvl.qty;
      out[i * 3 + 2] = lvl.orders.length;
    }
    return n;
  }

  orderInfo(id: number): RestingOrder | undefined {
    const o = this.orders.get(id);
    return o ? { ...o } : undefined;
  }

  orderCount(): number {
    return this.orders.size;
  }

  snapshot(): RestingOrder[] {
    const out: RestingOrder[] = [];
    for (const s of [this.bids, this.asks]) {
      for (const p of s.prices) for (const o of s.levels.get(p)!.orders) out.push({ ...o });
    }
    return out;
  }

  snapshotRows(into?: Float64Array): Float64Array {
    const rows = restingRows(this.snapshot());
    if (into instanceof Float64Array && into.length >= rows.length) {
      into.set(rows);
      return into.subarray(0, rows.length);
    }
    return rows;
  }

  restoreRows(rows: Float64Array): void {
    validateRestingRows(rows, this.maxPrice);
    this.restore(restingOrdersOf(rows));
  }

  restore(orders: RestingOrder[]): void {
    validateRestingOrders(orders, this.maxPrice);
    this.orders.clear();
    this.bids.clear();
    this.asks.clear();
    for (const r of orders) {
      const o: RefOrder = { id: r.id, account: r.account, side: r.side, price: r.price, remaining: r.remaining, ts: r.ts };
      const side = this.sideOf(o.side);
      const lvl = side.getOrCreate(o.price);
      lvl.orders.push(o);
      lvl.qty += o.remaining;
      this.orders.set(o.id, o);
    }
  }

  stateHash(): string {
    const h = new Fnv1a64();
    for (const s of [this.bids, this.asks]) {
      for (const p of s.prices) {
        for (const o of s.levels.get(p)!.orders) {
          h.u64(o.side);
          h.u64(o.price);
          h.u64(o.id);
          h.u64(o.account);
          h.u64(o.remaining);
          h.u64(o.ts);
        }
      }
    }
    return h.hex();
  }

  close(): void {
    /* nothing native to release */
  }
}
