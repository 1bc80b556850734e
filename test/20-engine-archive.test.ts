/**
 * The terminal-order archive (engine/exchange.ts, docs/engine.md "Terminal-order
 * archive"): closed orders leave the live store for a ring of final records,
 * the last `retainTerminalOrders` of them exchange-wide, oldest forgotten first.
 * Archived orders stay queryable (by id, client id, trades), stay duplicate
 * candidates, refuse cancel and replace as not open; the ring's order is
 * canonical (close seq, then order id) so a restored exchange forgets the same
 * orders at the same moments as the one it came from.
 */
import { expect } from 'chai';
import { AurexError, Code } from '../engine/codes.ts';
import { Exchange, LIVE_RESERVE_SLOTS, type ExchangeOptions } from '../engine/exchange.ts';
import { nativeAvailable } from '../engine/book-factory.ts';
import { loadAddon } from '../engine/book/native-addon.ts';
import { bigBuffer, lazyBigBuffers } from '../engine/big-buffer.ts';
import type { MarketConfig } from '../engine/symbols.ts';
import type { Command, CommandResult, NewOrderCmd, OrderView } from '../engine/types.ts';

const TEST_MARKET: MarketConfig = {
  indices: [],
  symbols: [
    { symbol: 'AAA', name: 'Triple A', tickSize: 1, lotSize: 1, referencePrice: 10_000, bandPercent: 10, maxOrderQty: 10_000, maxOrderNotional: 50_000_000, makerFeeBps: 0, takerFeeBps: 0, indices: {} },
  ],
};

const impls: ('reference' | 'native')[] = nativeAvailable() ? ['reference', 'native'] : ['reference'];

class Run {
  readonly ex: Exchange;
  seq = 0;
  ts = 5_000_000;
  constructor(opts: ExchangeOptions) {
    this.ex = new Exchange({ market: TEST_MARKET, maxOrdersPerSecond: 1e6, ...opts });
  }
  run(cmd: Command): CommandResult {
    this.ts += 3;
    return this.ex.apply({ ...cmd, seq: ++this.seq, ts: this.ts } as Command);
  }
  account(id: number): void {
    expect(this.run({ type: 'createAccount', accountId: id, cash: 1e12, positions: { AAA: 1e6 } }).code).to.equal(Code.OK);
  }
  order(accountId: number, cid: string, o: Partial<NewOrderCmd> & { side: 'BUY' | 'SELL' }): CommandResult {
    return this.run({ type: 'new', accountId, clientOrderId: cid, symbol: 'AAA', kind: 'LIMIT', price: 10_000, qty: 1, ...o });
  }
  sound(): void {
    expect(this.ex.checkInvariants()).to.deep.equal([]);
  }
}

for (const book of impls) {
  describe(`20 engine: terminal-order archive (${book})`, () => {
    it('keeps the last retainTerminalOrders closed orders exchange-wide, each exactly as it closed; older ones are forgotten', () => {
      const r = new Run({ book, retainTerminalOrders: 5 });
      r.account(1);
      r.account(2);
      // eight orders that close at once (IOC with nothing to meet), alternating accounts
      const closed: OrderView[] = [];
      for (let i = 0; i < 8; i++) {
        const res = r.order(1 + (i % 2), `x${i}`, { side: 'BUY', kind: 'IOC', price: 9_000 + i, qty: 2 + i });
        expect(res.code).to.equal(Code.OK);
        expect(res.order!.status).to.equal('CANCELLED');
        closed.push(res.order!);
        r.sound();
      }
      for (let i = 0; i < 8; i++) {
        const v = closed[i]!;
        const acct = 1 + (i % 2);
        if (i < 3) {
          expect(r.ex.getOrder(acct, { orderId: v.orderId }), `x${i} by id`).to.equal(undefined);
          expect(r.ex.getOrder(acct, { clientOrderId: `x${i}` }), `x${i} by client id`).to.equal(undefined);
          expect(r.ex.orderById(v.orderId)).to.equal(undefined);
        } else {
          expect(r.ex.getOrder(acct, { orderId: v.orderId })).to.deep.equal(v);
          expect(r.ex.getOrder(acct, { clientOrderId: `x${i}` })).to.deep.equal(v);
          expect(r.ex.orderById(v.orderId)).to.deep.equal(v);
          // ownership still holds for archived orders
          expect(r.ex.getOrder(3 - acct, { orderId: v.orderId })).to.equal(undefined);
        }
      }
      // a retained id is still a duplicate (the archived state comes back); a forgotten one is free again
      const dup = r.order(2, 'x7', { side: 'SELL', price: 11_000 });
      expect(dup.code).to.equal(Code.DUPLICATE_CLIENT_ORDER_ID);
      expect(dup.order).to.deep.equal(closed[7]);
      const again = r.order(1, 'x0', { side: 'BUY', price: 9_500 });
      expect(again.code).to.equal(Code.OK);
      expect(again.order!.orderId).to.be.greaterThan(closed[7]!.orderId);
      // cancel and replace of an archived order: not open, with its final state
      const c = r.run({ type: 'cancel', accountId: 1, clientOrderId: 'x6' });
      expect(c.code).to.equal(Code.ORDER_NOT_OPEN);
      expect(c.order).to.deep.equal(closed[6]);
      const rp = r.run({ type: 'replace', accountId: 2, orderId: closed[5]!.orderId, price: 9_100, qty: 1 });
      expect(rp.code).to.equal(Code.ORDER_NOT_OPEN);
      expect(rp.order).to.deep.equal(closed[5]);
      expect(r.run({ type: 'cancel', accountId: 2, orderId: closed[6]!.orderId }).code).to.equal(Code.NOT_ORDER_OWNER);
      expect(r.run({ type: 'cancel', accountId: 1, orderId: closed[0]!.orderId }).code).to.equal(Code.UNKNOWN_ORDER);
      r.sound();
      r.ex.close();
    });

    it('client ids without a numeric code (kept as text) survive the archive ring, whose slots alternate between text and coded ids', () => {
      const r = new Run({ book, retainTerminalOrders: 3 });
      r.account(1);
      // even i: too long for a code (the store keeps the text); odd i: a short coded id
      const cid = (i: number) => (i % 2 === 0 ? `text-client-order-id-${i}` : `c${i}`);
      const closed: OrderView[] = [];
      for (let i = 0; i < 10; i++) {
        const res = r.order(1, cid(i), { side: 'BUY', kind: 'IOC', price: 9_000 + i });
        expect(res.order!.clientOrderId).to.equal(cid(i));
        closed.push(res.order!);
        r.sound();
      }
      for (let i = 0; i < 10; i++) {
        const found = r.ex.getOrder(1, { clientOrderId: cid(i) });
        if (i < 7) expect(found, cid(i)).to.equal(undefined);
        else expect(found, cid(i)).to.deep.equal(closed[i]);
      }
      // a retained text id is a duplicate; a forgotten one (its archive slot now holds a coded id) is free again
      expect(r.order(1, cid(8), { side: 'BUY', price: 9_500 }).code).to.equal(Code.DUPLICATE_CLIENT_ORDER_ID);
      const again = r.order(1, cid(4), { side: 'BUY', price: 9_500 });
      expect(again.code).to.equal(Code.OK);
      expect(r.ex.getOrder(1, { orderId: again.order!.orderId })!.clientOrderId).to.equal(cid(4));
      // the stores keep text only for slots that hold a text id: the live cid(4) and the retained cid(8)
      const stores = r.ex as unknown as { store: { textCids: Map<number, string> }; arch: { textCids: Map<number, string> } };
      expect([...stores.store.textCids.values(), ...stores.arch.textCids.values()].sort()).to.deep.equal([cid(4), cid(8)]);
      r.sound();
      r.ex.close();
    });

    it('an archived filled order keeps its trades and average price; a live one is never archived', () => {
      const r = new Run({ book, retainTerminalOrders: 100 });
      r.account(1);
      r.account(2);
      const maker = r.order(1, 'm', { side: 'SELL', price: 10_100, qty: 5 }).order!;
      const resting = r.order(1, 'rest', { side: 'SELL', price: 10_500, qty: 1 }).order!;
      const taker = r.order(2, 't', { side: 'BUY', price: 10_200, qty: 5 });
      expect(taker.trades).to.have.length(1);
      const m = r.ex.getOrder(1, { clientOrderId: 'm' })!;
      expect(m).to.deep.include({ orderId: maker.orderId, status: 'FILLED', filledQty: 5, remainingQty: 0, filledNotionalTicks: 5 * 10_100 });
      expect(r.ex.orderTrades(maker.orderId).map((t) => t.tradeId)).to.deep.equal(taker.trades!.map((t) => t.tradeId));
      expect(r.ex.orderTrades(taker.order!.orderId, 2)).to.have.length(1);
      expect(r.ex.orderTrades(taker.order!.orderId, 1)).to.deep.equal([]);
      expect(r.ex.getOrder(1, { clientOrderId: 'rest' })).to.deep.include({ orderId: resting.orderId, status: 'OPEN' });
      expect(r.ex.openOrders(1).map((o) => o.orderId)).to.deep.equal([resting.orderId]);
      r.sound();
      r.ex.close();
    });

    it('orders closed by one command are archived by id, and a restored copy forgets the same orders at the same moments', () => {
      const opts: ExchangeOptions = { book, retainTerminalOrders: 3 };
      const a = new Run(opts);
      a.account(1);
      a.account(2);
      // makers with ids ascending at descending prices: the sweep fills (and closes) them in reverse id order
      const makers = [10_400, 10_300, 10_200, 10_100].map((p, i) => a.order(1, `m${i}`, { side: 'SELL', price: p }).order!.orderId);
      const sweep = a.order(2, 'sweep', { side: 'BUY', price: 10_400, qty: 4 });
      expect(sweep.trades!.map((t) => t.sellOrderId)).to.deep.equal([...makers].reverse());
      // five orders closed in one command, three kept: the ring's order is by id, so the two lowest ids go
      expect(a.ex.orderById(makers[0]!)).to.equal(undefined);
      expect(a.ex.orderById(makers[1]!)).to.equal(undefined);
      for (const id of [makers[2]!, makers[3]!, sweep.order!.orderId]) expect(a.ex.orderById(id), `order ${id}`).to.not.equal(undefined);
      a.sound();
      // a copy restored from a snapshot, then the same commands on both: same state after each
      const b = new Run(opts);
      b.ex.restore(a.ex.snapshot());
      b.seq = a.seq;
      b.ts = a.ts;
      expect(b.ex.stateHash()).to.equal(a.ex.stateHash());
      const more = (r: Run, i: number): CommandResult => r.order(1 + (i % 2), `n${i}`, { side: i % 3 === 0 ? 'SELL' : 'BUY', kind: i % 4 === 0 ? 'LIMIT' : 'IOC', price: 10_000 + (i % 5) * 50 });
      for (let i = 0; i < 30; i++) {
        expect(more(b, i)).to.deep.equal(more(a, i));
        expect(b.ex.stateHash(), `after ${i}`).to.equal(a.ex.stateHash());
      }
      a.sound();
      b.sound();
      a.ex.close();
      b.ex.close();
    });

    it('a sweep that closes many makers in reverse id order (past the insertion-sort size) archives them by id too', () => {
      const r = new Run({ book, retainTerminalOrders: 10 });
      r.account(1);
      r.account(2);
      const makers: number[] = [];
      for (let i = 0; i < 60; i++) makers.push(r.order(1, `m${i}`, { side: 'SELL', price: 10_600 - i * 10 }).order!.orderId);
      const sweep = r.order(2, 'big', { side: 'BUY', price: 10_600, qty: 60 });
      expect(sweep.trades!.map((t) => t.sellOrderId)).to.deep.equal([...makers].reverse());
      // 61 closed in one command, 10 kept: the 9 highest maker ids and the sweep itself
      const kept = [...makers.slice(51), sweep.order!.orderId];
      for (const id of [...makers, sweep.order!.orderId]) expect(r.ex.orderById(id) !== undefined, `order ${id}`).to.equal(kept.includes(id));
      r.sound();
      const copy = new Exchange({ market: TEST_MARKET, maxOrdersPerSecond: 1e6, book, retainTerminalOrders: 10 });
      copy.restore(r.ex.snapshot());
      expect(copy.stateHash()).to.equal(r.ex.stateHash());
      copy.close();
      r.ex.close();
    });

    it('a restore into a smaller archive keeps the newest closed orders: the state of an exchange that ran with that retention', () => {
      const stream = (r: Run): void => {
        r.account(1);
        r.account(2);
        for (let i = 0; i < 40; i++) r.order(1 + (i % 2), `s${i}`, { side: i % 2 === 0 ? 'SELL' : 'BUY', kind: i % 3 === 0 ? 'LIMIT' : 'IOC', price: 10_000 + (i % 7) * 10 - 30, qty: 1 + (i % 3) });
      };
      const big = new Run({ book, retainTerminalOrders: 1000 });
      stream(big);
      const small = new Run({ book, retainTerminalOrders: 7 });
      stream(small);
      expect(small.ex.stateHash()).to.not.equal(big.ex.stateHash());
      const restored = new Exchange({ market: TEST_MARKET, maxOrdersPerSecond: 1e6, book, retainTerminalOrders: 7 });
      restored.restore(big.ex.snapshot());
      // no client id was reused, so forgetting earlier changed nothing else
      expect(restored.stateHash()).to.equal(small.ex.stateHash());
      expect(restored.checkInvariants()).to.deep.equal([]);
      for (const e of [big.ex, small.ex, restored]) e.close();
    });

    it('retention 0: a closed order is forgotten when its command ends, after its result and reports were built', () => {
      const r = new Run({ book, retainTerminalOrders: 0 });
      r.account(1);
      const res = r.order(1, 'gone', { side: 'BUY', kind: 'IOC', price: 9_000 });
      expect(res.order).to.deep.include({ clientOrderId: 'gone', status: 'CANCELLED' });
      expect(r.ex.getOrder(1, { clientOrderId: 'gone' })).to.equal(undefined);
      expect(r.order(1, 'gone', { side: 'BUY', kind: 'IOC', price: 9_000 }).code).to.equal(Code.OK);
      r.sound();
      r.ex.close();
    });

    it('refuses a retainTerminalOrders that is not an integer in 0..2^24', () => {
      for (const bad of [-1, 1.5, 2 ** 24 + 1, Number.NaN, '5' as unknown as number]) {
        expect(() => new Exchange({ market: TEST_MARKET, book, retainTerminalOrders: bad }), String(bad)).to.throw(AurexError).with.property('code', Code.INVALID_ARGUMENT);
      }
      for (const ok of [0, 2 ** 24]) new Exchange({ market: TEST_MARKET, book, retainTerminalOrders: ok }).close();
    });
  });
}

describe('20 engine: big-table buffers (engine/big-buffer.ts)', () => {
  it('gives zeroed, writable memory of at least the size asked, on huge pages when the addon is built', () => {
    for (const bytes of [1, 4096, (2 << 20) - 8, 2 << 20, (3 << 20) + 8, 17 << 20]) {
      const b = bigBuffer(bytes);
      expect(b.byteLength, String(bytes)).to.be.at.least(bytes);
      const u = new Uint8Array(b);
      // zero at the start, the middle and the end; written and read back
      for (const at of new Set([0, u.length >> 1, u.length - 1])) {
        expect(u[at]).to.equal(0);
        u[at] = 0xa5;
        expect(u[at]).to.equal(0xa5);
      }
    }
    if (!nativeAvailable()) return;
    const huge = loadAddon().hugeBuffer;
    const h = huge(3 << 20)!;
    expect(h.byteLength).to.equal(4 << 20); // whole 2 MiB pages
    expect(new Float64Array(h).every((x) => x === 0)).to.equal(true);
    // sizes the addon refuses: null, never a throw or a bad mapping
    for (const bad of [0, -1, Number.NaN, 2 ** 40, '8' as unknown as number]) expect(huge(bad), String(bad)).to.equal(null);
  });

  it('reserves the live store up front (up to LIVE_RESERVE_SLOTS, within maxKnownOrders) only when big buffers are lazily backed', () => {
    const capOf = (ex: Exchange) => (ex as unknown as { store: { cap: number } }).store.cap;
    const big = new Exchange({ market: TEST_MARKET });
    const small = new Exchange({ market: TEST_MARKET, maxKnownOrders: 5_000 });
    try {
      if (lazyBigBuffers()) {
        expect(capOf(big)).to.equal(LIVE_RESERVE_SLOTS);
        expect(capOf(small)).to.equal(5_000);
      } else {
        // plain ArrayBuffers are committed by V8's accounting: grow as orders come
        expect(capOf(big)).to.be.below(LIVE_RESERVE_SLOTS);
      }
      expect(lazyBigBuffers()).to.equal(nativeAvailable() && process.env.AUREX_HUGE_PAGES !== '0');
    } finally {
      big.close();
      small.close();
    }
  });
});
