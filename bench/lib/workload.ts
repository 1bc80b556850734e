/**
 * Seeded workloads shared by the book tests and the core benchmark, so that
 * both exercise the very same streams. Nothing here reads the clock or
 * Math.random: a seed fully determines every op.
 */
import {
  OP_ACCOUNT,
  OP_ID,
  OP_KIND,
  OP_PRICE,
  OP_QTY,
  OP_SIDE,
  OP_STRIDE,
  OP_TS,
  OP_TYPE,
  EV_A,
  EV_E,
  EV_KIND,
  EV_STRIDE,
  EvKind,
  OpKind,
  OrderFlag,
  OrderType,
  Side,
  type OrderBookCore,
  type SideValue,
} from '../../engine/book/layout.ts';

/** xoshiro128** (32-bit state words): small, fast, and good enough for workloads. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 expands the seed into four non-zero state words.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  /** Uniform uint32. */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function writeOp(
  ops: Float64Array,
  i: number,
  kind: number,
  id: number,
  account: number,
  side: number,
  type: number,
  price: number,
  qty: number,
  ts: number,
): void {
  const o = i * OP_STRIDE;
  ops[o + OP_KIND] = kind;
  ops[o + OP_ID] = id;
  ops[o + OP_ACCOUNT] = account;
  ops[o + OP_SIDE] = side;
  ops[o + OP_TYPE] = type;
  ops[o + OP_PRICE] = price;
  ops[o + OP_QTY] = qty;
  ops[o + OP_TS] = ts;
}

// ------------------------------------------------------------------ fuzz stream
export interface FuzzOptions {
  /** Prices are drawn around this mid. */
  mid?: number;
  /** Half-width of the price band (small = many crosses). */
  spread?: number;
  /** Number of distinct accounts (small = many self-trade cases). */
  accounts?: number;
  /** Highest price the book accepts; a few ops go beyond it on purpose. */
  maxPrice?: number;
  /** With observe() fed: resting orders the stream steers towards by cancelling more. Default 1500. */
  targetResting?: number;
}

/**
 * A random stream that exercises every path: all order types, post-only,
 * collars, cancels and replaces of live, filled and unknown ids, duplicate
 * ids, prices above the book's range, self-trades. Used by the differential
 * tests; it needs no feedback from a book.
 */
export class FuzzStream {
  private nextId = 1;
  private ts = 1;
  private mid: number;
  private readonly spread: number;
  private readonly mid0: number;
  private n = 0;
  private readonly accounts: number;
  private readonly maxPrice: number;
  private readonly target: number;
  private readonly live = new LiveSet();

  constructor(
    private readonly rng: Prng,
    opts: FuzzOptions = {},
  ) {
    this.target = opts.targetResting ?? 1500;
    this.mid = opts.mid ?? 1000;
    this.mid0 = this.mid;
    this.spread = opts.spread ?? 20;
    this.accounts = opts.accounts ?? 6;
    this.maxPrice = opts.maxPrice ?? 2 ** 31 - 1;
  }

  /**
   * Optional feedback: the events of a batch, so that cancels and replaces
   * also target orders known to rest and the book stays near its target size.
   */
  observe(events: Float64Array, n: number): void {
    this.live.observe(events, n);
  }

  /** Fills `n` op rows of `ops`. */
  fill(ops: Float64Array, n: number): void {
    const r = this.rng;
    for (let i = 0; i < n; i++) {
      const ts = this.ts++;
      // The mid wanders (within one spread of its start) so that orders left
      // far from it are eventually swept and the book does not grow forever.
      if (++this.n % 50 === 0) {
        this.mid = Math.min(this.mid0 + this.spread, Math.max(this.mid0 - this.spread, this.mid + r.range(-2, 2)));
      }
      const x = r.int(100);
      // An id from the recent past: often live, sometimes filled or cancelled.
      // Half reach further back so that old resting orders get cancelled too.
      const recent = (): number =>
        this.live.size > 0 && r.chance(0.5) ? this.live.pick(r) : Math.max(1, this.nextId - 1 - r.int(r.chance(0.5) ? 60 : 3000));
      const newShare = this.live.size > this.target ? 40 : 58;
      if (x < newShare) {
        const side = r.int(2);
        const typeRoll = r.int(100);
        let type: number = OrderType.LIMIT;
        if (typeRoll < 8) type = OrderType.MARKET;
        else if (typeRoll < 16) type = OrderType.IOC;
        else if (typeRoll < 24) type = OrderType.FOK;
        else if (typeRoll < 32) type = OrderType.LIMIT | OrderFlag.POST_ONLY;
        let price = Math.max(1, this.mid + r.range(-this.spread, this.spread) + (side === Side.BUY ? -2 : 2));
        if (type === OrderType.MARKET) price = r.chance(0.5) ? 0 : price;
        if (r.chance(0.002)) price = this.maxPrice + 1 + r.int(10);
        const qty = r.chance(0.1) ? r.range(50, 400) : r.range(1, 40);
        // Duplicates: now and then reuse a recent id instead of a fresh one.
        const id = r.chance(0.01) ? recent() : this.nextId++;
        writeOp(ops, i, OpKind.NEW, id, 1 + r.int(this.accounts), side, type, price, qty, ts);
      } else if (x < newShare + 22) {
        const id = r.chance(0.05) ? this.nextId + 1000 : recent();
        writeOp(ops, i, OpKind.CANCEL, id, 0, 0, 0, 0, 0, 0);
      } else {
        const id = r.chance(0.05) ? this.nextId + 1000 : recent();
        const price = r.chance(0.002) ? this.maxPrice + 5 : Math.max(1, this.mid + r.range(-this.spread, this.spread));
        writeOp(ops, i, OpKind.REPLACE, id, 0, 0, 0, price, r.range(1, 60), 0);
      }
    }
  }
}

// --------------------------------------------------------- benchmark workloads
export interface MarketWorkloadOptions {
  seed: number;
  /** Mixed ops to generate after the prefill. */
  ops: number;
  /** Resting orders placed before the mixed ops (the deep book). */
  prefill?: number;
  /** Resting orders the mixed flow hovers around. */
  targetResting?: number;
  /** Starting mid price in ticks. */
  mid?: number;
}

export interface MarketWorkload {
  /** Prefill op rows (all passive limits); part of the stream, usually not timed. */
  prefillOps: Float64Array;
  prefillCount: number;
  /** The mixed op rows. */
  ops: Float64Array;
  count: number;
  /** How many of each kind the mixed part has. */
  mix: { limit: number; market: number; cancel: number };
}

/** Tracks resting ids from a book's events so cancels target real resting orders. */
class LiveSet {
  private readonly ids: number[] = [];
  private readonly pos = new Map<number, number>();
  get size(): number {
    return this.ids.length;
  }
  add(id: number): void {
    this.pos.set(id, this.ids.length);
    this.ids.push(id);
  }
  remove(id: number): void {
    const p = this.pos.get(id);
    if (p === undefined) return;
    const last = this.ids.pop()!;
    if (last !== id) {
      this.ids[p] = last;
      this.pos.set(last, p);
    }
    this.pos.delete(id);
  }
  pick(r: Prng): number {
    return this.ids[r.int(this.ids.length)]!;
  }
  observe(ev: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) {
      const o = i * EV_STRIDE;
      const k = ev[o + EV_KIND];
      if (k === EvKind.RESTED) this.add(ev[o + EV_A]!);
      else if (k === EvKind.CANCELLED) this.remove(ev[o + EV_A]!);
      else if (k === EvKind.TRADE && ev[o + EV_E] === 0) this.remove(ev[o + EV_A]!);
    }
  }
}

/**
 * The benchmark's exchange-like flow: ~70% limit orders around a slowly
 * drifting mid (most passive, some marketable), ~10% market orders, ~20%
 * cancels of orders that really rest. Generated by driving `book` (which must
 * be empty) op by op, so the stream depends on the book only through its
 * results; any correct book yields the same stream.
 */
export function marketWorkload(book: OrderBookCore, o: MarketWorkloadOptions): MarketWorkload {
  const r = new Prng(o.seed);
  const prefill = o.prefill ?? 0;
  const target = o.targetResting ?? Math.max(5000, prefill);
  let mid = o.mid ?? 100_000;
  let id = 1;
  let ts = 1;
  const live = new LiveSet();
  const one = new Float64Array(OP_STRIDE);
  const run = (dst: Float64Array, i: number): void => {
    one.set(dst.subarray(i * OP_STRIDE, i * OP_STRIDE + OP_STRIDE));
    const n = book.process(one, 1);
    live.observe(book.events, n);
  };
  const accounts = 1000;

  const prefillOps = new Float64Array(prefill * OP_STRIDE);
  // Deep book: passive orders spread over ~4000 ticks on each side of the mid.
  for (let i = 0; i < prefill; i++) {
    const side = r.int(2) as SideValue;
    const off = 1 + Math.floor(Math.abs(r.float() + r.float() - 1) * 4000);
    const price = side === Side.BUY ? mid - off : mid + off;
    writeOp(prefillOps, i, OpKind.NEW, id++, 1 + r.int(accounts), side, OrderType.LIMIT, price, r.range(1, 100), ts++);
    run(prefillOps, i);
  }

  const ops = new Float64Array(o.ops * OP_STRIDE);
  const mix = { limit: 0, market: 0, cancel: 0 };
  for (let i = 0; i < o.ops; i++) {
    if (i % 64 === 0) mid += r.range(-1, 1); // slow drift
    const x = r.int(100);
    const side = r.int(2) as SideValue;
    if (x < 20 && live.size > 0) {
      writeOp(ops, i, OpKind.CANCEL, live.pick(r), 0, 0, 0, 0, 0, 0);
      mix.cancel++;
    } else if (x < 30) {
      // Market orders: mostly with a generous collar, some without.
      const collar = r.chance(0.5) ? 0 : side === Side.BUY ? mid + 50 : Math.max(1, mid - 50);
      writeOp(ops, i, OpKind.NEW, id++, 1 + r.int(accounts), side, OrderType.MARKET, collar, r.range(1, 60), ts++);
      mix.market++;
    } else {
      // With 70% limits and 20% cancels the book only stays near its target
      // size if limit orders also take liquidity: marketable ones (priced
      // through the mid, larger) are more frequent while the book is above target.
      const cross = r.chance(live.size > target ? 0.6 : 0.25);
      const off = cross ? -r.range(0, 5) : 1 + Math.floor(Math.abs(r.float() + r.float() - 1) * 40);
      const qty = cross ? r.range(20, 200) : r.range(1, 100);
      const price = side === Side.BUY ? mid - off : mid + off;
      writeOp(ops, i, OpKind.NEW, id++, 1 + r.int(accounts), side, OrderType.LIMIT, price, qty, ts++);
      mix.limit++;
    }
    run(ops, i);
  }
  return { prefillOps, prefillCount: prefill, ops, count: o.ops, mix };
}
