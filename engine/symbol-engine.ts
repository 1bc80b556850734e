/**
 * One symbol: its configuration (pre-digested into plain numbers), its book,
 * its untriggered stop orders, and its market-data state and sequence.
 *
 * Nothing in here refers to another symbol; the only state a command shares
 * across symbols is accounts, which is what lets symbols be sharded later.
 */
import type { OrderBookCore } from './book/layout.ts';
import type { SymbolConfig } from './types.ts';
import { bandBps, bandHighOf, bandLowOf } from './symbols.ts';
import { B_SIDE, BUY, X_STOP_PRICE, type OrderStore } from './order.ts';

export class SymbolEngine {
  readonly symbol: string;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly maxOrderQty: number;
  readonly maxOrderNotional: number;
  readonly makerFeeBps: number;
  readonly takerFeeBps: number;
  /** The larger of the two fees: what a buy reserves for, whichever role it ends up in. */
  readonly maxFeeBps: number;
  readonly bandBps: number;
  readonly reference: number;

  halted = false;

  // ---- market data (deterministic state: part of snapshots and the state hash)
  /** Per-symbol market-data sequence: +1 for every command that changed the symbol's public picture. */
  mdSeq = 0;
  /** Command seq that last bumped mdSeq (one bump per command). */
  mdCmdSeq = -1;
  /** ts of the command that last bumped mdSeq. */
  mdTs = 0;
  last = 0;
  lastQty = 0;
  volume = 0;
  turnoverTicks = 0;
  open = 0;
  high = 0;
  low = 0;
  tradeCount = 0;

  /** Untriggered stops (order slots), in acceptance (= order id) order. */
  stops: number[] = [];

  // ---- band cache, derived from last/reference
  private bandBase = -1;
  private bandLo = 0;
  private bandHi = 0;

  // ---- publication bookkeeping owned by the core (not exchange state)
  /** Group id in which the core last queued this symbol for publication. */
  pubMark = 0;
  /** mdSeq of the last update the core published (prevMdSeq of the next one). */
  publishedMdSeq = 0;

  constructor(
    readonly idx: number,
    readonly config: SymbolConfig,
    public book: OrderBookCore,
  ) {
    this.symbol = config.symbol;
    this.tickSize = config.tickSize;
    this.lotSize = config.lotSize;
    this.maxOrderQty = config.maxOrderQty;
    this.maxOrderNotional = config.maxOrderNotional;
    this.makerFeeBps = config.makerFeeBps ?? 0;
    this.takerFeeBps = config.takerFeeBps ?? 0;
    this.maxFeeBps = Math.max(this.makerFeeBps, this.takerFeeBps);
    this.bandBps = bandBps(config.bandPercent);
    this.reference = config.referencePrice;
  }

  private updateBand(): void {
    const base = this.last > 0 ? this.last : this.reference;
    if (base === this.bandBase) return;
    this.bandBase = base;
    this.bandHi = bandHighOf(base, this.bandBps);
    this.bandLo = bandLowOf(base, this.bandBps);
  }

  /** Lowest price (ticks) inside the band around the last (or reference) price. */
  bandLow(): number {
    this.updateBand();
    return this.bandLo;
  }

  /** Highest price (ticks) inside the band. */
  bandHigh(): number {
    this.updateBand();
    return this.bandHi;
  }

  /** Records a print: last, volume, turnover, open/high/low. */
  onTrade(price: number, qty: number): void {
    this.last = price;
    this.lastQty = qty;
    this.volume += qty;
    this.turnoverTicks += price * qty;
    this.tradeCount++;
    if (this.open === 0) {
      this.open = price;
      this.high = price;
      this.low = price;
    } else if (price > this.high) this.high = price;
    else if (price < this.low) this.low = price;
  }

  /** One mdSeq bump per command that changed the public picture; returns true on the first touch of this command. */
  touch(seq: number, ts: number): boolean {
    if (this.mdCmdSeq === seq) return false;
    this.mdCmdSeq = seq;
    this.mdSeq++;
    this.mdTs = ts;
    return true;
  }

  /**
   * Trigger bounds over `stops` (derived from state, never part of it): the lowest
   * buy-stop price and the highest sell-stop price. When the last price is strictly
   * between them nothing can trigger, which is the answer after almost every trade:
   * O(1) instead of a scan of every untriggered stop. Added stops widen the bounds
   * at once; removals mark them for recomputation on the next check.
   */
  private stopMinBuy = Infinity;
  private stopMaxSell = -Infinity;
  private stopBoundsDirty = true;

  addStop(o: number, isBuy: boolean, stopPrice: number): void {
    this.stops.push(o);
    if (this.stopBoundsDirty) return;
    if (isBuy) {
      if (stopPrice < this.stopMinBuy) this.stopMinBuy = stopPrice;
    } else if (stopPrice > this.stopMaxSell) this.stopMaxSell = stopPrice;
  }

  removeStop(o: number): void {
    const i = this.stops.indexOf(o);
    if (i >= 0) {
      this.stops.splice(i, 1);
      this.stopBoundsDirty = true;
    }
  }

  /**
   * The earliest-accepted stop that the last trade price triggers (buy stops at
   * last >= stop, sell stops at last <= stop), removed from the list; -1 if none.
   */
  takeTriggered(st: OrderStore): number {
    const last = this.last;
    const bytes = st.b;
    const cold = st.cold;
    const stops = this.stops;
    if (last === 0 || stops.length === 0) return -1;
    if (this.stopBoundsDirty) {
      let minBuy = Infinity;
      let maxSell = -Infinity;
      for (let i = 0; i < stops.length; i++) {
        const o = stops[i]!;
        const p = cold[(o << 1) + X_STOP_PRICE]!;
        if (bytes[(o << 7) + B_SIDE] === BUY) {
          if (p < minBuy) minBuy = p;
        } else if (p > maxSell) maxSell = p;
      }
      this.stopMinBuy = minBuy;
      this.stopMaxSell = maxSell;
      this.stopBoundsDirty = false;
    }
    if (last < this.stopMinBuy && last > this.stopMaxSell) return -1;
    // Something triggers: the earliest-accepted triggered stop, as before.
    for (let i = 0; i < stops.length; i++) {
      const o = stops[i]!;
      const p = cold[(o << 1) + X_STOP_PRICE]!;
      if (bytes[(o << 7) + B_SIDE] === BUY ? last >= p : last <= p) {
        stops.splice(i, 1);
        this.stopBoundsDirty = true;
        return o;
      }
    }
    return -1;
  }

  /** Change from the reference (previous close) in percent; 0 before the first trade. */
  changePercent(): number {
    return this.last === 0 ? 0 : ((this.last - this.reference) / this.reference) * 100;
  }
}
