/**
 * The binary contract between the orchestrator and a per-symbol order book.
 *
 * Two implementations honour it: the native core (native/, driven through
 * engine/book/native-book.ts) and the plain TypeScript reference book
 * (engine/book/reference-book.ts). The differential tests feed both the same
 * op streams and require byte-identical event streams and equal state hashes.
 *
 * Ops and events are rows of float64 slots in typed arrays. Every integer in
 * them (ids, ticks, lots, codes) is exact because the TypeScript edge only lets
 * through safe integers (|x| <= 2^53 - 1). No JS object is created per op or per
 * event on the hot path.
 *
 * See docs/matching.md for the matching semantics.
 */

// ---------------------------------------------------------------- ops (input)
/** float64 slots per op row. */
export const OP_STRIDE = 8;

/** Op kinds (slot OP_KIND). */
export const OpKind = {
  NEW: 1,
  CANCEL: 2,
  REPLACE: 3,
} as const;

/** Slot offsets inside an op row. */
export const OP_KIND = 0;
/** NEW/CANCEL/REPLACE: the engine-assigned order id (1 .. 2^53-1, unique per book). */
export const OP_ID = 1;
/** NEW: the owning account id (0 .. 2^53-1); used for self-trade prevention. */
export const OP_ACCOUNT = 2;
/** NEW: Side. */
export const OP_SIDE = 3;
/** NEW: OrderType | flag bits (OrderFlag). */
export const OP_TYPE = 4;
/**
 * NEW LIMIT/IOC/FOK: limit price in ticks (>= 1).
 * NEW MARKET: protection price (collar) in ticks, or 0 for none.
 * REPLACE: the new price in ticks.
 */
export const OP_PRICE = 5;
/** NEW: quantity in lots (>= 1). REPLACE: the new remaining quantity (>= 1). */
export const OP_QTY = 6;
/** NEW: the caller's timestamp (opaque integer, stored with the order, part of snapshots). */
export const OP_TS = 7;

export const Side = {
  BUY: 0,
  SELL: 1,
} as const;
export type SideValue = (typeof Side)[keyof typeof Side];

export const OrderType = {
  LIMIT: 0,
  MARKET: 1,
  IOC: 2,
  FOK: 3,
} as const;
export type OrderTypeValue = (typeof OrderType)[keyof typeof OrderType];

/** Bits OR-ed into OP_TYPE above the type (type = value & 0x0f). */
export const OrderFlag = {
  POST_ONLY: 0x10,
} as const;
export const ORDER_TYPE_MASK = 0x0f;

/** Self-trade prevention mode, a per-book setting. */
export const StpMode = {
  CANCEL_RESTING: 0,
  CANCEL_INCOMING: 1,
  CANCEL_BOTH: 2,
} as const;
export type StpModeValue = (typeof StpMode)[keyof typeof StpMode];

// ------------------------------------------------------------ events (output)
/** float64 slots per event row. */
export const EV_STRIDE = 8;

export const EvKind = {
  /** [id, side, price, qty, account] : a NEW op passed the book's checks. */
  ACCEPTED: 1,
  /** [id, code] : the op was refused by the book (Code 2xx); nothing changed. */
  REJECTED: 2,
  /** [makerId, takerId, price, qty, makerRemaining, takerRemaining] : price is the maker's. */
  TRADE: 3,
  /** [id, remaining, reasonCode] : the order (or its remainder) left the book / was not entered. */
  CANCELLED: 4,
  /** [id, newPrice, newRemaining, keptPriority(0|1)] : a REPLACE took effect. */
  REPLACED: 5,
  /** [side, price, newAggregateQty, orderCount] : a price level changed (0 qty = level gone). */
  LEVEL: 6,
  /** [id, side, price, remaining] : the order now rests on the book (after any matching). */
  RESTED: 7,
} as const;
export type EvKindValue = (typeof EvKind)[keyof typeof EvKind];

export const EV_KIND = 0;
export const EV_A = 1;
export const EV_B = 2;
export const EV_C = 3;
export const EV_D = 4;
export const EV_E = 5;
export const EV_F = 6;
/** Every event row carries the index (0-based, within the batch) of the op that produced it. */
export const EV_OP = 7;

/** Returned by best-price queries when the side is empty. */
export const NO_PRICE = -1;

/** Largest integer accepted anywhere on the book path. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export interface BookConfig {
  /** Highest price (in ticks) the book accepts; prices are 1..maxPriceTicks. Default 2^31 - 1. */
  maxPriceTicks?: number;
  /** Self-trade prevention mode. Default StpMode.CANCEL_RESTING. */
  stpMode?: StpModeValue;
  /** Initial order-pool capacity (grows when exceeded). */
  initialOrders?: number;
}

/** Float64 slots per resting order in snapshotRows()/restoreRows(): id, account, side, price, remaining, ts. */
export const REST_STRIDE = 6;

/** One resting order, as returned by orderInfo() and in snapshots. */
export interface RestingOrder {
  id: number;
  account: number;
  side: SideValue;
  price: number;
  remaining: number;
  ts: number;
}

/** Resting orders as rows of REST_STRIDE (snapshotRows()/restoreRows() layout). */
export function restingRows(orders: readonly RestingOrder[]): Float64Array {
  const rows = new Float64Array(orders.length * REST_STRIDE);
  let k = 0;
  for (const o of orders) {
    rows[k++] = o.id;
    rows[k++] = o.account;
    rows[k++] = o.side;
    rows[k++] = o.price;
    rows[k++] = o.remaining;
    rows[k++] = o.ts;
  }
  return rows;
}

/** Rows of REST_STRIDE back into resting-order objects. */
export function restingOrdersOf(rows: Float64Array): RestingOrder[] {
  // push, not new Array(n): V8 gives an array made with a length of 100k or more dictionary elements
  const out: RestingOrder[] = [];
  for (let k = 0; k < rows.length; k += REST_STRIDE) {
    out.push({ id: rows[k]!, account: rows[k + 1]!, side: rows[k + 2]! as SideValue, price: rows[k + 3]!, remaining: rows[k + 4]!, ts: rows[k + 5]! });
  }
  return out;
}

/**
 * What both book implementations provide. Callers validate every value before
 * it reaches a book (see engine/book/validate.ts); books trust their input.
 */
export interface OrderBookCore {
  /** Events of the last call, EV_STRIDE slots each. May be replaced by a larger array: re-read after each call. */
  readonly events: Float64Array;

  /** Apply `nOps` op rows from `ops` in order. Returns the number of event rows written to `events`. */
  process(ops: Float64Array, nOps: number): number;

  /** Convenience single-op entry points (same path as process). Return the event count. */
  submit(id: number, account: number, side: SideValue, type: number, price: number, qty: number, ts: number): number;
  cancel(id: number): number;
  replace(id: number, newPrice: number, newQty: number): number;

  bestBid(): number;
  bestAsk(): number;
  /** Aggregate quantity at the best bid/ask (0 when empty). */
  bestBidQty(): number;
  bestAskQty(): number;
  /**
   * Top `levels` aggregated levels of `side`, best first, written to `out` as
   * [price, qty, orderCount] triples. Returns the number of levels written.
   */
  depth(side: SideValue, levels: number, out: Float64Array): number;
  /** The resting order with this id, or undefined. */
  orderInfo(id: number): RestingOrder | undefined;
  /** Number of resting orders. */
  orderCount(): number;
  /** Every resting order: bids best to worst then asks best to worst, FIFO within a level. */
  snapshot(): RestingOrder[];
  /** Replace the whole book with these resting orders (in snapshot order); emits no events. */
  restore(orders: RestingOrder[]): void;
  /**
   * snapshot() as rows of REST_STRIDE float64s [id, account, side, price,
   * remaining, ts], no object per order: what the exchange snapshot and its
   * codec carry (a million resting orders as objects made the collector the
   * main cost of snapshot and recovery). With `into` large enough the rows
   * are written there and a view of it is returned (a caller that reuses one
   * array spares fresh pages); otherwise a new array.
   */
  snapshotRows(into?: Float64Array): Float64Array;
  /** restore() from rows in snapshotRows()'s layout (validated like restore()). */
  restoreRows(rows: Float64Array): void;
  /**
   * 64-bit FNV-1a over the book's full state as 16 lowercase hex digits.
   * Hashed values, each as 8 bytes little-endian, in snapshot order:
   * for every resting order: side, price, id, account, remaining, ts.
   * An empty book hashes to the FNV offset basis "cbf29ce484222325".
   */
  stateHash(): string;
  /** Release native memory (no-op for the reference book). */
  close(): void;
}
