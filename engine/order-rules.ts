/**
 * The order-edge rules, in one place: what makes a new order or a replace
 * well formed, which code each fault gets, and in which order the faults are
 * looked at. The engine's edge (validate-command.ts), the gRPC gateway and the
 * TCP gateway all judge orders with these functions, so one bad order gets
 * one code whichever way it comes in.
 *
 * Order of the checks (the first fault wins):
 *   0. at a gateway, the caller's role: a role that may not trade gets
 *      PERMISSION_DENIED for any order, cancel or replace, before any field
 *      is judged (it learns nothing of these rules). Only bytes that do not
 *      decode as the message at all are refused before it.
 *   1. shape (1xx, checkNewOrderShape / checkReplaceShape): client order id,
 *      symbol text, side, kind, price, quantity, stop price, the price a
 *      priced kind needs, post-only. These need no symbol and are what the
 *      engine refuses before a command is stamped.
 *   2. the symbol's static rules (4xx, checkQuantity and the tick check):
 *      what the exchange refuses whatever its state, in its own order.
 *   3. at a gateway, the order-rate limit (RATE_LIMITED): only a request
 *      that passed the steps above costs a token.
 * A gateway resolves the symbol (UNKNOWN_SYMBOL) between reading the client
 * order id and step 1: the gRPC gateway needs the symbol's tick size to read
 * a price given in currency units. Band, notional, halts, buying power and
 * duplicates depend on state and stay the exchange's answer.
 *
 * An absent field gets its own field's code, as a wrong value would: no
 * client order id (gRPC "", TCP 0) is INVALID_CLIENT_ORDER_ID, no symbol
 * (gRPC "", TCP symbol id 0, the engine's '' or undefined) INVALID_SYMBOL.
 * MISSING_FIELD is for a request lacking all of several alternatives (the
 * order reference of a cancel or replace: exchange id or client order id).
 * Symbol text of 1..MAX_SYMBOL_TEXT_LENGTH characters is well formed; when
 * no symbol of that name is listed it is UNKNOWN_SYMBOL (listed names follow
 * symbols.ts isValidSymbolName, at most 12 characters).
 *
 * Prices here are ticks and quantities shares, as numbers. Fractions pass the
 * shape check on purpose: the exchange refuses them as PRICE_OFF_TICK /
 * QUANTITY_OFF_LOT, and so does the static check below.
 */
import { Code } from './codes.ts';
import { MAX_PRICE_TICKS } from './symbols.ts';
import type { OrderKind, SymbolConfig } from './types.ts';

// String.prototype.charCodeAt.call(s, i): inlined for strings of any shape (docs/engine.md, "Strings of many shapes")

/** Highest price in ticks of any order (the books index levels by a 32-bit tick); owned by symbols.ts. */
export { MAX_PRICE_TICKS };

/** Longest client order id, in characters. */
export const MAX_CLIENT_ORDER_ID_LENGTH = 64;
/** Longest symbol text an order may carry (listed names are shorter; longer text is malformed, not unknown). */
export const MAX_SYMBOL_TEXT_LENGTH = 32;

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * 1..64 visible ASCII characters (0x21..0x7e): no spaces or control
 * characters, so an id reads the same in logs, CLIs and CSV exports. A loop:
 * cheaper than a regex per order.
 */
export function isClientOrderId(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const n = v.length;
  if (n === 0 || n > MAX_CLIENT_ORDER_ID_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = String.prototype.charCodeAt.call(v, i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export function isSymbolText(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= MAX_SYMBOL_TEXT_LENGTH;
}

export function isSide(v: unknown): boolean {
  return v === 'BUY' || v === 'SELL';
}

export function isOrderKind(v: unknown): v is OrderKind {
  return v === 'LIMIT' || v === 'MARKET' || v === 'IOC' || v === 'FOK' || v === 'STOP' || v === 'STOP_LIMIT';
}

/** Kinds that must carry a limit price (> 0); MARKET and STOP may give 0 (no collar). */
export function needsLimitPrice(kind: OrderKind): boolean {
  return kind === 'LIMIT' || kind === 'IOC' || kind === 'FOK' || kind === 'STOP_LIMIT';
}

/** Kinds that carry a stop price (> 0); every other kind must give 0. */
export function isStopKind(kind: OrderKind): boolean {
  return kind === 'STOP' || kind === 'STOP_LIMIT';
}

/** A finite number in the safe range (fractions allowed, see the file comment). */
function num(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX;
}

/** A price field: 0 .. MAX_PRICE_TICKS (0 = none). Above it no book could ever hold the order: malformed, not a band reject. */
function priceField(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v <= MAX_PRICE_TICKS;
}

/** A new order's fields as any edge sees them (unknown types: the engine's edge gets plain objects). */
export interface NewOrderFields {
  clientOrderId?: unknown;
  symbol?: unknown;
  side?: unknown;
  kind?: unknown;
  price?: unknown;
  qty?: unknown;
  stopPrice?: unknown;
  postOnly?: unknown;
}

/** The symbol rules the static checks need. */
export type OrderLimits = Pick<SymbolConfig, 'lotSize' | 'maxOrderQty'>;

/** Step 1 for a new order: Code.OK or the 1xx code of the first fault (what the engine refuses before stamping). */
export function checkNewOrderShape(o: NewOrderFields): Code {
  if (!isClientOrderId(o.clientOrderId)) return Code.INVALID_CLIENT_ORDER_ID;
  return checkOrderFieldsShape(o);
}

/** checkNewOrderShape after the client order id. */
function checkOrderFieldsShape(o: NewOrderFields): Code {
  if (!isSymbolText(o.symbol)) return Code.INVALID_SYMBOL;
  if (!isSide(o.side)) return Code.INVALID_SIDE;
  const kind = o.kind;
  if (!isOrderKind(kind)) return Code.INVALID_ORDER_TYPE;
  const price = o.price;
  if (!priceField(price)) return Code.INVALID_PRICE;
  if (!num(o.qty)) return Code.INVALID_QUANTITY;
  // Only undefined means "no stop price"; null or any other value must be a price.
  if (o.stopPrice !== undefined && !priceField(o.stopPrice)) return Code.INVALID_STOP_PRICE;
  const stop = (o.stopPrice as number | undefined) ?? 0;
  if (isStopKind(kind) ? !(stop > 0) : stop !== 0) return Code.INVALID_STOP_PRICE;
  if (needsLimitPrice(kind) && !(price > 0)) return Code.INVALID_PRICE;
  if (o.postOnly !== undefined && typeof o.postOnly !== 'boolean') return Code.INVALID_ARGUMENT;
  if (o.postOnly === true && kind !== 'LIMIT') return Code.INVALID_ORDER_TYPE;
  return Code.OK;
}

/** The quantity against the symbol: QUANTITY_NOT_POSITIVE, QUANTITY_OFF_LOT, QUANTITY_ABOVE_MAX or OK (the exchange's order). */
export function checkQuantity(qty: number, sym: OrderLimits): Code {
  if (!(qty > 0)) return Code.QUANTITY_NOT_POSITIVE;
  if (!Number.isInteger(qty) || qty % sym.lotSize !== 0) return Code.QUANTITY_OFF_LOT;
  if (qty > sym.maxOrderQty) return Code.QUANTITY_ABOVE_MAX;
  return Code.OK;
}

/**
 * Steps 1 and 2 for a new order on a known symbol: Code.OK or the code the
 * engine would answer for the first fault that does not depend on its state.
 */
export function checkNewOrder(o: NewOrderFields, sym: OrderLimits): Code {
  if (!isClientOrderId(o.clientOrderId)) return Code.INVALID_CLIENT_ORDER_ID;
  return checkNewOrderFields(o, sym);
}

/**
 * checkNewOrder for an edge whose client order id is valid by construction (the
 * TCP gateway's is the decimal form of a u64 >= 1): everything after the id.
 */
export function checkNewOrderFields(o: NewOrderFields, sym: OrderLimits): Code {
  const shape = checkOrderFieldsShape(o);
  if (shape !== Code.OK) return shape;
  const q = checkQuantity(o.qty as number, sym);
  if (q !== Code.OK) return q;
  // After the shape check a stop price is 0 or a stop kind's trigger, and prices are in range: only the grid is left.
  if (!Number.isInteger(o.price) || !Number.isInteger(o.stopPrice ?? 0)) return Code.PRICE_OFF_TICK;
  return Code.OK;
}

/** Step 1 for a replace (after the order reference): the new price (1..MAX_PRICE_TICKS) and the new quantity's type. */
export function checkReplaceShape(price: unknown, qty: unknown): Code {
  if (!priceField(price) || !(price > 0)) return Code.INVALID_PRICE;
  if (!num(qty)) return Code.INVALID_QUANTITY;
  return Code.OK;
}

/** Steps 1 and 2 for a replace of an order on `sym`. */
export function checkReplace(price: unknown, qty: unknown, sym: OrderLimits): Code {
  const shape = checkReplaceShape(price, qty);
  if (shape !== Code.OK) return shape;
  const q = checkQuantity(qty as number, sym);
  if (q !== Code.OK) return q;
  return Number.isInteger(price) ? Code.OK : Code.PRICE_OFF_TICK;
}
