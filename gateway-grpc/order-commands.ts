/**
 * Edge validation of order-entry requests and their translation to engine
 * commands (shared by the unary RPCs and the OrderEntry stream).
 *
 * Rule (docs/grpc-api.md): anything malformed or against the symbol's static
 * rules (tick grid, lot, maximum quantity, unknown symbol) is refused here with
 * a typed AurexError and never reaches the engine; a well-formed order that the
 * exchange's state refuses (cash, shares, halt, band, post-only cross) comes
 * back from the engine as a REJECTED order. The rules, their codes and the
 * order they are applied in are engine/order-rules.ts, shared with the TCP
 * gateway and the engine's own edge.
 */
import { AurexError, Code } from '../engine/codes.ts';
import type { ExchangeApi } from '../engine/core-api.ts';
import {
  checkNewOrder,
  checkReplace,
  checkReplaceShape,
  isClientOrderId,
  isSymbolText,
  MAX_CLIENT_ORDER_ID_LENGTH,
  MAX_PRICE_TICKS,
  MAX_SYMBOL_TEXT_LENGTH,
  type OrderLimits,
} from '../engine/order-rules.ts';
import type { CancelCmd, NewOrderCmd, Principal, ReplaceCmd, SymbolConfig } from '../engine/types.ts';
import type { CancelOrderRequest, OrderRequest, ReplaceOrderRequest } from '../gen/aurex/stock/v1/stock.ts';
import { checkUserId } from './auth-context.ts';
import { kindFromWire, sideFromWire } from './convert.ts';
import { int64ToSafe, readPrice, resolvePrice } from './price.ts';

const CLIENT_ORDER_ID_RULE = `must be 1..${MAX_CLIENT_ORDER_ID_LENGTH} visible ASCII characters (no spaces)`;

/** The client order id rule of every edge (engine/order-rules.ts), under the name this gateway's modules use. */
export const validClientOrderId = isClientOrderId;

/**
 * The listed symbol's configuration. The engine's rule (engine/order-rules.ts isSymbolText):
 * no symbol ("", proto3's absent string) or more than MAX_SYMBOL_TEXT_LENGTH characters is
 * INVALID_SYMBOL; any other text that is not listed is UNKNOWN_SYMBOL.
 */
export function symbolConfig(exchange: ExchangeApi, symbol: string): SymbolConfig {
  if (!isSymbolText(symbol)) {
    throw new AurexError(Code.INVALID_SYMBOL, symbol === '' ? 'symbol is required' : `symbol must be 1..${MAX_SYMBOL_TEXT_LENGTH} characters`);
  }
  const cfg = exchange.symbol(symbol);
  if (cfg === undefined) throw new AurexError(Code.UNKNOWN_SYMBOL, `unknown symbol ${symbol}`);
  return cfg;
}

/** The refusal for a fault found by the order rules: the code is the contract, the text names the rule. */
function orderFault(code: Code, qty: number, cfg: OrderLimits | undefined): AurexError {
  switch (code) {
    case Code.INVALID_CLIENT_ORDER_ID:
      return new AurexError(code, `order_id ${CLIENT_ORDER_ID_RULE}`);
    case Code.INVALID_PRICE:
      return new AurexError(code, `price must be 1..${MAX_PRICE_TICKS} ticks (only MARKET and STOP orders may leave it 0)`);
    case Code.INVALID_STOP_PRICE:
      return new AurexError(code, `stop price must be 1..${MAX_PRICE_TICKS} ticks on STOP and STOP_LIMIT orders and 0 on others`);
    case Code.INVALID_QUANTITY:
      return new AurexError(code, 'quantity is not a safe integer (|quantity| > 2^53-1)');
    case Code.INVALID_ORDER_TYPE:
      return new AurexError(code, 'post_only applies to LIMIT orders only');
    case Code.QUANTITY_NOT_POSITIVE:
      return new AurexError(code, `quantity ${qty} is not positive`);
    case Code.QUANTITY_OFF_LOT:
      return new AurexError(code, `quantity ${qty} is not a multiple of the lot ${cfg?.lotSize}`);
    case Code.QUANTITY_ABOVE_MAX:
      return new AurexError(code, `quantity ${qty} is above the maximum ${cfg?.maxOrderQty}`);
    default:
      return new AurexError(code);
  }
}

/**
 * The engine command for a new order, or an AurexError with the code the
 * engine and the TCP gateway give the same order (engine/order-rules.ts).
 */
export function newOrderCmd(exchange: ExchangeApi, p: Principal, r: OrderRequest): NewOrderCmd {
  checkUserId(p, r.userId);
  // The client order id, then the symbol: a price in currency units can only be read on the symbol's tick grid.
  if (!isClientOrderId(r.orderId)) {
    throw new AurexError(Code.INVALID_CLIENT_ORDER_ID, r.orderId === '' ? 'order_id (the client order id) is required' : `order_id ${CLIENT_ORDER_ID_RULE}`);
  }
  const cfg = symbolConfig(exchange, r.symbol);
  const side = sideFromWire(r.side);
  if (side === undefined) throw new AurexError(Code.INVALID_SIDE, 'side must be BUY or SELL');
  const kind = kindFromWire(r.type);
  if (kind === undefined) throw new AurexError(Code.INVALID_ORDER_TYPE, 'type must be MARKET, LIMIT, IOC, FOK, STOP or STOP_LIMIT');
  const tick = cfg.tickSize;
  // Unreadable values become NaN (prices) or an unsafe number (quantity) and are judged by the rules in their order.
  const cmd: NewOrderCmd = {
    type: 'new',
    accountId: p.accountId,
    clientOrderId: r.orderId,
    symbol: cfg.symbol,
    side,
    kind,
    price: readPrice(r.price, r.priceTicks, tick),
    qty: Number(r.quantity),
  };
  const stop = readPrice(r.stopPrice, r.stopPriceTicks, tick);
  if (stop !== 0) cmd.stopPrice = stop;
  if (r.postOnly) cmd.postOnly = true;
  const code = checkNewOrder(cmd, cfg);
  if (code !== Code.OK) {
    // A price that could not be read: its decoder's message says why.
    if (code === Code.INVALID_PRICE && Number.isNaN(cmd.price)) resolvePrice(r.price, r.priceTicks, tick, code);
    if (code === Code.INVALID_STOP_PRICE && Number.isNaN(stop)) resolvePrice(r.stopPrice, r.stopPriceTicks, tick, code);
    throw orderFault(code, cmd.qty, cfg);
  }
  return cmd;
}

function orderRef(clientOrderId: string, exchangeOrderId: bigint): { orderId?: number; clientOrderId?: string } {
  if (clientOrderId === '' && exchangeOrderId === 0n) {
    throw new AurexError(Code.MISSING_FIELD, 'client_order_id or exchange_order_id is required');
  }
  const ref: { orderId?: number; clientOrderId?: string } = {};
  if (clientOrderId !== '') {
    if (!isClientOrderId(clientOrderId)) throw new AurexError(Code.INVALID_CLIENT_ORDER_ID, `client_order_id ${CLIENT_ORDER_ID_RULE}`);
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
  const qty = Number(r.newQuantity);
  // The engine judges the new price before looking the order up; so does this edge whenever
  // the price can be read without the order's tick grid (given in ticks, or not at all).
  if (r.newPrice === 0) {
    const code = checkReplaceShape(readPrice(0, r.newPriceTicks, 1), qty);
    if (code !== Code.OK) throw orderFault(code, qty, undefined);
  }
  const order = exchange.getOrder(p.accountId, ref);
  if (order === undefined) throw new AurexError(Code.UNKNOWN_ORDER, 'no such order');
  const cfg = symbolConfig(exchange, order.symbol);
  const price = readPrice(r.newPrice, r.newPriceTicks, cfg.tickSize);
  const code = checkReplace(price, qty, cfg);
  if (code !== Code.OK) {
    if (code === Code.INVALID_PRICE && Number.isNaN(price)) resolvePrice(r.newPrice, r.newPriceTicks, cfg.tickSize, code);
    throw orderFault(code, qty, cfg);
  }
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
