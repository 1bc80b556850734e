/**
 * Shape validation of commands at the engine's edge: types, enums, ranges and
 * string formats. What depends on state (unknown symbol, band, lot, buying
 * power...) is the exchange's business and gets 4xx codes there; malformed
 * input gets a 1xx code here and is never stamped, logged or applied.
 */
import { Code } from './codes.ts';
import type { Command } from './types.ts';

const MAX = Number.MAX_SAFE_INTEGER;

function uint(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX;
}
function sint(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= MAX;
}
/** A finite number in the safe range; fractions are let through for the engine to reject as off tick / lot. */
function num(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX;
}
function symbolStr(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= 32;
}
/** Printable ASCII (0x20..0x7e) without a space at either end, 1..64 chars. A loop: cheaper than a regex per order. */
export function isClientOrderId(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const n = v.length;
  if (n === 0 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return v.charCodeAt(0) !== 0x20 && v.charCodeAt(n - 1) !== 0x20;
}

function isSide(v: unknown): boolean {
  return v === 'BUY' || v === 'SELL';
}

function isKind(v: unknown): boolean {
  return v === 'LIMIT' || v === 'MARKET' || v === 'IOC' || v === 'FOK' || v === 'STOP' || v === 'STOP_LIMIT';
}

/** Code.OK or the 1xx code of the first problem found. */
export function validateCommand(cmd: unknown): Code {
  if (cmd === null || typeof cmd !== 'object') return Code.INVALID_ARGUMENT;
  const c = cmd as Record<string, unknown> & Command;
  switch (c.type) {
    case 'new': {
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (!isClientOrderId(c.clientOrderId)) return Code.INVALID_CLIENT_ORDER_ID;
      if (!symbolStr(c.symbol)) return Code.INVALID_SYMBOL;
      if (!isSide(c.side)) return Code.INVALID_SIDE;
      if (!isKind(c.kind)) return Code.INVALID_ORDER_TYPE;
      if (!num(c.price) || c.price < 0) return Code.INVALID_PRICE;
      if (!num(c.qty)) return Code.INVALID_QUANTITY;
      if (c.stopPrice !== undefined && (!num(c.stopPrice) || c.stopPrice < 0)) return Code.INVALID_STOP_PRICE;
      if ((c.kind === 'STOP' || c.kind === 'STOP_LIMIT') && !((c.stopPrice ?? 0) > 0)) return Code.INVALID_STOP_PRICE;
      if (c.kind !== 'STOP' && c.kind !== 'STOP_LIMIT' && (c.stopPrice ?? 0) !== 0) return Code.INVALID_STOP_PRICE;
      if ((c.kind === 'LIMIT' || c.kind === 'IOC' || c.kind === 'FOK' || c.kind === 'STOP_LIMIT') && !(c.price > 0)) return Code.INVALID_PRICE;
      if (c.postOnly !== undefined && typeof c.postOnly !== 'boolean') return Code.INVALID_ARGUMENT;
      if (c.postOnly === true && c.kind !== 'LIMIT') return Code.INVALID_ORDER_TYPE;
      return Code.OK;
    }
    case 'cancel':
    case 'replace': {
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (c.orderId !== undefined && (!uint(c.orderId) || c.orderId === 0)) return Code.INVALID_ORDER_ID;
      if (c.clientOrderId !== undefined && !isClientOrderId(c.clientOrderId)) return Code.INVALID_CLIENT_ORDER_ID;
      if (c.orderId === undefined && c.clientOrderId === undefined) return Code.MISSING_FIELD;
      if (c.type === 'replace') {
        if (!num(c.price) || !(c.price > 0)) return Code.INVALID_PRICE;
        if (!num(c.qty)) return Code.INVALID_QUANTITY;
      }
      return Code.OK;
    }
    case 'massCancel':
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (c.symbol !== undefined && !symbolStr(c.symbol)) return Code.INVALID_SYMBOL;
      if (!Number.isInteger(c.reason) || c.reason < 300 || c.reason > 399) return Code.INVALID_ARGUMENT;
      return Code.OK;
    case 'createAccount': {
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (!uint(c.cash)) return Code.VALUE_OUT_OF_RANGE;
      if (c.positions !== undefined) {
        if (c.positions === null || typeof c.positions !== 'object' || Array.isArray(c.positions)) return Code.INVALID_ARGUMENT;
        for (const [s, n] of Object.entries(c.positions)) {
          if (!symbolStr(s)) return Code.INVALID_SYMBOL;
          if (!uint(n)) return Code.VALUE_OUT_OF_RANGE;
        }
      }
      return Code.OK;
    }
    case 'deposit':
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (!sint(c.amount)) return Code.VALUE_OUT_OF_RANGE;
      return Code.OK;
    case 'adjustPosition':
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (!symbolStr(c.symbol)) return Code.INVALID_SYMBOL;
      if (!sint(c.delta)) return Code.VALUE_OUT_OF_RANGE;
      return Code.OK;
    case 'halt':
    case 'resume':
      return symbolStr(c.symbol) ? Code.OK : Code.INVALID_SYMBOL;
    case 'addSymbol':
      return c.config !== null && typeof c.config === 'object' ? Code.OK : Code.INVALID_CONFIG;
    default:
      return Code.INVALID_ARGUMENT;
  }
}
