/**
 * Edge validation of order-entry requests and their translation to engine
 * commands (shared by the unary RPCs and the OrderEntry stream).
 *
 * Rule (docs/grpc-api.md): anything malformed or against the symbol's static
 * rules (tick grid, lot, maximum quantity, unknown symbol) is refused here with
 * a typed AurexError and never reaches the engine; a well-formed order that the
 * exchange's state refuses (cash, shares, halt, band, post-only cross) comes
 * back from the engine as a REJECTED order.
 */
import { AurexError, Code } from '../engine/codes.ts';
import type { ExchangeApi } from '../engine/core-api.ts';
import type { CancelCmd, NewOrderCmd, Principal, ReplaceCmd, SymbolConfig } from '../engine/types.ts';
import type { CancelOrderRequest, OrderRequest, ReplaceOrderRequest } from '../gen/aurex/stock/v1/stock.ts';
import { checkUserId } from './auth-context.ts';
import { kindFromWire, sideFromWire } from './convert.ts';
import { int64ToSafe, resolvePrice } from './price.ts';

const MAX_SYMBOL_LEN = 16;

/** 1..64 printable ASCII characters (no spaces). */
export function validClientOrderId(id: unknown): id is string {
  if (typeof id !== 'string' || id.length < 1 || id.length > 64) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** The listed symbol's configuration; INVALID_SYMBOL / UNKNOWN_SYMBOL otherwise. */
export function symbolConfig(exchange: ExchangeApi, symbol: string): SymbolConfig {
  if (typeof symbol !== 'string' || symbol.length === 0) throw new AurexError(Code.MISSING_FIELD, 'symbol is required');
  if (symbol.length > MAX_SYMBOL_LEN) throw new AurexError(Code.INVALID_SYMBOL, 'symbol is too long');
  const cfg = exchange.symbol(symbol);
  if (cfg === undefined) throw new AurexError(Code.UNKNOWN_SYMBOL, `unknown symbol ${symbol}`);
  return cfg;
}

function quantity(v: bigint, cfg: SymbolConfig, field: string): number {
  if (v === 0n) throw new AurexError(Code.INVALID_QUANTITY, `${field} is required`);
  if (v < 0n) throw new AurexError(Code.INVALID_QUANTITY, `${field} is negative`);
  const q = int64ToSafe(v, Code.INVALID_QUANTITY, field);
  if (q > cfg.maxOrderQty) throw new AurexError(Code.QUANTITY_ABOVE_MAX, `${field} ${q} is above the maximum ${cfg.maxOrderQty}`);
  if (q % cfg.lotSize !== 0) throw new AurexError(Code.QUANTITY_OFF_LOT, `${field} ${q} is not a multiple of the lot ${cfg.lotSize}`);
  return q;
}

export function newOrderCmd(exchange: ExchangeApi, p: Principal, r: OrderRequest): NewOrderCmd {
  checkUserId(p, r.userId);
  if (r.orderId === '') throw new AurexError(Code.MISSING_FIELD, 'order_id (the client order id) is required');
  if (!validClientOrderId(r.orderId)) throw new AurexError(Code.INVALID_CLIENT_ORDER_ID, 'order_id must be 1..64 printable ASCII characters');
  const cfg = symbolConfig(exchange, r.symbol);
  const side = sideFromWire(r.side);
  if (side === undefined) throw new AurexError(Code.INVALID_SIDE, 'side must be BUY or SELL');
  const kind = kindFromWire(r.type);
  if (kind === undefined) throw new AurexError(Code.INVALID_ORDER_TYPE, 'type must be MARKET, LIMIT, IOC, FOK, STOP or STOP_LIMIT');
  const qty = quantity(r.quantity, cfg, 'quantity');
  const price = resolvePrice(r.price, r.priceTicks, cfg.tickSize, Code.INVALID_PRICE);
  const stop = resolvePrice(r.stopPrice, r.stopPriceTicks, cfg.tickSize, Code.INVALID_STOP_PRICE);
  const needsPrice = kind === 'LIMIT' || kind === 'IOC' || kind === 'FOK' || kind === 'STOP_LIMIT';
  if (needsPrice && price === 0) throw new AurexError(Code.INVALID_PRICE, `a ${kind} order needs a price`);
  const isStop = kind === 'STOP' || kind === 'STOP_LIMIT';
  if (isStop && stop === 0) throw new AurexError(Code.INVALID_STOP_PRICE, `a ${kind} order needs a stop price`);
  if (!isStop && stop !== 0) throw new AurexError(Code.INVALID_STOP_PRICE, `a ${kind} order takes no stop price`);
  if (r.postOnly && kind !== 'LIMIT') throw new AurexError(Code.INVALID_ARGUMENT, 'post_only applies to LIMIT orders only');
  const cmd: NewOrderCmd = { type: 'new', accountId: p.accountId, clientOrderId: r.orderId, symbol: cfg.symbol, side, kind, price, qty };
  if (isStop) cmd.stopPrice = stop;
  if (r.postOnly) cmd.postOnly = true;
  return cmd;
}

function orderRef(clientOrderId: string, exchangeOrderId: bigint): { orderId?: number; clientOrderId?: string } {
  if (clientOrderId === '' && exchangeOrderId === 0n) {
    throw new AurexError(Code.MISSING_FIELD, 'client_order_id or exchange_order_id is required');
  }
  const ref: { orderId?: number; clientOrderId?: string } = {};
  if (clientOrderId !== '') {
    if (!validClientOrderId(clientOrderId)) throw new AurexError(Code.INVALID_CLIENT_ORDER_ID, 'client_order_id must be 1..64 printable ASCII characters');
    ref.clientOrderId = clientOrderId;
  }
  if (exchangeOrderId !== 0n) ref.orderId = int64ToSafe(exchangeOrderId, Code.INVALID_ORDER_ID, 'exchange_order_id');
  return ref;
}

export function cancelCmd(p: Principal, r: CancelOrderRequest): CancelCmd {
  checkUserId(p, r.userId);
  return { type: 'cancel', accountId: p.accountId, ...orderRef(r.clientOrderId, r.exchangeOrderId) };
}

/** The replace command; needs the order (to know its symbol's grid): NOT_FOUND when the caller has no such order. */
export function replaceCmd(exchange: ExchangeApi, p: Principal, r: ReplaceOrderRequest): ReplaceCmd {
  checkUserId(p, r.userId);
  const ref = orderRef(r.clientOrderId, r.exchangeOrderId);
  const order = exchange.getOrder(p.accountId, ref);
  if (order === undefined) throw new AurexError(Code.UNKNOWN_ORDER, 'no such order');
  const cfg = symbolConfig(exchange, order.symbol);
  const qty = quantity(r.newQuantity, cfg, 'new_quantity');
  const price = resolvePrice(r.newPrice, r.newPriceTicks, cfg.tickSize, Code.INVALID_PRICE);
  if (price === 0) throw new AurexError(Code.INVALID_PRICE, 'new_price is required');
  return { type: 'replace', accountId: p.accountId, ...ref, price, qty };
}

/**
 * Whether an engine result code for a new order is a gRPC error (true) or a
 * REJECTED response (false). Errors: validation, unknown symbol/account,
 * duplicates, rate limits, system failures.
 */
export function submitCodeIsError(code: Code): boolean {
  if (code >= 100 && code < 200) return true;
  switch (code) {
    case Code.UNKNOWN_SYMBOL:
    case Code.UNKNOWN_ACCOUNT:
    case Code.DUPLICATE_CLIENT_ORDER_ID:
    case Code.DUPLICATE_ORDER_ID:
    case Code.ORDER_RATE_EXCEEDED:
    case Code.RATE_LIMITED:
      return true;
  }
  return code >= 500;
}

/** Cancel/replace engine codes that are gRPC errors; NOT_ORDER_OWNER reads as NOT_FOUND (no probing of other accounts). */
export function amendErrorCode(code: Code): Code | undefined {
  switch (code) {
    case Code.UNKNOWN_ORDER:
    case Code.NOT_ORDER_OWNER:
      return Code.UNKNOWN_ORDER;
    case Code.ORDER_NOT_OPEN:
    case Code.REPLACE_NOT_ALLOWED:
    case Code.SYMBOL_HALTED:
      return code;
  }
  if (code >= 100 && code < 200) return code;
  if (code >= 500) return code;
  return undefined;
}
