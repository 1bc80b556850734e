/**
 * Matching scenarios (docs/matching.md), run against both the native core and
 * the TypeScript reference book: every expectation is an exact event stream.
 */
import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import { createBook, type BookImpl } from '../engine/book/index.ts';
import { EvKind, EV_OP, EV_STRIDE, OrderFlag, OrderType, Side, StpMode, type BookConfig, type OrderBookCore } from '../engine/book/layout.ts';
import { FNV_EMPTY_HASH } from '../engine/book/state-hash.ts';
import { writeOp } from '../bench/lib/workload.ts';
import { OpKind } from '../engine/book/layout.ts';
import { checkInvariants, ev } from './support/book-check.ts';

const { ACCEPTED, REJECTED, TRADE, CANCELLED, REPLACED, LEVEL, RESTED } = EvKind;
const B = Side.BUY;
const S = Side.SELL;
const LIM = OrderType.LIMIT;

for (const impl of ['reference', 'native'] as BookImpl[]) {
  describe(`book scenarios (${impl})`, () => {
    let book: OrderBookCore;
    const make = (cfg: BookConfig = {}) => {
      book?.close();
      book = createBook(cfg, impl);
      return book;
    };
    beforeEach(() => make());
    afterEach(() => {
      checkInvariants(book);
      book.close();
    });

    // submit shorthand: id, account, side, type, price, qty (ts = id)
    const sub = (id: number, acct: number, side: 0 | 1, type: number, price: number, qty: number) => ev(book, book.submit(id, acct, side, type, price, qty, id));

    it('empty book answers every query', () => {
      expect(book.bestBid()).to.equal(-1);
      expect(book.bestAsk()).to.equal(-1);
      expect(book.bestBidQty()).to.equal(0);
      expect(book.bestAskQty()).to.equal(0);
      expect(book.depth(B, 10, new Float64Array(30))).to.equal(0);
      expect(book.snapshot()).to.deep.equal([]);
      expect(book.orderCount()).to.equal(0);
      expect(book.orderInfo(1)).to.equal(undefined);
      expect(book.stateHash()).to.equal(FNV_EMPTY_HASH);
    });

    it('a limit order that does not cross rests', () => {
      expect(sub(1, 7, B, LIM, 100, 10)).to.deep.equal([
        [ACCEPTED, 1, B, 100, 10, 7],
        [RESTED, 1, B, 100, 10],
        [LEVEL, B, 100, 10, 1],
      ]);
      expect(book.bestBid()).to.equal(100);
      expect(book.bestBidQty()).to.equal(10);
      expect(book.orderInfo(1)).to.deep.equal({ id: 1, account: 7, side: B, price: 100, remaining: 10, ts: 1 });
    });

    it('exact fill at the maker price empties the book', () => {
      sub(1, 7, S, LIM, 100, 10);
      expect(sub(2, 8, B, LIM, 105, 10)).to.deep.equal([
        [ACCEPTED, 2, B, 105, 10, 8],
        [TRADE, 1, 2, 100, 10, 0, 0],
        [LEVEL, S, 100, 0, 0],
      ]);
      expect(book.orderCount()).to.equal(0);
      expect(book.stateHash()).to.equal(FNV_EMPTY_HASH);
    });

    it('partial fill across levels, FIFO within a level, remainder rests', () => {
      sub(1, 1, S, LIM, 100, 5);
      sub(2, 2, S, LIM, 100, 3);
      sub(3, 3, S, LIM, 101, 5);
      sub(4, 4, S, LIM, 102, 5);
      expect(sub(5, 9, B, LIM, 101, 15)).to.deep.equal([
        [ACCEPTED, 5, B, 101, 15, 9],
        [TRADE, 1, 5, 100, 5, 0, 10],
        [LEVEL, S, 100, 3, 1],
        [TRADE, 2, 5, 100, 3, 0, 7],
        [LEVEL, S, 100, 0, 0],
        [TRADE, 3, 5, 101, 5, 0, 2],
        [LEVEL, S, 101, 0, 0],
        [RESTED, 5, B, 101, 2],
        [LEVEL, B, 101, 2, 1],
      ]);
      expect(book.bestBid()).to.equal(101);
      expect(book.bestAsk()).to.equal(102);
    });

    it('a partially filled maker keeps its place', () => {
      sub(1, 1, S, LIM, 100, 10);
      sub(2, 2, S, LIM, 100, 10);
      expect(sub(3, 3, B, LIM, 100, 4)).to.deep.equal([
        [ACCEPTED, 3, B, 100, 4, 3],
        [TRADE, 1, 3, 100, 4, 6, 0],
        [LEVEL, S, 100, 16, 2],
      ]);
      expect(sub(4, 3, B, LIM, 100, 7)[1]).to.deep.equal([TRADE, 1, 4, 100, 6, 0, 1]);
    });

    it('market order against an empty side is cancelled for no liquidity', () => {
      expect(sub(1, 1, B, OrderType.MARKET, 0, 10)).to.deep.equal([
        [ACCEPTED, 1, B, 0, 10, 1],
        [CANCELLED, 1, 10, Code.CANCEL_NO_LIQUIDITY],
      ]);
      expect(book.orderCount()).to.equal(0);
    });

    it('market order sweeps, never rests, and cancels its remainder', () => {
      sub(1, 1, B, LIM, 99, 5);
      sub(2, 2, B, LIM, 98, 5);
      expect(sub(3, 3, S, OrderType.MARKET, 0, 12)).to.deep.equal([
        [ACCEPTED, 3, S, 0, 12, 3],
        [TRADE, 1, 3, 99, 5, 0, 7],
        [LEVEL, B, 99, 0, 0],
        [TRADE, 2, 3, 98, 5, 0, 2],
        [LEVEL, B, 98, 0, 0],
        [CANCELLED, 3, 2, Code.CANCEL_MARKET_REMAINDER],
      ]);
    });

    it('market collar stops the sweep at the protection price', () => {
      sub(1, 1, S, LIM, 100, 5);
      sub(2, 2, S, LIM, 103, 5);
      expect(sub(3, 3, B, OrderType.MARKET, 102, 8)).to.deep.equal([
        [ACCEPTED, 3, B, 102, 8, 3],
        [TRADE, 1, 3, 100, 5, 0, 3],
        [LEVEL, S, 100, 0, 0],
        [CANCELLED, 3, 3, Code.CANCEL_MARKET_REMAINDER],
      ]);
      // Collar below the best: nothing trades, counted as no liquidity.
      expect(sub(4, 3, B, OrderType.MARKET, 102, 8)).to.deep.equal([
        [ACCEPTED, 4, B, 102, 8, 3],
        [CANCELLED, 4, 8, Code.CANCEL_NO_LIQUIDITY],
      ]);
      expect(book.bestAsk()).to.equal(103);
    });

    it('IOC fills what crosses and cancels the rest', () => {
      sub(1, 1, S, LIM, 100, 4);
      expect(sub(2, 2, B, OrderType.IOC, 100, 10)).to.deep.equal([
        [ACCEPTED, 2, B, 100, 10, 2],
        [TRADE, 1, 2, 100, 4, 0, 6],
        [LEVEL, S, 100, 0, 0],
        [CANCELLED, 2, 6, Code.CANCEL_IOC_REMAINDER],
      ]);
      expect(sub(3, 2, B, OrderType.IOC, 100, 10)).to.deep.equal([
        [ACCEPTED, 3, B, 100, 10, 2],
        [CANCELLED, 3, 10, Code.CANCEL_IOC_REMAINDER],
      ]);
      expect(book.orderCount()).to.equal(0);
    });

    it('FOK one lot short does nothing at all', () => {
      sub(1, 1, S, LIM, 100, 5);
      sub(2, 2, S, LIM, 101, 4);
      sub(3, 2, S, LIM, 102, 50);
      const before = book.stateHash();
      expect(sub(4, 3, B, OrderType.FOK, 101, 10)).to.deep.equal([
        [ACCEPTED, 4, B, 101, 10, 3],
        [CANCELLED, 4, 10, Code.CANCEL_FOK_NOT_FILLABLE],
      ]);
      expect(book.stateHash()).to.equal(before);
    });

    it('FOK exactly fillable fills completely', () => {
      sub(1, 1, S, LIM, 100, 5);
      sub(2, 2, S, LIM, 101, 4);
      expect(sub(3, 3, B, OrderType.FOK, 101, 9)).to.deep.equal([
        [ACCEPTED, 3, B, 101, 9, 3],
        [TRADE, 1, 3, 100, 5, 0, 4],
        [LEVEL, S, 100, 0, 0],
        [TRADE, 2, 3, 101, 4, 0, 0],
        [LEVEL, S, 101, 0, 0],
      ]);
    });

    it('post-only rejects when it would cross, rests otherwise', () => {
      sub(1, 1, S, LIM, 100, 5);
      expect(sub(2, 2, B, LIM | OrderFlag.POST_ONLY, 100, 5)).to.deep.equal([[REJECTED, 2, Code.POST_ONLY_WOULD_CROSS]]);
      expect(sub(3, 2, B, LIM | OrderFlag.POST_ONLY, 99, 5)).to.deep.equal([
        [ACCEPTED, 3, B, 99, 5, 2],
        [RESTED, 3, B, 99, 5],
        [LEVEL, B, 99, 5, 1],
      ]);
    });

    it('duplicate live id is rejected; cancel of unknown or filled id is rejected', () => {
      sub(1, 1, S, LIM, 100, 5);
      expect(sub(1, 2, B, LIM, 90, 5)).to.deep.equal([[REJECTED, 1, Code.DUPLICATE_ORDER_ID]]);
      expect(ev(book, book.cancel(77))).to.deep.equal([[REJECTED, 77, Code.UNKNOWN_ORDER]]);
      sub(2, 2, B, LIM, 100, 5); // fills 1
      expect(ev(book, book.cancel(1))).to.deep.equal([[REJECTED, 1, Code.UNKNOWN_ORDER]]);
      expect(ev(book, book.replace(1, 100, 3))).to.deep.equal([[REJECTED, 1, Code.UNKNOWN_ORDER]]);
    });

    it('cancel by id removes the order and reports the level', () => {
      sub(1, 1, B, LIM, 100, 5);
      sub(2, 2, B, LIM, 100, 7);
      expect(ev(book, book.cancel(1))).to.deep.equal([
        [CANCELLED, 1, 5, Code.CANCEL_BY_USER],
        [LEVEL, B, 100, 7, 1],
      ]);
      expect(ev(book, book.cancel(1))).to.deep.equal([[REJECTED, 1, Code.UNKNOWN_ORDER]]);
    });

    it('price above the configured range is rejected by the book', () => {
      make({ maxPriceTicks: 1000 });
      expect(sub(1, 1, B, LIM, 1001, 5)).to.deep.equal([[REJECTED, 1, Code.BOOK_PRICE_OUT_OF_RANGE]]);
      sub(2, 1, B, LIM, 1000, 5);
      expect(ev(book, book.replace(2, 1001, 5))).to.deep.equal([[REJECTED, 2, Code.BOOK_PRICE_OUT_OF_RANGE]]);
      expect(book.bestBid()).to.equal(1000);
    });

    describe('replace', () => {
      it('quantity down at the same price keeps time priority', () => {
        sub(1, 1, S, LIM, 100, 10);
        sub(2, 2, S, LIM, 100, 10);
        expect(ev(book, book.replace(1, 100, 4))).to.deep.equal([
          [REPLACED, 1, 100, 4, 1],
          [LEVEL, S, 100, 14, 2],
        ]);
        expect(sub(3, 3, B, LIM, 100, 1)[1]).to.deep.equal([TRADE, 1, 3, 100, 1, 3, 0]);
      });

      it('quantity up loses time priority', () => {
        sub(1, 1, S, LIM, 100, 10);
        sub(2, 2, S, LIM, 100, 10);
        expect(ev(book, book.replace(1, 100, 12))).to.deep.equal([
          [REPLACED, 1, 100, 12, 0],
          [LEVEL, S, 100, 10, 1],
          [RESTED, 1, S, 100, 12],
          [LEVEL, S, 100, 22, 2],
        ]);
        expect(sub(3, 3, B, LIM, 100, 1)[1]).to.deep.equal([TRADE, 2, 3, 100, 1, 9, 0]);
        expect(book.orderInfo(1)!.ts).to.equal(1);
      });

      it('price change loses priority and a crossing replace matches at once', () => {
        sub(1, 1, S, LIM, 105, 10);
        sub(2, 2, B, LIM, 100, 4);
        expect(ev(book, book.replace(1, 100, 10))).to.deep.equal([
          [REPLACED, 1, 100, 10, 0],
          [LEVEL, S, 105, 0, 0],
          [TRADE, 2, 1, 100, 4, 0, 6],
          [LEVEL, B, 100, 0, 0],
          [RESTED, 1, S, 100, 6],
          [LEVEL, S, 100, 6, 1],
        ]);
      });

      it('acts on the remaining quantity, not the original', () => {
        sub(1, 1, S, LIM, 100, 10);
        sub(2, 2, B, LIM, 100, 4); // remaining 6
        expect(ev(book, book.replace(1, 100, 6))).to.deep.equal([[REPLACED, 1, 100, 6, 1]]);
        expect(ev(book, book.replace(1, 100, 8))[0]).to.deep.equal([REPLACED, 1, 100, 8, 0]);
        expect(book.orderInfo(1)!.remaining).to.equal(8);
      });
    });

    describe('self-trade prevention', () => {
      const setup = (mode: 0 | 1 | 2) => {
        make({ stpMode: mode });
        sub(1, 5, S, LIM, 100, 5); // own order at the best
        sub(2, 6, S, LIM, 100, 5);
      };

      it('cancel resting (default): own resting order is cancelled, matching continues', () => {
        setup(StpMode.CANCEL_RESTING);
        expect(sub(3, 5, B, LIM, 100, 4)).to.deep.equal([
          [ACCEPTED, 3, B, 100, 4, 5],
          [CANCELLED, 1, 5, Code.CANCEL_SELF_TRADE_RESTING],
          [LEVEL, S, 100, 5, 1],
          [TRADE, 2, 3, 100, 4, 1, 0],
          [LEVEL, S, 100, 1, 1],
        ]);
      });

      it('cancel incoming: the incoming remainder is cancelled, resting intact', () => {
        setup(StpMode.CANCEL_INCOMING);
        expect(sub(3, 5, B, LIM, 100, 4)).to.deep.equal([
          [ACCEPTED, 3, B, 100, 4, 5],
          [CANCELLED, 3, 4, Code.CANCEL_SELF_TRADE_INCOMING],
        ]);
        expect(book.orderCount()).to.equal(2);
      });

      it('cancel both', () => {
        setup(StpMode.CANCEL_BOTH);
        expect(sub(3, 5, B, LIM, 100, 4)).to.deep.equal([
          [ACCEPTED, 3, B, 100, 4, 5],
          [CANCELLED, 1, 5, Code.CANCEL_SELF_TRADE_RESTING],
          [LEVEL, S, 100, 5, 1],
          [CANCELLED, 3, 4, Code.CANCEL_SELF_TRADE_INCOMING],
        ]);
      });

      it('FOK counts only other accounts under cancel-resting', () => {
        setup(StpMode.CANCEL_RESTING);
        expect(sub(3, 5, B, OrderType.FOK, 100, 6)).to.deep.equal([
          [ACCEPTED, 3, B, 100, 6, 5],
          [CANCELLED, 3, 6, Code.CANCEL_FOK_NOT_FILLABLE],
        ]);
        expect(book.orderCount()).to.equal(2);
        expect(sub(4, 5, B, OrderType.FOK, 100, 5)).to.deep.equal([
          [ACCEPTED, 4, B, 100, 5, 5],
          [CANCELLED, 1, 5, Code.CANCEL_SELF_TRADE_RESTING],
          [LEVEL, S, 100, 5, 1],
          [TRADE, 2, 4, 100, 5, 0, 0],
          [LEVEL, S, 100, 0, 0],
        ]);
      });

      it('FOK meeting its own order first is not fillable under cancel-incoming', () => {
        setup(StpMode.CANCEL_INCOMING);
        expect(sub(3, 5, B, OrderType.FOK, 100, 5)).to.deep.equal([
          [ACCEPTED, 3, B, 100, 5, 5],
          [CANCELLED, 3, 5, Code.CANCEL_FOK_NOT_FILLABLE],
        ]);
        expect(book.orderCount()).to.equal(2);
      });
    });

    it('batched process tags every event with its op index', () => {
      const ops = new Float64Array(3 * 8);
      writeOp(ops, 0, OpKind.NEW, 1, 1, S, LIM, 100, 5, 1);
      writeOp(ops, 1, OpKind.NEW, 2, 2, B, LIM, 100, 5, 2);
      writeOp(ops, 2, OpKind.CANCEL, 1, 0, 0, 0, 0, 0, 0);
      const n = book.process(ops, 3);
      const opIdx = Array.from({ length: n }, (_, i) => book.events[i * EV_STRIDE + EV_OP]);
      expect(opIdx).to.deep.equal([0, 0, 0, 1, 1, 1, 2]);
    });

    it('depth lists aggregated levels best first; snapshot and restore round-trip', () => {
      sub(1, 1, B, LIM, 99, 5);
      sub(2, 2, B, LIM, 99, 6);
      sub(3, 3, B, LIM, 97, 1);
      sub(4, 4, S, LIM, 101, 2);
      sub(5, 5, S, LIM, 103, 3);
      const out = new Float64Array(9);
      expect(book.depth(B, 5, out)).to.equal(2);
      expect(Array.from(out.subarray(0, 6))).to.deep.equal([99, 11, 2, 97, 1, 1]);
      expect(book.depth(S, 1, out)).to.equal(1);
      expect(Array.from(out.subarray(0, 3))).to.deep.equal([101, 2, 1]);
      const snap = book.snapshot();
      expect(snap.map((o) => o.id)).to.deep.equal([1, 2, 3, 4, 5]);
      const hash = book.stateHash();
      const other = createBook({}, impl === 'native' ? 'reference' : 'native');
      other.restore(snap);
      expect(other.stateHash()).to.equal(hash);
      expect(other.snapshot()).to.deep.equal(snap);
      other.close();
      book.restore([]);
      expect(book.stateHash()).to.equal(FNV_EMPTY_HASH);
      book.restore(snap);
      expect(book.stateHash()).to.equal(hash);
      // the restored book keeps FIFO and id checks
      expect(sub(2, 9, B, LIM, 50, 1)).to.deep.equal([[REJECTED, 2, Code.DUPLICATE_ORDER_ID]]);
      expect(sub(6, 9, S, LIM, 99, 7)[1]).to.deep.equal([TRADE, 1, 6, 99, 5, 0, 2]);
    });

    it('never loses events when one op yields more than the buffer holds', () => {
      const b = createBook({}, impl, { eventRows: 4 });
      for (let i = 1; i <= 3000; i++) b.submit(i, i, S, LIM, 1000 + (i % 50), 1, i);
      const n = b.submit(5000, 0, B, OrderType.MARKET, 0, 5000, 5000);
      expect(n).to.equal(1 + 3000 * 2 + 1);
      let trades = 0;
      for (let i = 0; i < n; i++) if (b.events[i * EV_STRIDE] === TRADE) trades++;
      expect(trades).to.equal(3000);
      expect(b.events[(n - 1) * EV_STRIDE + 3]).to.equal(Code.CANCEL_MARKET_REMAINDER);
      // the first fill is the oldest order at the best (lowest) price
      expect(Array.from(b.events.subarray(EV_STRIDE, EV_STRIDE + 5))).to.deep.equal([TRADE, 50, 5000, 1000, 1]);
      expect(b.orderCount()).to.equal(0);
      b.close();
    });

    it('keeps prices at the top of a 2^31 range and far apart exact', () => {
      const top = 2 ** 31 - 1;
      sub(1, 1, S, LIM, top, 1);
      sub(2, 1, S, LIM, 1, 1);
      sub(3, 2, B, LIM, 1, 1); // trades with 2 at 1
      expect(book.bestAsk()).to.equal(top);
      sub(4, 2, B, LIM, top - 1, 3);
      expect(book.bestBid()).to.equal(top - 1);
      expect(sub(5, 3, S, OrderType.MARKET, 0, 10)[1]).to.deep.equal([TRADE, 4, 5, top - 1, 3, 0, 7]);
      expect(book.bestBid()).to.equal(-1);
    });
  });
}
