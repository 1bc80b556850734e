/**
 * Long random multi-account, multi-symbol command streams through the
 * Exchange: conservation invariants after every operation, the full
 * reservation audit periodically, and determinism: replaying the same stamped
 * commands (on either book implementation, or from a mid-stream snapshot)
 * gives the same stateHash.
 */
import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import { Exchange } from '../engine/exchange.ts';
import { nativeAvailable } from '../engine/book-factory.ts';
import type { MarketConfig } from '../engine/symbols.ts';
import type { Command, OrderKind, Side } from '../engine/types.ts';
import { Prng } from '../bench/lib/workload.ts';

const MARKET: MarketConfig = {
  indices: [{ name: 'IDX', base: 1000 }],
  symbols: [
    { symbol: 'AAA', name: 'A', tickSize: 1, lotSize: 1, referencePrice: 1_000, bandPercent: 5, maxOrderQty: 500, maxOrderNotional: 400_000, makerFeeBps: 0, takerFeeBps: 0, indices: { IDX: 1 } },
    { symbol: 'BBB', name: 'B', tickSize: 5, lotSize: 10, referencePrice: 200, bandPercent: 10, maxOrderQty: 2_000, maxOrderNotional: 1_000_000, makerFeeBps: 3, takerFeeBps: 7, indices: { IDX: 2 } },
    { symbol: 'CCC', name: 'C', tickSize: 1, lotSize: 1, referencePrice: 50, bandPercent: 20, maxOrderQty: 1_000, maxOrderNotional: 100_000, makerFeeBps: 10, takerFeeBps: 0, indices: {} },
  ],
};
const SYMS = ['AAA', 'BBB', 'CCC'];
const REF: Record<string, number> = { AAA: 1_000, BBB: 200, CCC: 50 };
const LOT: Record<string, number> = { AAA: 1, BBB: 10, CCC: 1 };
const ACCOUNTS = 6;

/** Generates a random stamped stream; needs no feedback except recent order ids it issued to itself. */
class Stream {
  private seq = 0;
  private ts = 1_700_000_000_000;
  private n = 0;
  constructor(private readonly r: Prng) {}

  setup(): Command[] {
    const out: Command[] = [];
    for (let a = 1; a <= ACCOUNTS; a++) {
      out.push(this.stamp({ type: 'createAccount', accountId: a, cash: 20_000_000 + a * 1_000_003, positions: { AAA: 5_000, BBB: 20_000, CCC: 10_000 } }));
    }
    return out;
  }

  private stamp(c: Command): Command {
    this.ts += this.r.int(3);
    return { ...c, seq: ++this.seq, ts: this.ts } as Command;
  }

  next(): Command {
    const r = this.r;
    const x = r.int(1000);
    const accountId = 1 + r.int(ACCOUNTS);
    const symbol = SYMS[r.int(3)]!;
    const ref = REF[symbol]!;
    const lot = LOT[symbol]!;
    const nth = this.n++;
    if (x < 620) {
      const kr = r.int(100);
      let kind: OrderKind = 'LIMIT';
      if (kr < 8) kind = 'MARKET';
      else if (kr < 16) kind = 'IOC';
      else if (kr < 22) kind = 'FOK';
      else if (kr < 27) kind = 'STOP';
      else if (kr < 32) kind = 'STOP_LIMIT';
      const side: Side = r.int(2) ? 'BUY' : 'SELL';
      const spread = Math.max(2, Math.floor(ref * 0.06));
      let price = Math.max(1, ref + r.range(-spread, spread));
      if (kind === 'MARKET') price = r.chance(0.7) ? 0 : price;
      const stopPrice = kind === 'STOP' || kind === 'STOP_LIMIT' ? Math.max(1, ref + r.range(-spread, spread)) : undefined;
      if (kind === 'STOP' && r.chance(0.5)) price = 0;
      let qty = lot * r.range(1, r.chance(0.1) ? 80 : 15);
      if (r.chance(0.01)) qty = lot * 1000; // above max qty
      else if (r.chance(0.01)) qty = lot * 450; // above max notional (AAA)
      if (r.chance(0.005)) qty += 1; // off lot (where lot > 1)
      if (r.chance(0.005)) price += 0.5; // off tick
      // client ids: mostly fresh, sometimes a recent one (duplicates)
      const cid = r.chance(0.02) ? `o${Math.max(0, nth - r.int(50))}` : `o${nth}`;
      return this.stamp({ type: 'new', accountId, clientOrderId: cid, symbol, side, kind, price, qty, stopPrice, postOnly: kind === 'LIMIT' && r.chance(0.1) });
    }
    if (x < 850) {
      const back = nth - r.int(200);
      const byId = r.chance(0.5);
      return this.stamp(
        byId ? { type: 'cancel', accountId, orderId: Math.max(1, Math.floor(back * 0.62)) } : { type: 'cancel', accountId, clientOrderId: `o${Math.max(0, back)}` },
      );
    }
    if (x < 970) {
      const spread = Math.max(2, Math.floor(ref * 0.06));
      return this.stamp({
        type: 'replace',
        accountId,
        clientOrderId: `o${Math.max(0, nth - r.int(100))}`,
        price: Math.max(1, ref + r.range(-spread, spread)),
        qty: lot * r.range(1, 20),
      });
    }
    if (x < 980) return this.stamp({ type: 'massCancel', accountId, symbol: r.chance(0.5) ? symbol : undefined, reason: r.chance(0.5) ? Code.CANCEL_ON_DISCONNECT : Code.CANCEL_EXPIRED });
    if (x < 990) return this.stamp({ type: 'deposit', accountId, amount: r.range(-500_000, 1_000_000) });
    if (x < 996) return this.stamp({ type: 'adjustPosition', accountId, symbol, delta: lot * r.range(-50, 100) });
    return this.stamp({ type: r.chance(0.5) ? 'halt' : 'resume', symbol });
  }
}

function totals(ex: Exchange): { cash: number; shares: number[] } {
  return { cash: ex.totalCash(), shares: SYMS.map((s) => ex.totalShares(s)) };
}

/** Cheap checks after every operation: no negative balance/position/reservation, reservations within holdings. */
function quickCheck(ex: Exchange, i: number): void {
  for (let a = 1; a <= ACCOUNTS; a++) {
    const v = ex.account(a)!;
    if (v.cash < 0 || v.reservedCash < 0 || v.availableCash < 0) throw new Error(`op ${i}: account ${a} cash ${v.cash} reserved ${v.reservedCash}`);
    for (const p of v.positions) if (p.shares < 0 || p.reserved < 0 || p.available < 0) throw new Error(`op ${i}: account ${a} ${p.symbol} ${JSON.stringify(p)}`);
  }
}

const OPS = 200_000;

describe('20 engine: invariants on long random streams, replay determinism', function () {
  this.timeout(600_000);
  const book = nativeAvailable() ? 'native' : 'reference';
  const commands: Command[] = [];
  let finalHash = '';
  let midSnapshot: ReturnType<Exchange['snapshot']> | undefined;
  let midIndex = 0;

  it(`conserves cash + fees and shares after every one of ${OPS.toLocaleString()} operations (${book} book)`, () => {
    const r = new Prng(4242);
    const st = new Stream(r);
    const ex = new Exchange({ market: MARKET, book, maxOpenOrdersPerAccount: 400, maxOrdersPerSecond: 1_000_000, retainTerminalOrders: 300, retainTrades: 200 });
    for (const c of st.setup()) {
      commands.push(c);
      expect(ex.apply(c).code).to.equal(Code.OK);
    }
    let t = totals(ex);
    const codes = new Map<number, number>();
    let trades = 0;
    let triggered = 0;
    ex.setListener({ onExec: (e) => void (e.kind === 'TRIGGERED' && triggered++), onTrade: () => void trades++, onSymbolChanged() {} });
    for (let i = 0; i < OPS; i++) {
      const c = st.next();
      commands.push(c);
      const res = ex.apply(c);
      codes.set(res.code, (codes.get(res.code) ?? 0) + 1);
      // totals move only by deposits and adjustments that took effect
      if (res.code === Code.OK && c.type === 'deposit') t.cash += c.amount;
      if (res.code === Code.OK && c.type === 'adjustPosition') t.shares[SYMS.indexOf(c.symbol)]! += c.delta;
      const now = totals(ex);
      if (now.cash !== t.cash || now.shares.some((s, k) => s !== t.shares[k])) {
        throw new Error(`op ${i} (${c.type}): totals ${JSON.stringify(now)} != ${JSON.stringify(t)}`);
      }
      quickCheck(ex, i);
      if (i % 2000 === 0 || i === OPS - 1) {
        const bad = ex.checkInvariants();
        if (bad.length) throw new Error(`op ${i}: ${bad.slice(0, 5).join('; ')}`);
      }
      if (i === OPS / 2) {
        // typed arrays (book rows, order columns) travel through JSON as plain arrays
        midSnapshot = JSON.parse(JSON.stringify(ex.snapshot(), (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v)));
        midIndex = commands.length;
      }
    }
    // the stream exercised what it should
    expect(trades).to.be.above(10_000);
    expect(triggered).to.be.above(100);
    for (const code of [Code.OK, Code.DUPLICATE_CLIENT_ORDER_ID, Code.QUANTITY_ABOVE_MAX, Code.NOTIONAL_ABOVE_MAX, Code.PRICE_OFF_TICK, Code.ORDER_NOT_OPEN, Code.SYMBOL_HALTED]) {
      expect(codes.get(code) ?? 0, `code ${code}`).to.be.above(0);
    }
    expect(ex.totalFeesCollected()).to.be.above(0);
    finalHash = ex.stateHash();
    ex.close();
  });

  it('replaying the same stamped commands gives the same stateHash, on the other book implementation too', () => {
    for (const impl of nativeAvailable() ? (['reference', 'native'] as const) : (['reference'] as const)) {
      const ex = new Exchange({ market: MARKET, book: impl, maxOpenOrdersPerAccount: 400, maxOrdersPerSecond: 1_000_000, retainTerminalOrders: 300, retainTrades: 200 });
      for (const c of commands) ex.apply({ ...c });
      expect(ex.stateHash(), impl).to.equal(finalHash);
      ex.close();
    }
  });

  it('restoring a mid-stream snapshot (through JSON) and applying the rest gives the same stateHash', () => {
    expect(midSnapshot).to.not.equal(undefined);
    const ex = new Exchange({ market: { indices: [], symbols: [] }, book: 'reference', maxOpenOrdersPerAccount: 400, maxOrdersPerSecond: 1_000_000, retainTerminalOrders: 300, retainTrades: 200 });
    ex.restore(midSnapshot!);
    expect(ex.checkInvariants()).to.deep.equal([]);
    for (let i = midIndex; i < commands.length; i++) ex.apply({ ...commands[i]! });
    expect(ex.stateHash()).to.equal(finalHash);
    expect(ex.lastSeq()).to.equal(commands.at(-1)!.seq);
  });

  it('passes the full reservation audit after every operation of a 10,000-operation stream (reference book)', () => {
    const st = new Stream(new Prng(99));
    const ex = new Exchange({ market: MARKET, book: 'reference', maxOpenOrdersPerAccount: 100, maxOrdersPerSecond: 1_000_000, retainTerminalOrders: 50, retainTrades: 50 });
    for (const c of st.setup()) ex.apply(c);
    for (let i = 0; i < 10_000; i++) {
      ex.apply(st.next());
      const bad = ex.checkInvariants();
      if (bad.length) throw new Error(`op ${i}: ${bad.slice(0, 5).join('; ')}`);
    }
    expect(ex.lastSeq()).to.equal(ACCOUNTS + 10_000);
  });

  it('refuses unstamped or out-of-order commands (a caller bug, not an input)', () => {
    const ex = new Exchange({ market: MARKET, book: 'reference' });
    ex.apply({ type: 'createAccount', accountId: 1, cash: 1, seq: 5, ts: 1 });
    expect(() => ex.apply({ type: 'createAccount', accountId: 2, cash: 1, seq: 5, ts: 1 })).to.throw(/not stamped in order/);
    expect(() => ex.apply({ type: 'createAccount', accountId: 2, cash: 1 })).to.throw(/not stamped/);
  });
});
