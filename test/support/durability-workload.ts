/**
 * A deterministic, seeded workload of engine commands for durability tests and
 * the durability bench: accounts, then a mix of limit/market/IOC/stop orders,
 * cancels and replaces on a few symbols, prices near each symbol's reference.
 */
import type { Command, SymbolConfig } from '../../engine/types.ts';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export interface WorkloadOptions {
  seed?: number;
  accounts?: number;
  symbols: SymbolConfig[];
  /** Share of orders that are resting limits far from the touch (builds a deep book). */
  restingShare?: number;
}

/** Generates stamped commands: call next() repeatedly; seq/ts are assigned in order. */
export class Workload {
  private readonly r: () => number;
  private readonly o: Required<Omit<WorkloadOptions, 'seed'>>;
  seq = 0;
  ts = 1_700_000_000_000;
  private coid = 0;
  private readonly live: { accountId: number; clientOrderId: string }[] = [];

  constructor(opts: WorkloadOptions, startSeq = 0) {
    this.r = rng(opts.seed ?? 42);
    this.o = { accounts: opts.accounts ?? 20, symbols: opts.symbols, restingShare: opts.restingShare ?? 0.3 };
    this.seq = startSeq;
  }

  private stamp<T extends Command>(c: T): T {
    c.seq = ++this.seq;
    c.ts = ++this.ts;
    return c;
  }

  /** createAccount commands with cash and shares of every symbol. */
  setup(): Command[] {
    const positions: Record<string, number> = {};
    for (const s of this.o.symbols) positions[s.symbol] = 10_000_000 * s.lotSize;
    const out: Command[] = [];
    for (let a = 1; a <= this.o.accounts; a++) out.push(this.stamp({ type: 'createAccount', accountId: a, cash: 1e13, positions: { ...positions } }));
    return out;
  }

  next(): Command {
    const r = this.r;
    const acct = 1 + Math.floor(r() * this.o.accounts);
    const x = r();
    if (x < 0.15 && this.live.length > 0) {
      const i = Math.floor(r() * this.live.length);
      const v = this.live[i]!;
      this.live[i] = this.live[this.live.length - 1]!;
      this.live.pop();
      return this.stamp({ type: 'cancel', accountId: v.accountId, clientOrderId: v.clientOrderId });
    }
    const sym = this.o.symbols[Math.floor(r() * this.o.symbols.length)]!;
    const ref = sym.referencePrice;
    const side = r() < 0.5 ? 'BUY' : 'SELL';
    if (x < 0.2 && this.live.length > 0) {
      const v = this.live[Math.floor(r() * this.live.length)]!;
      return this.stamp({ type: 'replace', accountId: v.accountId, clientOrderId: v.clientOrderId, price: ref + Math.floor((r() - 0.5) * ref * 0.02), qty: sym.lotSize * (1 + Math.floor(r() * 20)) });
    }
    const clientOrderId = `w${++this.coid}`;
    const qty = sym.lotSize * (1 + Math.floor(r() * 50));
    if (x < 0.26) return this.stamp({ type: 'new', accountId: acct, clientOrderId, symbol: sym.symbol, side, kind: 'MARKET', price: 0, qty });
    if (x < 0.3) {
      const stop = side === 'BUY' ? ref + Math.floor(ref * 0.01) : ref - Math.floor(ref * 0.01);
      return this.stamp({ type: 'new', accountId: acct, clientOrderId, symbol: sym.symbol, side, kind: 'STOP_LIMIT', price: stop, stopPrice: stop, qty });
    }
    let price: number;
    if (r() < this.o.restingShare) {
      // far from the touch: rests
      const off = 1 + Math.floor(r() * ref * 0.04);
      price = side === 'BUY' ? ref - off - Math.floor(ref * 0.01) : ref + off + Math.floor(ref * 0.01);
    } else {
      price = ref + Math.floor((r() - 0.5) * ref * 0.01);
    }
    const kind = r() < 0.1 ? 'IOC' : 'LIMIT';
    if (kind === 'LIMIT') this.live.push({ accountId: acct, clientOrderId });
    if (this.live.length > 50_000) this.live.splice(0, 10_000);
    return this.stamp({ type: 'new', accountId: acct, clientOrderId, symbol: sym.symbol, side, kind, price, qty });
  }
}
