/**
 * Market indices: value = sum(price_i * weight_i) / divisor, prices in minor
 * units (ticks * tickSize), the divisor chosen so the index equals `base` at the
 * reference prices. Index points are a derived statistic, not money, so doubles
 * are fine here. Membership and divisors are exchange state (snapshotted); the
 * computed values (open/high/low of the day) belong to whoever recomputes them.
 */
import type { IndexConstituentView, IndexView, RankingEntry } from './core-api.ts';
import type { SymbolEngine } from './symbol-engine.ts';
import type { IndexConfig } from './symbols.ts';

interface Member {
  sym: SymbolEngine;
  weight: number;
  /** Last price seen by the previous computation (to detect movement). */
  seen: number;
}

function priceMinor(s: SymbolEngine): number {
  return (s.last > 0 ? s.last : s.reference) * s.tickSize;
}

export class MarketIndex {
  readonly name: string;
  readonly base: number;
  divisor = 1;
  readonly members: Member[] = [];
  // day statistics of computed values
  value: number;
  open: number;
  high: number;
  low: number;
  ts = 0;
  seq = 0;

  constructor(cfg: IndexConfig) {
    this.name = cfg.name;
    this.base = cfg.base;
    this.value = this.open = this.high = this.low = cfg.base;
  }

  private rawSum(): number {
    let s = 0;
    for (const m of this.members) s += priceMinor(m.sym) * m.weight;
    return s;
  }

  /** Sets the divisor so that the index is at `base` with the current (reference) prices. */
  initDivisor(): void {
    const raw = this.rawSum();
    this.divisor = raw > 0 ? raw / this.base : 1;
  }

  /**
   * Adds a constituent keeping the current value continuous (the usual divisor
   * adjustment), so adding a symbol at runtime does not move the index.
   */
  addMember(sym: SymbolEngine, weight: number): void {
    const before = this.members.length ? this.rawSum() / this.divisor : this.base;
    this.members.push({ sym, weight, seen: sym.last });
    const raw = this.rawSum();
    this.divisor = raw > 0 ? raw / before : 1;
  }

  /** True when a constituent traded since the last computation. */
  moved(): boolean {
    for (const m of this.members) if (m.sym.last !== m.seen) return true;
    return false;
  }

  /** Recomputes the value and day statistics (call when moved() or on demand). */
  compute(ts: number, seq: number): IndexView {
    for (const m of this.members) m.seen = m.sym.last;
    const v = this.members.length ? this.rawSum() / this.divisor : this.base;
    this.value = v;
    if (v > this.high) this.high = v;
    if (v < this.low) this.low = v;
    this.ts = ts;
    this.seq = seq;
    return this.view();
  }

  view(): IndexView {
    const constituents: IndexConstituentView[] = this.members.map((m) => ({
      symbol: m.sym.symbol,
      last: m.sym.last > 0 ? m.sym.last : m.sym.reference,
      weight: m.weight,
      contribution: (priceMinor(m.sym) * m.weight) / this.divisor,
      changePercent: m.sym.changePercent(),
    }));
    return {
      name: this.name,
      value: this.value,
      open: this.open,
      high: this.high,
      low: this.low,
      changePoints: this.value - this.open,
      changePercent: this.open === 0 ? 0 : ((this.value - this.open) / this.open) * 100,
      ts: this.ts,
      seq: this.seq,
      constituents,
    };
  }
}

/** The design's ranking stream: top `n` symbols by traded volume or by |change %| (largest first). */
export function rankSymbols(symbols: readonly SymbolEngine[], by: 'volume' | 'change', n: number): RankingEntry[] {
  const rows = symbols.map((s) => ({ symbol: s.symbol, last: s.last, volume: s.volume, changePercent: s.changePercent() }));
  if (by === 'volume') rows.sort((a, b) => b.volume - a.volume || (a.symbol < b.symbol ? -1 : 1));
  else rows.sort((a, b) => Math.abs(b.changePercent) - Math.abs(a.changePercent) || (a.symbol < b.symbol ? -1 : 1));
  return rows.slice(0, Math.max(0, n));
}
