/**
 * Symbol and index configuration: loading config/symbols.json and validating
 * every field before a symbol reaches the engine. A bad file throws an
 * AurexError(INVALID_CONFIG) naming the offending entry; a bad runtime
 * addSymbol command is rejected with the same code and never crashes anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AurexError, Code } from './codes.ts';
import { MAX_PRICE_TICKS_LIMIT } from './book/validate.ts';
import type { SymbolConfig } from './types.ts';

/** An index definition: the name and the value it starts at (its divisor is derived from reference prices). */
export interface IndexConfig {
  name: string;
  /** Value of the index at the reference prices, e.g. 1000. */
  base: number;
}

export interface MarketConfig {
  symbols: SymbolConfig[];
  indices: IndexConfig[];
}

/** Fees above 10% are certainly a configuration mistake, and the bound keeps fee arithmetic exact. */
export const MAX_FEE_BPS = 1000;
/**
 * Largest per-order notional (minor units): notional * (10000 + MAX_FEE_BPS) must stay a safe
 * integer so that reservations including fees are exact.
 */
export const MAX_NOTIONAL = Math.floor(Number.MAX_SAFE_INTEGER / (10000 + MAX_FEE_BPS));
/**
 * Highest price in ticks of any order or reference price: the most a book can
 * hold (its level storage is indexed by a 32-bit tick), so the book owns the
 * number. A book configured with a smaller range refuses higher prices itself.
 */
export const MAX_PRICE_TICKS = MAX_PRICE_TICKS_LIMIT;

const SYMBOL_RE = /^[A-Z][A-Z0-9.]{0,11}$/;
const INDEX_RE = /^[A-Z0-9_]{1,32}$/;

export const DEFAULT_SYMBOLS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'config', 'symbols.json');

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function bad(what: string, msg: string): never {
  throw new AurexError(Code.INVALID_CONFIG, `${what}: ${msg}`);
}

export function isValidSymbolName(s: unknown): s is string {
  return typeof s === 'string' && SYMBOL_RE.test(s);
}

/** Band in basis points of a percent value with at most two decimals (10 -> 1000, 7.5 -> 750). */
export function bandBps(bandPercent: number): number {
  return Math.round(bandPercent * 100);
}

/**
 * Highest / lowest price (ticks) of the band of `bps` around `base`: the band
 * around the last price (SymbolEngine) and around a stop's trigger (risk.ts)
 * both come from here. Rounded inward, so a band edge is always inside the
 * percentage, and clamped to 1..MAX_PRICE_TICKS.
 */
export function bandHighOf(base: number, bps: number): number {
  return Math.min(MAX_PRICE_TICKS, Math.floor((base * (10000 + bps)) / 10000));
}
export function bandLowOf(base: number, bps: number): number {
  return Math.max(1, Math.ceil((base * (10000 - bps)) / 10000));
}

/**
 * Checks one symbol configuration and returns a normalised copy (defaults filled,
 * unknown keys dropped). Throws AurexError(INVALID_CONFIG).
 */
export function validateSymbolConfig(raw: unknown): SymbolConfig {
  if (raw === null || typeof raw !== 'object') bad('symbol', 'must be an object');
  const c = raw as Record<string, unknown>;
  const sym = c.symbol;
  if (!isValidSymbolName(sym)) bad(`symbol ${String(sym)}`, 'symbol must match [A-Z][A-Z0-9.]{0,11}');
  const w = `symbol ${sym}`;
  if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 100) bad(w, 'name must be a string of 1..100 chars');
  if (!isInt(c.tickSize, 1, 1_000_000)) bad(w, 'tickSize must be an integer in 1..1e6 (minor units)');
  if (!isInt(c.lotSize, 1, 1_000_000)) bad(w, 'lotSize must be an integer in 1..1e6 (shares)');
  if (!isInt(c.referencePrice, 1, MAX_PRICE_TICKS)) bad(w, `referencePrice must be an integer in 1..${MAX_PRICE_TICKS} (ticks)`);
  const band = c.bandPercent;
  if (typeof band !== 'number' || !Number.isFinite(band) || band <= 0 || band > 100 || Math.abs(bandBps(band) - band * 100) > 1e-6) {
    bad(w, 'bandPercent must be in (0, 100] with at most two decimals');
  }
  if (!isInt(c.maxOrderQty, c.lotSize as number, 1e12)) bad(w, 'maxOrderQty must be an integer >= lotSize');
  if ((c.maxOrderQty as number) % (c.lotSize as number) !== 0) bad(w, 'maxOrderQty must be a multiple of lotSize');
  if (!isInt(c.maxOrderNotional, 1, MAX_NOTIONAL)) bad(w, `maxOrderNotional must be an integer in 1..${MAX_NOTIONAL} (minor units)`);
  const maker = c.makerFeeBps ?? 0;
  const taker = c.takerFeeBps ?? 0;
  if (!isInt(maker, 0, MAX_FEE_BPS)) bad(w, `makerFeeBps must be an integer in 0..${MAX_FEE_BPS}`);
  if (!isInt(taker, 0, MAX_FEE_BPS)) bad(w, `takerFeeBps must be an integer in 0..${MAX_FEE_BPS}`);
  const indices: Record<string, number> = {};
  if (c.indices !== undefined) {
    if (c.indices === null || typeof c.indices !== 'object' || Array.isArray(c.indices)) bad(w, 'indices must be an object name -> weight');
    for (const [name, weight] of Object.entries(c.indices as Record<string, unknown>)) {
      if (!INDEX_RE.test(name)) bad(w, `index name ${name} must match [A-Z0-9_]{1,32}`);
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0 || weight > 1e6) bad(w, `index weight of ${name} must be in (0, 1e6]`);
      indices[name] = weight;
    }
  }
  return {
    symbol: sym,
    name: c.name,
    tickSize: c.tickSize,
    lotSize: c.lotSize,
    referencePrice: c.referencePrice,
    bandPercent: band,
    maxOrderQty: c.maxOrderQty as number,
    maxOrderNotional: c.maxOrderNotional,
    makerFeeBps: maker,
    takerFeeBps: taker,
    indices,
  };
}

export function validateIndexConfig(raw: unknown): IndexConfig {
  if (raw === null || typeof raw !== 'object') bad('index', 'must be an object');
  const c = raw as Record<string, unknown>;
  if (typeof c.name !== 'string' || !INDEX_RE.test(c.name)) bad(`index ${String(c.name)}`, 'name must match [A-Z0-9_]{1,32}');
  const base = c.base ?? 1000;
  if (typeof base !== 'number' || !Number.isFinite(base) || base <= 0 || base > 1e9) bad(`index ${c.name}`, 'base must be in (0, 1e9]');
  return { name: c.name, base };
}

/** Validates a whole market configuration: unique symbols, indices declared once, members referring to declared indices. */
export function validateMarketConfig(raw: unknown): MarketConfig {
  if (raw === null || typeof raw !== 'object') bad('config', 'must be an object {symbols, indices}');
  const c = raw as Record<string, unknown>;
  if (!Array.isArray(c.symbols)) bad('config', 'symbols must be an array');
  const symbols = c.symbols.map(validateSymbolConfig);
  const seen = new Set<string>();
  for (const s of symbols) {
    if (seen.has(s.symbol)) bad(`symbol ${s.symbol}`, 'declared twice');
    seen.add(s.symbol);
  }
  const rawIdx = c.indices === undefined ? [] : c.indices;
  if (!Array.isArray(rawIdx)) bad('config', 'indices must be an array');
  const indices = rawIdx.map(validateIndexConfig);
  const names = new Set<string>();
  for (const i of indices) {
    if (names.has(i.name)) bad(`index ${i.name}`, 'declared twice');
    names.add(i.name);
  }
  for (const s of symbols) {
    for (const n of Object.keys(s.indices ?? {})) if (!names.has(n)) bad(`symbol ${s.symbol}`, `member of undeclared index ${n}`);
  }
  return { symbols, indices };
}

/** Reads and validates a symbols file (default: config/symbols.json). */
export function loadMarketConfig(file: string = DEFAULT_SYMBOLS_FILE): MarketConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AurexError(Code.INVALID_CONFIG, `cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AurexError(Code.INVALID_CONFIG, `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return validateMarketConfig(json);
}
