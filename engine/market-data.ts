/**
 * Market-data views of one symbol, built from its book and statistics. Built
 * only when someone reads them (a query, or a publication for a symbol with
 * subscribers), never per order.
 */
import { Side, type SideValue } from './book/layout.ts';
import type { L1, Level, MarketDataUpdate, PublicTrade } from './types.ts';
import type { SymbolEngine } from './symbol-engine.ts';

export const DEFAULT_L2_LEVELS = 10;
export const MAX_L2_LEVELS = 1000;

let scratch = new Float64Array(DEFAULT_L2_LEVELS * 3);

export function l1Of(s: SymbolEngine): L1 {
  const b = s.book;
  const bid = b.bestBid();
  const ask = b.bestAsk();
  return {
    symbol: s.symbol,
    mdSeq: s.mdSeq,
    ts: s.mdTs,
    last: s.last,
    lastQty: s.lastQty,
    bid: bid > 0 ? bid : 0,
    bidQty: bid > 0 ? b.bestBidQty() : 0,
    ask: ask > 0 ? ask : 0,
    askQty: ask > 0 ? b.bestAskQty() : 0,
    volume: s.volume,
    turnoverTicks: s.turnoverTicks,
    open: s.open,
    high: s.high,
    low: s.low,
    reference: s.reference,
    halted: s.halted,
  };
}

/** Top `n` aggregated levels of one side, best first. */
export function levelsOf(s: SymbolEngine, side: SideValue, n: number): Level[] {
  const levels = Math.max(0, Math.min(MAX_L2_LEVELS, Math.floor(n)));
  if (scratch.length < levels * 3) scratch = new Float64Array(levels * 3);
  const k = s.book.depth(side, levels, scratch);
  const out: Level[] = new Array(k);
  for (let i = 0; i < k; i++) out[i] = { price: scratch[i * 3]!, qty: scratch[i * 3 + 1]!, orders: scratch[i * 3 + 2]! };
  return out;
}

/** The full current picture of a symbol as one update. */
export function mdUpdateOf(s: SymbolEngine, levels: number, prevMdSeq: number, snapshot: boolean, trades: PublicTrade[]): MarketDataUpdate {
  return {
    symbol: s.symbol,
    mdSeq: s.mdSeq,
    prevMdSeq,
    snapshot,
    l1: l1Of(s),
    bids: levelsOf(s, Side.BUY, levels),
    asks: levelsOf(s, Side.SELL, levels),
    trades,
  };
}
