/**
 * Edge validation for everything that enters a book. Books (native and
 * reference) trust their input, so every op row and argument passes through
 * here first; a malformed value throws an AurexError with a 1xx code and never
 * reaches C++. Business outcomes that depend on book state (duplicate live id,
 * unknown order, price above the book's range, post-only crossing) are not
 * validation errors: the book reports them as REJECTED events (2xx).
 */
import { AurexError, Code } from '../codes.ts';
import {
  MAX_SAFE,
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
  REST_STRIDE,
  Side,
  StpMode,
  type BookConfig,
  type RestingOrder,
} from './layout.ts';

/**
 * Largest price range a book can be configured with (level storage is indexed
 * by a 32-bit tick). The engine's price ceiling (symbols.ts MAX_PRICE_TICKS)
 * is this number, imported from here: books import nothing from the engine.
 */
export const MAX_PRICE_TICKS_LIMIT = 2 ** 31 - 1;

function isUint(v: unknown, max: number): v is number {
  // Number.isInteger rejects NaN, +-Infinity and fractions; the range check rejects negatives and > 2^53-1.
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

export function checkOrderId(id: unknown): void {
  if (!isUint(id, MAX_SAFE) || id < 1) throw new AurexError(Code.INVALID_ORDER_ID, `invalid order id ${String(id)}`);
}

export function checkAccount(account: unknown): void {
  if (!isUint(account, MAX_SAFE)) throw new AurexError(Code.INVALID_ACCOUNT_ID, `invalid account id ${String(account)}`);
}

export function checkSide(side: unknown): void {
  if (side !== Side.BUY && side !== Side.SELL) throw new AurexError(Code.INVALID_SIDE, `invalid side ${String(side)}`);
}

/** OP_TYPE value: an OrderType, optionally with POST_ONLY (allowed on LIMIT only). */
export function checkType(typeBits: unknown): void {
  if (!isUint(typeBits, 0xff)) throw new AurexError(Code.INVALID_ORDER_TYPE, `invalid order type ${String(typeBits)}`);
  const type = typeBits & ORDER_TYPE_MASK;
  const flags = typeBits & ~ORDER_TYPE_MASK;
  if (type > OrderType.FOK || (flags & ~OrderFlag.POST_ONLY) !== 0) {
    throw new AurexError(Code.INVALID_ORDER_TYPE, `invalid order type ${typeBits}`);
  }
  if (flags & OrderFlag.POST_ONLY && type !== OrderType.LIMIT) {
    throw new AurexError(Code.INVALID_ORDER_TYPE, 'post-only applies to LIMIT orders only');
  }
}

/** Limit price (>= 1) or, for MARKET, a collar (>= 0, 0 = none). */
export function checkPrice(price: unknown, isMarket: boolean): void {
  if (!isUint(price, MAX_SAFE) || (!isMarket && price < 1)) throw new AurexError(Code.INVALID_PRICE, `invalid price ${String(price)}`);
}

export function checkQty(qty: unknown): void {
  if (!isUint(qty, MAX_SAFE) || qty < 1) throw new AurexError(Code.INVALID_QUANTITY, `invalid quantity ${String(qty)}`);
}

export function checkTs(ts: unknown): void {
  if (!isUint(ts, MAX_SAFE)) throw new AurexError(Code.VALUE_OUT_OF_RANGE, `invalid timestamp ${String(ts)}`);
}

export function validateNew(id: unknown, account: unknown, side: unknown, type: unknown, price: unknown, qty: unknown, ts: unknown): void {
  checkOrderId(id);
  checkAccount(account);
  checkSide(side);
  checkType(type);
  checkPrice(price, ((type as number) & ORDER_TYPE_MASK) === OrderType.MARKET);
  checkQty(qty);
  checkTs(ts);
}

export function validateCancel(id: unknown): void {
  checkOrderId(id);
}

export function validateReplace(id: unknown, newPrice: unknown, newQty: unknown): void {
  checkOrderId(id);
  checkPrice(newPrice, false);
  checkQty(newQty);
}

/** Validates op row `i` of `ops`. */
export function validateOp(ops: Float64Array, i: number): void {
  const o = i * OP_STRIDE;
  const kind = ops[o + OP_KIND];
  if (kind === OpKind.NEW) {
    validateNew(ops[o + OP_ID], ops[o + OP_ACCOUNT], ops[o + OP_SIDE], ops[o + OP_TYPE], ops[o + OP_PRICE], ops[o + OP_QTY], ops[o + OP_TS]);
  } else if (kind === OpKind.CANCEL) {
    validateCancel(ops[o + OP_ID]);
  } else if (kind === OpKind.REPLACE) {
    validateReplace(ops[o + OP_ID], ops[o + OP_PRICE], ops[o + OP_QTY]);
  } else {
    throw new AurexError(Code.INVALID_ARGUMENT, `op ${i}: unknown op kind ${String(kind)}`);
  }
}

/** x is an integer in [lo, MAX_SAFE]; false for NaN and +-Infinity (comparisons fail). */
function intIn(x: number, lo: number): boolean {
  return x >= lo && x <= MAX_SAFE && Math.floor(x) === x;
}

/**
 * Validates `nOps` rows; throws on the first bad one (nothing of the batch has
 * been applied then). This runs on the batched hot path, so a row first goes
 * through one flat check of plain comparisons; only a row that fails it takes
 * the slow path (validateOp) that works out which value is wrong and its code.
 */
export function validateOps(ops: Float64Array, nOps: number): void {
  if (!(ops instanceof Float64Array)) throw new AurexError(Code.INVALID_ARGUMENT, 'ops must be a Float64Array');
  if (!isUint(nOps, Math.floor(ops.length / OP_STRIDE))) throw new AurexError(Code.INVALID_ARGUMENT, `invalid op count ${String(nOps)}`);
  for (let i = 0, o = 0; i < nOps; i++, o += OP_STRIDE) {
    const kind = ops[o + OP_KIND]!;
    let ok: boolean;
    if (kind === OpKind.NEW) {
      const side = ops[o + OP_SIDE]!;
      const t = ops[o + OP_TYPE]!;
      ok =
        intIn(ops[o + OP_ID]!, 1) &&
        intIn(ops[o + OP_ACCOUNT]!, 0) &&
        (side === 0 || side === 1) &&
        (t === 0 || t === 1 || t === 2 || t === 3 || t === (OrderType.LIMIT | OrderFlag.POST_ONLY)) &&
        intIn(ops[o + OP_PRICE]!, t === OrderType.MARKET ? 0 : 1) &&
        intIn(ops[o + OP_QTY]!, 1) &&
        intIn(ops[o + OP_TS]!, 0);
    } else if (kind === OpKind.CANCEL) {
      ok = intIn(ops[o + OP_ID]!, 1);
    } else if (kind === OpKind.REPLACE) {
      ok = intIn(ops[o + OP_ID]!, 1) && intIn(ops[o + OP_PRICE]!, 1) && intIn(ops[o + OP_QTY]!, 1);
    } else {
      ok = false;
    }
    if (!ok) validateOp(ops, i);
  }
}

/** Fills defaults and checks a book configuration. */
export function resolveConfig(config: BookConfig = {}): Required<BookConfig> {
  const maxPriceTicks = config.maxPriceTicks ?? MAX_PRICE_TICKS_LIMIT;
  const stpMode = config.stpMode ?? StpMode.CANCEL_RESTING;
  const initialOrders = config.initialOrders ?? 1024;
  if (!isUint(maxPriceTicks, MAX_PRICE_TICKS_LIMIT) || maxPriceTicks < 1) {
    throw new AurexError(Code.INVALID_CONFIG, `maxPriceTicks must be an integer in 1..${MAX_PRICE_TICKS_LIMIT}`);
  }
  if (stpMode !== StpMode.CANCEL_RESTING && stpMode !== StpMode.CANCEL_INCOMING && stpMode !== StpMode.CANCEL_BOTH) {
    throw new AurexError(Code.INVALID_CONFIG, `invalid stpMode ${String(stpMode)}`);
  }
  if (!isUint(initialOrders, 2 ** 26) || initialOrders < 1) throw new AurexError(Code.INVALID_CONFIG, 'initialOrders must be an integer in 1..2^26');
  return { maxPriceTicks, stpMode, initialOrders };
}

/**
 * Checks a snapshot before restore(): well-formed values, prices within the
 * book's range, unique ids, and a book that is not crossed.
 */
export function validateRestingOrders(orders: readonly RestingOrder[], maxPriceTicks: number): void {
  if (!Array.isArray(orders)) throw new AurexError(Code.INVALID_ARGUMENT, 'orders must be an array');
  const seen = new Set<number>();
  let bestBid = -1;
  let bestAsk = Infinity;
  for (const o of orders) {
    checkOrderId(o.id);
    checkAccount(o.account);
    checkSide(o.side);
    checkPrice(o.price, false);
    if (o.price > maxPriceTicks) throw new AurexError(Code.INVALID_PRICE, `price ${o.price} above the book's range`);
    checkQty(o.remaining);
    checkTs(o.ts);
    if (seen.has(o.id)) throw new AurexError(Code.INVALID_ORDER_ID, `duplicate order id ${o.id} in snapshot`);
    seen.add(o.id);
    if (o.side === Side.BUY) bestBid = Math.max(bestBid, o.price);
    else bestAsk = Math.min(bestAsk, o.price);
  }
  if (bestBid >= bestAsk) throw new AurexError(Code.INVALID_ARGUMENT, 'snapshot is a crossed book');
}

/**
 * validateRestingOrders for rows of REST_STRIDE float64s. Duplicate ids are
 * left to the book's own load (the native core refuses them, BAD_ROW; the
 * reference book goes through validateRestingOrders): a Set of a million ids
 * cost more than the rest of the check.
 */
export function validateRestingRows(rows: Float64Array, maxPriceTicks: number): void {
  if (!(rows instanceof Float64Array) || rows.length % REST_STRIDE !== 0) {
    throw new AurexError(Code.INVALID_ARGUMENT, `resting rows must be a Float64Array of ${REST_STRIDE} values per order`);
  }
  let bestBid = -1;
  let bestAsk = Infinity;
  for (let k = 0; k < rows.length; k += REST_STRIDE) {
    checkOrderId(rows[k]!);
    checkAccount(rows[k + 1]!);
    const side = rows[k + 2]!;
    checkSide(side);
    const price = rows[k + 3]!;
    checkPrice(price, false);
    if (price > maxPriceTicks) throw new AurexError(Code.INVALID_PRICE, `price ${price} above the book's range`);
    checkQty(rows[k + 4]!);
    checkTs(rows[k + 5]!);
    if (side === Side.BUY) {
      if (price > bestBid) bestBid = price;
    } else if (price < bestAsk) bestAsk = price;
  }
  if (bestBid >= bestAsk) throw new AurexError(Code.INVALID_ARGUMENT, 'snapshot is a crossed book');
}
