/**
 * OrderBookCore over the native core (native/). All ops go through one batched
 * path: process() hands a whole Float64Array of op rows to C++ in one call;
 * submit()/cancel()/replace() write one row into a scratch array registered
 * with the addon once and process it, so a per-order call costs one N-API call
 * with two number arguments. Events land in `events`, a Float64Array also
 * registered once; if an op yields more events than fit, the core keeps the
 * rest and this wrapper grows the array and drains them (nothing is lost).
 */
import { AurexError, Code, codeName } from '../codes.ts';
import {
  EV_STRIDE,
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
  REST_STRIDE,
  restingOrdersOf,
  restingRows,
  type BookConfig,
  type OrderBookCore,
  type RestingOrder,
  type SideValue,
} from './layout.ts';
import { loadAddon, type AurexBookAddon } from './native-addon.ts';
import { resolveConfig, validateCancel, validateNew, validateOps, validateReplace, validateRestingOrders, validateRestingRows } from './validate.ts';

export interface BookOptions {
  /**
   * Validate every op at this edge (default true). Only a caller that has
   * already validated the same values (e.g. the engine's command edge) may
   * turn it off; books trust their input.
   */
  validate?: boolean;
  /** Initial event buffer size in rows, 1..MAX_EVENT_ROWS (grows on demand). Default 4096. */
  eventRows?: number;
}

/** Largest initial event buffer (rows of EV_STRIDE float64s: 1 GiB). */
export const MAX_EVENT_ROWS = 2 ** 24;

export class NativeBook implements OrderBookCore {
  events: Float64Array;
  private readonly a: AurexBookAddon;
  private h: number;
  private readonly scratch = new Float64Array(OP_STRIDE);
  private readonly info = new Float64Array(5);
  private readonly validate: boolean;
  private readonly maxPrice: number;

  constructor(config: BookConfig = {}, opts: BookOptions = {}) {
    const cfg = resolveConfig(config);
    this.maxPrice = cfg.maxPriceTicks;
    this.validate = opts.validate ?? true;
    const eventRows = opts.eventRows ?? 4096;
    if (!Number.isInteger(eventRows) || eventRows < 1 || eventRows > MAX_EVENT_ROWS) {
      throw new AurexError(Code.INVALID_CONFIG, `eventRows must be an integer in 1..${MAX_EVENT_ROWS}`);
    }
    this.a = loadAddon();
    this.h = this.a.create(cfg.maxPriceTicks, cfg.stpMode, cfg.initialOrders);
    this.events = new Float64Array(eventRows * EV_STRIDE);
    this.a.setEvents(this.h, this.events);
    this.a.setOps(this.h, this.scratch);
  }

  process(ops: Float64Array, nOps: number): number {
    let n: number;
    if (this.validate) {
      // The row checks of validateOps run in C++ (same conditions, ~10x
      // cheaper than the JS loop). Anything that fails there, and a bad
      // array or count, goes through validateOps itself, so the error thrown
      // is exactly its error, and nothing of the batch has been applied.
      if (!(ops instanceof Float64Array) || !Number.isInteger(nOps) || nOps < 0 || nOps > Math.floor(ops.length / OP_STRIDE)) validateOps(ops, nOps);
      n = ops === this.scratch ? this.a.processReg(this.h, nOps, true) : this.a.processArr(this.h, ops, nOps, true);
      if (n < 0) {
        validateOps(ops, nOps);
        n = this.a.processArr(this.h, ops, nOps);
      }
    } else {
      n = ops === this.scratch ? this.a.processReg(this.h, nOps) : this.a.processArr(this.h, ops, nOps);
    }
    if (n * EV_STRIDE > this.events.length) this.grow(n);
    return n;
  }

  private grow(rows: number): void {
    // at least 1: doubling from 0 would never end
    let cap = Math.max(1, this.events.length / EV_STRIDE);
    const old = this.events;
    while (cap < rows) cap *= 2;
    this.events = new Float64Array(cap * EV_STRIDE);
    this.events.set(old);
    this.a.setEvents(this.h, this.events);
    this.a.drain(this.h);
  }

  private run1(): number {
    const n = this.a.processReg(this.h, 1);
    if (n * EV_STRIDE > this.events.length) this.grow(n);
    return n;
  }

  submit(id: number, account: number, side: SideValue, type: number, price: number, qty: number, ts: number): number {
    if (this.validate) validateNew(id, account, side, type, price, qty, ts);
    const r = this.scratch;
    r[OP_KIND] = OpKind.NEW;
    r[OP_ID] = id;
    r[OP_ACCOUNT] = account;
    r[OP_SIDE] = side;
    r[OP_TYPE] = type;
    r[OP_PRICE] = price;
    r[OP_QTY] = qty;
    r[OP_TS] = ts;
    return this.run1();
  }

  cancel(id: number): number {
    if (this.validate) validateCancel(id);
    const r = this.scratch;
    r[OP_KIND] = OpKind.CANCEL;
    r[OP_ID] = id;
    return this.run1();
  }

  replace(id: number, newPrice: number, newQty: number): number {
    if (this.validate) validateReplace(id, newPrice, newQty);
    const r = this.scratch;
    r[OP_KIND] = OpKind.REPLACE;
    r[OP_ID] = id;
    r[OP_PRICE] = newPrice;
    r[OP_QTY] = newQty;
    return this.run1();
  }

  bestBid(): number {
    return this.a.bestBid(this.h);
  }
  bestAsk(): number {
    return this.a.bestAsk(this.h);
  }
  bestBidQty(): number {
    return this.a.bestQty(this.h, 0);
  }
  bestAskQty(): number {
    return this.a.bestQty(this.h, 1);
  }

  depth(side: SideValue, levels: number, out: Float64Array): number {
    if (side !== 0 && side !== 1) throw new AurexError(Code.INVALID_SIDE);
    if (!Number.isInteger(levels) || levels < 0) throw new AurexError(Code.INVALID_ARGUMENT, 'levels must be a non-negative integer');
    return this.a.depth(this.h, side, Math.min(levels, 2 ** 32 - 1), out);
  }

  orderInfo(id: number): RestingOrder | undefined {
    validateCancel(id);
    const o = this.info;
    if (!this.a.orderInfo(this.h, id, o)) return undefined;
    return { id, account: o[0]!, side: o[1]! as SideValue, price: o[2]!, remaining: o[3]!, ts: o[4]! };
  }

  orderCount(): number {
    return this.a.orderCount(this.h);
  }

  snapshot(): RestingOrder[] {
    return restingOrdersOf(this.snapshotRows());
  }

  snapshotRows(into?: Float64Array): Float64Array {
    if (into instanceof Float64Array) {
      const n = this.a.snapshotInto(this.h, into);
      if (n >= 0) return into.subarray(0, n * REST_STRIDE);
    }
    return this.a.snapshot(this.h);
  }

  restoreRows(rows: Float64Array): void {
    validateRestingRows(rows, this.maxPrice);
    this.loadRows(rows);
  }

  private loadRows(rows: Float64Array): void {
    const bad = this.a.restore(this.h, rows, rows.length / REST_STRIDE);
    if (bad !== null) throw new AurexError(bad.code as Code, `restore: row ${bad.row} refused by the native book (${codeName(bad.code)})`);
  }

  restore(orders: RestingOrder[]): void {
    validateRestingOrders(orders, this.maxPrice);
    const rows = restingRows(orders);
    // Validation and this copy read each value separately (a getter may
    // answer differently the second time); the core checks the rows it
    // actually gets and refuses a bad one instead of indexing out of range.
    this.loadRows(rows);
  }

  stateHash(): string {
    return this.a.stateHash(this.h);
  }

  /** Bytes the core holds for this book (order pool, id table, level pages, bitmaps). */
  memoryUsage(): number {
    return this.a.memoryUsage(this.h);
  }

  /**
   * Structural self-check of the core (levels, bitmaps, aggregates, FIFO links,
   * id table). Returns null when sound, else the first violation. O(book); for tests.
   */
  checkIntegrity(): string | null {
    return this.a.check(this.h);
  }

  close(): void {
    if (this.h >= 0) {
      this.a.close(this.h);
      this.h = -1;
    }
  }
}

/** The numeric codes compiled into the addon (native/codes.h), by name. */
export function nativeCodes(): Record<string, number> {
  return loadAddon().codes();
}
