/**
 * Helpers for the book tests: reading event rows and checking the book's
 * structural invariants through its public queries only.
 */
import { expect } from 'chai';
import { EV_STRIDE, Side, type OrderBookCore, type SideValue } from '../../engine/book/layout.ts';

/** Event rows of the last call, each [kind, a, b, c, d, e, f] (the op index is dropped). */
export function rows(book: OrderBookCore, n: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(Array.from(book.events.subarray(i * EV_STRIDE, i * EV_STRIDE + 7)));
  return out;
}

/** Slots each event kind uses (layout.ts), indexed by EvKind. */
const ARITY = [0, 5, 2, 6, 3, 4, 4, 4];

/** Keeps only the slots the event kind defines, so expectations stay compact. */
export function trim(r: number[]): number[] {
  return r.slice(0, 1 + (ARITY[r[0]!] ?? 6));
}

export function ev(book: OrderBookCore, n: number): number[][] {
  return rows(book, n).map(trim);
}

/**
 * Never crossed; every listed level non-empty with the aggregate of its
 * orders; every resting order reachable by id with the same state; counts agree.
 */
export function checkInvariants(book: OrderBookCore): void {
  const snap = book.snapshot();
  expect(book.orderCount()).to.equal(snap.length);
  const bid = book.bestBid();
  const ask = book.bestAsk();
  if (bid !== -1 && ask !== -1) expect(bid).to.be.lessThan(ask);
  const agg = new Map<string, { qty: number; n: number }>();
  for (const o of snap) {
    const info = book.orderInfo(o.id);
    expect(info, `order ${o.id} reachable`).to.deep.equal(o);
    const k = `${o.side}:${o.price}`;
    const a = agg.get(k) ?? { qty: 0, n: 0 };
    a.qty += o.remaining;
    a.n++;
    agg.set(k, a);
  }
  let levels = 0;
  for (const side of [Side.BUY, Side.SELL] as SideValue[]) {
    const out = new Float64Array(3 * (agg.size + 1));
    const n = book.depth(side, agg.size + 1, out);
    levels += n;
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const price = out[i * 3]!;
      const qty = out[i * 3 + 1]!;
      const count = out[i * 3 + 2]!;
      expect(qty, 'no empty level').to.be.greaterThan(0);
      const a = agg.get(`${side}:${price}`);
      expect(a, `level ${side}:${price} has orders`).to.not.equal(undefined);
      expect(qty).to.equal(a!.qty);
      expect(count).to.equal(a!.n);
      if (prev !== -1) expect(side === Side.BUY ? price < prev : price > prev, 'levels best first').to.equal(true);
      prev = price;
    }
    if (n > 0) expect(out[0]).to.equal(side === Side.BUY ? bid : ask);
    else expect(side === Side.BUY ? bid : ask).to.equal(-1);
  }
  expect(levels).to.equal(agg.size);
}
