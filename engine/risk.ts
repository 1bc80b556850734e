/**
 * Pre-trade checks that depend only on the symbol and the order (not on the
 * account): trading state, tick, band, lot, size and notional. Each failure has
 * its own Code. Account-dependent checks (buying power, shares, open orders,
 * rate, duplicates) live in exchange.ts where the account is at hand.
 *
 * Allocation-free: the price check returns the reservation price (> 0) or a
 * negated Code.
 */
import { Code } from './codes.ts';
import type { OrderKind } from './types.ts';
import type { SymbolEngine } from './symbol-engine.ts';
import { bandHighOf, bandLowOf, MAX_PRICE_TICKS } from './symbols.ts';
import { checkQuantity } from './order-rules.ts';
import { BUY } from './order.ts';

/**
 * QUANTITY_NOT_POSITIVE, QUANTITY_OFF_LOT, QUANTITY_ABOVE_MAX or OK: the same
 * rule the gateways apply (order-rules.ts checkQuantity), so a quantity gets one
 * code whichever edge judges it.
 */
export function checkQty(sym: SymbolEngine, qty: number): Code {
  return checkQuantity(qty, sym);
}

/** A limit price: on tick (an integer number of ticks), >= 1, inside the band. Returns the price or -Code. */
export function checkLimitPrice(sym: SymbolEngine, price: number): number {
  if (!Number.isInteger(price)) return -Code.PRICE_OFF_TICK;
  if (price < 1 || price < sym.bandLow() || price > sym.bandHigh()) return -Code.PRICE_OUTSIDE_BAND;
  return price;
}

/**
 * The price a new order is reserved (and, for market-type orders, protected) at,
 * or -Code:
 * - LIMIT/IOC/FOK: the limit, inside the band;
 * - MARKET: the caller's collar (inside the band) or the band limit on the order's side;
 * - STOP: the caller's collar or the band limit around the stop price;
 * - STOP_LIMIT: the limit (not banded: the band at trigger time is unknown).
 */
export function orderPrice(sym: SymbolEngine, kind: OrderKind, side: number, price: number, stopPrice: number): number {
  switch (kind) {
    case 'LIMIT':
    case 'IOC':
    case 'FOK':
      return checkLimitPrice(sym, price);
    case 'MARKET':
      if (price === 0) return side === BUY ? sym.bandHigh() : sym.bandLow();
      return checkLimitPrice(sym, price);
    case 'STOP':
    case 'STOP_LIMIT': {
      if (!Number.isInteger(stopPrice)) return -Code.PRICE_OFF_TICK;
      if (stopPrice < 1 || stopPrice > MAX_PRICE_TICKS) return -Code.PRICE_OUTSIDE_BAND;
      if (kind === 'STOP' && price === 0) return side === BUY ? bandHighOf(stopPrice, sym.bandBps) : bandLowOf(stopPrice, sym.bandBps);
      if (!Number.isInteger(price)) return -Code.PRICE_OFF_TICK;
      if (price < 1 || price > MAX_PRICE_TICKS) return -Code.PRICE_OUTSIDE_BAND;
      return price;
    }
    default:
      return -Code.INVALID_ORDER_TYPE;
  }
}

/** NOTIONAL_ABOVE_MAX or OK for `qty` at `priceTicks`. */
export function checkNotional(sym: SymbolEngine, priceTicks: number, qty: number): Code {
  return priceTicks * sym.tickSize * qty > sym.maxOrderNotional ? Code.NOTIONAL_ABOVE_MAX : Code.OK;
}
