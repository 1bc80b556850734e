/**
 * Shape validation of commands at the engine's edge: types, enums, ranges and
 * string formats. What depends on state (unknown symbol, band, lot, buying
 * power...) is the exchange's business and gets 4xx codes there; malformed
 * input gets a 1xx code here and is never stamped, logged or applied.
 */
import { AurexError, Code } from './codes.ts';
import { checkNewOrderShape, checkReplaceShape, isClientOrderId, isSymbolText } from './order-rules.ts';
import { isValidSymbolName, validateSymbolConfig } from './symbols.ts';
import type { Command } from './types.ts';

const MAX = Number.MAX_SAFE_INTEGER;

// Every accepted command is journaled before it is applied, so whatever passes
// here must encode into one bounded record (u16-prefixed strings, u16 map counts,
// MAX_RECORD_BYTES): these caps keep admin commands far below those limits.
/** UTF-8 bytes of a symbol's display name. */
export const MAX_SYMBOL_NAME_BYTES = 256;
/** Index memberships of one symbol. */
export const MAX_SYMBOL_INDICES = 64;
/** Initial positions of one account. */
export const MAX_ACCOUNT_POSITIONS = 1024;

/** Why an order may leave the book through a mass cancel; the other 3xx codes are produced by matching only. */
const MASS_CANCEL_REASONS: ReadonlySet<number> = new Set([
  Code.CANCEL_BY_USER,
  Code.CANCEL_BY_ADMIN,
  Code.CANCEL_ON_DISCONNECT,
  Code.CANCEL_EXPIRED,
  Code.CANCEL_SYMBOL_REMOVED,
]);

/** A lone surrogate would be journaled as U+FFFD and replay a different string than was applied. */
const LONE_SURROGATE = /\p{Cs}/u;

function uint(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX;
}
function sint(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= MAX;
}
const symbolStr = isSymbolText;

/** Code.OK or the 1xx code of the first problem found. */
export function validateCommand(cmd: unknown): Code {
  if (cmd === null || typeof cmd !== 'object') return Code.INVALID_ARGUMENT;
  const c = cmd as Record<string, unknown> & Command;
  switch (c.type) {
    case 'new':
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      return checkNewOrderShape(c);
    case 'cancel':
    case 'replace': {
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (c.orderId !== undefined && (!uint(c.orderId) || c.orderId === 0)) return Code.INVALID_ORDER_ID;
      if (c.clientOrderId !== undefined && !isClientOrderId(c.clientOrderId)) return Code.INVALID_CLIENT_ORDER_ID;
      if (c.orderId === undefined && c.clientOrderId === undefined) return Code.MISSING_FIELD;
      if (c.type === 'replace') return checkReplaceShape(c.price, c.qty);
      return Code.OK;
    }
    case 'massCancel':
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (c.symbol !== undefined && !symbolStr(c.symbol)) return Code.INVALID_SYMBOL;
      if (!MASS_CANCEL_REASONS.has(c.reason)) return Code.INVALID_ARGUMENT;
      return Code.OK;
    case 'createAccount': {
      if (!uint(c.accountId)) return Code.INVALID_ACCOUNT_ID;
      if (!uint(c.cash)) return Code.VALUE_OUT_OF_RANGE;
      if (c.positions !== undefined) {
        if (c.positions === null || typeof c.positions !== 'object' || Array.isArray(c.positions)) return Code.INVALID_ARGUMENT;
        const positions = c.positions as Record<string, unknown>;
        const symbols = Object.keys(positions);
        if (symbols.length > MAX_ACCOUNT_POSITIONS) return Code.VALUE_OUT_OF_RANGE;
        for (const s of symbols) {
          if (!isValidSymbolName(s)) return Code.INVALID_SYMBOL;
          if (!uint(positions[s])) return Code.VALUE_OUT_OF_RANGE;
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
      return checkSymbolConfig(c.config);
    default:
      return Code.INVALID_ARGUMENT;
  }
}

/**
 * The full symbol validation (the same the exchange applies) plus the bounds the
 * journal needs, so that a config the exchange would refuse, or one that cannot
 * be journaled and replayed exactly, is never stamped.
 */
function checkSymbolConfig(raw: unknown): Code {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return Code.INVALID_CONFIG;
  const c = raw as Record<string, unknown>;
  // Bounds first: the full check below then never walks an oversized input.
  if (typeof c.name === 'string' && (Buffer.byteLength(c.name, 'utf8') > MAX_SYMBOL_NAME_BYTES || LONE_SURROGATE.test(c.name))) return Code.INVALID_CONFIG;
  if (c.indices !== null && typeof c.indices === 'object' && Object.keys(c.indices).length > MAX_SYMBOL_INDICES) return Code.INVALID_CONFIG;
  // The codec records a fee whenever it is not undefined: null would come back from the journal as 0.
  if (c.makerFeeBps === null || c.takerFeeBps === null) return Code.INVALID_CONFIG;
  try {
    validateSymbolConfig(raw);
  } catch (e) {
    return e instanceof AurexError ? e.code : Code.INVALID_CONFIG;
  }
  return Code.OK;
}
